"""The schema distributes by tenant (issue #17): tenant_id leads every tenant-owned table's key and is
part of every unique constraint and foreign key; migration 0009 moves a database with data in it
(and back), on SQLite and PostgreSQL; on PostgreSQL the whole schema can be partitioned by tenant.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    create_engine,
    inspect,
    select,
    text,
)

from privault.storage import migrate, tables
from privault.storage.engine import make_engine
from tests.conftest import POSTGRES_URL

OWNED = [name for name in tables.TENANT_OWNED_TABLES if name != "audit_heads"]


def test_every_tenant_owned_key_unique_and_foreign_key_includes_the_tenant() -> None:
    """The declared schema: (tenant_id, id) keys, tenant_id in every unique constraint and
    foreign key of a tenant-owned table; every other table is marked a reference table."""
    for name in tables.TENANT_OWNED_TABLES:
        table = tables.Base.metadata.tables[name]
        key = [c.name for c in table.primary_key.columns]
        assert key[0] == "tenant_id", (name, key)
        for constraint in table.constraints:
            columns = {c.name for c in getattr(constraint, "columns", [])}
            assert "tenant_id" in columns, (name, constraint.name)
        for index in table.indexes:
            if index.unique:
                assert "tenant_id" in {c.name for c in index.columns}, (name, index.name)
    others = set(tables.Base.metadata.tables) - set(tables.TENANT_OWNED_TABLES)
    assert others == set(tables.REFERENCE_TABLES) == {"tenants", "jobs"}


# --- migration 0009 with data in it -----------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_at_0008(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database migrated to revision 0008."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'privault.db'}")
        migrate.upgrade(engine, "0008")
        yield engine
        engine.dispose()
        return
    with _postgres_schema("pv_mig") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine, "0008")
            yield engine
        finally:
            engine.dispose()


@contextmanager
def _postgres_schema(prefix: str) -> Iterator[str]:
    """A private schema of the PostgreSQL test database (its URL), dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _value(column: Any, rng: random.Random, n: int) -> object:
    """A value of the column's type (strings unique enough for every unique constraint)."""
    kind = column.type
    if isinstance(kind, DateTime):
        return datetime(2026, 1, 1 + n % 28, 9, n % 60, tzinfo=UTC)
    if isinstance(kind, Date):
        return date(2026, 1, 1 + n % 28)
    if isinstance(kind, Boolean):
        return bool(n % 2)
    if isinstance(kind, Integer):
        return rng.randrange(1, 10_000)
    if isinstance(kind, LargeBinary):
        return rng.randbytes(16)
    length = getattr(kind, "length", None) or 40
    return f"{column.name[:6]}-{n}-{rng.randrange(10**9)}"[:length]


def _fill(engine: Engine, per_tenant: int = 3) -> dict[str, list[tuple[int, int]]]:
    """Rows in every table of the database as it is (reflected): two tenants, ``per_tenant`` rows
    of each of their tables, each child pointing at a parent row of its own tenant. Returns the
    (tenant_id, id) of each table's rows."""
    rng = random.Random(17)  # noqa: S311 - test data
    metadata = MetaData()
    metadata.reflect(engine)
    written: dict[str, list[tuple[int, int]]] = {}
    counter = iter(range(1, 10**6))
    with engine.begin() as connection:
        for tenant_id in (1, 2):
            row = {c.name: _value(c, rng, next(counter)) for c in metadata.tables["tenants"].c}
            connection.execute(metadata.tables["tenants"].insert().values(row | {"id": tenant_id}))
        for table in metadata.sorted_tables:
            if table.name in ("tenants", "alembic_version", "jobs") or "tenant_id" not in table.c:
                continue
            for tenant_id in (1, 2):
                for _ in range(1 if table.name == "audit_heads" else per_tenant):
                    row = _row(table, tenant_id, written, rng, next(counter))
                    result = connection.execute(table.insert().values(row))
                    key = row.get("id") or result.inserted_primary_key[0]
                    written.setdefault(table.name, []).append((tenant_id, key))
    return written


def _row(
    table: Table,
    tenant_id: int,
    written: dict[str, list[tuple[int, int]]],
    rng: random.Random,
    n: int,
) -> dict[str, object]:
    row: dict[str, object] = {}
    for column in table.c:
        if column.name == "tenant_id":
            row[column.name] = tenant_id
        elif column.foreign_keys:
            parent = next(iter(column.foreign_keys)).column.table.name
            row[column.name] = rng.choice([k for t, k in written[parent] if t == tenant_id])
        elif column.primary_key and column.name == "id":
            continue
        elif column.nullable and rng.random() < 0.2:
            row[column.name] = None
        else:
            row[column.name] = _value(column, rng, n)
    return row


def _keys(engine: Engine) -> dict[str, list[tuple[int, int]]]:
    metadata = MetaData()
    metadata.reflect(engine)
    found = {}
    with engine.connect() as connection:
        for name in OWNED:
            table = metadata.tables[name]
            rows = connection.execute(select(table.c.tenant_id, table.c.id)).all()
            found[name] = sorted((t, i) for t, i in rows)
    return found


