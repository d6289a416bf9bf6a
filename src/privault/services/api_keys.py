"""Tenant API keys: create (shown once), list, revoke, authenticate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from privault.core.access import Principal
from privault.core.manifest.resolve import tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records import ApiKeyRecord
from privault.core.secrets import Secret
from privault.crypto.tokens import generate_api_key, secret_matches, split_api_key
from privault.errors import NotFound, Unauthenticated
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

# Recording every use would turn each read into a write; a minute's precision is enough.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    """A new key's record and its token (the only time the token exists in clear)."""

    record: ApiKeyRecord
    token: Secret[str]


def create_api_key(
    deps: Deps, tenant_key: str, role: str, *, name: str, actor: str = "system"
) -> CreatedApiKey:
    """Create a key for ``role`` in the tenant; the role must be one the tenant's manifest grants."""
    view = tenant_view(deps.manifest, tenant_key)
    if view.role(role) is None:
        known = ", ".join(r.key for r in view.roles) or "none"
        raise NotFound(
            f"tenant '{tenant_key}' has no role '{role}' (known: {known})", code="role.unknown"
        )
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        new = generate_api_key()
        stored = uow.api_keys.add(
            tenant.id,
            name=name,
            role=role,
            prefix=new.prefix,
            secret_hash=new.secret_hash,
            at=deps.clock.now(),
        )
        details = {"prefix": new.prefix, "role": role}
        record(uow, [Entry(actor, "config:api_key:create", details=details)], deps.clock.now())
        uow.commit()
    return CreatedApiKey(stored, new.token)


def list_api_keys(deps: Deps, tenant_key: str) -> list[ApiKeyRecord]:
    """The tenant's keys (never their secrets)."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return list(uow.api_keys.list())


def revoke_api_key(deps: Deps, tenant_key: str, prefix: str, actor: str = "system") -> None:
    """Revoke one of the tenant's keys by its prefix."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        if not uow.api_keys.revoke(prefix, deps.clock.now()):
            raise NotFound(
                f"no active API key '{prefix}' in tenant '{tenant_key}'", code="api_key.unknown"
            )
        entry = Entry(actor, "config:api_key:revoke", details={"prefix": prefix})
        record(uow, [entry], deps.clock.now())
        uow.commit()


def authenticate(deps: Deps, token: str) -> Principal:
    """The principal a bearer token stands for (its last use recorded, at most once a minute)."""
    parts = split_api_key(token)
    if parts is None:
        raise Unauthenticated("malformed API key", code="api_key.invalid")
    with deps.make_uow() as uow:
        return _authenticated(uow, parts, deps.clock.now())


def _authenticated(uow: UnitOfWork, parts: tuple[str, str], now: datetime) -> Principal:
    """The principal of a well-formed key's (prefix, secret), or Unauthenticated. The check only
    reads; the last use is written (in a transaction of its own) at most once a minute."""
    prefix, secret = parts
    with uow.reading():
        record = next(
            (
                key
                for key in uow.api_keys.with_prefix(prefix)
                if key.revoked_at is None and secret_matches(secret, key.secret_hash)
            ),
            None,
        )
        if record is None:
            raise Unauthenticated("unknown or revoked API key", code="api_key.invalid")
        uow.bind_tenant(record.tenant_id)
        tenant = uow.tenants.get(record.tenant_id)
        if tenant is None:  # pragma: no cover - the foreign key makes this impossible
            raise Unauthenticated("unknown or revoked API key", code="api_key.invalid")
    if record.last_used_at is None or now - record.last_used_at > TOUCH_INTERVAL:
        uow.api_keys.touch(record.id, now)
        uow.commit()
    return Principal(record.tenant_id, tenant.key, record.role, "api_key", prefix)
