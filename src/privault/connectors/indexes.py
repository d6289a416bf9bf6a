"""Whether an index serves each identity lookup, and the index to create where none does.

The lookup is the query a request runs (``IdentityColumn.condition``), asked of the planner:
PostgreSQL ``EXPLAIN`` with sequential scans disabled (an index serves when the plan looks the
condition up in it, ``Index Cond``, rather than reading a whole index or table and filtering),
SQLite ``EXPLAIN QUERY PLAN`` (``SEARCH ... USING INDEX`` rather than ``SCAN``), MySQL/MariaDB
``EXPLAIN`` (a possible key). The index suggested is compiled from the same expression, so the
planner can match it; MariaDB cannot index an expression, so there the stored form must change.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Connection, Index, Integer, MetaData, String, Table, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql import Select

from privault.connectors.identity import IdentityColumn
from privault.connectors.results import Finding
from privault.connectors.sqlbits import failing_as, sql_table

# A canonical identity of each kind to plan the lookup with (the planner never sees a real one).
_PROBE = {"email": "someone@example.com", "phone": "+14155550001"}
_NAME = re.compile(r"[^A-Za-z0-9_]")
_FRESH = itertools.count()


def index_findings(conn: Connection, columns: Iterable[IdentityColumn]) -> list[Finding]:
    """``identity.no_index`` for each identity lookup no index serves."""
    findings = []
    with _index_scans_preferred(conn):
        for column in columns:
            if not served(conn, column):
                findings.append(_no_index(column, conn.dialect))
    return findings


def served(conn: Connection, column: IdentityColumn) -> bool:
    """Whether the planner would use an index for this identity field's lookup."""
    tab = sql_table(column.collection, [column.field])
    values = column.candidates([_PROBE.get(column.kind, "0")]) or [0]
    condition = column.condition(tab.c[column.field], conn.dialect, values)
    query = select(tab.c[column.field]).where(condition)
    name = conn.dialect.name
    with failing_as(column.collection, "plan"):
        if name == "postgresql":
            lines = [str(r[0]) for r in _explain(conn, "EXPLAIN ", query)]
            return any("Index Cond:" in line for line in lines)
        if name == "sqlite":
            # Python's sqlite3 reuses a prepared statement of the same text, and a query plan
            # prepared before an index was created never sees it: the text is made new each time.
            prefix = f"EXPLAIN QUERY PLAN /* {next(_FRESH)} */ "
            details = [str(r[3]) for r in _explain(conn, prefix, query)]
            return any(d.startswith("SEARCH") and "INDEX" in d for d in details)
        return any(_mysql_uses_index(r._mapping) for r in _explain(conn, "EXPLAIN ", query))


def _mysql_uses_index(row: Any) -> bool:
    """A possible key, or a unique key already looked up (``... const table(s)``)."""
    extra = str(row.get("Extra") or "")
    return bool(row.get("possible_keys") or row.get("key")) or "const table" in extra


def _explain(conn: Connection, prefix: str, query: Select[Any]) -> Sequence[Any]:
    """The planner's rows for a query, its parameters bound as the driver expects."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positional:
        args: Any = tuple(params[name] for name in compiled.positiontup or ())
    else:
        args = params
    return conn.exec_driver_sql(prefix + compiled.string, args).all()


@contextmanager
def _index_scans_preferred(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, sequential scans off for the transaction while planning (restored after):
    then the plan uses an index that serves the condition, however small the table."""
    if conn.dialect.name != "postgresql":
        yield
        return
    before = conn.execute(text("SELECT current_setting('enable_seqscan')")).scalar_one()
    conn.execute(text("SELECT set_config('enable_seqscan', 'off', true)"))
    try:
        yield
    finally:
        conn.execute(text("SELECT set_config('enable_seqscan', :v, true)"), {"v": before})


def _no_index(column: IdentityColumn, dialect: Dialect) -> Finding:
    where = f"{column.collection}.{column.field}"
    statement = create_index(column, dialect)
    message = f"no index serves the lookup of this {column.kind} (every request reads the table)"
    if dialect.name == "mysql" and getattr(dialect, "is_mariadb", False):
        hint = _mariadb_hint(column, statement)
    else:
        hint = f"create one: {statement}"
    return Finding("identity.no_index", "warning", where, message, hint)


def create_index(column: IdentityColumn, dialect: Dialect) -> str:
    """The ``CREATE INDEX`` on the expression the lookup compares, for this dialect."""
    kind = String() if column.is_string else Integer()
    tab = Table(column.collection, MetaData(), Column(column.field, kind))
    expression = column.expression(tab.c[column.field], dialect)
    name = _NAME.sub("_", f"{column.collection}_{column.field}_match")[:60]
    return str(CreateIndex(Index(name, expression, _table=tab)).compile(dialect=dialect))


def _plain(column: IdentityColumn) -> bool:
    """Whether the lookup compares the column itself (any index on it serves)."""
    if not column.is_string or column.form in ("exact", "e164", "digits"):
        return True
    return column.form == "any_case" and column.case_insensitive


def _mariadb_hint(column: IdentityColumn, statement: str) -> str:
    if _plain(column):
        return f"create one: {statement}"
    where = f"{column.collection}.{column.field}"
    if column.form == "any_case":
        return (
            "MariaDB cannot index an expression: give the column a case-insensitive collation "
            "(utf8mb4_unicode_ci, the default) and index it, or store the values trimmed and "
            f"lower-case, declare `{where}: exact` in privault.identities and index the column"
        )
    return (
        "MariaDB cannot index an expression: store the phones in E.164, declare "
        f"`{where}: e164` in privault.identities and index the column"
    )
