"""The storage contract, run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, inspect, select, text

from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.core.manifest import parse_manifest
from privault.errors import NotFound, Unauthenticated
from privault.services.api_keys import authenticate, create_api_key, list_api_keys, revoke_api_key
from privault.services.notices import get_notice_version, notice_history, publish_notice
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant, sync_tenants
from privault.storage import migrate, tables
from privault.storage.scoping import CROSS_TENANT, TenantScopeError
from privault.storage.uow import ReadOnlyViolation, SqlUnitOfWork


def _two_tenants(container: Container) -> tuple[str, str]:
    records = sync_tenants(container.deps)
    for record in records:
        container.keyring.ensure_tenant(record.key)  # audited writes need the tenant's keys
    return records[0].key, records[1].key


def _add_key(uow: SqlUnitOfWork, container: Container, tenant_id: int, name: str) -> None:
    """Store an agent's key named ``name`` for the tenant (a fixed prefix and hash)."""
    uow.api_keys.add(
        tenant_id,
        name=name,
        role="agent",
        prefix="abcdefabcdef",
        secret_hash="0" * 64,
        at=container.clock.now(),
    )


def test_migrations_create_every_table_at_head(container: Container) -> None:
    """A migrated database has every table the models declare, at the newest revision."""
    names = set(inspect(container.engine).get_table_names())
    assert set(tables.Base.metadata.tables) <= names
    assert migrate.current_revision(container.engine) == migrate.head_revision()


def test_every_tenant_owned_table_carries_a_non_null_tenant(container: Container) -> None:
    """Each tenant-owned table has a NOT NULL tenant_id referencing tenants."""
    inspector = inspect(container.engine)
    assert tables.TENANT_OWNED_TABLES
    for name in tables.TENANT_OWNED_TABLES:
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        assert columns["tenant_id"]["nullable"] is False
        fks = inspector.get_foreign_keys(name)
        assert any(fk["referred_table"] == "tenants" for fk in fks)


def test_sync_tenants_is_idempotent(container: Container) -> None:
    """Syncing twice keeps one row per tenant."""
    for _ in range(2):
        sync_tenants(container.deps)
    with container.uow() as uow:
        keys = [t.key for t in uow.tenants.list()]
    assert keys == sorted(t.key for t in container.manifest.tenants)


def test_rendering_twice_keeps_one_version(container: Container) -> None:
    """An unchanged manifest keeps its notice version and date."""
    tenant, _ = _two_tenants(container)
    first = publish_notice(container.deps, tenant)
    assert isinstance(container.clock, FixedClock)
    container.clock.at += timedelta(days=3)
    second = publish_notice(container.deps, tenant)
    assert first.created
    assert not second.created
    assert second.record.version_id == first.record.version_id
    assert second.record.published_on == first.record.published_on
    assert len(notice_history(container.deps, tenant)) == 1


def test_changing_a_purpose_publishes_a_new_dated_version(
    container: Container, template: str
) -> None:
    """A content change gets a new version id and date; both versions stay in the database."""
    tenant, _ = _two_tenants(container)
    first = publish_notice(container.deps, tenant)
    changed = parse_manifest(_rename_first_purpose(template), "changed.yaml")
    assert isinstance(container.clock, FixedClock)
    container.clock.at += timedelta(days=10)
    second = publish_notice(dataclasses.replace(container.deps, manifest=changed), tenant)
    assert second.created
    assert second.record.version_id != first.record.version_id
    assert second.record.published_on == first.record.published_on + timedelta(days=10)
    assert f"Last updated: {second.record.published_on.isoformat()}" in second.record.markdown
    history = notice_history(container.deps, tenant)
    old = get_notice_version(container.deps, tenant, first.record.version_id[:12])
    assert [h.version_id for h in history] == [second.record.version_id, first.record.version_id]
    assert old.markdown == first.record.markdown


