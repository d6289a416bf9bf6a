"""The database schema. One schema for SQLite and PostgreSQL; every tenant-owned row carries its tenant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import CreateColumn
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.types import TypeDecorator

# Integer on SQLite so the column aliases ROWID and autoincrements; BIGINT elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")


def _tenant_keyed(table: Table | None) -> bool:
    """A tenant-owned table's key: ``(tenant_id, id)``."""
    return table is not None and {c.name for c in table.primary_key.columns} == {"tenant_id", "id"}


@compiles(CreateColumn, "sqlite")
def _sqlite_row_id(element: CreateColumn, compiler: DDLCompiler, **kw: Any) -> str:
    """On SQLite a tenant-keyed table's ``id`` is the row id (only ``INTEGER PRIMARY KEY``
    autoincrements there)."""
    column = element.element
    if column.name == "id" and isinstance(column.table, Table) and _tenant_keyed(column.table):
        return f"{compiler.preparer.format_column(column)} INTEGER NOT NULL PRIMARY KEY"
    return compiler.visit_create_column(element, **kw)  # type: ignore[no-any-return,no-untyped-call]


@compiles(PrimaryKeyConstraint, "sqlite")
def _sqlite_tenant_key(constraint: PrimaryKeyConstraint, compiler: DDLCompiler, **kw: Any) -> str:
    """On SQLite ``(tenant_id, id)`` is a unique constraint beside the row id: the parent key of
    the composite foreign keys. ``id`` leads it, so that SQLite (which keeps no statistics) never
    takes it for an index on the tenant alone."""
    if isinstance(constraint.table, Table) and _tenant_keyed(constraint.table):
        name = compiler.preparer.format_constraint(constraint)
        return f"CONSTRAINT {name} UNIQUE (id, tenant_id)"
    return compiler.visit_primary_key_constraint(constraint, **kw)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps no zone; we put UTC back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("privault stores timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Always hand back an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a stable constraint naming convention (for migrations)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime()}


def owned_by(parent: str, column: str, *, ondelete: str | None = None) -> ForeignKeyConstraint:
    """A foreign key to a row of the same tenant: ``(tenant_id, column)`` references ``parent``'s
    ``(tenant_id, id)``."""
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{parent}.tenant_id", f"{parent}.id"], ondelete=ondelete
    )


class TenantOwned:
    """Mixin: rows of this table belong to one tenant; queries are scoped to it automatically.

    The tenant leads the primary key, ``(tenant_id, id)``, and is part of every unique constraint
    and foreign key, so the table can be distributed (Citus) or partitioned by tenant. ``id`` is
    still unique on its own (one sequence per table). On SQLite the primary key is kept as the row
    id (``id INTEGER PRIMARY KEY``, which alone autoincrements there) and ``(tenant_id, id)`` is a
    unique constraint of the same name (``_sqlite_tenant_key``)."""

    tenant_id: Mapped[int] = mapped_column(
        Id, ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )


