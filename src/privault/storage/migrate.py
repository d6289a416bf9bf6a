"""Alembic, driven from code: upgrade to a revision, and the revisions of the database and of
this privault (the schema check itself is ``services/database.py``)."""

from __future__ import annotations

from collections.abc import Callable
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


def for_this_engine(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for ``dialect``: leaves out what the schema declares for
    another engine only (``ddl_if(dialect=...)``), which Alembic would otherwise want to add."""

    def include(item: object, *_: object) -> bool:
        only = getattr(item, "_ddl_if", None)
        return only is None or only.dialect in (None, dialect)

    return include


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (what the newer revisions added is dropped)."""
    _migrate(engine, lambda config: command.downgrade(config, revision))


def stamp(engine: Engine, revision: str = "head") -> None:
    """Record ``revision`` as the schema's without running anything (a schema built otherwise,
    such as one partitioned by tenant, docs/scale-out.md)."""
    with engine.begin() as connection:
        command.stamp(_config(connection), revision)


def _migrate(engine: Engine, step: Callable[[Config], None]) -> None:
    """Run ``step`` in one transaction. On SQLite, where a migration may rebuild a table (copy,
    drop, rename), foreign keys are off while it runs, so that dropping a parent's old table
    cascades to nothing; every foreign key is checked before the commit."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # straight to the driver: outside a transaction, or SQLite ignores it
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                step(_config(connection))
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise StorageError(
            f"{len(broken)} rows break a foreign key after the migration (first: {table} row "
            f"{rowid} -> {parent}); nothing was changed",
            code="storage.migration_failed",
        )


def head_revision() -> str:
    """The newest migration shipped with this version."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None  # noqa: S101 - the package ships migrations
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None if never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
