"""The port of privault's own database as the operations see it: does it answer, and is its schema
the one this privault needs (``storage/database.py`` implements it)."""

from __future__ import annotations

from typing import Protocol


class Database(Protocol):
    """privault's own database."""

    @property
    def dialect(self) -> str:
        """The engine's name: ``sqlite`` or ``postgresql``."""
        ...

    def ping(self) -> None:
        """Raise unless the database answers."""
        ...

    def current_revision(self) -> str | None:
        """The schema revision the database is at (None if it was never migrated)."""
        ...

    def head_revision(self) -> str:
        """The newest schema revision this privault ships."""
        ...

    def upgrade(self, revision: str) -> None:
        """Bring the schema up to ``revision``."""
        ...

    def distribution_sql(self) -> list[str]:
        """The statements that distribute the schema by tenant on Citus (docs/scale-out.md)."""
        ...
