"""The SQL unit of work: one session, one transaction, tenant-scoped repositories."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from privault.errors import StorageError
from privault.storage import scoping
from privault.storage.audit_repo import SqlAudit
from privault.storage.consent_repo import SqlConsent
from privault.storage.cpni_repo import SqlCpni
from privault.storage.dashboard_repo import SqlDashboard
from privault.storage.disclosure_repo import SqlDisclosures
from privault.storage.job_repo import SqlJobs
from privault.storage.records_repo import SqlDpias, SqlIncidents
from privault.storage.repositories import SqlApiKeys, SqlNotices, SqlTenants
from privault.storage.requests_repo import SqlDatastores, SqlRequests, SqlWebhooks
from privault.storage.retention_repo import SqlHolds, SqlRetentionRuns
from privault.storage.staff_repo import SqlStaff
from privault.storage.vault_repo import SqlSubjects
from privault.storage.visit_repo import SqlVisits


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()`` - anything not committed is rolled back on exit."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self.tenant_id: int | None = None

    def __enter__(self) -> Self:
        self.session = self._factory()
        scoping.install(self.session)
        self.tenant_id = None
        self.tenants = SqlTenants(self.session)
        self.notices = SqlNotices(self.session)
        self.api_keys = SqlApiKeys(self.session)
        self.subjects = SqlSubjects(self.session, self._bound)
        self.audit = SqlAudit(self.session, self._bound)
        self.consent = SqlConsent(self.session, self._bound)
        self.requests = SqlRequests(self.session, self._bound)
        self.datastores = SqlDatastores(self.session, self._bound)
        self.dashboard = SqlDashboard(self.session, self._bound)
        self.webhooks = SqlWebhooks(self.session, self._bound)
        self.holds = SqlHolds(self.session, self._bound)
        self.retention = SqlRetentionRuns(self.session, self._bound)
        self.disclosures = SqlDisclosures(self.session, self._bound)
        self.dpias = SqlDpias(self.session, self._bound)
        self.incidents = SqlIncidents(self.session, self._bound)
        self.visits = SqlVisits(self.session, self._bound)
        self.jobs = SqlJobs(self.session)
        self.staff = SqlStaff(self.session, self._bound)
        self.cpni = SqlCpni(self.session, self._bound)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()
        if isinstance(exc, OperationalError):
            raise StorageError("the database is unavailable") from exc

    def _bound(self) -> int:
        if self.tenant_id is None:
            raise scoping.TenantScopeError("no tenant bound to this unit of work")
        return self.tenant_id

    def bind_tenant(self, tenant_id: int) -> None:
        """Scope every following query on tenant-owned data to this tenant."""
        self.tenant_id = tenant_id
        self.session.info[scoping.TENANT_KEY] = tenant_id

    def commit(self) -> None:
        """Make the work durable."""
        self.session.commit()

    def rollback(self) -> None:
        """Abandon the work."""
        self.session.rollback()


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._factory)