class Tenant(Base):
    """A tenant, synchronised from the manifest."""

    __tablename__ = "tenants"
    __table_args__ = {"info": {"distribution": "reference"}}

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    # SHA-256 fingerprint of the tenant's keys when its data was first written (never the keys):
    # privault refuses to start when the keyring's keys do not match it (docs/vault.md).
    key_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class NoticeVersion(TenantOwned, Base):
    """A published version of a tenant's privacy notice, with the exact text shown."""

    __tablename__ = "notice_versions"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "seq"),
        Index("ix_notice_versions_tenant_version", "tenant_id", "version_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seq: Mapped[int]
    version_id: Mapped[str] = mapped_column(String(64))
    published_on: Mapped[date] = mapped_column(Date)
    content_json: Mapped[str] = mapped_column(Text)
    markdown: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ApiKey(TenantOwned, Base):
    """A tenant API key; only a hash of the secret is kept."""

    __tablename__ = "api_keys"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("prefix", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(120))
    # looked up before the tenant is known (authentication): 62 random bits, unique per tenant
    prefix: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class Subject(TenantOwned, Base):
    """A data subject: its wrapped data key lives here; erasure destroys it (crypto-shredding)."""

    __tablename__ = "subjects"
    # ref leads: an index led by tenant_id would tempt SQLite (no statistics) into scanning the whole
    # tenant for "id IN (...) AND tenant_id = ?", the criterion tenant scoping adds to every query.
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("ref", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(32))  # 128 random bits: unique without an index to keep
    ref: Mapped[str | None] = mapped_column(String(200))
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    kek_version: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    adult_on: Mapped[date | None] = mapped_column(Date)
    # {"exclusive purpose": [categories collected for it]}: what purpose limitation must protect.
    exclusive_data: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    erased_at: Mapped[datetime | None]
    # retention events: when the contract ended, when the person was last active
    contract_end_on: Mapped[date | None] = mapped_column(Date)
    last_activity_at: Mapped[datetime | None]


class Identity(TenantOwned, Base):
    """An identity of a subject: a blind index for lookup and the value encrypted for display."""

    __tablename__ = "identities"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("subject_id", "kind", "blind_index", "tenant_id"),
        # kind and blind index lead: with tenant_id first, SQLite (no statistics) would also pick this
        # index for "subject_id IN (...) AND tenant_id = ?" and scan the whole tenant.
        Index("ix_identities_lookup", "kind", "blind_index", "tenant_id"),
        owned_by("subjects", "subject_id", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subject_id: Mapped[int] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(40))
    blind_index: Mapped[str] = mapped_column(String(64))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class PersonalData(TenantOwned, Base):
    """One encrypted value of a subject, with its category, source and purpose of collection."""

    __tablename__ = "personal_data"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("subject_id", "field", "tenant_id"),
        owned_by("subjects", "subject_id", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subject_id: Mapped[int] = mapped_column(Id)
    field: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(String(120))
    collected_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class ConsentEvent(TenantOwned, Base):
    """One choice in the append-only consent ledger, with its evidence. Never updated or deleted."""

    __tablename__ = "consent_events"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        Index("ix_consent_events_subject", "subject_id"),
        Index("ix_consent_events_visitor", "visitor"),
        owned_by("subjects", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subject_id: Mapped[int | None] = mapped_column(Id)
    visitor: Mapped[str | None] = mapped_column(String(64))
    brand: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(250))
    granted: Mapped[bool] = mapped_column(Boolean)
    method: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    notice_version: Mapped[str | None] = mapped_column(String(64))
    shown: Mapped[str | None] = mapped_column(String(500))
    agent: Mapped[str | None] = mapped_column(String(120))
    call_id: Mapped[str | None] = mapped_column(String(64))
    ip_prefix: Mapped[str | None] = mapped_column(String(50))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    evidence: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    at_us: Mapped[int] = mapped_column(BigInteger)


class ConsentState(TenantOwned, Base):
    """The projection of the ledger for one holder ("s:<subject id>" or "v:<visitor id>")."""

    __tablename__ = "consent_states"
    # holder leads (see Subject): the tenant is the second key column.
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("holder", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    holder: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[int | None] = mapped_column(Id)  # the subject (for a visitor: once linked)
    state: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class AuditEvent(TenantOwned, Base):
    """One event of a tenant's audit log: written with its MAC, sealed once into the hash chain
    (seq, prev_hash, hash), never otherwise updated, never deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "seq"),
        UniqueConstraint("mac", "tenant_id"),
        Index("ix_audit_events_tenant_xid", "tenant_id", "xid"),
        # the newest event of any tenant (``change_mark``, on every decision batch) and one event
        # by id: the key leads with the tenant on PostgreSQL (on SQLite id is the row id)
        Index("ix_audit_events_id", "id").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    at_us: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str | None] = mapped_column(String(32))
    purpose: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    nonce: Mapped[str | None] = mapped_column(String(24))
    mac: Mapped[str | None] = mapped_column(String(64))
    # PostgreSQL: the writing transaction's id (a column default there), so the decision cache
    # finds events committed after it looked (storage/audit_repo.py, change_mark).
    xid: Mapped[int | None] = mapped_column(BigInteger)


class AuditHead(TenantOwned, Base):
    """The last sealed event of each tenant's chain; locked only by the sealer."""

    __tablename__ = "audit_heads"

    tenant_id: Mapped[int] = mapped_column(
        Id, ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    at_us: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditCheckpoint(TenantOwned, Base):
    """A signed statement that the chain had this hash at this position."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class Request(TenantOwned, Base):
    """A subject request and its legal clock; the requester's details are sealed (CCPA §7101 record)."""

    __tablename__ = "requests"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("ref", "tenant_id"),
        Index("ix_requests_token_hash", "token_hash"),
        Index("ix_requests_state_due", "state", "due_on", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20))
    resume_state: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    brand: Mapped[str | None] = mapped_column(String(120))
    jurisdictions: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(40))
    deadline_explanation: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    ack_due_on: Mapped[date | None] = mapped_column(Date)
    acknowledged_at: Mapped[datetime | None]
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_reasons: Mapped[str] = mapped_column(Text, default="")
    pauses: Mapped[str] = mapped_column(Text, default="[]")
    subject_id: Mapped[int | None] = mapped_column(Id)
    verified_at: Mapped[datetime | None]
    verification: Mapped[str] = mapped_column(String(40), default="pending")
    assignee: Mapped[str | None] = mapped_column(String(200))
    denial_code: Mapped[str | None] = mapped_column(String(40))
    denial_text: Mapped[str | None] = mapped_column(Text)
    response: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="{}")
    closed_at: Mapped[datetime | None]
    retain_until: Mapped[date | None] = mapped_column(Date)
    kek_version: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RequestEvent(TenantOwned, Base):
    """One step of a request's timeline (every transition, message and action)."""

    __tablename__ = "request_events"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        Index("ix_request_events_request", "request_id"),
        owned_by("requests", "request_id", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(Id)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="{}")


class RequestVerification(TenantOwned, Base):
    """A one-time code sent to one identity of a request (only its hash is kept)."""

    __tablename__ = "request_verifications"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        Index("ix_request_verifications_request", "request_id"),
        owned_by("requests", "request_id", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(20))
    slot: Mapped[int] = mapped_column(Integer)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sends: Mapped[int] = mapped_column(Integer, default=1)
    verified_at: Mapped[datetime | None]


class RequestTask(TenantOwned, Base):
    """A manual task of a request: a system without a connector, a recipient to notify."""

    __tablename__ = "request_tasks"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        Index("ix_request_tasks_request", "request_id"),
        owned_by("requests", "request_id", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(Id)
    system: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="open")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(200))


