"""What a datastore answers: its check, the rows found for a person, and what an erasure did."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain
from typing import Any, Literal
from uuid import UUID

JsonValue = Any  # str | int | float | bool | None (and dict/list from JSON columns)


Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing ``test()`` found: a stable ``code`` (docs/requests.md#datastore-checks), where
    (``collection.field``, ``collection`` or empty for the whole datastore), what and what to do.
    Never a stored value: counts, and at most a value's shape."""

    code: str
    severity: Severity
    where: str
    message: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class DatastoreCheck:
    """``test()``: whether the datastore answered, the rows of each declared collection the
    database has, and the findings (errors first)."""

    connected: bool
    findings: list[Finding]
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Connected and no finding is an error."""
        return self.connected and not self.errors

    @property
    def errors(self) -> list[Finding]:
        """The findings that make the datastore not ok."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """The findings worth fixing that do not stop the datastore from working."""
        return [f for f in self.findings if f.severity == "warning"]


@dataclass(frozen=True, slots=True)
class CollectionRows:
    """The rows of one collection found for a person, with JSON-friendly values."""

    name: str
    columns: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    rows: list[tuple[JsonValue, ...]]
    primary_keys: list[tuple[JsonValue, ...]]
    personal: bool = True  # the collection holds the requester's personal data (else: catalogue)


class Matched:
    """Whether a datastore was searched for the requester, and whether anyone matched there
    (``matched``: identity kind -> rows, only the kinds the datastore holds and the requester gave)."""

    __slots__ = ()
    matched: dict[str, int]

    @property
    def searched(self) -> bool:
        """Whether the datastore holds any identity the requester gave (so it was searched)."""
        return bool(self.matched)

    @property
    def no_match(self) -> bool:
        """Searched, and no identity field matched any row: the person was not found here."""
        return self.searched and not any(self.matched.values())


@dataclass(frozen=True, slots=True)
class AccessResult(Matched):
    """Every row reachable from the identities, per collection (collections with rows only)."""

    collections: dict[str, CollectionRows]
    skipped: tuple[str, ...] = ()
    # collection -> how many of its returned rows (the person points at them) are also another
    # person's: they are returned, but the rows pointing at them are not followed
    shared: dict[str, int] = field(default_factory=dict)
    # identity kind -> rows its identity fields matched; only the kinds the datastore holds and
    # the requester gave (empty when none of the requester's identities is held here)
    matched: dict[str, int] = field(default_factory=dict)
    # collections describing other people (staff: their data_subjects), never searched for a
    # requester: an answer says so rather than "no record of you" about them
    others: tuple[str, ...] = ()

    @property
    def personal_rows(self) -> int:
        """Rows of collections holding the requester's personal data (not catalogue rows)."""
        return sum(len(c.rows) for c in self.collections.values() if c.personal)

    @property
    def total_rows(self) -> int:
        """How many rows were found across collections."""
        return sum(len(c.rows) for c in self.collections.values())


@dataclass(frozen=True, slots=True)
class ErasureException:
    """A legal reason to keep data under ``categories`` (and any category beneath them)."""

    categories: tuple[str, ...]
    code: str
    rule: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Retained:
    """A row kept on purpose: ``code`` is an exception's code, ``shared`` or ``referenced``."""

    collection: str
    key: str
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class NotErased:
    """Personal data that could not be erased; the request is then incomplete."""

    collection: str
    field: str
    rows: int
    reason: str


@dataclass(slots=True)
class ErasureResult(Matched):
    """What an erasure deleted, masked, retained and could not erase."""

    deleted: dict[str, int] = field(default_factory=dict)
    masked: dict[str, dict[str, int]] = field(default_factory=dict)
    retained: list[Retained] = field(default_factory=list)
    not_erased: list[NotErased] = field(default_factory=list)
    dry_run: bool = False
    # identity kind -> rows its identity fields matched (as ``AccessResult.matched``)
    matched: dict[str, int] = field(default_factory=dict)
    others: tuple[str, ...] = ()  # collections describing other people, never searched

    @property
    def complete(self) -> bool:
        """True when nothing personal was left that should have been erased."""
        return not self.not_erased


def _b64(value: bytes | bytearray | memoryview) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


_CONVERT: dict[type, Callable[[Any], JsonValue]] = {
    datetime: datetime.isoformat,  # the C methods themselves: no Python call per value
    date: date.isoformat,
    time: time.isoformat,
    Decimal: str,
    UUID: str,
    bytes: _b64,
    bytearray: _b64,
    memoryview: _b64,
    timedelta: timedelta.total_seconds,
}
_PLAIN = (str, int, float, bool, dict, list)


def _convert(value: Any) -> JsonValue:
    if value is None or isinstance(value, _PLAIN):
        return value
    return _CONVERT.get(type(value), str)(value)


def _converted(values: list[Any]) -> list[JsonValue]:
    """One column's values made JSON-friendly.

    A column of one type (dates, say, perhaps with nulls) is converted by that type's own method,
    mapped in C; only a column mixing types goes through ``_convert`` value by value.
    """
    kinds = set(map(type, values))
    kinds.discard(type(None))
    method = _CONVERT.get(kinds.pop()) if len(kinds) == 1 else None
    if method is None:
        return list(map(_convert, values))
    if None in values:
        return [None if value is None else method(value) for value in values]
    return list(map(method, values))


def _needs_conversion(rows: Sequence[Sequence[Any]]) -> list[int]:
    """Columns whose first non-null value is not already JSON-friendly."""
    width = len(rows[0])
    pending, needed = set(range(width)), []
    for row in rows:
        for index in list(pending):
            value = row[index]
            if value is not None:
                pending.discard(index)
                if not isinstance(value, _PLAIN):
                    needed.append(index)
        if not pending:
            break
    return sorted(needed)


def json_rows(rows: Sequence[Sequence[Any]]) -> list[tuple[JsonValue, ...]]:
    """Rows as tuples with dates, decimals, bytes and UUIDs turned into strings (column-wise).

    The values are laid end to end in one list, each column that needs it is converted as a slice
    of that list, and the list is cut into rows again: unlike transposing with ``zip(*rows)``, this
    makes no object per row but the result, so the garbage collector is not set off over and over.
    """
    if not rows:
        return []
    needed = _needs_conversion(rows)
    if not needed:
        return list(map(tuple, rows))  # tuple(row) is the row itself if it is a tuple
    width = len(rows[0])
    if not set(map(len, rows)) <= {width}:
        raise ValueError("every row needs the same number of values")
    values = list(chain.from_iterable(rows))
    for index in needed:
        values[index::width] = _converted(values[index::width])
    return list(zip(*[iter(values)] * width, strict=True))
