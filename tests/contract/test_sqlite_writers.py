"""SQLite's writers queue on a lock of the process (``storage/engine.py``): a writer waits its turn
instead of sleeping in SQLite's busy handler, and gives up after the busy timeout, as SQLite would;
other processes still meet SQLite's own lock."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from privault.storage import engine as engines
from privault.storage.engine import make_engine, read_only_begin


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    path = tmp_path / "privault.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER, at REAL)"))
    yield engine, path
    engine.dispose()


def _write(engine: Engine, n: int, hold: float = 0.0) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (:n, :at)"), {"n": n, "at": time.time()})
        time.sleep(hold)


def test_writers_of_one_process_take_turns_without_sleeping_in_sqlite(
    db: tuple[Engine, Path],
) -> None:
    """Eight threads, each holding its write 50 ms: all written, one after the other, and the
    whole lasts about the sum of the holds (no busy-handler sleeps stacked on top)."""
    engine, _path = db
    started = time.perf_counter()
    threads = [threading.Thread(target=_write, args=(engine, n, 0.05)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with engine.connect() as connection:
        assert sorted(connection.execute(text("SELECT n FROM t")).scalars()) == list(range(8))
    assert elapsed < 0.4 + 0.4  # 8 x 50 ms, and a margin for a busy machine


def test_a_writer_waits_for_another_process_and_then_writes(db: tuple[Engine, Path]) -> None:
    """Another process holds SQLite's write lock for 0.3 s: the write waits (SQLite's busy
    handler), then goes through."""
    engine, path = db
    ready, release = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child process
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        os.write(release, b"x")
        time.sleep(0.3)
        other.execute("COMMIT")
        os._exit(0)
    os.read(ready, 1)
    started = time.perf_counter()
    _write(engine, 1)
    waited = time.perf_counter() - started
    os.waitpid(pid, 0)
    assert waited >= 0.2


def test_a_writer_gives_up_after_the_busy_timeout(
    db: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write held longer than the wait allowed: the other writer fails with "database is
    locked" (as SQLite's own busy timeout says), and the lock is free again afterwards."""
    engine, _ = db
    monkeypatch.setattr(engines, "WRITER_WAIT_S", 0.2)
    holder = threading.Thread(target=_write, args=(engine, 1, 0.6))
    holder.start()
    time.sleep(0.1)
    with pytest.raises(OperationalError, match="database is locked"):
        _write(engine, 2)
    holder.join()
    _write(engine, 3)
    with engine.connect() as connection:
        assert sorted(connection.execute(text("SELECT n FROM t")).scalars()) == [1, 3]


def test_readers_do_not_queue(db: tuple[Engine, Path]) -> None:
    """A read-only transaction begins deferred and takes no lock: it reads while a writer holds
    the queue."""
    engine, _ = db
    _write(engine, 1)
    holder = threading.Thread(target=_write, args=(engine, 2, 0.5))
    holder.start()
    time.sleep(0.1)
    started = time.perf_counter()
    with read_only_begin(), engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
    assert time.perf_counter() - started < 0.3
    holder.join()


def test_a_thread_writing_through_two_connections_does_not_wait_on_itself(
    db: tuple[Engine, Path],
) -> None:
    """The second connection of a thread that holds the queue skips it and meets SQLite's own
    lock (here at once: a zero busy timeout), instead of waiting for itself for ever."""
    engine, path = db
    with engine.begin() as outer:
        outer.execute(text("INSERT INTO t VALUES (1, 0)"))
        other = sqlite3.connect(path, timeout=0, factory=engines._queued_writer())
        other.isolation_level = None
        other.execute("PRAGMA journal_mode=WAL")
        other.queue()  # returns at once: this thread holds the queue
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_a_writer_whose_begin_fails_leaves_the_queue(
    db: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds SQLite's write lock past the busy timeout: BEGIN fails ("locked"),
    and the queue is free at once for another thread, while the failed connection is still out."""
    engine, path = db
    monkeypatch.setattr(engines, "WRITER_WAIT_S", 0.5)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with engine.connect() as connection:
        connection.connection.driver_connection.execute("PRAGMA busy_timeout=50")
        with pytest.raises(OperationalError, match="locked"):
            connection.begin()
        other.execute("COMMIT")
        failed: list[BaseException] = []
        writer = threading.Thread(target=lambda: _catch(failed, engine))
        writer.start()
        writer.join()
        assert failed == []  # it would have waited WRITER_WAIT_S and failed on a taken queue
    other.close()


def _catch(failed: list[BaseException], engine: Engine) -> None:
    try:
        _write(engine, 1)
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        failed.append(exc)
