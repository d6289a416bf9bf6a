"""Tenants: synchronised from the manifest, looked up by key."""

from __future__ import annotations

from collections.abc import Sequence

from privault.core.clock import Clock
from privault.core.manifest import Manifest
from privault.core.ports import UnitOfWork
from privault.core.records import TenantRecord
from privault.errors import NotFound


def sync_tenants(uow: UnitOfWork, manifest: Manifest, clock: Clock) -> Sequence[TenantRecord]:
    """Create or update a row for every tenant the manifest declares (tenants are never deleted)."""
    at = clock.now()
    records = [uow.tenants.upsert(t.key, t.name, t.role, at) for t in manifest.tenants]
    uow.commit()
    return records


def bind_tenant(uow: UnitOfWork, key: str) -> TenantRecord:
    """Look the tenant up and scope the unit of work to it."""
    record = uow.tenants.get_by_key(key)
    if record is None:
        raise NotFound(
            f"no tenant '{key}' in the database: run 'privault manifest apply'",
            code="tenant.unknown",
        )
    uow.bind_tenant(record.id)
    return record
