"""The ports the core and the services depend on. Storage and other adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from privault.core.records import ApiKeyRecord, NoticeVersionRecord, TenantRecord


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

    def find_by_prefix(self, prefix: str) -> ApiKeyRecord | None:
        """The key with this public prefix, in any tenant."""
        ...

    def list(self) -> Sequence[ApiKeyRecord]:
        """Keys of the bound tenant."""
        ...

    def revoke(self, prefix: str, at: datetime) -> bool:
        """Revoke a key of the bound tenant; False if there is none."""
        ...

    def touch(self, key_id: int, at: datetime) -> None:
        """Record that the key was used."""
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

    def commit(self) -> None:
        """Make the work durable."""
        ...

    def rollback(self) -> None:
        """Abandon the work."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work (one per use case)."""

    def __call__(self) -> UnitOfWork: ...