def _rename_first_purpose(template: str) -> str:
    manifest = parse_manifest(template, "t.yaml")
    name = manifest.purposes[0].name
    assert template.count(f"name: {name}") >= 1
    return template.replace(f"name: {name}", f"name: {name} and more", 1)


def test_notice_versions_are_scoped_to_their_tenant(container: Container) -> None:
    """A unit of work bound to one tenant never sees another tenant's rows, even unfiltered."""
    first, second = _two_tenants(container)
    apply_manifest(container.deps)
    with container.uow() as uow:
        bound = bind_tenant(uow, first)
        seen = {r.tenant_id for r in uow.session.scalars(select(tables.NoticeVersion))}
    assert seen == {bound.id}
    with container.uow() as uow:
        other = bind_tenant(uow, second)
        assert {r.tenant_id for r in uow.session.scalars(select(tables.NoticeVersion))} == {
            other.id
        }


def test_counts_and_core_selects_are_scoped_too(container: Container) -> None:
    """select(func.count()).select_from(Entity), a Core select over the table and a join count
    only the bound tenant's rows (these forms escape loader criteria, so they are scoped by table)."""
    first, second = _two_tenants(container)
    apply_manifest(container.deps)
    with container.uow() as uow:
        everyone = uow.session.scalar(
            select(func.count()).select_from(tables.NoticeVersion),
            execution_options={CROSS_TENANT: True},
        )
    for key in (first, second):
        with container.uow() as uow:
            bound = bind_tenant(uow, key)
            mine = uow.session.scalar(
                select(func.count())
                .select_from(tables.NoticeVersion)
                .where(tables.NoticeVersion.tenant_id == bound.id)
            )
            orm = uow.session.scalar(select(func.count()).select_from(tables.NoticeVersion))
            core = uow.session.scalar(
                select(func.count()).select_from(tables.NoticeVersion.__table__)
            )
            joined = uow.session.scalar(
                select(func.count()).select_from(
                    tables.NoticeVersion.__table__.join(
                        tables.Tenant.__table__,
                        tables.NoticeVersion.__table__.c.tenant_id == tables.Tenant.__table__.c.id,
                    )
                )
            )
        assert orm == core == joined == mine
        assert 0 < mine < everyone


def test_a_core_delete_only_touches_the_bound_tenant(container: Container) -> None:
    """A Core DELETE over a tenant-owned table with no tenant filter deletes only the bound
    tenant's rows."""
    first, second = _two_tenants(container)
    apply_manifest(container.deps)
    table = tables.NoticeVersion.__table__
    with container.uow() as uow:
        bind_tenant(uow, first)
        uow.session.execute(delete(table))
        uow.commit()
    with container.uow() as uow:
        bind_tenant(uow, first)
        assert uow.session.scalar(select(func.count()).select_from(table)) == 0
    with container.uow() as uow:
        bind_tenant(uow, second)
        assert uow.session.scalar(select(func.count()).select_from(table)) > 0


def test_a_query_without_a_bound_tenant_is_refused(container: Container) -> None:
    """Tenant-owned tables cannot be read before a tenant is bound."""
    _two_tenants(container)
    with container.uow() as uow, pytest.raises(TenantScopeError):
        uow.session.scalars(select(tables.ApiKey)).all()


def test_a_row_for_another_tenant_cannot_be_inserted(container: Container) -> None:
    """Writing a row that names a tenant other than the bound one is refused."""
    first, second = _two_tenants(container)
    with container.uow() as uow:
        other = uow.tenants.get_by_key(second)
        assert other is not None
        bind_tenant(uow, first)
        with pytest.raises(TenantScopeError):
            _add_key(uow, container, other.id, "x")


