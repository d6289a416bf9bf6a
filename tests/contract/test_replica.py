"""Read-only work on a read replica (issue #17): read-only units of work refuse writes on both
engines; with PRIVAULT_READ_DATABASE_URL set, dashboards, the record of processing, retention
status and the CCPA request log read from it, and writes never do; a replica that lags or cannot
be reached is not used."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from privault.bootstrap import Container
from privault.config import Settings
from privault.core.clock import FixedClock
from privault.errors import ConfigurationError
from privault.services.dashboard import dashboard
from privault.services.requests import open_request, request_log
from privault.services.retention import status
from privault.services.ropa import export_ropa, ropa_for
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.storage import tables
from privault.storage.replica import CHECK_EVERY, ReplicaReads, replica_lag
from privault.storage.uow import ReadOnlyViolation, UnitOfWorkFactory

REQUEST = {"type": "access", "identities": {"email": ["ana@example.com"]}, "jurisdiction": "us-ca"}


def test_read_only_units_of_work_refuse_writes(container: Container) -> None:
    """The units of work of read-only work read, and refuse any write."""
    apply_manifest(container.deps)
    with container.deps.read_uow() as uow:
        tenant = bind_tenant(uow, "bluewave")
        assert uow.api_keys.list() == []
        with pytest.raises(ReadOnlyViolation):
            uow.tenants.set_key_fingerprint(tenant.id, "0" * 64)
        with pytest.raises(ReadOnlyViolation), uow.reading():
            uow.tenants.set_key_fingerprint(tenant.id, "0" * 64)


@pytest.fixture
def replicated(settings: Settings, clock: FixedClock) -> Iterator[tuple[Container, list[str]]]:
    """PostgreSQL only: a container whose read replica is the same database (what a replica that
    keeps up would show), and the statements run on the replica's engine."""
    if not settings.sqlalchemy_url.startswith("postgresql"):
        pytest.skip("a read replica is a PostgreSQL setting")
    url = SecretStr(settings.sqlalchemy_url)
    built = Container(settings.model_copy(update={"read_database_url": url}), clock=clock)
    seen: list[str] = []
    assert built.read_engine is not None
    event.listen(built.read_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    yield built, seen
    built.close()


def test_read_only_work_goes_to_the_replica_and_writes_never_do(
    replicated: tuple[Container, list[str]],
) -> None:
    """Writes (the manifest, a request) touch only the primary; the dashboard, the record of
    processing, retention status and the request log read from the replica; an export of the
    record reads there and is audited on the primary."""
    container, seen = replicated
    deps = container.deps
    apply_manifest(deps)
    open_request(deps, "bluewave", REQUEST, "test")
    assert seen == []
    now = container.clock.now()
    assert dashboard(deps, "bluewave", now).requests_per_week
    assert ropa_for(deps, "bluewave").purposes
    assert status(deps, "bluewave").rules
    assert len(request_log(deps, "bluewave", date(2020, 1, 1), now.date())) == 1
    reads = len(seen)
    assert reads > 0
    assert all(s.lstrip().upper().startswith(("SELECT", "WITH")) for s in seen if "pg_" not in s)
    export_ropa(deps, "bluewave", "test", "json")
    assert len(seen) > reads
    with container.uow() as uow:
        bind_tenant(uow, "bluewave")
        actions = uow.session.scalars(select(tables.AuditEvent.action)).all()
    assert "records:export" in actions


def test_a_primary_is_not_behind_itself(replicated: tuple[Container, list[str]]) -> None:
    """The lag query answers 0 on a database that is not a replica."""
    container, _ = replicated
    assert container.read_engine is not None
    assert replica_lag(container.read_engine) == 0


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _reads(lag: Any) -> tuple[ReplicaReads, _Clock, UnitOfWorkFactory, UnitOfWorkFactory]:
    replica, primary = object.__new__(UnitOfWorkFactory), object.__new__(UnitOfWorkFactory)
    clock = _Clock()
    return ReplicaReads(replica, primary, 60, lag, clock), clock, replica, primary


def test_a_lagging_replica_is_not_used_until_it_catches_up() -> None:
    """Behind by more than the setting: the primary, until a check (at most every few seconds)
    finds the replica caught up."""
    lags = [600.0, 2.0]
    reads, clock, _, _ = _reads(lambda: lags[0])
    assert not reads.usable()
    lags[0] = 2.0
    assert not reads.usable()  # not asked again yet
    clock.now += CHECK_EVERY
    assert reads.usable()


def test_an_unreachable_replica_is_not_used() -> None:
    """The lag cannot be read: the primary."""

    def down() -> float:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    reads, _, _, _ = _reads(down)
    assert not reads.usable()


def test_a_replica_must_be_postgresql(settings: Settings, clock: FixedClock) -> None:
    """An SQLite file as the replica is refused by name."""
    wrong = settings.model_copy(update={"read_database_url": SecretStr("sqlite:///replica.db")})
    built = Container(wrong, clock=clock)
    with pytest.raises(ConfigurationError) as caught:
        built.read_engine  # noqa: B018 - building it is the test
    assert "PRIVAULT_READ_DATABASE_URL" in str(caught.value)
