"""privault's own frozen model of a dataset (a company database described in Fides terms)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["from", "to"]


def is_personal(category: str) -> bool:
    """Whether a data category describes a person (``user`` or anything under it)."""
    return category == "user" or category.startswith("user.")


# Fides data subjects that are not the people who ask privault for their data: a collection or field
# declaring only these (staff, their managers, suppliers) describes other people.
OTHER_PEOPLE = frozenset(
    {"employee", "trainee", "consultant", "supplier_vendor", "shareholder", "next_of_kin"}
)


def describes_others(data_subjects: tuple[str, ...]) -> bool:
    """Whether declared data subjects are all other people than the requester (none declared: no)."""
    return bool(data_subjects) and all(s in OTHER_PEOPLE for s in data_subjects)


@dataclass(frozen=True, slots=True)
class Reference:
    """A link to ``collection.field`` of the same dataset; ``direction`` as in Fides."""

    collection: str
    field: str
    direction: Direction | None = None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One column: its data categories, identity kind, references and flags."""

    name: str
    categories: tuple[str, ...] = ()
    identity: str | None = None
    references: tuple[Reference, ...] = ()
    primary_key: bool = False
    read_only: bool = False
    stored: str | None = None  # how an identity field stores its values (connectors.identity)
    others: bool = (
        False  # the field describes other people (its data_subjects): not the requester's
    )

    @property
    def personal(self) -> bool:
        """Whether the field holds the requester's personal data."""
        return not self.others and any(is_personal(c) for c in self.categories)


@dataclass(frozen=True, slots=True)
class Dated:
    """Where a collection's rows keep the day their data was collected, for the retention sweep:
    ``field`` holds the date or time; ``purpose`` (a manifest purpose) narrows the rules that apply
    (without it every rule covering a field's category applies, and the longest wins)."""

    field: str
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    """One table. ``delete_rows``: None = default (delete), True = delete, False = mask fields."""

    name: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...] = ()
    skip: bool = False
    delete_rows: bool | None = None
    erase_after: tuple[str, ...] = ()
    dated: Dated | None = None
    others: bool = False  # the rows describe other people (staff, managers): never traversed

    @property
    def personal(self) -> bool:
        """Whether any field holds the requester's personal data."""
        return not self.others and any(f.personal for f in self.fields)

    @property
    def field_names(self) -> tuple[str, ...]:
        """The declared field names, in order."""
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec | None:
        """The field called ``name``, if declared."""
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """A validated dataset: its Fides key, name and collections."""

    key: str
    name: str
    collections: tuple[CollectionSpec, ...]

    def collection(self, name: str) -> CollectionSpec | None:
        """The collection called ``name``, if declared."""
        return next((c for c in self.collections if c.name == name), None)


def identity_kind(name: str) -> str:
    """privault's identity kind for a Fides identity name (``phone_number`` is ``phone``)."""
    return "phone" if name == "phone_number" else name


def reference_parts(value: str) -> tuple[str, str] | None:
    """``collection.field`` split in two, or None when it is not of that form."""
    collection, dot, field = value.partition(".")
    if not dot or not collection or not field or "." in field:
        return None
    return collection, field


def primary_key(fields: tuple[FieldSpec, ...]) -> tuple[str, ...]:
    """Fields marked primary_key, else a field named ``id``, else none."""
    marked = tuple(f.name for f in fields if f.primary_key)
    if marked:
        return marked
    return ("id",) if any(f.name == "id" for f in fields) else ()
