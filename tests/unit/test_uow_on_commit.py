"""The unit of work's after-commit hook (``uow.on_commit``): what waits for the commit runs once
it succeeded, never after a rollback, and a failing callback never undoes the commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from privault.storage.uow import UnitOfWorkFactory


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite database with one table."""
    built = create_engine(f"sqlite:///{tmp_path / 'uow.db'}")
    with built.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    yield built
    built.dispose()


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM notes")).scalar_one())


def test_a_callback_runs_once_after_the_commit(engine: Engine) -> None:
    """It sees the committed work and does not run again at a later commit."""
    ran: list[int] = []
    with UnitOfWorkFactory(engine)() as uow:
        uow.session.execute(text("INSERT INTO notes VALUES ('a')"))
        uow.on_commit(lambda: ran.append(_count(engine)))
        assert ran == []
        uow.commit()
        assert ran == [1]
        uow.commit()
    assert ran == [1]


def test_a_callback_is_dropped_on_rollback(engine: Engine) -> None:
    """Rolled back (or never committed): the callback never runs, not even at a later commit."""
    ran: list[str] = []
    with UnitOfWorkFactory(engine)() as uow:
        uow.on_commit(lambda: ran.append("rolled back"))
        uow.rollback()
        uow.commit()
    with UnitOfWorkFactory(engine)() as uow:
        uow.on_commit(lambda: ran.append("never committed"))
    assert ran == []
    assert _count(engine) == 0


def test_a_failing_callback_never_undoes_the_commit(engine: Engine) -> None:
    """The failure is logged; the work stays committed and the next callbacks still run."""
    ran: list[str] = []

    def fail() -> None:
        raise RuntimeError("the endpoint is down")

    with UnitOfWorkFactory(engine)() as uow:
        uow.session.execute(text("INSERT INTO notes VALUES ('kept')"))
        uow.on_commit(fail)
        uow.on_commit(lambda: ran.append("after"))
        uow.commit()
    assert ran == ["after"]
    assert _count(engine) == 1
