"""Alembic, driven from code: upgrade to a revision, and the revisions of the database and of
this privault (the schema check itself is ``services/database.py``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def head_revision() -> str:
    """The newest migration shipped with this version."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None  # noqa: S101 - the package ships migrations
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None if never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
