"""The ports the core and the services depend on. Storage and other adapters implement them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from privault.core.audit import AuditEvent
from privault.core.cpni_ports import CpniRepository
from privault.core.dashboard_ports import DashboardQueries
from privault.core.datastore_ports import DatastoreRepository
from privault.core.disclosure_ports import DisclosureRepository
from privault.core.job_ports import JobRepository
from privault.core.records import (
    ApiKeyRecord,
    CheckpointRecord,
    ConsentEventRecord,
    FieldRecord,
    IdentityRecord,
    NewSubjectData,
    NoticeVersionRecord,
    SubjectFacts,
    SubjectRecord,
    TenantRecord,
)
from privault.core.records_ports import DpiaRepository, IncidentRepository
from privault.core.request_ports import RequestRepository
from privault.core.retention_ports import HoldRepository, RetentionRunRepository
from privault.core.staff_ports import StaffRepository
from privault.core.visit_ports import VisitRepository
from privault.core.webhook_ports import WebhookRepository


class TenantRepository(Protocol):
    """Tenants known to the database (synchronised from the manifest)."""

    def get_by_key(self, key: str) -> TenantRecord | None:
        """The tenant with this key."""
        ...

    def get(self, tenant_id: int) -> TenantRecord | None:
        """The tenant with this id."""
        ...

    def list(self) -> Sequence[TenantRecord]:
        """Every tenant."""
        ...

    def upsert(self, key: str, name: str, role: str, at: datetime) -> TenantRecord:
        """Create the tenant or update its name and role."""
        ...

    def set_key_fingerprint(self, tenant_id: int, fingerprint: str) -> None:
        """Record the fingerprint of the keys the tenant's data is written with."""
        ...

    def holds_data(self, tenant_id: int) -> bool:
        """Whether the tenant has subjects, audit events or checkpoints, consent events or
        requests (data its keys protect or sign: keys are never made anew for it)."""
        ...


class NoticeRepository(Protocol):
    """Published privacy-notice versions of the bound tenant."""

    def latest(self) -> NoticeVersionRecord | None:
        """The newest version."""
        ...

    def by_version_id(self, version_id: str) -> NoticeVersionRecord | None:
        """The first version published with this content hash."""
        ...

    def history(self) -> Sequence[NoticeVersionRecord]:
        """Every version, newest first."""
        ...

    def add(self, record: NoticeVersionRecord) -> None:
        """Store a new version."""
        ...


class ApiKeyRepository(Protocol):
    """API keys of the bound tenant (lookup by prefix works across tenants, for authentication)."""

    def add(
        self, tenant_id: int, *, name: str, role: str, prefix: str, secret_hash: str, at: datetime
    ) -> ApiKeyRecord:
        """Store a new key."""
        ...

    def with_prefix(self, prefix: str) -> Sequence[ApiKeyRecord]:
        """The keys with this public prefix, in any tenant (unique only within a tenant: the
        secret tells them apart)."""
        ...

    def list(self) -> Sequence[ApiKeyRecord]:
        """Keys of the bound tenant."""
        ...

    def revoke(self, prefix: str, at: datetime) -> bool:
        """Revoke a key of the bound tenant; False if there is none."""
        ...

    def touch(self, key_id: int, at: datetime) -> None:  # of the bound tenant
        """Record that the key was used."""
        ...


class SubjectRepository(Protocol):
    """Subjects, identities and encrypted data of the bound tenant."""

    def insert_new(self, items: Sequence[NewSubjectData]) -> list[int]:
        """Insert new subjects with their values and identities; return their ids in order."""
        ...

    def existing_refs(self, refs: Sequence[str]) -> set[str]:
        """Which of these refs are taken (by live or erased subjects)."""
        ...

    def get_by_ref(self, ref: str) -> SubjectRecord | None:
        """The subject with this ref."""
        ...

    def get_many(self, ids: Sequence[int]) -> list[SubjectRecord]:
        """Subjects by id."""
        ...

    def find(self, kind: str, indexes: Sequence[str]) -> list[tuple[str, int]]:
        """(blind index, subject id) pairs of live subjects matching any of the indexes."""
        ...

    def fields(self, subject_ids: Sequence[int]) -> list[FieldRecord]:
        """Stored values of these subjects."""
        ...

    def identities(self, subject_ids: Sequence[int]) -> list[IdentityRecord]:
        """Stored identities of these subjects."""
        ...

    def add_identities(
        self, subject_ids: Sequence[int], rows: Sequence[IdentityRecord], at: datetime
    ) -> None:
        """Insert identities (skipping ones the subject already has)."""
        ...

    def put_fields(self, rows: Sequence[FieldRecord], *, replace: bool = True) -> None:
        """Insert values; with ``replace``, a subject's existing value of the same field goes first."""
        ...

    def set_adult_on(self, subject_id: int, adult_on: object, at: datetime) -> None:
        """Record when the subject stops being a minor."""
        ...

    def refresh_exclusive(self, subject_id: int, exclusive: Sequence[str], at: datetime) -> None:
        """Recompute the categories the subject holds for these exclusive purposes."""
        ...

    def erase_some(
        self, subject_id: int, fields: Sequence[str], identity_kinds: Sequence[str], at: datetime
    ) -> tuple[int, int]:
        """Delete some values and identities of a subject that is kept."""
        ...

    def erase(self, subject_id: int, at: datetime) -> tuple[int, int]:
        """Delete values and identities and destroy the data key: (fields, identities) deleted."""
        ...

    def erase_many(self, subject_ids: Sequence[int], at: datetime) -> dict[int, tuple[int, int]]:
        """``erase`` for many subjects in a few statements: (fields, identities) deleted, per
        subject erased now (those erased already, by someone else meanwhile, are left out)."""
        ...

    def to_rewrap(self, kek_version: int, after_id: int, limit: int) -> list[SubjectRecord]:
        """Live subjects whose data key is wrapped under another key version, by id."""
        ...

    def rewrap(
        self, subject_id: int, old_kek_version: int, kek_version: int, wrapped: bytes
    ) -> bool:
        """Replace a wrapped key if it is still under ``old_kek_version``; False if it changed."""
        ...

    def count_by_kek_version(self) -> dict[int, int]:
        """How many live subjects are wrapped under each key version."""
        ...


