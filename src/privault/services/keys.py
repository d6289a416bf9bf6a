"""Key management: create a tenant's keys, rotate its key-encryption key online."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from privault.crypto.envelope import data_key_aad
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant


@dataclass(frozen=True, slots=True)
class Rotation:
    """What a rotation did."""

    tenant: str
    version: int
    rewrapped: int
    remaining: dict[int, int]


def ensure_tenant_keys(deps: Deps, tenant_key: str, actor: str) -> bool:
    """Create the tenant's keys if the keyring lacks them (audited); True if created."""
    if not deps.keyring.ensure_tenant(tenant_key):
        return False
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        record(uow, [Entry(actor, "keys:tenant:create")], deps.clock.now())
        uow.commit()
    return True


def rotate_keys(
    deps: Deps,
    tenant_key: str,
    actor: str,
    *,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> Rotation:
    """Add a new key-encryption key version and re-wrap every subject key under it, in small
    transactions, while reads go on (old versions stay readable until nothing uses them)."""
    make_uow, keyring = deps.make_uow, deps.keyring
    with make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        total = sum(uow.subjects.count_by_kek_version().values())
    version = keyring.rotate(tenant_key)
    done, after = 0, 0
    while True:
        with make_uow() as uow:
            uow.bind_tenant(tenant.id)
            subjects = uow.subjects.to_rewrap(version, after, batch)
            if not subjects:
                break
            for subject in subjects:
                assert subject.wrapped_key is not None  # noqa: S101 - to_rewrap selects live keys
                aad = data_key_aad(tenant.id, subject.uid, subject.key_version)
                data_key = keyring.unwrap(tenant_key, subject.kek_version, subject.wrapped_key, aad)
                new_version, wrapped = keyring.wrap(tenant_key, data_key, aad)
                done += uow.subjects.rewrap(subject.id, subject.kek_version, new_version, wrapped)
            uow.commit()
            after = subjects[-1].id
        if progress is not None:
            progress(done, total)
    with make_uow() as uow:
        uow.bind_tenant(tenant.id)
        remaining = uow.subjects.count_by_kek_version()
        details = {"version": version, "rewrapped": done}
        record(uow, [Entry(actor, "keys:rotate", details=details)], deps.clock.now())
        uow.commit()
    return Rotation(tenant_key, version, done, remaining)
