"""A company's own SQL database (PostgreSQL, MySQL/MariaDB, SQLite) as a subject-request datastore.

Access and erasure are set-based: one query per collection per hop, batched IN lists, one
transaction per datastore. Erasure is foreign-key safe and never deletes a row someone else's row
still references.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from privault.connectors.checks import Probe, run_checks
from privault.connectors.dated import DatedBatch, DatedScan, count_dated, sweep_dated
from privault.connectors.erasure import run_erasure
from privault.connectors.identity import IdentityColumn, identity_columns
from privault.connectors.model import CollectionSpec, DatasetSpec
from privault.connectors.results import (
    AccessResult,
    CollectionRows,
    DatastoreCheck,
    ErasureException,
    ErasureResult,
    json_rows,
)
from privault.connectors.schema import Link, reflect
from privault.connectors.sqlbits import paused_gc, sqlite_foreign_keys
from privault.connectors.traversal import Found, Traversal, traverse
from privault.errors import ConnectorError, InvalidInput

Identities = Mapping[str, Sequence[str]]


class SqlDatastore:
    """A SQL database described by a dataset: ``test()``, ``access()`` and ``erase()``."""

    def __init__(self, url: str, dataset: DatasetSpec) -> None:
        try:
            self._url: URL = make_url(url)
            self._engine = create_engine(self._url, pool_pre_ping=True)
        except (ArgumentError, ValueError, ImportError):
            raise InvalidInput(
                "the datastore URL is not a valid database URL", code="datastore.invalid"
            ) from None
        self.dataset = dataset
        self._columns: dict[tuple[str, str], IdentityColumn] | None = None
        if self._engine.dialect.name == "sqlite":
            event.listen(self._engine, "connect", sqlite_foreign_keys)

    @property
    def masked_url(self) -> str:
        """The URL with its password hidden, safe to show."""
        return self._url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Close the pooled connections."""
        self._engine.dispose()

    def test(self, *, phone_region: str | None = None) -> DatastoreCheck:
        """Compare the dataset with the database, its data and the login's privileges, in one
        read-only transaction (``connectors.checks``); ``phone_region`` reads stored phones
        written without a country code."""
        with self._transaction(commit=False) as conn:
            schema = reflect(conn)
            self._columns = identity_columns(conn, self.dataset)
            probe = Probe(self._url, phone_region)
            return run_checks(conn, self.dataset, schema, self._columns, probe)

    def access(self, identities: Identities) -> AccessResult:
        """Every row reachable from the identities (keyed by kind: email, phone, ...)."""
        with paused_gc():
            with self._transaction(commit=False) as conn:
                walked = self._traverse(conn, identities)
            collections = {n: _rows(f) for n, f in walked.found.items()}
        skipped = tuple(c.name for c in self.dataset.collections if c.skip and c.personal)
        shared = {name: len(keys) for name, keys in walked.shared.items()}
        return AccessResult(collections, skipped, shared, walked.matched, self._others())

    def erase(
        self,
        identities: Identities,
        *,
        exceptions: Sequence[ErasureException] = (),
        dry_run: bool = False,
    ) -> ErasureResult:
        """Delete or mask the person's rows in one transaction (rolled back when ``dry_run``)."""
        with paused_gc(), self._transaction(commit=not dry_run) as conn:
            walked = self._traverse(conn, identities)
            result = run_erasure(conn, self.dataset, walked, exceptions)
        result.dry_run = dry_run
        result.matched = walked.matched
        result.others = self._others()
        return result

    def _others(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.dataset.collections if c.others)

    def keys_of(self, identities: Identities) -> dict[str, frozenset[Any]]:
        """The primary keys of the person's rows per collection (to leave a held person alone)."""
        with self._transaction(commit=False) as conn:
            walked = self._traverse(conn, identities)
        return {name: frozenset(found.rows) for name, found in walked.found.items()}

    def identity_columns(self) -> dict[tuple[str, str], IdentityColumn]:
        """How each identity field is matched (its form, text or not, collation), reflected once."""
        if self._columns is None:
            with self._transaction(commit=False) as conn:
                self._columns = identity_columns(conn, self.dataset)
        return self._columns

    def _traverse(self, conn: Connection, identities: Identities) -> Traversal:
        if self._columns is None:
            self._columns = identity_columns(conn, self.dataset)
        return traverse(conn, self.dataset, identities, _foreign_keys(conn), self._columns)

    def sweep_dated(self, collection: str, scan: DatedScan, *, dry_run: bool = False) -> DatedBatch:
        """One batch of the retention sweep of a dated collection, in one transaction (rolled back
        when ``dry_run``): see ``connectors.dated``."""
        spec = self._collection(collection)
        with self._transaction(commit=not dry_run) as conn:
            return sweep_dated(conn, self.dataset, spec, reflect(conn), scan)

    def count_dated(self, collection: str, scan: DatedScan) -> DatedBatch:
        """What one batch of ``sweep_dated`` would erase, read-only."""
        spec = self._collection(collection)
        with self._transaction(commit=False) as conn:
            return count_dated(conn, spec, scan)

    def _collection(self, name: str) -> CollectionSpec:
        spec = self.dataset.collection(name)
        if spec is None:
            raise InvalidInput(f"the dataset has no collection {name!r}", code="datastore.invalid")
        return spec

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Connection]:
        """One connection and one transaction; rolled back on any error (or when not committing)."""
        conn = self._connect()
        try:
            with conn:
                transaction = conn.begin()
                try:
                    yield conn
                except BaseException:
                    transaction.rollback()
                    raise
                if commit:
                    transaction.commit()
                else:
                    transaction.rollback()
        except ConnectorError:
            raise
        except SQLAlchemyError as exc:
            message = f"the datastore failed ({type(exc).__name__}); nothing was changed"
            raise ConnectorError(message, code="datastore.query_failed") from None

    def _connect(self) -> Connection:
        database = self._url.database or ""
        is_file = database not in ("", ":memory:") and not database.startswith("file:")
        if self._engine.dialect.name == "sqlite" and is_file and not Path(database).exists():
            raise self._unreachable("no such file")
        try:
            return self._engine.connect()
        except SQLAlchemyError as exc:
            raise self._unreachable(type(exc).__name__) from None

    def _unreachable(self, why: str) -> ConnectorError:
        message = f"the datastore {self.masked_url} cannot be reached ({why})"
        return ConnectorError(message, code="datastore.unreachable")


def _foreign_keys(conn: Connection) -> Callable[[], tuple[Link, ...]]:
    """The database's foreign keys, reflected only when the traversal asks."""
    return lambda: reflect(conn).foreign_keys


def _rows(found: Found) -> CollectionRows:
    """The rows for the package, without fields that describe other people (staff notes)."""
    spec = found.spec
    keys = [k if isinstance(k, tuple) else (k,) for k in found.rows]
    rows: list[Sequence[Any]] = list(found.rows.values())
    shown = [i for i, f in enumerate(spec.fields) if not f.others]
    if not shown:
        rows = [() for _ in rows]
    elif len(shown) < len(spec.fields):
        pick = itemgetter(*shown)
        rows = [pick(row) if len(shown) > 1 else (pick(row),) for row in rows]
    return CollectionRows(
        name=spec.name,
        columns=tuple(spec.fields[i].name for i in shown),
        categories=tuple(spec.fields[i].categories for i in shown),
        rows=json_rows(rows),
        primary_keys=json_rows(keys),
        personal=spec.personal,
    )
