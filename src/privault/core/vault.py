"""Rules of the vault: what a subject record may contain, and who counts as a minor. No I/O."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from privault.core.manifest.resolve import TenantView, fides_lineage, known_categories
from privault.core.taxonomy import is_within
from privault.errors import InvalidInput, NotFound, PolicyViolation

DATE_OF_BIRTH = "user.demographic.date_of_birth"
IDENTITY_CATEGORIES = {"email": "user.contact.email", "phone": "user.contact.phone_number"}
DEFAULT_IDENTITY_CATEGORY = "user.unique_id"
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,199}$")

DataValue = StrictStr | StrictInt | StrictFloat | StrictBool | None
"""One personal-data value: text, a number, true/false or null; a nested object or list is refused."""


class ParentalConsent(BaseModel):
    """Verified parental consent for a child (COPPA §312.5(b)): how it was verified, and the record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal[
        "signed_form",
        "payment_card",
        "toll_free_call",
        "video_conference",
        "government_id",
        "knowledge_based",
    ]
    reference: str = Field(min_length=1, max_length=200)


class SubjectIn(BaseModel):
    """One subject as imported or created: ``{"subject", "identities", "data", "source", "purpose"}``
    and, for a child under 13, ``parental_consent``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parental_consent: ParentalConsent | None = None

    subject: str | None = Field(
        default=None, description="The business's own reference, e.g. cust-1."
    )
    identities: dict[str, str | list[str]] = {}
    data: dict[str, DataValue] = {}
    source: str
    purpose: str

    @field_validator("subject")
    @classmethod
    def _ref(cls, value: str | None) -> str | None:
        if value is not None and not _REF.match(value):
            raise ValueError("a subject reference is 1-200 letters, digits, '_', '.', ':' or '-'")
        return value


def parse_subject(raw: object) -> SubjectIn:
    """Validate one input record; the error never repeats the values."""
    try:
        return SubjectIn.model_validate(raw)
    except ValidationError as exc:
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in exc.errors()
        ]
        raise InvalidInput("; ".join(parts)) from exc


def identity_pairs(identities: dict[str, str | list[str]]) -> list[tuple[str, str]]:
    """Flatten ``{"email": ["a", "b"]}`` to ``[("email", "a"), ("email", "b")]``."""
    pairs: list[tuple[str, str]] = []
    for kind, values in identities.items():
        pairs += [(kind, v) for v in ([values] if isinstance(values, str) else values)]
    return pairs


def identity_category(kind: str) -> str:
    """The data category an identity of this kind belongs to."""
    return IDENTITY_CATEGORIES.get(kind, DEFAULT_IDENTITY_CATEGORY)


def check_collection(view: TenantView, source: str, purpose: str, fields: list[str]) -> None:
    """Refuse data the manifest does not let this tenant collect for this purpose from this source."""
    declared = view.purpose(purpose)
    if declared is None:
        raise NotFound(
            f"tenant '{view.tenant.key}' has no purpose '{purpose}'", code="purpose.unknown"
        )
    sources = {s.key for s in view.manifest.sources}
    if sources and source not in sources:
        raise InvalidInput(
            f"unknown source '{source}' (known: {', '.join(sorted(sources))})",
            code="source.unknown",
        )
    categories = known_categories(view.manifest)
    for name in fields:
        if name not in categories:
            raise InvalidInput(f"unknown data category '{name}'", code="category.unknown")
        if not any(
            is_within(k, c) for k in fides_lineage(view.manifest, name) for c in declared.categories
        ):
            raise PolicyViolation(
                f"purpose '{purpose}' does not collect '{name}' (purpose limitation)",
                code="purpose.limitation",
            )


def adult_on(date_of_birth: Any, minor_age: int) -> date:
    """The day a person born on ``date_of_birth`` reaches ``minor_age`` (29 Feb counts as 1 Mar)."""
    if not isinstance(date_of_birth, str):
        raise InvalidInput("date of birth must be an ISO date (YYYY-MM-DD)", code="input.invalid")
    try:
        born = date.fromisoformat(date_of_birth)
    except ValueError as exc:
        raise InvalidInput("date of birth must be an ISO date (YYYY-MM-DD)") from exc
    try:
        return born.replace(year=born.year + minor_age)
    except ValueError:  # 29 February in a non-leap year
        return date(born.year + minor_age, 3, 1)


def is_minor(adult_on_day: date | None, today: date) -> bool:
    """A subject is a minor until the day they reach the manifest's minor age."""
    return adult_on_day is not None and today < adult_on_day