class RequestPackage(TenantOwned, Base):
    """An access or portability package (sealed), reachable by an expiring download token."""

    __tablename__ = "request_packages"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        Index("ix_request_packages_token_hash", "token_hash"),
        owned_by("requests", "request_id", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(Id)
    token_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    kek_version: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime]
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class Datastore(TenantOwned, Base):
    """A company database privault fulfils requests in (credentials sealed), or a manual system."""

    __tablename__ = "datastores"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("key", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str | None] = mapped_column(String(200))
    dataset: Mapped[str | None] = mapped_column(Text)
    kek_version: Mapped[int | None] = mapped_column(Integer)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed_url: Mapped[bytes | None] = mapped_column(LargeBinary)
    masked_url: Mapped[str | None] = mapped_column(String(500))
    last_tested_at: Mapped[datetime | None]
    last_test_ok: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Webhook(TenantOwned, Base):
    """An endpoint told of request state changes, signed Standard Webhooks style."""

    __tablename__ = "webhooks"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[str] = mapped_column(String(500), default="*")
    kek_version: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class WebhookDelivery(TenantOwned, Base):
    """One message to one endpoint, retried until delivered (the body holds no personal data)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        Index("ix_webhook_deliveries_status", "status", "next_attempt_at"),
        owned_by("webhooks", "webhook_id", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(Id)
    msg_id: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class Job(Base):
    """A unit of background work (not tenant-owned: the worker claims jobs across tenants).

    Claimed with a lease (``locked_until``): a worker that dies loses its claim when the lease ends
    and another worker takes the job over, continuing from ``progress``.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_run_at", "status", "run_at"),
        UniqueConstraint("dedupe_key"),
        {"info": {"distribution": "reference"}},
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(60))
    tenant_key: Mapped[str | None] = mapped_column(String(120))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    progress: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    run_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class LegalHold(TenantOwned, Base):
    """Data that must not be deleted: a subject, a whole tenant, or a category, until released."""

    __tablename__ = "legal_holds"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        Index("ix_legal_holds_subject", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Id)
    category: Mapped[str | None] = mapped_column(String(120))
    reference: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_on: Mapped[date | None] = mapped_column(Date)
    released_at: Mapped[datetime | None]


