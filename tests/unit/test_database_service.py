"""privault's own database as the operations see it, with a fake database: the schema check,
``/healthz``'s answer and ``privault db``."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from privault.errors import StorageError
from privault.services.database import (
    database_health,
    ensure_schema,
    schema_revisions,
    upgrade_schema,
)


@dataclass
class FakeDatabase:
    """A database at ``current`` answering pings (or not), shipping revisions up to ``head``."""

    current: str | None = "0007"
    head: str = "0007"
    answers: bool = True
    upgrades: list[str] = field(default_factory=list)
    dialect: str = "sqlite"

    def ping(self) -> None:
        if not self.answers:
            raise StorageError("the database is unavailable")

    def current_revision(self) -> str | None:
        return self.current

    def head_revision(self) -> str:
        return self.head

    def distribution_sql(self) -> list[str]:
        return ["SELECT create_reference_table('tenants');"]

    def upgrade(self, revision: str) -> None:
        self.upgrades.append(revision)
        self.current = self.head if revision == "head" else revision


def test_a_current_schema_passes_and_health_names_the_engine() -> None:
    """At the newest revision the check passes and the health answer is the engine's name."""
    database = FakeDatabase()
    ensure_schema(database)
    assert database_health(database) == "sqlite"


def test_an_outdated_schema_is_refused_with_the_command_to_run() -> None:
    """Behind the newest revision (or never migrated): ``storage.schema_outdated``, naming both."""
    with pytest.raises(StorageError) as raised:
        ensure_schema(FakeDatabase(current=None))
    assert raised.value.code == "storage.schema_outdated"
    assert "at nothing, this privault needs 0007: run 'privault db upgrade'" in str(raised.value)


def test_health_fails_when_the_database_does_not_answer() -> None:
    """A database that does not answer is unhealthy whatever its schema."""
    with pytest.raises(StorageError):
        database_health(FakeDatabase(answers=False))


def test_an_upgrade_reports_the_revision_reached() -> None:
    """``db upgrade`` migrates to the revision asked and says where the schema now is."""
    database = FakeDatabase(current="0005")
    assert schema_revisions(database) == ("0005", "0007")
    assert upgrade_schema(database) == "0007"
    assert database.upgrades == ["head"]