class ConsentRepository(Protocol):
    """The bound tenant's consent ledger (append-only) and its projection per holder."""

    def append(self, events: Sequence[ConsentEventRecord]) -> list[int]:
        """Insert events; return their ids in order."""
        ...

    def states(
        self, holders: Sequence[str], *, lock: bool = False
    ) -> dict[str, tuple[str, int | None]]:
        """{holder: (state JSON, subject id)}; ``lock`` holds the rows until the transaction ends."""
        ...

    def put_states(self, rows: Sequence[tuple[str, int | None, str]], at: datetime) -> None:
        """Create or replace states: (holder, subject id, state JSON)."""
        ...

    def all_states(self) -> Iterator[tuple[str, int | None, str]]:
        """Every (holder, subject id, state JSON)."""
        ...

    def clear_states(self) -> None:
        """Delete every state (before a rebuild)."""
        ...

    def events(
        self,
        *,
        subject_id: int | None = None,
        visitor: str | None = None,
        after_id: int = 0,
        limit: int = 5000,
    ) -> list[ConsentEventRecord]:
        """Ledger rows in id order, of a subject, a visitor, or the whole tenant."""
        ...

    def recent(
        self,
        *,
        subject_id: int | None = None,
        visitors: Sequence[str] = (),
        kind: str | None = None,
        scope: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[ConsentEventRecord]:
        """Ledger rows newest first: of the whole tenant, or of a subject and its linked
        ``visitors``; of one ``kind`` (and ``scope``); with ids below ``before_id`` (paging)."""
        ...

    def linked_visitors(self, subject_id: int) -> list[str]:
        """Visitor ids linked to this subject."""
        ...

    def lock_all(self) -> None:
        """Keep other writers of consent states out until the transaction ends."""
        ...

    def count(self) -> int:
        """Events in the ledger."""
        ...

    def facts(self, refs: Sequence[str]) -> dict[str, tuple[SubjectFacts, str | None]]:
        """{ref: (subject facts, state JSON)} for these refs."""
        ...

    def minors(self, today: Any) -> list[int]:
        """Ids of live subjects who are minors today."""
        ...


class AuditRepository(Protocol):
    """The bound tenant's audit log: events written without a lock, sealed later into the chain."""

    def append(self, events: Sequence[AuditEvent]) -> None:
        """Insert unsealed events (with their MACs); takes no lock."""
        ...

    def change_mark(self) -> tuple[int, int, str | None]:
        """(mark, newest event id, its MAC). Every event committed after the mark was read is found
        by :meth:`changes_since` with it (the highest id on SQLite, whose writers commit in turn; the
        oldest running transaction on PostgreSQL). Read it before the changes it bounds. The newest
        event (of any tenant: a restore is of the whole database) tells a restored database:
        later, that id holds another event or none."""
        ...

    def mac_of(self, event_id: int) -> str | None:
        """The MAC of one event of any tenant ("" for an event without one, None if there is no
        such event)."""
        ...

    def changes_since(self, mark: int, actions: Sequence[str]) -> list[tuple[str, str | None]]:
        """(action, subject uid) of the events with one of these actions committed after ``mark``
        was read (some may have been returned before)."""
        ...

    def tenants_to_seal(self) -> set[int]:
        """Ids of the tenants (across tenants) with events not sealed yet, or sealed past their
        last checkpoint."""
        ...

    def lock_head(self) -> tuple[int, str, int]:
        """The sealed chain's (seq, hash, time of its last event), locked until the transaction
        ends: only the sealer takes it."""
        ...

    def head(self) -> tuple[int, str]:
        """The sealed chain's recorded head, unlocked."""
        ...

    def unsealed(self, until_us: int | None, limit: int) -> list[AuditEvent]:
        """Committed events not yet sealed, written at or before ``until_us`` (all if None), in
        time order (then id)."""
        ...

    def seal(self, events: Sequence[AuditEvent], head: tuple[int, str, int]) -> None:
        """Store each event's seq, prev_hash and hash (by id) and move the head."""
        ...

    def stream(self, after: int, batch: int) -> Iterator[tuple[Any, ...]]:
        """Sealed events after position ``after`` in seq order as tuples (seq, at_us, actor,
        action, subject, purpose, outcome, details, nonce, mac, hash)."""
        ...

    def stream_unsealed(self, batch: int) -> Iterator[tuple[Any, ...]]:
        """Unsealed events as tuples (id, at_us, actor, action, subject, purpose, outcome, details,
        nonce, mac)."""
        ...

    def duplicate_macs(self) -> list[str]:
        """MACs that more than one event carries (a replayed copy)."""
        ...

    def prev_hash(self, seq: int) -> str | None:
        """The stored previous-hash of one sealed event (to diagnose a break)."""
        ...

    def hash_at(self, seq: int) -> str | None:
        """The stored hash of sealed event ``seq`` (the genesis hash for 0)."""
        ...

    def checkpoints(self, after: int = -1) -> list[CheckpointRecord]:
        """Signed checkpoints past position ``after``, in seq order."""
        ...

    def add_checkpoint(self, record: CheckpointRecord) -> None:
        """Store a checkpoint."""
        ...

    def recent(
        self, limit: int, *, before: int | None = None, action: str | None = None
    ) -> list[AuditEvent]:
        """The newest events, newest first (only those with an id below ``before``, of
        ``action``), sealed or not."""
        ...


class UnitOfWork(Protocol):
    """One use case, one transaction. ``bind_tenant`` scopes every tenant-owned query."""

    @property
    def tenants(self) -> TenantRepository:
        """Tenants (not tenant-owned)."""
        ...

    @property
    def notices(self) -> NoticeRepository:
        """Notice versions of the bound tenant."""
        ...

    @property
    def api_keys(self) -> ApiKeyRepository:
        """API keys of the bound tenant."""
        ...

    @property
    def subjects(self) -> SubjectRepository:
        """Subjects of the bound tenant."""
        ...

    @property
    def consent(self) -> ConsentRepository:
        """The bound tenant's consent ledger."""
        ...

    @property
    def audit(self) -> AuditRepository:
        """The bound tenant's audit chain."""
        ...

    @property
    def requests(self) -> RequestRepository:
        """The bound tenant's subject requests."""
        ...

    @property
    def datastores(self) -> DatastoreRepository:
        """The bound tenant's datastores."""
        ...

    @property
    def dashboard(self) -> DashboardQueries:
        """The bound tenant's dashboard counts."""
        ...

    @property
    def webhooks(self) -> WebhookRepository:
        """The bound tenant's webhooks."""
        ...

    @property
    def holds(self) -> HoldRepository:
        """The bound tenant's legal holds."""
        ...

    @property
    def retention(self) -> RetentionRunRepository:
        """The bound tenant's retention sweeps."""
        ...

    @property
    def disclosures(self) -> DisclosureRepository:
        """The bound tenant's disclosure register."""
        ...

    @property
    def dpias(self) -> DpiaRepository:
        """The bound tenant's impact assessments."""
        ...

    @property
    def incidents(self) -> IncidentRepository:
        """The bound tenant's incident register."""
        ...

    @property
    def visits(self) -> VisitRepository:
        """The bound tenant's visit log."""
        ...

    @property
    def jobs(self) -> JobRepository:
        """The job queue (across tenants)."""
        ...

    @property
    def staff(self) -> StaffRepository:
        """The bound tenant's console logins and sessions."""
        ...

    @property
    def cpni(self) -> CpniRepository:
        """The bound tenant's CPNI records (campaign log, notice counts)."""
        ...

    @property
    def tenant_id(self) -> int | None:
        """The bound tenant, if any."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def bind_tenant(self, tenant_id: int) -> None:
        """Scope every following query on tenant-owned data to this tenant."""
        ...

    def audit_key(self) -> bytes:
        """The bound tenant's audit MAC key (from the keyring, never the database)."""
        ...

    def commit(self) -> None:
        """Make the work durable, then run the callbacks registered with ``on_commit``."""
        ...

    def reading(self) -> AbstractContextManager[None]:
        """A stretch of reads in a transaction of its own, ended with the block (nothing may be
        written in it; on SQLite it takes no write lock). Inside a transaction under way it is
        part of that transaction."""
        ...

    def on_commit(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` after the next successful commit (webhooks, messages); dropped on
        rollback. A callback that fails is logged and never undoes the commit."""
        ...

    def rollback(self) -> None:
        """Abandon the work."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work (one per use case)."""

    def __call__(self) -> UnitOfWork: ...