def test_api_key_round_trip(container: Container) -> None:
    """A created key authenticates to its tenant and role until revoked; only its hash is stored."""
    tenant, _ = _two_tenants(container)
    role = container.manifest.roles[0].key
    created = create_api_key(container.deps, tenant, role, name="ci")
    token = created.token.reveal()
    assert token not in repr(created)
    principal = authenticate(container.deps, token)
    assert (principal.tenant_key, principal.role) == (tenant, role)
    with container.uow() as uow:
        stored = uow.session.scalars(
            select(tables.ApiKey.secret_hash), execution_options={"privault_cross_tenant": True}
        ).all()
    secret = token.split("_", 2)[2]  # pv_<prefix>_<secret>; the secret may itself hold "_"
    assert all(secret not in h for h in stored)
    revoke_api_key(container.deps, tenant, created.record.prefix)
    with pytest.raises(Unauthenticated):
        authenticate(container.deps, token)
    assert list_api_keys(container.deps, tenant)[0].revoked_at is not None


def test_a_key_with_a_wrong_secret_is_refused(container: Container) -> None:
    """Same prefix, other secret: refused."""
    tenant, _ = _two_tenants(container)
    created = create_api_key(container.deps, tenant, "agent", name="")
    forged = created.token.reveal()[:-4] + "AAAA"
    with pytest.raises(Unauthenticated):
        authenticate(container.deps, forged)


def test_a_role_the_tenant_lacks_is_refused(container: Container) -> None:
    """Keys can only be made for roles the manifest gives the tenant."""
    tenant, _ = _two_tenants(container)
    with pytest.raises(NotFound) as caught:
        create_api_key(container.deps, tenant, "no-such-role", name="")
    assert caught.value.code == "role.unknown"


def test_datetimes_come_back_aware_and_equal(container: Container) -> None:
    """Timestamps round-trip as the same aware UTC instant on every engine."""
    at = datetime(2026, 5, 17, 23, 59, 58, 123456, tzinfo=UTC)
    clock = FixedClock(at)
    record = sync_tenants(dataclasses.replace(container.deps, clock=clock))[0]
    with container.uow() as uow:
        loaded = uow.tenants.get_by_key(record.key)
    assert loaded is not None
    assert loaded.created_at == at
    assert loaded.created_at.tzinfo is not None
    assert dataclasses.asdict(loaded) == dataclasses.asdict(record)


