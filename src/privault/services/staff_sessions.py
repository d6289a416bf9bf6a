"""Signing in to the admin console, the sessions that follow, and signing out.

- **Sign-in** checks the Argon2id hash outside any transaction (a wrong username costs the same time,
  against a dummy hash), then records the outcome under a lock on the login: a wrong password counts,
  and the ``lockout_attempts``-th in a row locks the login for ``lockout_minutes``; a success resets
  the count, rehashes a password made with older parameters and opens a session.
- **Sessions** are random 32-byte tokens of which only a SHA-256 is stored, with a CSRF token of their
  own. A session ends when unused for ``idle_minutes``, after ``session_hours`` in any case, when its
  login is disabled or given a new password, or when its role leaves the manifest.

Every sign-in (or refusal) and every end of a session is audited (``staff:login``, ``staff:logout``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from privault.core.access import Principal
from privault.core.changes import UNCHANGED
from privault.core.ports import UnitOfWork
from privault.core.secrets import Secret
from privault.core.staff import USERNAME, after_failure, lock_end, session_expiry
from privault.core.staff_ports import NewSession, SessionRecord, StaffChange, StaffRecord
from privault.crypto.passwords import hash_password, needs_rehash, verify_nothing, verify_password
from privault.crypto.tokens import hash_secret
from privault.errors import NotFound, PrivaultError, Unauthenticated
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.staff import role_of
from privault.services.tenants import bind_tenant

TOUCH_INTERVAL = timedelta(minutes=1)
WRONG = "Wrong username or password"
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{43}$")


@dataclass(frozen=True, slots=True)
class Staff:
    """A signed-in staff member: who they are, what their role allows, their session's CSRF token."""

    principal: Principal
    username: str
    role_name: str
    admin: bool
    csrf_token: str
    session_id: int
    expires_at: datetime

    @property
    def tenant_key(self) -> str:
        """The staff member's tenant."""
        return self.principal.tenant_key

    @property
    def actor(self) -> str:
        """How the audit trail names them (``user:<username>``)."""
        return self.principal.actor


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: the staff member and the token for their cookie (exists in clear only now)."""

    staff: Staff
    token: Secret[str]


def _wrong() -> Unauthenticated:
    return Unauthenticated(WRONG, code="staff.login_failed")


def _locked(until: datetime) -> Unauthenticated:
    return Unauthenticated(
        f"Too many attempts; try again after {until:%H:%M} UTC", code="staff.locked"
    )


def _expired() -> Unauthenticated:
    return Unauthenticated("your session has ended: sign in again", code="staff.session_invalid")


def _staff(
    deps: Deps, tenant_key: str, found: StaffRecord, session_id: int, csrf: str, ends: datetime
) -> Staff:
    role = role_of(deps.manifest, tenant_key, found.role)
    principal = Principal(found.tenant_id, tenant_key, found.role, "user", found.username)
    return Staff(principal, found.username, role.name, role.admin, csrf, session_id, ends)


def _lookup(deps: Deps, tenant_key: str, username: str) -> tuple[bool, StaffRecord | None]:
    """(whether the tenant exists, the login if it does) in one short read."""
    with deps.make_uow() as uow:
        if deps.manifest.tenant(tenant_key) is None:
            return False, None
        try:
            bind_tenant(uow, tenant_key)
        except NotFound:
            return False, None
        if not USERNAME.match(username):  # no such login can exist: never sent to the database
            return True, None
        found = uow.staff.get(username)
        uow.commit()
    return True, found


def _refusal(deps: Deps, tenant_key: str, found: StaffRecord | None) -> str | None:
    """Why an existing login may not sign in (``disabled``, ``role_removed``), or None."""
    if found is None:
        return None
    return _revoked(deps, tenant_key, found)


def _audit_login(
    deps: Deps, tenant_key: str, actor: str, outcome: str, details: dict[str, str]
) -> None:
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        record(
            uow, [Entry(actor, "staff:login", outcome=outcome, details=details)], deps.clock.now()
        )
        uow.commit()


def sign_in(deps: Deps, tenant_key: str, username: str, password: str) -> SignedIn:
    """Check the password and open a session; Unauthenticated (``staff.login_failed``, or
    ``staff.locked`` with the time the lock-out ends) otherwise. Every attempt is audited."""
    name = username.strip().lower()
    exists, found = _lookup(deps, tenant_key, name)
    now = deps.clock.now()
    until = lock_end(found, now) if found is not None else None
    if until is not None:
        details = {"username": name, "reason": "locked"}
        _audit_login(deps, tenant_key, f"user:{name}", "denied", details)
        raise _locked(until)
    refused = _refusal(deps, tenant_key, found)
    if found is None or refused is not None:
        verify_nothing(password)
        if exists:
            actor = "console" if found is None else f"user:{name}"
            _audit_login(deps, tenant_key, actor, "denied", {"reason": refused or "unknown_user"})
        raise _wrong()
    if not verify_password(found.password_hash, password):
        _count_failure(deps, tenant_key, found.id)
    rehashed = hash_password(password) if needs_rehash(found.password_hash) else None
    return _open_session(deps, tenant_key, found, rehashed)


def _count_failure(deps: Deps, tenant_key: str, staff_id: int) -> NoReturn:
    """One more wrong password, under the login's lock; always raises."""
    now = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        current = uow.staff.get_by_id(staff_id, lock=True)
        if current is None:
            raise _wrong()
        failures, until = after_failure(current, now, deps.staff_policy)
        failed = StaffChange(failed_attempts=failures, locked_until=until, updated_at=now)
        uow.staff.update(staff_id, failed)
        locked = until if until is not None and until > now else None
        details: dict[str, object] = {"username": current.username, "reason": "wrong_password"}
        details["failures"] = deps.staff_policy.lockout_attempts if locked else failures
        details |= {"locked_until": locked.isoformat()} if locked else {}
        entry = Entry(f"user:{current.username}", "staff:login", outcome="denied", details=details)
        record(uow, [entry], now)
        uow.commit()
    raise _locked(locked) if locked else _wrong()


