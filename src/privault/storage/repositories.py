"""SQL implementations of the repository ports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, exists, or_, select, update
from sqlalchemy.orm import Session

from privault.core.records import ApiKeyRecord, NoticeVersionRecord, TenantRecord
from privault.storage import tables as t
from privault.storage.base import columns_of, record_of
from privault.storage.scoping import CROSS_TENANT

# Read by every authenticated request: built once, columns in the records' field order.
_TENANT_BY_ID = select(*columns_of(t.Tenant, TenantRecord)).where(t.Tenant.id == bindparam("id"))
_API_KEY_BY_PREFIX = (
    select(*columns_of(t.ApiKey, ApiKeyRecord))
    .where(t.ApiKey.prefix == bindparam("prefix"))
    .execution_options(**{CROSS_TENANT: True})  # before the tenant is known
)


def _tenant(row: t.Tenant) -> TenantRecord:
    return record_of(TenantRecord, row)


class SqlTenants:
    """Tenants in SQL."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_by_key(self, key: str) -> TenantRecord | None:
        """The tenant with this key."""
        row = self.session.scalar(select(t.Tenant).where(t.Tenant.key == key))
        return _tenant(row) if row else None

    def get(self, tenant_id: int) -> TenantRecord | None:
        """The tenant with this id (Core: every request's authentication reads it)."""
        row = self.session.connection().execute(_TENANT_BY_ID, {"id": tenant_id}).first()
        return TenantRecord(*row) if row else None

    def list(self) -> Sequence[TenantRecord]:
        """Every tenant, by key."""
        return [_tenant(r) for r in self.session.scalars(select(t.Tenant).order_by(t.Tenant.key))]

    def upsert(self, key: str, name: str, role: str, at: datetime) -> TenantRecord:
        """Create the tenant or update its name and role."""
        row = self.session.scalar(select(t.Tenant).where(t.Tenant.key == key))
        if row is None:
            row = t.Tenant(key=key, name=name, role=role, created_at=at, updated_at=at)
            self.session.add(row)
        elif (row.name, row.role) != (name, role):
            row.name, row.role, row.updated_at = name, role, at
        self.session.flush()
        return _tenant(row)

    def set_key_fingerprint(self, tenant_id: int, fingerprint: str) -> None:
        """Record the fingerprint of the tenant's keys."""
        stmt = update(t.Tenant).where(t.Tenant.id == tenant_id)
        self.session.execute(stmt.values(key_fingerprint=fingerprint))

    def holds_data(self, tenant_id: int) -> bool:
        """One EXISTS per table that holds data of the tenant, in one query (across tenants: the
        tenant is named explicitly)."""
        tables = (t.Subject, t.AuditEvent, t.AuditCheckpoint, t.ConsentEvent, t.Request)
        found = [exists().where(table.tenant_id == tenant_id) for table in tables]
        stmt = select(or_(*found))
        return bool(self.session.scalar(stmt, execution_options={CROSS_TENANT: True}))


def _notice(row: t.NoticeVersion) -> NoticeVersionRecord:
    return record_of(NoticeVersionRecord, row)


class SqlNotices:
    """Notice versions in SQL (scoped to the bound tenant by the session guard)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def latest(self) -> NoticeVersionRecord | None:
        """The newest version."""
        stmt = select(t.NoticeVersion).order_by(t.NoticeVersion.seq.desc()).limit(1)
        row = self.session.scalar(stmt)
        return _notice(row) if row else None

    def by_version_id(self, version_id: str) -> NoticeVersionRecord | None:
        """The first version published with this content hash (a full id or a unique prefix)."""
        column = t.NoticeVersion.version_id
        stmt = select(t.NoticeVersion).where(column.startswith(version_id, autoescape=True))
        rows = self.session.scalars(stmt.order_by(t.NoticeVersion.seq)).all()
        if len({r.version_id for r in rows}) != 1:
            return None
        return _notice(rows[0])

    def history(self) -> Sequence[NoticeVersionRecord]:
        """Every version, newest first."""
        stmt = select(t.NoticeVersion).order_by(t.NoticeVersion.seq.desc())
        return [_notice(r) for r in self.session.scalars(stmt)]

    def add(self, record: NoticeVersionRecord) -> None:
        """Store a new version."""
        self.session.add(
            t.NoticeVersion(
                tenant_id=record.tenant_id,
                seq=record.seq,
                version_id=record.version_id,
                published_on=record.published_on,
                content_json=record.content_json,
                markdown=record.markdown,
                html=record.html,
                created_at=record.created_at,
            )
        )
        self.session.flush()


def _api_key(row: t.ApiKey) -> ApiKeyRecord:
    return record_of(ApiKeyRecord, row)


class SqlApiKeys:
    """API keys in SQL."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, tenant_id: int, *, name: str, role: str, prefix: str, secret_hash: str, at: datetime
    ) -> ApiKeyRecord:
        """Store a new key."""
        row = t.ApiKey(
            tenant_id=tenant_id,
            name=name,
            role=role,
            prefix=prefix,
            secret_hash=secret_hash,
            created_at=at,
            revoked_at=None,
            last_used_at=None,
        )
        self.session.add(row)
        self.session.flush()
        return _api_key(row)

    def with_prefix(self, prefix: str) -> Sequence[ApiKeyRecord]:
        """The keys with this public prefix, in any tenant (authentication happens before scoping;
        Core on the connection, as every request reads it). A prefix is unique within a tenant;
        across tenants two may share one (62 random bits), and the secret tells them apart."""
        rows = self.session.connection().execute(_API_KEY_BY_PREFIX, {"prefix": prefix})
        return [ApiKeyRecord(*row) for row in rows]

    def list(self) -> Sequence[ApiKeyRecord]:
        """Keys of the bound tenant, oldest first."""
        stmt = select(t.ApiKey).order_by(t.ApiKey.id)
        return [_api_key(r) for r in self.session.scalars(stmt)]

    def revoke(self, prefix: str, at: datetime) -> bool:
        """Revoke a key of the bound tenant."""
        stmt = (
            update(t.ApiKey)
            .where(t.ApiKey.prefix == prefix, t.ApiKey.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def touch(self, key_id: int, at: datetime) -> None:
        """Record that a key of the bound tenant was used."""
        stmt = update(t.ApiKey).where(t.ApiKey.id == key_id).values(last_used_at=at)
        self.session.execute(stmt)
