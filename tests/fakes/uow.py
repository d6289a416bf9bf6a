"""An in-memory unit of work with the semantics of ``storage/uow.py``'s ``SqlUnitOfWork``.

- ``with uow:`` starts a transaction over a copy of the committed tables; ``commit`` publishes the
  copy (then runs the ``on_commit`` callbacks), ``rollback`` and leaving the block throw it away.
- Tenant-owned repositories raise ``TenantScopeError`` until ``bind_tenant`` is called, and only
  ever see the bound tenant's rows.
- Ids are the table's largest id plus one (SQLite's behaviour under its single writer).

Only the repositories the service-level unit tests need are faked; the others raise
``NotImplementedError`` naming the fake to write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import NoReturn, Self

from privault.core.cpni_ports import CpniRepository
from privault.core.dashboard_ports import DashboardQueries
from privault.core.datastore_ports import DatastoreRepository
from privault.core.disclosure_ports import DisclosureRepository
from privault.core.job_ports import JobRepository
from privault.core.ports import ApiKeyRepository
from privault.core.records_ports import IncidentRepository
from privault.core.request_ports import RequestRepository
from privault.core.retention_ports import HoldRepository, RetentionRunRepository
from privault.core.staff_ports import StaffRepository
from privault.core.visit_ports import VisitRepository
from privault.core.webhook_ports import WebhookRepository
from privault.crypto.keyring import Keyring
from privault.storage.scoping import TenantScopeError
from tests.fakes.audit import FakeAudit
from tests.fakes.basics import FakeDpias, FakeNotices, FakeSubjects, FakeTenants
from tests.fakes.consent import FakeConsent
from tests.fakes.tables import FakeDatabase, Tables


def _not_faked(name: str) -> NoReturn:
    raise NotImplementedError(
        f"FakeUnitOfWork has no '{name}' repository yet: add one to tests/fakes/ "
        "(or use the contract tests' real database)"
    )


class FakeUnitOfWork:
    """``with FakeUnitOfWork(db) as uow: ...; uow.commit()`` over a ``FakeDatabase``."""

    def __init__(self, db: FakeDatabase | None = None, keyring: Keyring | None = None) -> None:
        self.db = db if db is not None else FakeDatabase()
        self.keyring = keyring
        self.tenant_id: int | None = None
        self._work: Tables | None = None
        self._after_commit: list[Callable[[], object]] = []
        self.tenants = FakeTenants(self)
        self.notices = FakeNotices(self)
        self.subjects = FakeSubjects(self)
        self.consent = FakeConsent(self)
        self.audit = FakeAudit(self)
        self.dpias = FakeDpias(self)

    @property
    def rows(self) -> Tables:
        """The transaction's working copy of the tables."""
        if self._work is None:
            raise RuntimeError("use the unit of work inside 'with uow:'")
        return self._work

    def bound(self) -> int:
        """The bound tenant, or the error the SQL unit of work raises."""
        if self.tenant_id is None:
            raise TenantScopeError("no tenant bound to this unit of work")
        return self.tenant_id

    def __enter__(self) -> Self:
        self._work = self.db.committed.copy()
        self.tenant_id = None
        self._after_commit = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._work = None

    def bind_tenant(self, tenant_id: int) -> None:
        """Scope every following query on tenant-owned data to this tenant."""
        self.tenant_id = tenant_id

    def audit_key(self) -> bytes:
        """The bound tenant's audit key from the keyring; a fixed test key when the fake is given
        no keyring or one without the tenant's keys (the SQL unit of work refuses then)."""
        tenant = self.tenants.get(self.bound())
        if self.keyring is None or tenant is None or not self.keyring.has_keys(tenant.key):
            return b"fake audit key of tenant %d" % self.bound()
        return self.keyring.audit_key(tenant.key)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A read-only stretch: the fake has no locks, so it is part of the working copy's
        transaction (the SQL unit of work ends a transaction of its own there)."""
        yield

    def commit(self) -> None:
        """Publish the working copy, then run what waited for the commit (a callback that fails
        is kept in ``db.failed_callbacks``, as the SQL unit of work logs it: it never undoes or
        fails the commit)."""
        self.db.committed = self.rows.copy()
        self.db.commits += 1
        waiting, self._after_commit = self._after_commit, []
        for callback in waiting:
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 - after the commit, a failure is only kept
                self.db.failed_callbacks.append(exc)

    def rollback(self) -> None:
        """Throw the work away (and what waited for its commit)."""
        if self._work is not None:
            self._work = self.db.committed.copy()
        self._after_commit = []

    def on_commit(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the work is committed; dropped if it is rolled back."""
        self._after_commit.append(callback)

    @property
    def api_keys(self) -> ApiKeyRepository:
        """Not faked."""
        _not_faked("api_keys")

    @property
    def requests(self) -> RequestRepository:
        """Not faked."""
        _not_faked("requests")

    @property
    def datastores(self) -> DatastoreRepository:
        """Not faked."""
        _not_faked("datastores")

    @property
    def dashboard(self) -> DashboardQueries:
        """Not faked."""
        _not_faked("dashboard")

    @property
    def webhooks(self) -> WebhookRepository:
        """Not faked."""
        _not_faked("webhooks")

    @property
    def holds(self) -> HoldRepository:
        """Not faked."""
        _not_faked("holds")

    @property
    def retention(self) -> RetentionRunRepository:
        """Not faked."""
        _not_faked("retention")

    @property
    def disclosures(self) -> DisclosureRepository:
        """Not faked."""
        _not_faked("disclosures")

    @property
    def incidents(self) -> IncidentRepository:
        """Not faked."""
        _not_faked("incidents")

    @property
    def visits(self) -> VisitRepository:
        """Not faked."""
        _not_faked("visits")

    @property
    def jobs(self) -> JobRepository:
        """Not faked."""
        _not_faked("jobs")

    @property
    def staff(self) -> StaffRepository:
        """Not faked."""
        _not_faked("staff")

    @property
    def cpni(self) -> CpniRepository:
        """Not faked."""
        _not_faked("cpni")
