"""Staff logins of the admin console: create, list, set a password, disable, unlock; and signing in.

A login belongs to one tenant and has one role of that tenant's manifest. Passwords are stored as
Argon2id hashes. Every change is audited in its transaction (``staff:create``, ``staff:change``).
Sessions (sign-in, resolving the cookie, sign-out) are in ``services.staff_sessions``.
"""

from __future__ import annotations

from dataclasses import replace

from privault.core.manifest import Manifest
from privault.core.manifest.model import Role
from privault.core.manifest.resolve import tenant_view
from privault.core.ports import UnitOfWork
from privault.core.staff import check_password, check_username
from privault.core.staff_ports import NewStaff, StaffChange, StaffRecord
from privault.crypto.passwords import hash_password
from privault.errors import Conflict, NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant


def role_of(manifest: Manifest, tenant_key: str, role: str) -> Role:
    """The tenant's role with this key, or NotFound naming the roles there are."""
    view = tenant_view(manifest, tenant_key)
    found = view.role(role)
    if found is None:
        known = ", ".join(r.key for r in view.roles) or "none"
        raise NotFound(
            f"tenant '{tenant_key}' has no role '{role}' (known: {known})", code="role.unknown"
        )
    return found


def create_staff(
    deps: Deps, tenant_key: str, username: str, role: str, password: str, actor: str
) -> StaffRecord:
    """A new login with a role the tenant's manifest gives; the password must meet the policy."""
    name = check_username(username)
    role_of(deps.manifest, tenant_key, role)
    check_password(password)
    hashed = hash_password(password)  # slow on purpose: before the transaction
    at = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        if uow.staff.get(name) is not None:
            raise Conflict(
                f"tenant '{tenant_key}' already has a login '{name}'", code="staff.exists"
            )
        created = uow.staff.add(NewStaff(name, role, hashed, at))
        details = {"username": name, "role": role}
        record(uow, [Entry(actor, "staff:create", details=details)], at)
        uow.commit()
    return created


def list_staff(deps: Deps, tenant_key: str) -> list[StaffRecord]:
    """The tenant's logins, by username (never their passwords)."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return uow.staff.list()


def _existing(uow: UnitOfWork, tenant_key: str, username: str) -> StaffRecord:
    bind_tenant(uow, tenant_key)
    found = uow.staff.get(username.strip().lower(), lock=True)
    if found is None:
        raise NotFound(f"tenant '{tenant_key}' has no login '{username}'", code="staff.unknown")
    return found


def _change(
    deps: Deps,
    tenant_key: str,
    username: str,
    actor: str,
    change: str,
    to: StaffChange,
    *,
    end_sessions: bool,
) -> None:
    """Apply one audited change to a login (ending its sessions if asked)."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        found = _existing(uow, tenant_key, username)
        uow.staff.update(found.id, replace(to, updated_at=at))
        ended = uow.staff.delete_sessions(found.id) if end_sessions else 0
        details = {"username": found.username, "change": change, "sessions_ended": ended}
        record(uow, [Entry(actor, "staff:change", details=details)], at)
        uow.commit()


def set_password(deps: Deps, tenant_key: str, username: str, password: str, actor: str) -> None:
    """Give a login a new password: its sessions end and any lock-out is lifted."""
    check_password(password)
    hashed = hash_password(password)
    _change(
        deps,
        tenant_key,
        username,
        actor,
        "password",
        StaffChange(password_hash=hashed, failed_attempts=0, locked_until=None),
        end_sessions=True,
    )


def disable_staff(
    deps: Deps, tenant_key: str, username: str, actor: str, *, disabled: bool = True
) -> None:
    """Stop a login from signing in (its sessions end at once), or allow it again."""
    change = "disabled" if disabled else "enabled"
    to = StaffChange(disabled=disabled)
    _change(deps, tenant_key, username, actor, change, to, end_sessions=disabled)


def unlock_staff(deps: Deps, tenant_key: str, username: str, actor: str) -> None:
    """Lift a lock-out before it runs out, and forget the failed attempts."""
    _change(
        deps,
        tenant_key,
        username,
        actor,
        "unlocked",
        StaffChange(failed_attempts=0, locked_until=None),
        end_sessions=False,
    )