def test_migration_0009_keeps_every_row_and_keys_them_by_tenant(engine_at_0008: Engine) -> None:
    """0008 with rows in every table -> 0009: the same rows and ids; keys, uniques and foreign
    keys by tenant; a new row continues its table's ids; a child row pointing at another tenant's
    parent is refused; a subject's deletion still cascades to its data. Then back to 0008 and up
    again, the rows unchanged."""
    written = _fill(engine_at_0008)
    before = _keys(engine_at_0008)
    assert all(len(before[name]) >= 2 for name in OWNED)
    assert {name: sorted(rows) for name, rows in written.items() if name in OWNED} == before

    migrate.upgrade(engine_at_0008)

    assert _keys(engine_at_0008) == before
    _check_keys(engine_at_0008)
    _check_behaviour(engine_at_0008, before)
    after = _keys(engine_at_0008)
    assert sum(map(len, after.values())) < sum(map(len, before.values()))  # the cascade ran

    migrate.downgrade(engine_at_0008, "0008")
    assert _keys(engine_at_0008) == after
    assert inspect(engine_at_0008).get_pk_constraint("subjects")["constrained_columns"] == ["id"]
    migrate.upgrade(engine_at_0008)
    assert _keys(engine_at_0008) == after
    _check_keys(engine_at_0008)


def _check_keys(engine: Engine) -> None:
    inspector = inspect(engine)
    sqlite = engine.dialect.name == "sqlite"
    for name in OWNED:
        key = inspector.get_pk_constraint(name)["constrained_columns"]
        uniques = [u["column_names"] for u in inspector.get_unique_constraints(name)]
        if sqlite:  # the row id, and (id, tenant_id) unique beside it
            assert key == ["id"], name
            assert ["id", "tenant_id"] in uniques, name
        else:
            assert key == ["tenant_id", "id"], name
        assert all("tenant_id" in u for u in uniques), (name, uniques)
        for fk in inspector.get_foreign_keys(name):
            assert fk["constrained_columns"][0] == "tenant_id", (name, fk)


_NOW = datetime(2026, 6, 1, tzinfo=UTC)
_BY_SUBJECT = "SELECT COUNT(*) FROM {} WHERE tenant_id = :t AND subject_id = :s"


def _check_behaviour(engine: Engine, before: dict[str, list[tuple[int, int]]]) -> None:
    tenant, subject = next((t, k) for t, k in before["subjects"] if _children(engine, t, k) > 0)
    other_tenant_subject = next(k for t, k in before["subjects"] if t != tenant)
    with engine.begin() as connection:
        new_id = connection.execute(
            text(
                "INSERT INTO notice_versions (tenant_id, seq, version_id, published_on, "
                "content_json, markdown, html, created_at) VALUES (:t, 999, 'v', :d, '{}', '', '', "
                ":now) RETURNING id"
            ),
            {"t": tenant, "d": date(2026, 6, 1), "now": _NOW},
        ).scalar_one()
        assert new_id > max(k for _, k in before["notice_versions"])
        connection.execute(text("DELETE FROM notice_versions WHERE id = :i"), {"i": new_id})
    with pytest.raises(Exception, match=r"(?i)foreign key"), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO personal_data (tenant_id, subject_id, field, category, source, "
                "purpose, collected_at, updated_at, ciphertext) VALUES (:t, :s, 'f', 'c', 's', "
                "'p', :now, :now, :b)"
            ),
            {"t": tenant, "s": other_tenant_subject, "now": _NOW, "b": b"x"},
        )
    with engine.begin() as connection:
        where = {"t": tenant, "s": subject}
        connection.execute(
            text("DELETE FROM consent_events WHERE tenant_id = :t AND subject_id = :s"), where
        )
        connection.execute(text("DELETE FROM subjects WHERE tenant_id = :t AND id = :s"), where)
    assert _children(engine, tenant, subject) == 0


def _children(engine: Engine, tenant: int, subject: int) -> int:
    with engine.connect() as connection:
        return sum(
            connection.execute(
                text(_BY_SUBJECT.format(name)), {"t": tenant, "s": subject}
            ).scalar_one()
            for name in ("identities", "personal_data")
        )


# --- the whole schema partitioned by tenant (PostgreSQL) ----------------------------------------

PARTITIONS = 4


@pytest.fixture
def partitioned_url() -> Iterator[str]:
    """A PostgreSQL schema where every tenant-owned table is partitioned by hash of tenant_id
    (PostgreSQL, like Citus, refuses a key or unique constraint without the partition column),
    stamped at the newest revision."""
    metadata = MetaData(naming_convention=tables.NAMING)
    for table in tables.Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    for name in tables.TENANT_OWNED_TABLES:
        metadata.tables[name].dialect_options["postgresql"]["partition_by"] = "HASH (tenant_id)"
    with _postgres_schema("pv_part") as url:
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                metadata.create_all(connection)
                for name in tables.TENANT_OWNED_TABLES:
                    for n in range(PARTITIONS):
                        connection.execute(
                            text(
                                f'CREATE TABLE "{name}_p{n}" PARTITION OF "{name}" '
                                f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {n})"
                            )
                        )
            migrate.stamp(engine, "head")
            yield url
        finally:
            engine.dispose()


