"""The SQL unit of work: one session, one transaction, tenant-scoped repositories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import cached_property
from types import TracebackType
from typing import Self

import structlog
from sqlalchemy import Engine, TextClause, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from privault.errors import ConfigurationError, PrivaultError, StorageError
from privault.storage import scoping
from privault.storage.audit_repo import SqlAudit
from privault.storage.consent_repo import SqlConsent
from privault.storage.cpni_repo import SqlCpni
from privault.storage.dashboard_repo import SqlDashboard
from privault.storage.datastore_repo import SqlDatastores
from privault.storage.disclosure_repo import SqlDisclosures
from privault.storage.engine import read_only_begin
from privault.storage.job_repo import SqlJobs
from privault.storage.records_repo import SqlDpias, SqlIncidents
from privault.storage.repositories import SqlApiKeys, SqlNotices, SqlTenants
from privault.storage.requests_repo import SqlRequests
from privault.storage.retention_repo import SqlHolds, SqlRetentionRuns
from privault.storage.staff_repo import SqlStaff
from privault.storage.vault_repo import SqlSubjects
from privault.storage.visit_repo import SqlVisits
from privault.storage.webhook_repo import SqlWebhooks

log = structlog.get_logger(__name__)


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()`` - anything not committed is rolled back on exit."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        keys: AuditKeys | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._factory = factory
        self._keys = keys
        self._read_only = read_only
        self._stack = ExitStack()
        self.tenant_id: int | None = None
        self._after_commit: list[Callable[[], object]] = []

    def __enter__(self) -> Self:
        self.session = self._factory()  # guarded by the factory's listeners (``guarded``)
        if self._read_only:  # reads only, from the first statement to the last
            self.session.info[_READING] = True
            self._stack.enter_context(read_only_begin())
        self.tenant_id = None
        self._after_commit = []
        for name in _REPOSITORIES:  # made on first use, for this session
            self.__dict__.pop(name, None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._after_commit.clear()
        self.session.rollback()
        self.session.close()
        self._stack.close()
        if isinstance(exc, OperationalError):
            raise StorageError("the database is unavailable") from exc

    # The repositories, each made on first use in a unit of work (most use one or two).

    @cached_property
    def tenants(self) -> SqlTenants:
        return SqlTenants(self.session)

    @cached_property
    def notices(self) -> SqlNotices:
        return SqlNotices(self.session)

    @cached_property
    def api_keys(self) -> SqlApiKeys:
        return SqlApiKeys(self.session)

    @cached_property
    def subjects(self) -> SqlSubjects:
        return SqlSubjects(self.session, self._bound)

    @cached_property
    def audit(self) -> SqlAudit:
        return SqlAudit(self.session, self._bound)

    @cached_property
    def consent(self) -> SqlConsent:
        return SqlConsent(self.session, self._bound)

    @cached_property
    def requests(self) -> SqlRequests:
        return SqlRequests(self.session, self._bound)

    @cached_property
    def datastores(self) -> SqlDatastores:
        return SqlDatastores(self.session, self._bound)

    @cached_property
    def dashboard(self) -> SqlDashboard:
        return SqlDashboard(self.session, self._bound)

    @cached_property
    def webhooks(self) -> SqlWebhooks:
        return SqlWebhooks(self.session, self._bound)

    @cached_property
    def holds(self) -> SqlHolds:
        return SqlHolds(self.session, self._bound)

    @cached_property
    def retention(self) -> SqlRetentionRuns:
        return SqlRetentionRuns(self.session, self._bound)

    @cached_property
    def disclosures(self) -> SqlDisclosures:
        return SqlDisclosures(self.session, self._bound)

    @cached_property
    def dpias(self) -> SqlDpias:
        return SqlDpias(self.session, self._bound)

    @cached_property
    def incidents(self) -> SqlIncidents:
        return SqlIncidents(self.session, self._bound)

    @cached_property
    def visits(self) -> SqlVisits:
        return SqlVisits(self.session, self._bound)

    @cached_property
    def jobs(self) -> SqlJobs:
        return SqlJobs(self.session)

    @cached_property
    def staff(self) -> SqlStaff:
        return SqlStaff(self.session, self._bound)

    @cached_property
    def cpni(self) -> SqlCpni:
        return SqlCpni(self.session, self._bound)

    def _bound(self) -> int:
        if self.tenant_id is None:
            raise scoping.TenantScopeError("no tenant bound to this unit of work")
        return self.tenant_id

    def bind_tenant(self, tenant_id: int) -> None:
        """Scope every following query on tenant-owned data to this tenant."""
        self.tenant_id = tenant_id
        self.session.info[scoping.TENANT_KEY] = tenant_id

    def audit_key(self) -> bytes:
        """The bound tenant's audit MAC key (from the keyring, cached per process)."""
        if self._keys is None:
            raise ConfigurationError("this unit of work has no keyring for audit MACs")
        return self._keys.of(self._bound(), self.tenants)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A stretch of reads in a transaction of its own, ended when the block ends: nothing may
        be written in it (``ReadOnlyViolation``), and on SQLite it takes no write lock, so it never
        waits on a writer nor holds one up. Inside a transaction already under way it is simply
        part of that transaction."""
        if self._read_only or self.session.in_transaction():
            yield
            return
        self.session.info[_READING] = True
        try:
            with read_only_begin():
                yield
        except BaseException:
            self.session.rollback()
            raise
        finally:
            self.session.info.pop(_READING, None)
        self.session.commit()  # ends the snapshot: nothing was written

    def on_commit(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the work is committed; dropped if it is rolled back."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        """Make the work durable, then run what waited for the commit."""
        self.session.commit()
        waiting, self._after_commit = self._after_commit, []
        for callback in waiting:
            _after_commit(callback)

    def rollback(self) -> None:
        """Abandon the work (and what waited for its commit)."""
        self._after_commit.clear()
        self.session.rollback()


_READING = "privault_reading"
_REPOSITORIES = [
    name for name, value in vars(SqlUnitOfWork).items() if isinstance(value, cached_property)
]


def guarded(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Attach the tenant guard and the read-only guard to every session ``factory`` makes (once,
    not per session: registering listeners costs more than a short transaction)."""
    scoping.install(factory)
    event.listen(factory, "do_orm_execute", _refuse_writes_while_reading)
    event.listen(factory, "before_flush", _refuse_flush_while_reading)
    return factory


