"""Engines for SQLite (WAL, foreign keys, one writer at a time) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError as DBAPIOperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from privault.errors import ConfigurationError


def make_engine(
    url: str, *, pool_size: int = 10, pre_ping: bool = False, prepare: bool = True
) -> Engine:
    """Build the engine for ``url``, creating the SQLite folder if needed. ``pre_ping``: test a
    PostgreSQL connection before each use (a round trip per transaction); without it a dropped
    connection fails one transaction, which invalidates the pool (SQLAlchemy's disconnect
    handling), and connections older than 30 minutes are replaced. ``prepare=False``: psycopg
    prepares no statement (behind a pooler in transaction mode that does not keep them)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, pool_size)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=pre_ping,
            pool_recycle=1800,
            connect_args={} if prepare else {"prepare_threshold": None},
            hide_parameters=True,
        )
    raise ConfigurationError(
        f"unsupported database '{parsed.get_backend_name()}': use sqlite or postgresql+psycopg",
        code="config.invalid",
    )


def _sqlite_engine(url: str, database: str | None, pool_size: int) -> Engine:
    connect_args: dict[str, Any] = {"timeout": 30, "check_same_thread": False}
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args["factory"] = _queued_writer()
    engine = create_engine(
        url,
        connect_args=connect_args,
        hide_parameters=True,
        # kept open: a new connection costs its pragmas and a cold page cache
        pool_size=pool_size * 2,
        max_overflow=pool_size * 2,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Indexes on random keys (blind indexes, uids) outgrow SQLite's 2 MiB default page cache fast.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA mmap_size=1073741824")  # read through the OS page cache without copying
    # Checkpoint the WAL every ~32 MiB instead of every 4 MiB: fewer fsyncs during bulk writes.
    cursor.execute("PRAGMA wal_autocheckpoint=8192")
    cursor.close()


_READ_ONLY: ContextVar[bool] = ContextVar("privault_read_only", default=False)


@contextmanager
def read_only_begin() -> Iterator[None]:
    """Transactions begun in this block (in this thread) only read: on SQLite they begin deferred,
    so they take no write lock and never wait on a writer (WAL gives them a snapshot)."""
    token = _READ_ONLY.set(True)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take the write lock at the start of every transaction that may write: one writer, no upgrade
    deadlocks. A read-only one (``read_only_begin``) begins deferred instead."""
    # straight to the driver: the statement needs none of SQLAlchemy's execution machinery, and
    # this runs once per transaction (a fifth of a one-event write's Python time through it)
    driver = connection.connection.driver_connection
    reading = _READ_ONLY.get()
    statement = "BEGIN" if reading else "BEGIN IMMEDIATE"
    queued = not reading and isinstance(driver, QueuedWriterConnection)
    try:
        if queued:
            driver.queue()
        driver.execute(statement)
    except sqlite3.OperationalError as exc:  # as SQLAlchemy would have wrapped it ("locked")
        if queued:
            driver.dequeue()  # no transaction began: let the next writer in now
        raise DBAPIOperationalError(statement, None, exc) from exc


_HOLDING = threading.local()
WRITER_WAIT_S = 30  # as long as SQLite's busy timeout (``timeout`` above)


class QueuedWriterConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions first queue on a lock shared by the engine's
    connections. SQLite's own busy handler sleeps and retries (1, 2, 5 ... 100 ms), so threads
    whose writes collide wait far longer than the write they wait for; queued, the next writer
    wakes as soon as the last one commits. In embedded mode every writer is a thread of the one
    `privault serve` process (requests and the embedded worker); another process (a separate
    `privault worker`, another server) still meets SQLite's own lock and its busy timeout."""

    in_process: threading.Lock
    _queued = False

    def queue(self) -> None:
        """Wait for the writers' lock (once per transaction). A thread that holds it already,
        through another connection, does not wait on itself: it meets SQLite's busy timeout
        instead. After WRITER_WAIT_S, "database is locked", as SQLite would say."""
        if self._queued or getattr(_HOLDING, "writer", None) is not None:
            return
        if not self.in_process.acquire(timeout=WRITER_WAIT_S):
            raise sqlite3.OperationalError("database is locked")
        self._queued = True
        _HOLDING.writer = self

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self.dequeue()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self.dequeue()

    def close(self) -> None:
        """Close, letting the next writer in."""
        try:
            super().close()
        finally:
            self.dequeue()

    def dequeue(self) -> None:
        """Leave the queue (after the transaction, or when it could not begin)."""
        if not self._queued:
            return
        self._queued = False
        if getattr(_HOLDING, "writer", None) is self:
            _HOLDING.writer = None
        self.in_process.release()


def _queued_writer() -> type[QueuedWriterConnection]:
    """The connection class of one engine: its writers share one queue."""
    shared = {"in_process": threading.Lock()}
    return type("QueuedWriterConnection", (QueuedWriterConnection,), shared)
