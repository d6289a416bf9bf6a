"""privault's own database: the schema check at start-up, ``privault db`` and ``/healthz``."""

from __future__ import annotations

from privault.core.database_ports import Database
from privault.errors import StorageError


def ensure_schema(database: Database) -> None:
    """Raise unless the database schema is at the newest revision."""
    current, head = database.current_revision(), database.head_revision()
    if current != head:
        raise StorageError(
            f"the database schema is at {current or 'nothing'}, this privault needs {head}: "
            "run 'privault db upgrade'",
            code="storage.schema_outdated",
        )


def database_health(database: Database) -> str:
    """The engine's name once the database answers and its schema is current; else it raises."""
    database.ping()
    ensure_schema(database)
    return database.dialect


def upgrade_schema(database: Database, revision: str = "head") -> str | None:
    """Create or migrate the schema up to ``revision``; the revision the database is then at."""
    database.upgrade(revision)
    return database.current_revision()


def schema_revisions(database: Database) -> tuple[str | None, str]:
    """The revision the database is at (None if never migrated) and the one this privault needs."""
    return database.current_revision(), database.head_revision()
