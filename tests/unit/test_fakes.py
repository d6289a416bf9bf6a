"""The in-memory unit of work keeps the SQL unit of work's promises: commit, rollback, tenant scope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from privault.core.ports import (
    AuditRepository,
    ConsentRepository,
    NoticeRepository,
    SubjectRepository,
    TenantRepository,
    UnitOfWork,
    UnitOfWorkFactory,
)
from privault.core.records_ports import DpiaRepository
from privault.services.tenants import bind_tenant
from privault.storage.scoping import TenantScopeError
from tests.fakes import FakeDatabase, FakeUnitOfWork

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _typed(db: FakeDatabase) -> UnitOfWork:
    """mypy --strict checks that each fake is its port (one by one: a mismatch inside a
    repository is not always reported on the unit of work as a whole)."""
    fake = FakeUnitOfWork(db)
    tenants: TenantRepository = fake.tenants
    notices: NoticeRepository = fake.notices
    subjects: SubjectRepository = fake.subjects
    consent: ConsentRepository = fake.consent
    audit: AuditRepository = fake.audit
    dpias: DpiaRepository = fake.dpias
    assert all((tenants, notices, subjects, consent, audit, dpias))
    factory: UnitOfWorkFactory = lambda: FakeUnitOfWork(db)  # noqa: E731 - the typing check
    uow: UnitOfWork = factory()
    return uow


def test_work_is_kept_only_when_committed() -> None:
    """What a block does without commit is gone when it ends; committed work is seen by the next."""
    db = FakeDatabase()
    with _typed(db) as uow:
        uow.tenants.upsert("acme", "Acme", "controller", AT)
    with _typed(db) as uow:
        assert uow.tenants.get_by_key("acme") is None
        uow.tenants.upsert("acme", "Acme", "controller", AT)
        uow.commit()
    with _typed(db) as uow:
        found = uow.tenants.get_by_key("acme")
    assert found is not None
    assert found.id == 1
    assert db.commits == 1


def test_rollback_drops_the_work_since_the_last_commit() -> None:
    """A rollback inside a block returns to what was last committed, like a session's."""
    db = FakeDatabase()
    with _typed(db) as uow:
        uow.tenants.upsert("acme", "Acme", "controller", AT)
        uow.commit()
        uow.tenants.upsert("beta", "Beta", "controller", AT)
        uow.rollback()
        assert [t.key for t in uow.tenants.list()] == ["acme"]


def test_tenant_owned_repositories_need_a_bound_tenant() -> None:
    """Unbound, a tenant-owned read raises; bound, it sees that tenant's rows only."""
    db = FakeDatabase()
    acme, beta = db.add_tenant("acme"), db.add_tenant("beta")
    db.add_subject(acme.id, "a-1")
    with _typed(db) as uow:
        with pytest.raises(TenantScopeError):
            uow.subjects.get_by_ref("a-1")
        bind_tenant(uow, "beta")
        assert uow.tenant_id == beta.id
        assert uow.subjects.get_by_ref("a-1") is None
        bind_tenant(uow, "acme")
        assert uow.subjects.get_by_ref("a-1") is not None


def test_callbacks_run_only_after_a_commit() -> None:
    """``on_commit`` callbacks run once the work is committed, and never after a rollback."""
    ran: list[str] = []
    with FakeUnitOfWork() as uow:
        uow.on_commit(lambda: ran.append("dropped"))
        uow.rollback()
        uow.on_commit(lambda: ran.append("sent"))
        assert ran == []
        uow.commit()
    assert ran == ["sent"]


def test_a_failing_callback_never_undoes_the_commit() -> None:
    """A side effect that fails after the commit is kept aside; the work stays committed."""
    db = FakeDatabase()

    def fail() -> None:
        raise ConnectionError("webhook down")

    with FakeUnitOfWork(db) as uow:
        uow.tenants.upsert("acme", "Acme", "controller", AT)
        uow.on_commit(fail)
        uow.commit()
    assert [type(e) for e in db.failed_callbacks] == [ConnectionError]
    assert [t.key for t in db.committed.tenants.values()] == ["acme"]


def test_a_repository_that_is_not_faked_says_so() -> None:
    """Use cases that need more than the fakes hold fail loudly, naming what to add."""
    with FakeUnitOfWork() as uow, pytest.raises(NotImplementedError, match="requests"):
        uow.requests.get("R-1")