def test_privault_runs_on_a_schema_partitioned_by_tenant(
    partitioned_url: str, tmp_path: Path
) -> None:
    """Every tenant-owned table partitioned by tenant: the demo's tenants, subjects, consents,
    datastore, staff and API key are written; lookups, reads over HTTP with the key, decisions and
    the audit log (sealed, verified in full) work; the rows sit in the partitions."""
    from privault.bootstrap import Container
    from privault.config import Settings
    from privault.core.access import Principal
    from privault.demo import prepare_demo
    from privault.http.app import create_app
    from privault.services.audit import seal
    from privault.services.audit_verify import verify
    from privault.services.tenants import find_tenant
    from privault.services.vault import find_subjects, show_subject

    container = Container(Settings(data_dir=tmp_path, database_url=partitioned_url))
    try:
        with container.engine.connect() as connection:
            partitioned = connection.execute(
                text(
                    "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c "
                    "ON c.oid = p.partrelid WHERE c.relnamespace = current_schema()::regnamespace"
                )
            ).scalar_one()
        assert partitioned == len(tables.TENANT_OWNED_TABLES)
        demo = prepare_demo(container)
        tenant = find_tenant(container.deps, demo.tenant)
        who = Principal(tenant.id, demo.tenant, demo.role, "system", "test")
        found = find_subjects(
            container.deps, who, "email", ["ben.lindqvist1@example.com"], "billing"
        )
        assert [view.ref for view in found] == ["demo-1"]
        assert show_subject(container.deps, who, "demo-2", "billing").ref == "demo-2"
        headers = {"Authorization": f"Bearer {demo.token}"}
        with TestClient(create_app(container)) as client:
            read = client.get("/v1/subjects/demo-3?purpose=billing", headers=headers)
            assert read.status_code == 200, read.text
            asks = [{"subject": ref, "purpose": "marketing-sms"} for ref in ("demo-1", "demo-3")]
            answer = client.post("/v1/decisions", json={"questions": asks}, headers=headers)
            assert answer.status_code == 200, answer.text
            assert [a["allowed"] for a in answer.json()["answers"]] == [True, False]
        assert seal(container.deps, demo.tenant).events > 0
        report = verify(container.deps, demo.tenant, full=True)
        assert report.ok, report.problems
        with container.engine.connect() as connection:
            placed = connection.execute(
                text("SELECT tableoid::regclass::text, tenant_id FROM subjects GROUP BY 1, 2")
            ).all()
        assert placed
        assert all(part.startswith("subjects_p") for part, _ in placed)
    finally:
        container.close()


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("SELECT id FROM subjects WHERE ref = ?", "subjects"),
        ("SELECT id FROM subjects WHERE subjects.tenant_id = ? AND ref = ?", None),
        ('UPDATE "audit_events" SET seq=? WHERE audit_events.id = ?', "audit_events"),
        ("UPDATE audit_events SET seq=? WHERE tenant_id = ? AND id = ?", None),
        ("DELETE FROM identities WHERE subject_id IN (1, 2)", "identities"),
        ("SELECT 1 FROM audit_events WHERE audit_events.tenant_id + 0 = ?", None),
        ("INSERT INTO personal_data (subject_id, field) VALUES (?, ?)", "personal_data"),
        ("INSERT INTO personal_data (tenant_id, subject_id, field) VALUES (?, ?, ?)", None),
        ("SELECT key FROM tenants WHERE id = ?", None),
        ("SELECT j.id FROM jobs AS j JOIN requests r ON r.id = j.id", "requests"),
    ],
)
def test_the_statement_check_finds_a_missing_tenant(statement: str, table: str | None) -> None:
    """The check the contract tests run on every statement (tests/contract/conftest.py)."""
    from tests.contract.conftest import unscoped

    assert unscoped(statement) == table


def test_the_citus_statements_distribute_every_table_parents_first() -> None:
    """`privault db citus`: every global table a reference table, every tenant-owned table
    distributed by tenant_id and colocated, each after the tables its foreign keys point to."""
    from privault.storage.distribution import citus_statements

    statements = citus_statements()
    done: list[str] = []
    for statement in statements:
        name = statement.split("'")[1]
        table = tables.Base.metadata.tables[name]
        parents = {fk.column.table.name for fk in table.foreign_keys} - {name}
        assert parents <= set(done), (name, parents - set(done))
        if name in tables.REFERENCE_TABLES:
            assert statement.startswith("SELECT create_reference_table(")
        else:
            assert "create_distributed_table" in statement
            assert "'tenant_id'" in statement
        done.append(name)
    assert sorted(done) == sorted(tables.Base.metadata.tables)
    assert all("colocate_with" in s for s in statements[len(tables.REFERENCE_TABLES) + 1 :])
