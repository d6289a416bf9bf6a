"""A subject read as JSON: the one shape the API answers with and the CLI prints (values revealed:
the role may see them; what it may not see is listed as withheld)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from privault.services.vault import SubjectView


class FieldOut(BaseModel):
    """One decrypted value with its provenance."""

    value: Any
    category: str
    source: str
    purpose: str
    collected_at: datetime
    last_four: bool = Field(
        default=False,
        description="The value is shown by its last four characters only (****1001): a card, "
        "bank-account, government ID or medical ID number the role has no full_values grant for. "
        "Never write it back.",
    )
    withheld: bool = Field(
        default=False,
        description='The value is not shown at all ("[withheld]"): a password, credential, '
        "security answer or biometric data the role has no full_values grant for. Never write it "
        "back.",
    )


class WithheldOut(BaseModel):
    """A value not shown, and the rule that withheld it."""

    field: str
    category: str
    rule: str


class SubjectOut(BaseModel):
    """What a read returned."""

    subject: str | None
    uid: str
    is_minor: bool
    identities: dict[str, list[str]]
    data: dict[str, FieldOut]
    withheld: list[WithheldOut]


def subject_out(view: SubjectView) -> SubjectOut:
    """A subject as the API answers with it and the CLI prints it."""
    return SubjectOut(
        subject=view.ref,
        uid=view.uid,
        is_minor=view.is_minor,
        identities={k: [v.reveal() for v in values] for k, values in view.identities.items()},
        data={
            name: FieldOut(
                value=f.value.reveal(),
                category=f.category,
                source=f.source,
                purpose=f.purpose,
                collected_at=f.collected_at,
                last_four=f.last_four,
                withheld=f.withheld,
            )
            for name, f in view.data.items()
        },
        withheld=[
            WithheldOut(field=w.field, category=w.category, rule=w.rule) for w in view.withheld
        ],
    )


def subject_json(view: SubjectView) -> dict[str, object]:
    """``subject_out`` as plain JSON values (datetimes as ISO 8601 text)."""
    return subject_out(view).model_dump(mode="json")