def _changed_meanwhile(current: StaffRecord | None, checked: StaffRecord, now: datetime) -> str:
    """Why a login whose password was just checked may not sign in after all ("" if it may):
    removed, disabled, locked by parallel attempts, or given a new password while the old one was
    being checked (a reset ends every session, including this one)."""
    if current is None:
        return "removed"
    if current.disabled:
        return "disabled"
    if lock_end(current, now) is not None:
        return "locked"
    return "password_changed" if current.password_hash != checked.password_hash else ""


def _signed_in(now: datetime, rehashed: str | None) -> StaffChange:
    """A sign-in: failures forgotten, any lock-out lifted, an outdated hash replaced."""
    return StaffChange(
        password_hash=UNCHANGED if rehashed is None else rehashed,
        failed_attempts=0,
        locked_until=None,
        last_login_at=now,
        updated_at=now,
    )


def _open_session(
    deps: Deps, tenant_key: str, checked: StaffRecord, rehashed: str | None
) -> SignedIn:
    now = deps.clock.now()
    policy = deps.staff_policy
    staff_id = checked.id
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + timedelta(hours=policy.session_hours)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        current = uow.staff.get_by_id(staff_id, lock=True)
        refused = _changed_meanwhile(current, checked, now)
        if refused or current is None:
            why = {"username": checked.username, "reason": refused or "removed"}
            actor = f"user:{checked.username}"
            record(uow, [Entry(actor, "staff:login", outcome="denied", details=why)], now)
            uow.commit()
            until = lock_end(current, now) if current is not None else None
            raise _locked(until) if until is not None else _wrong()
        uow.staff.update(staff_id, _signed_in(now, rehashed))
        idle_before = now - timedelta(minutes=policy.idle_minutes)
        uow.staff.delete_stale_sessions(staff_id, idle_before, now)
        new = NewSession(staff_id, hash_secret(token), csrf, now, expires)
        session_id = uow.staff.add_session(new)
        details = {"username": current.username, "session": session_id}
        details |= {"rehashed": True} if rehashed is not None else {}
        record(uow, [Entry(f"user:{current.username}", "staff:login", details=details)], now)
        uow.commit()
    staff = _staff(deps, tenant_key, current, session_id, csrf, expires)
    return SignedIn(staff, Secret(token))


def resolve_session(deps: Deps, token: str) -> Staff:
    """The staff member behind a session token; Unauthenticated (``staff.session_invalid``) if the
    session is unknown or over (an ending found here is audited and the session deleted)."""
    if not _TOKEN.match(token):
        raise _expired()
    now = deps.clock.now()
    with deps.make_uow() as uow:
        session = uow.staff.session_by_token(hash_secret(token))
        if session is None:
            raise _expired()
        uow.bind_tenant(session.tenant_id)
        tenant = uow.tenants.get(session.tenant_id)
        found = uow.staff.get_by_id(session.staff_id)
        key = tenant.key if tenant else ""
        reason = session_expiry(session, now, deps.staff_policy) or _revoked(deps, key, found)
        if reason is not None or found is None:
            _end(uow, session, found, reason or "revoked", now)
            uow.commit()
            raise _expired()
        if now - session.last_seen_at >= TOUCH_INTERVAL:
            uow.staff.touch_session(session.id, now)
        uow.commit()
    return _staff(deps, key, found, session.id, session.csrf_token, session.expires_at)


def _revoked(deps: Deps, tenant_key: str, found: StaffRecord | None) -> str | None:
    """Why a login can no longer use its sessions (disabled, role or tenant gone), or None."""
    if found is None or found.disabled:
        return "disabled"
    try:
        role_of(deps.manifest, tenant_key, found.role)
    except PrivaultError:
        return "role_removed"
    return None


def _end(
    uow: UnitOfWork, session: SessionRecord, found: StaffRecord | None, reason: str, at: datetime
) -> None:
    uow.staff.delete_session(session.id)
    name = found.username if found else "unknown"
    details = {"username": name, "session": session.id, "reason": reason}
    record(uow, [Entry(f"user:{name}", "staff:logout", details=details)], at)


def sign_out(deps: Deps, staff: Staff) -> None:
    """End the staff member's session (server-side: the token stops working at once)."""
    now = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, staff.tenant_key)
        uow.staff.delete_session(staff.session_id)
        details = {"username": staff.username, "session": staff.session_id, "reason": "signed_out"}
        record(uow, [Entry(staff.actor, "staff:logout", details=details)], now)
        uow.commit()
