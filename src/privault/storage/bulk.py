"""Fast bulk inserts for the hot paths (import, audit): COPY on PostgreSQL (one INSERT for a few rows),
executemany on SQLite.

Rows are plain tuples in the order of ``columns``; callers set ``tenant_id`` themselves (these
statements bypass the ORM, so the tenant guard cannot add it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privault.errors import Conflict

Row = tuple[Any, ...]
FEW_ROWS = 8  # up to this many, one INSERT round trip beats COPY's three (an audit event, say)


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy's SQLite DateTime/Date types would store."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class DriverValues:
    """Converts dates and datetimes to what the engine's driver stores, each distinct value once.

    SQLite stores them as text exactly as SQLAlchemy's types do; psycopg takes them as they are.
    """

    def __init__(self, session: Session) -> None:
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self._memo: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        if not self.sqlite or value is None:
            return value
        cached = self._memo.get(value)
        if cached is None:
            cached = self._memo[value] = _sqlite_value(value)
        return cached


def insert_rows(session: Session, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Insert many rows into ``table`` in the session's transaction, as fast as the engine allows.

    Dates and datetimes must already be driver values (see :class:`DriverValues`).
    """
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(f'"{c}"' for c in columns)
    try:
        if connection.dialect.name == "postgresql" and len(rows) > FEW_ROWS:
            driver = connection.connection.driver_connection
            assert driver is not None  # noqa: S101 - an open connection has its driver connection
            with (
                driver.cursor() as cursor,
                cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        mark = "%s" if connection.dialect.name == "postgresql" else "?"
        marks = ", ".join(mark for _ in columns)
        statement = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 - names are ours
        # one row is one execute: executemany costs psycopg a pipeline's extra round trips
        connection.exec_driver_sql(statement, rows[0] if len(rows) == 1 else list(rows))
    except (IntegrityError, psycopg.errors.UniqueViolation) as exc:
        raise Conflict(f"a row of {table} already exists", code="storage.duplicate") from exc
