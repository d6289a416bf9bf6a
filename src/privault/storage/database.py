"""The ``Database`` port over a SQLAlchemy engine: a ping and the Alembic revisions."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from privault.errors import StorageError
from privault.storage import migrate
from privault.storage.distribution import citus_statements


class SqlDatabase:
    """privault's own database, reached through its engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def dialect(self) -> str:
        """The engine's name: ``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def ping(self) -> None:
        """Raise StorageError (503) unless the database answers."""
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from exc

    def current_revision(self) -> str | None:
        """The schema revision the database is at (None if it was never migrated)."""
        try:
            return migrate.current_revision(self._engine)
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from exc

    def head_revision(self) -> str:
        """The newest schema revision this privault ships."""
        return migrate.head_revision()

    def upgrade(self, revision: str) -> None:
        """Bring the schema up to ``revision``."""
        migrate.upgrade(self._engine, revision)

    def distribution_sql(self) -> list[str]:
        """The statements that distribute the schema by tenant on Citus."""
        return citus_statements()


def _unavailable(exc: SQLAlchemyError) -> StorageError:
    """What a caller sees of a database that does not answer (503): the error's type, never its
    text, which can carry the connection URL."""
    return StorageError(f"the database does not answer ({type(exc).__name__})")
