"""Shared fixtures: settings, the template manifest, and databases on SQLite and PostgreSQL.

The PostgreSQL run is never skipped: if the server cannot be reached the tests fail. Set
PRIVAULT_TEST_POSTGRES_URL to point elsewhere (default: the local `test` database).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text

from privault.bootstrap import Container
from privault.cli.app import run
from privault.config import Settings
from privault.core.clock import FixedClock
from privault.core.manifest import Manifest, parse_manifest
from privault.crypto import passwords
from privault.services.setup import template_text
from privault.storage import migrate
from privault.storage.engine import make_engine
from privault.storage.tables import Base

POSTGRES_URL = os.environ.get(
    "PRIVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def template() -> str:
    """The contact-centre template text."""
    return template_text("contact-centre")


@pytest.fixture(scope="session")
def manifest(template: str) -> Manifest:
    """The contact-centre template, validated."""
    return parse_manifest(template, "contact-centre.yaml")


@pytest.fixture(scope="session", autouse=True)
def one_code_verification() -> Iterator[None]:
    """Californian requests verified by one-time codes alone, as the generic workflow tests assume.

    The CCPA §7062 levels (on by default) have their own tests, which turn them back on
    (tests/contract/test_request_levels.py, tests/e2e/test_request_levels.py). Set in the
    environment so that every ``Settings`` and every ``privault`` subprocess sees it.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRIVAULT_CCPA_VERIFICATION_LEVELS", "false")
        yield


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Argon2id with t=1, m=1 MiB, p=1 (12 ms a hash, not 0.2 s): tests sign in often.

    Production parameters are pinned by tests/unit/test_passwords.py, which reads them unpatched.
    """
    with pytest.MonkeyPatch.context() as patch:
        cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(passwords, "_HASHER", cheap)
        passwords._dummy_hash.cache_clear()  # the dummy was made with the hasher then in force
        yield


@pytest.fixture
def clock() -> FixedClock:
    """A clock fixed at a known instant (tests move it by assigning ``clock.at``)."""
    return FixedClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))


@pytest.fixture(scope="session")
def sqlite_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "privault.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    with sqlite3.connect(path) as connection:  # fold the WAL into the file so one copy is complete
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A private schema in the PostgreSQL test database, migrated once; dropped at the end."""
    schema = f"pv_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server fails the run
        pytest.fail(
            f"PostgreSQL is required and unreachable at {POSTGRES_URL}: {type(exc).__name__}"
        )
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


_EMPTY_TABLES = ";".join(f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables))
_SEQUENCES = text(
    "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()"
)


def _empty_postgres(engine: Engine) -> None:
    """Delete every row, children first, and restart the id sequences at 1.

    What ``TRUNCATE … RESTART IDENTITY`` did, 30 times faster on tables this small (0.012 s against
    0.36 s a test here): TRUNCATE's cost is per table, DELETE's per row.
    """
    with engine.begin() as connection:
        connection.execute(text(_EMPTY_TABLES))
        sequences = connection.execute(_SEQUENCES).scalars().all()
        restarts = ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)
        connection.execute(text(f"SELECT {restarts}"))


@pytest.fixture(params=ENGINES)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template_db: Path
) -> Iterator[str]:
    """A freshly migrated, empty database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "privault.db"
        shutil.copy(sqlite_template_db, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_schema_url")
    engine = make_engine(url)
    _empty_postgres(engine)
    engine.dispose()
    yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str, template: str) -> Settings:
    """Settings for a test: its own data folder holding the template manifest, and its database."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "privault.yaml").write_text(template, encoding="utf-8")
    return Settings(data_dir=data, database_url=database_url, log_format="console")


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    """A container on the test database with the fixed clock."""
    built = Container(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``privault ARGS`` in-process with the test's settings; returns (code, stdout, stderr)."""
    monkeypatch.setenv("PRIVAULT_DATA_DIR", str(settings.data_dir))
    assert settings.database_url is not None
    monkeypatch.setenv("PRIVAULT_DATABASE_URL", settings.database_url.get_secret_value())

    def invoke(*args: str) -> tuple[int, str, str]:
        code = run(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke
