"""Whether the datastore's login may do what a request does: read the collections, delete the
person's rows and mask the fields of rows kept for others.

PostgreSQL answers from its catalogue (``has_table_privilege``, ``has_column_privilege``: roles
included). MySQL/MariaDB is asked to ``EXPLAIN`` the statements, which checks the privileges
(through roles, wildcard grants and column grants) and runs nothing. SQLite has no logins: it is
writable unless opened read-only (``?mode=ro``, ``immutable``), ``query_only`` is on, or the
process may not write the file or its directory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from sqlalchemy import Connection, delete, false, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from privault.connectors.masking import masking_for
from privault.connectors.model import DatasetSpec
from privault.connectors.results import Finding, Severity
from privault.connectors.schema import DbSchema
from privault.connectors.sqlbits import failing_as, sql_table

_DENIED = {1142, 1143}  # MySQL/MariaDB: command denied for the table / for a column


@dataclass(frozen=True, slots=True)
class Needs:
    """What requests do in one collection: read ``select``, delete rows (``delete``) and update
    ``update`` (masking; the way it is erased when ``masked``, else a fallback for shared rows)."""

    collection: str
    select: tuple[str, ...]
    delete: bool
    update: tuple[str, ...]
    masked: bool


@dataclass(frozen=True, slots=True)
class Permissions:
    """The findings, and the collections the login may not read (not counted nor sampled)."""

    findings: list[Finding]
    unreadable: frozenset[str]


def needs(dataset: DatasetSpec, schema: DbSchema) -> list[Needs]:
    """What each traversed collection the database has needs (columns it lacks left out)."""
    out = []
    for spec in dataset.collections:
        columns = schema.columns.get(spec.name)
        if columns is None or spec.skip or spec.others:
            continue
        erased = spec.personal
        update_fields = tuple(masking_for(spec, schema, ()).values) if erased else ()
        out.append(
            Needs(
                spec.name,
                tuple(f for f in spec.field_names if f in columns),
                erased and spec.delete_rows is not False,
                update_fields,
                spec.delete_rows is False,
            )
        )
    return out


def permissions(conn: Connection, url: URL, wanted: Sequence[Needs]) -> Permissions:
    """``permission.*`` findings for the login, per collection."""
    name = conn.dialect.name
    if name == "sqlite":
        writes = any(n.delete or n.update for n in wanted)
        reason = sqlite_read_only(conn, url) if writes else None
        return Permissions(_read_only(reason) if reason else [], frozenset())
    ask = _PostgresAsk(conn) if name == "postgresql" else _MysqlAsk(conn)
    findings: list[Finding] = []
    unreadable: set[str] = set()
    for need in wanted:
        found = _collection_findings(ask, need)
        if any(f.code == "permission.no_select" for f in found):
            unreadable.add(need.collection)
        findings += found
    return Permissions(findings, frozenset(unreadable))


def _collection_findings(ask: _PostgresAsk | _MysqlAsk, need: Needs) -> list[Finding]:
    table = need.collection
    findings = []
    unreadable = [c for c in need.select if not ask.allowed("SELECT", table, c)]
    if unreadable:
        findings.append(_denied("no_select", "read", table, unreadable, ask.grant))
    if need.delete and not ask.allowed("DELETE", table, None):
        findings.append(_denied("no_delete", "delete rows of", table, (), ask.grant))
    frozen = [c for c in need.update if not ask.allowed("UPDATE", table, c)]
    if frozen:
        severity: Severity = "error" if need.masked else "warning"
        findings.append(_denied("no_update", "update", table, frozen, ask.grant, severity))
    return findings


def _denied(
    what: str,
    verb: str,
    table: str,
    columns: Sequence[str],
    grant: str,
    severity: Severity = "error",
) -> Finding:
    privilege = {"no_select": "SELECT", "no_delete": "DELETE", "no_update": "UPDATE"}[what]
    listed = f" ({', '.join(columns)})" if columns else ""
    message = f"the login may not {verb} {table}{listed}"
    if what == "no_update" and severity == "warning":
        message += ": an erasure that must mask a row other people's rows depend on would fail"
    hint = f"GRANT {privilege}{listed} ON {table} TO {grant}"
    return Finding(f"permission.{what}", severity, table, message, hint)


class _PostgresAsk:
    """Privileges from PostgreSQL's catalogue functions (table names resolved by search_path)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        user = str(conn.execute(text("SELECT current_user")).scalar_one())
        self.grant = conn.dialect.identifier_preparer.quote(user)

    def allowed(self, privilege: str, table: str, column: str | None) -> bool:
        if column is None:
            query = text("SELECT has_table_privilege(current_user, quote_ident(:t), :p)")
        else:
            query = text("SELECT has_column_privilege(current_user, quote_ident(:t), :c, :p)")
        with failing_as(table, "privilege check"):
            params = {"t": table, "c": column, "p": privilege}
            return bool(self._conn.execute(query, params).scalar_one())


class _MysqlAsk:
    """Privileges by ``EXPLAIN``-ing the statements (nothing runs; a denial is error 1142/1143)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        user = str(conn.execute(text("SELECT CURRENT_USER()")).scalar_one())
        name, _, host = user.rpartition("@")
        self.grant = f"'{name}'@'{host}'"

    def allowed(self, privilege: str, table: str, column: str | None) -> bool:
        tab = sql_table(table, [column] if column else [])
        statement: Executable
        if column is None:
            statement = delete(tab).where(false())
        elif privilege == "UPDATE":
            statement = update(tab).values({column: tab.c[column]}).where(false())
        else:
            statement = select(tab.c[column]).where(false())
        compiled = statement.compile(dialect=self._conn.dialect)
        try:
            self._conn.exec_driver_sql("EXPLAIN " + compiled.string, compiled.params).all()
        except DBAPIError as exc:
            code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
            if code in _DENIED:
                return False
            raise
        return True


def sqlite_read_only(conn: Connection, url: URL) -> str | None:
    """Why a SQLite datastore cannot be written, or None."""
    database = url.database or ""
    options = {k: str(v) for k, v in url.query.items()}
    if database.startswith("file:"):
        database, _, query = database.removeprefix("file:").partition("?")
        options |= dict(parse_qsl(query))
    if options.get("mode") == "ro" or options.get("immutable") in ("1", "true"):
        return "it is opened read-only (mode=ro or immutable in the URL)"
    if conn.exec_driver_sql("PRAGMA query_only").scalar():
        return "PRAGMA query_only is on"
    if database in ("", ":memory:"):
        return None
    path = Path(database)
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return "privault's process may not write the file or its directory (the journal)"
    return None


def _read_only(reason: str) -> list[Finding]:
    message = f"the database cannot be written: {reason}; erasures would fail"
    hint = (
        "open it read-write (drop mode=ro from the URL) and let privault's user write the file "
        "and its directory"
    )
    return [Finding("permission.read_only", "error", "", message, hint)]
