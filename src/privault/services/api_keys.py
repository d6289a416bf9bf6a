"""Tenant API keys: create (shown once), list, revoke, authenticate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from privault.core.access import Principal
from privault.core.clock import Clock
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records import ApiKeyRecord
from privault.core.secrets import Secret
from privault.crypto.tokens import generate_api_key, secret_matches, split_api_key
from privault.errors import NotFound, Unauthenticated
from privault.services.audit import Entry, record
from privault.services.tenants import bind_tenant

# Recording every use would turn each read into a write; a minute's precision is enough.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    """A new key's record and its token (the only time the token exists in clear)."""

    record: ApiKeyRecord
    token: Secret[str]


def create_api_key(
    uow: UnitOfWork,
    manifest: Manifest,
    tenant_key: str,
    role: str,
    *,
    name: str,
    clock: Clock,
    actor: str = "system",
) -> CreatedApiKey:
    """Create a key for ``role`` in the tenant; the role must be one the tenant's manifest grants."""
    view = tenant_view(manifest, tenant_key)
    if view.role(role) is None:
        known = ", ".join(r.key for r in view.roles) or "none"
        raise NotFound(
            f"tenant '{tenant_key}' has no role '{role}' (known: {known})", code="role.unknown"
        )
    tenant = bind_tenant(uow, tenant_key)
    new = generate_api_key()
    stored = uow.api_keys.add(
        tenant.id,
        name=name,
        role=role,
        prefix=new.prefix,
        secret_hash=new.secret_hash,
        at=clock.now(),
    )
    details = {"prefix": new.prefix, "role": role}
    record(uow, [Entry(actor, "config:api_key:create", details=details)], clock.now())
    uow.commit()
    return CreatedApiKey(stored, new.token)


def list_api_keys(uow: UnitOfWork, tenant_key: str) -> list[ApiKeyRecord]:
    """The tenant's keys (never their secrets)."""
    bind_tenant(uow, tenant_key)
    return list(uow.api_keys.list())


def revoke_api_key(
    uow: UnitOfWork, tenant_key: str, prefix: str, clock: Clock, actor: str = "system"
) -> None:
    """Revoke one of the tenant's keys by its prefix."""
    bind_tenant(uow, tenant_key)
    if not uow.api_keys.revoke(prefix, clock.now()):
        raise NotFound(
            f"no active API key '{prefix}' in tenant '{tenant_key}'", code="api_key.unknown"
        )
    record(uow, [Entry(actor, "config:api_key:revoke", details={"prefix": prefix})], clock.now())
    uow.commit()


def authenticate(uow: UnitOfWork, token: str, clock: Clock) -> Principal:
    """The principal a bearer token stands for; the unit of work is bound to its tenant."""
    parts = split_api_key(token)
    if parts is None:
        raise Unauthenticated("malformed API key", code="api_key.invalid")
    prefix, secret = parts
    record = uow.api_keys.find_by_prefix(prefix)
    if (
        record is None
        or record.revoked_at is not None
        or not secret_matches(secret, record.secret_hash)
    ):
        raise Unauthenticated("unknown or revoked API key", code="api_key.invalid")
    uow.bind_tenant(record.tenant_id)
    tenant = uow.tenants.get(record.tenant_id)
    if tenant is None:  # pragma: no cover - the foreign key makes this impossible
        raise Unauthenticated("unknown or revoked API key", code="api_key.invalid")
    now = clock.now()
    if record.last_used_at is None or now - record.last_used_at > TOUCH_INTERVAL:
        uow.api_keys.touch(record.id, now)
    uow.commit()  # end the transaction either way: SQLite holds its write lock until then
    return Principal(record.tenant_id, tenant.key, record.role, "api_key", prefix)