class ReadOnlyViolation(PrivaultError):
    """Code tried to write inside ``uow.reading()`` (a programming error)."""

    code = "storage.read_only"


def _refuse_writes_while_reading(state: ORMExecuteState) -> None:
    if state.session.info.get(_READING) and _writes(state):
        raise ReadOnlyViolation("a write inside a read-only stretch of a unit of work")


def _writes(state: ORMExecuteState) -> bool:
    """An INSERT, UPDATE or DELETE, or SQL text that is not a query."""
    if state.is_insert or state.is_update or state.is_delete:
        return True
    statement = state.statement
    if isinstance(statement, TextClause):
        return not statement.text.lstrip().upper().startswith(("SELECT", "WITH", "SHOW"))
    return False


def _refuse_flush_while_reading(session: Session, _context: object, _instances: object) -> None:
    if session.info.get(_READING) and (session.new or session.dirty or session.deleted):
        raise ReadOnlyViolation("a write inside a read-only stretch of a unit of work")


def _after_commit(callback: Callable[[], object]) -> None:
    """The work is committed: a side effect that fails is logged, never undoes or fails it."""
    try:
        callback()
    except Exception as exc:  # noqa: BLE001 - after the commit, any failure is only logged
        log.warning("after-commit callback failed", error=type(exc).__name__)


class AuditKeys:
    """Tenant id -> its audit MAC key, read from the keyring once per process."""

    def __init__(self, key_of: Callable[[str], bytes]) -> None:
        self.key_of = key_of  # the keyring's audit_key
        self._keys: dict[int, bytes] = {}

    def of(self, tenant_id: int, tenants: SqlTenants) -> bytes:
        """The key of tenant ``tenant_id`` (its key string is looked up once)."""
        key = self._keys.get(tenant_id)
        if key is None:
            tenant = tenants.get(tenant_id)
            if tenant is None:
                raise ConfigurationError(f"no tenant {tenant_id}")
            key = self._keys[tenant_id] = self.key_of(tenant.key)
        return key


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case (with the keyring's ``audit_key`` when it writes
    audit events)."""

    def __init__(
        self,
        engine: Engine,
        audit_key: Callable[[str], bytes] | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self.engine = engine
        self.read_only = read_only  # its units of work refuse every write (``ReadOnlyViolation``)
        self._factory = guarded(sessionmaker(engine, expire_on_commit=False))
        self._keys = AuditKeys(audit_key) if audit_key is not None else None

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._factory, self._keys, read_only=self.read_only)