class RetentionRun(TenantOwned, Base):
    """One retention sweep and its report (what was deleted or anonymised, why, by which rule)."""

    __tablename__ = "retention_runs"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="running")
    report: Mapped[str] = mapped_column(Text, default="{}")


class Disclosure(TenantOwned, Base):
    """Personal data given to a recipient: who, whose, what, why, on what legal basis."""

    __tablename__ = "disclosures"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        Index("ix_disclosures_subject", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    batch: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(120))
    subject_id: Mapped[int] = mapped_column(Id)
    purpose: Mapped[str] = mapped_column(String(120))
    categories: Mapped[str] = mapped_column(Text)
    transform: Mapped[str] = mapped_column(String(20), default="identity")
    legal_basis: Mapped[str | None] = mapped_column(String(200))
    document_ref: Mapped[str | None] = mapped_column(String(200))
    notice_withheld_until: Mapped[date | None] = mapped_column(Date)
    withhold_reference: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]


class Dpia(TenantOwned, Base):
    """A data protection impact assessment, linked to a purpose (GDPR Art. 35)."""

    __tablename__ = "dpias"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    purpose: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    risks: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    residual_risk: Mapped[str] = mapped_column(String(20), default="")
    reviewer: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    review_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Incident(TenantOwned, Base):
    """A security or confidentiality incident and its notification clocks (GDPR 33, FCC, Québec)."""

    __tablename__ = "incidents"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("ref", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    aware_at: Mapped[datetime]
    occurred_at: Mapped[datetime | None]
    categories: Mapped[str] = mapped_column(Text, default="")
    subjects_affected: Mapped[int] = mapped_column(Integer, default=0)
    risk: Mapped[str] = mapped_column(String(20))
    regimes: Mapped[str] = mapped_column(String(200))
    clocks: Mapped[str] = mapped_column(Text, default="[]")
    notifications: Mapped[str] = mapped_column(Text, default="[]")
    status: Mapped[str] = mapped_column(String(20), default="open")
    measures: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    retain_until: Mapped[date] = mapped_column(Date)


class Visit(TenantOwned, Base):
    """One page view: never an address, only a truncated IP or a keyed pseudonym."""

    __tablename__ = "visits"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        Index("ix_visits_at", "at", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    page: Mapped[str] = mapped_column(String(500))
    referrer: Mapped[str | None] = mapped_column(String(300))
    browser: Mapped[str] = mapped_column(String(40))
    client: Mapped[str | None] = mapped_column(String(64))
    visitor: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(Id)


class StaffUser(TenantOwned, Base):
    """A login to the admin console: one tenant, one manifest role, an Argon2id password hash."""

    __tablename__ = "staff_users"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("username", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class StaffSession(TenantOwned, Base):
    """A signed-in console session; only a SHA-256 of its token is kept."""

    __tablename__ = "staff_sessions"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("token_hash", "tenant_id"),
        Index("ix_staff_sessions_staff", "staff_id"),
        owned_by("staff_users", "staff_id", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    staff_id: Mapped[int] = mapped_column(Id)
    token_hash: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class CpniCampaign(TenantOwned, Base):
    """A sales or marketing campaign using CPNI and its supervisory review (47 CFR 64.2009(c), (d))."""

    __tablename__ = "cpni_campaigns"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "id"),
        UniqueConstraint("ref", "tenant_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    cpni_used: Mapped[str] = mapped_column(Text)  # comma-separated category keys
    products: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(200))
    reviewer: Mapped[str | None] = mapped_column(String(200))
    review_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    launched_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    retain_until: Mapped[date] = mapped_column(Date)


TENANT_OWNED_TABLES: tuple[str, ...] = tuple(
    mapper.persist_selectable.name  # type: ignore[attr-defined]
    for mapper in Base.registry.mappers
    if issubclass(mapper.class_, TenantOwned)
)
# Global tables: the same rows for every tenant (a Citus reference table each, docs/scale-out.md).
REFERENCE_TABLES: tuple[str, ...] = tuple(
    table.name
    for table in Base.metadata.sorted_tables
    if table.info.get("distribution") == "reference"
)