def test_migrations_match_the_models(container: Container) -> None:
    """Alembic finds nothing to change: the migrations build exactly the declared schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with container.engine.connect() as connection:
        include = migrate.for_this_engine(connection.dialect.name)
        opts = {"compare_type": True, "include_object": include}
        context = MigrationContext.configure(connection, opts=opts)
        diffs = compare_metadata(context, tables.Base.metadata)
    if container.engine.dialect.name == "sqlite":  # the key (tenant_id, id) is stored this way
        stand_ins = [
            diff
            for diff in diffs
            if diff[0] == "remove_constraint"
            and diff[1].name == f"pk_{diff[1].table.name}"
            and [c.name for c in diff[1].columns] == ["id", "tenant_id"]
        ]
        assert len(stand_ins) == len(tables.TENANT_OWNED_TABLES) - 1  # all but audit_heads
        diffs = [diff for diff in diffs if diff not in stand_ins]
    assert diffs == []


def test_no_sqlite_index_on_a_scoped_table_leads_with_tenant_id_alone(container: Container) -> None:
    """Every query gets "tenant_id = ?" added; on SQLite (no statistics) an index led by tenant_id
    would be chosen for "id IN (...)" lookups and scan the tenant. Only tables queried by tenant first
    (audit chain and checkpoints, notices, API keys) may lead with it."""
    allowed = {"audit_events", "audit_checkpoints", "audit_heads", "notice_versions", "api_keys"}
    inspector = inspect(container.engine)
    for name in tables.TENANT_OWNED_TABLES:
        if name in allowed:
            continue
        indexes = [i["column_names"] for i in inspector.get_indexes(name)]
        indexes += [u["column_names"] for u in inspector.get_unique_constraints(name)]
        assert all(cols[0] != "tenant_id" for cols in indexes), (name, indexes)


def test_a_read_only_stretch_refuses_writes_and_ends_its_transaction(container: Container) -> None:
    """Inside ``uow.reading()`` a write raises and nothing is kept; after it, writes work and
    commit as usual (a transaction of their own)."""
    tenant, _ = _two_tenants(container)
    with container.uow() as uow:
        bound = bind_tenant(uow, tenant)
    with container.uow() as uow:
        uow.bind_tenant(bound.id)
        with pytest.raises(ReadOnlyViolation), uow.reading():
            uow.api_keys.revoke("nosuchprefix", container.clock.now())
        with pytest.raises(ReadOnlyViolation), uow.reading():
            _add_key(uow, container, bound.id, "x")
        with pytest.raises(ReadOnlyViolation), uow.reading():
            uow.session.execute(text("UPDATE tenants SET name = name"))
        with uow.reading():
            assert uow.api_keys.list() == []
            assert uow.session.scalar(text("SELECT 1")) == 1
        _add_key(uow, container, bound.id, "kept")
        uow.commit()
    assert [k.name for k in list_api_keys(container.deps, tenant)] == ["kept"]


def test_a_read_only_stretch_inside_a_transaction_is_part_of_it(container: Container) -> None:
    """Begun after a write, ``reading()`` neither commits nor ends that work: a rollback still
    throws it away."""
    tenant, _ = _two_tenants(container)
    with container.uow() as uow:
        bound = bind_tenant(uow, tenant)
        _add_key(uow, container, bound.id, "dropped")
        with uow.reading():
            assert [k.name for k in uow.api_keys.list()] == ["dropped"]
        uow.rollback()
    assert list_api_keys(container.deps, tenant) == []


def test_reads_do_not_wait_on_a_writer(container: Container) -> None:
    """While another connection holds a write transaction open, a read-only stretch (and the API
    key check, which only reads) completes at once on either engine."""
    tenant, _ = _two_tenants(container)
    token = create_api_key(container.deps, tenant, "agent", name="").token.reveal()
    authenticate(container.deps, token)  # its last use is now recent: the next check only reads
    with container.engine.connect() as writer:
        writer.execute(
            tables.Tenant.__table__.update()
            .where(tables.Tenant.__table__.c.key == tenant)
            .values(name="held")
        )  # SQLite: the write lock is held until this connection commits
        done = threading.Event()

        def read() -> None:
            with container.uow() as uow, uow.reading():
                bind_tenant(uow, tenant)
                uow.api_keys.list()
            authenticate(container.deps, token)
            done.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert done.wait(timeout=10), "a read waited on the open write transaction"
        writer.rollback()
        reader.join()


def test_hot_path_reads_see_only_the_bound_tenant(container: Container) -> None:
    """The statements built once for hot paths (``rows_in``) return the bound tenant's rows only,
    even when asked for another tenant's ids, and refuse an unbound unit of work."""
    first, second = _two_tenants(container)
    apply_manifest(container.deps)
    with container.uow() as uow:
        ids = {
            key: uow.session.scalars(
                select(tables.NoticeVersion.id).where(
                    tables.NoticeVersion.tenant_id == uow.tenants.get_by_key(key).id  # type: ignore[union-attr]
                ),
                execution_options={CROSS_TENANT: True},
            ).all()
            for key in (first, second)
        }
    assert ids[first]
    assert ids[second]
    table = tables.NoticeVersion.__table__
    everything = [*ids[first], *ids[second]]
    with container.uow() as uow:
        bind_tenant(uow, first)
        rows = uow.subjects.rows_in(table, ("id", "tenant_id"), "id", everything)  # type: ignore[arg-type]
        assert sorted(r[0] for r in rows) == sorted(ids[first])
    with container.uow() as uow, pytest.raises(TenantScopeError):
        uow.subjects.rows_in(table, ("id",), "id", everything)  # type: ignore[arg-type]
