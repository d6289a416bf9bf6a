"""Small SQLAlchemy Core helpers: quoted tables, IN conditions over one or many columns, batches."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Connection,
    TableClause,
    any_,
    bindparam,
    column,
    or_,
    table,
    tuple_,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from privault.errors import ConnectorError

# Bind parameters per statement: SQLite's historic limit is 999; servers take many more.
_SQLITE_BATCH = 900
_SERVER_BATCH = 5000


def batch_size(dialect: Dialect) -> int:
    """How many values one IN list may hold on this dialect."""
    return _SQLITE_BATCH if dialect.name == "sqlite" else _SERVER_BATCH


def sql_table(name: str, columns: Sequence[str]) -> TableClause:
    """A lightweight table whose identifiers the dialect quotes as needed."""
    return table(name, *(column(c) for c in columns))


def one_in(col: ColumnClause[Any], values: Sequence[Any], dialect: Dialect) -> ColumnElement[bool]:
    """``col IN (...)``; on PostgreSQL ``col = ANY(array)``: one parameter, however many values."""
    if dialect.name == "postgresql":
        return col == any_(bindparam(None, list(values)))
    return col.in_(values)


def key_in(
    tab: TableClause, names: Sequence[str], values: Sequence[Any], dialect: Dialect
) -> ColumnElement[bool]:
    """``col IN (...)`` for one column (scalar values) or ``(a, b) IN (...)`` for several (tuples)."""
    if len(names) == 1:
        return one_in(tab.c[names[0]], values, dialect)
    return tuple_(*(tab.c[n] for n in names)).in_(values)


def any_in(tab: TableClause, wanted: dict[str, list[Any]], dialect: Dialect) -> ColumnElement[bool]:
    """``f1 IN (...) OR f2 IN (...)`` over the fields that have values."""
    return or_(*(one_in(tab.c[name], values, dialect) for name, values in wanted.items()))


def chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``values`` in slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def split_wanted(wanted: dict[str, list[Any]], size: int) -> Iterator[dict[str, list[Any]]]:
    """Field -> values, cut so that each piece holds at most ``size`` values in total."""
    piece: dict[str, list[Any]] = {}
    room = size
    for name, values in wanted.items():
        start = 0
        while start < len(values):
            take = values[start : start + room]
            piece[name] = take
            start += len(take)
            room -= len(take)
            if room == 0:
                yield piece
                piece, room = {}, size
    if piece:
        yield piece


def sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """Connect listener: SQLite enforces foreign keys only when asked on each connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def row_batch(conn: Connection, size: int) -> int:
    """The per-statement key count for composite keys of ``size`` columns."""
    return max(1, batch_size(conn.dialect) // max(1, size))


@contextmanager
def failing_as(collection: str, action: str = "query") -> Iterator[None]:
    """Turn a database error into ConnectorError naming the collection (never a value)."""
    try:
        yield
    except DBAPIError as exc:
        kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        message = f"the {action} on collection {collection!r} failed ({kind}); nothing was changed"
        raise ConnectorError(message, code="datastore.query_failed") from None
    except SQLAlchemyError as exc:
        message = f"the {action} on collection {collection!r} failed ({type(exc).__name__})"
        raise ConnectorError(
            message + "; nothing was changed", code="datastore.query_failed"
        ) from None


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of row tuples are built.

    Rows hold no reference cycles, so reference counting frees them; the collector would only
    rescan them again and again (a third of the time of a large access).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def keys_by_value(
    rows: Mapping[Any, Sequence[Any]], indexes: Sequence[int]
) -> dict[Any, list[Any]]:
    """Row keys grouped by the value of some columns (a tuple for several; None values skipped)."""
    grouped: dict[Any, list[Any]] = {}
    for key, row in rows.items():
        value = row[indexes[0]] if len(indexes) == 1 else tuple(row[i] for i in indexes)
        if value is not None:
            grouped.setdefault(value, []).append(key)
    return grouped
