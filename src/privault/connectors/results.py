"""What a datastore answers: its check, the rows found for a person, and what an erasure did."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

JsonValue = Any  # str | int | float | bool | None (and dict/list from JSON columns)


@dataclass(frozen=True, slots=True)
class DatastoreCheck:
    """``test()``: whether the datastore answered, and what does not match the dataset."""

    connected: bool
    problems: list[str]
    tables: int
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Connected and every declared collection and field exists."""
        return self.connected and not self.problems


@dataclass(frozen=True, slots=True)
class CollectionRows:
    """The rows of one collection found for a person, with JSON-friendly values."""

    name: str
    columns: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    rows: list[tuple[JsonValue, ...]]
    primary_keys: list[tuple[JsonValue, ...]]


@dataclass(frozen=True, slots=True)
class AccessResult:
    """Every row reachable from the identities, per collection (collections with rows only)."""

    collections: dict[str, CollectionRows]
    skipped: tuple[str, ...] = ()

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
class ErasureResult:
    """What an erasure deleted, masked, retained and could not erase."""

    deleted: dict[str, int] = field(default_factory=dict)
    masked: dict[str, dict[str, int]] = field(default_factory=dict)
    retained: list[Retained] = field(default_factory=list)
    not_erased: list[NotErased] = field(default_factory=list)
    dry_run: bool = False

    @property
    def complete(self) -> bool:
        """True when nothing personal was left that should have been erased."""
        return not self.not_erased


def _iso(value: date | datetime | time) -> str:
    return value.isoformat()


def _b64(value: bytes | bytearray | memoryview) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


_CONVERT: dict[type, Callable[[Any], JsonValue]] = {
    datetime: _iso,
    date: _iso,
    time: _iso,
    Decimal: str,
    UUID: str,
    bytes: _b64,
    bytearray: _b64,
    memoryview: _b64,
    timedelta: lambda v: v.total_seconds(),
}
_PLAIN = (str, int, float, bool, dict, list)


def _convert(value: Any) -> JsonValue:
    if value is None or isinstance(value, _PLAIN):
        return value
    return _CONVERT.get(type(value), str)(value)


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
    """Rows as tuples with dates, decimals, bytes and UUIDs turned into strings (column-wise)."""
    if not rows:
        return []
    needed = _needs_conversion(rows)
    if not needed:
        return [row if isinstance(row, tuple) else tuple(row) for row in rows]
    columns = list(zip(*rows, strict=True))
    for index in needed:
        columns[index] = tuple(map(_convert, columns[index]))
    return list(zip(*columns, strict=True))
