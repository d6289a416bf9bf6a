"""Alembic, driven from code: ``privault db upgrade`` and the schema check at start-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from privault.errors import StorageError

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


def ensure_current(engine: Engine) -> None:
    """Raise unless the database schema is at the newest revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise StorageError(
            f"the database schema is at {current or 'nothing'}, this privault needs {head}: "
            "run 'privault db upgrade'",
            code="storage.schema_outdated",
        )
