"""Tenants: synchronised from the manifest, looked up by key (``bind_tenant`` scopes a unit of
work to one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from privault.core.ports import UnitOfWork
from privault.core.records import TenantRecord
from privault.errors import NotFound

if TYPE_CHECKING:  # services.deps imports services.decisions, which binds tenants
    from privault.services.deps import Deps


def sync_tenants(deps: Deps) -> Sequence[TenantRecord]:
    """Create or update a row for every tenant the manifest declares (tenants are never deleted)."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        records = [uow.tenants.upsert(t.key, t.name, t.role, at) for t in deps.manifest.tenants]
        uow.commit()
    return records


def find_tenant(deps: Deps, key: str) -> TenantRecord:
    """The tenant's row (NotFound, ``tenant.unknown``, until the manifest is applied)."""
    with deps.make_uow() as uow:
        return bind_tenant(uow, key)


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
