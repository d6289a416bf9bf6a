"""Staff logins of the admin console: usernames, the password policy, lock-out and the lifetime of a
session. Pure: no I/O, no clock (the instant is passed in)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from privault.core.staff_ports import SessionRecord, StaffRecord
from privault.errors import InvalidInput

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
PASSWORD_MIN = 12
PASSWORD_MAX = 1024


@dataclass(frozen=True, slots=True)
class StaffPolicy:
    """Lock-out and session lifetimes (from ``config.Settings``)."""

    lockout_attempts: int = 5
    lockout_minutes: int = 15
    idle_minutes: int = 30
    session_hours: int = 12


def check_username(name: str) -> str:
    """The username in its stored form (lower case), or InvalidInput saying what is allowed."""
    cleaned = name.strip().lower()
    if not USERNAME.match(cleaned):
        raise InvalidInput(
            "a username is 2-64 letters, digits, '.', '_', '@' or '-', starting with a letter or "
            "digit",
            code="staff.invalid",
        )
    return cleaned


def check_password(password: str) -> None:
    """Refuse a password shorter than PASSWORD_MIN characters (or absurdly long); never echo it."""
    if len(password.strip()) < PASSWORD_MIN:
        raise InvalidInput(
            f"a password needs at least {PASSWORD_MIN} characters (a few unrelated words make a "
            "good one)",
            code="staff.password_weak",
        )
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(
            f"a password may have at most {PASSWORD_MAX} characters", code="staff.password_weak"
        )


def lock_end(staff: StaffRecord, now: datetime) -> datetime | None:
    """When the login's lock-out ends, while it is locked out after too many wrong passwords."""
    until = staff.locked_until
    return until if until is not None and now < until else None


def after_failure(
    staff: StaffRecord, now: datetime, policy: StaffPolicy
) -> tuple[int, datetime | None]:
    """(failed attempts, locked until) after one more wrong password.

    The N-th failure in a row locks the login for the policy's minutes and starts the count again,
    so after the lock-out another N attempts are allowed.
    """
    failures = staff.failed_attempts + 1
    if failures >= policy.lockout_attempts:
        return 0, now + timedelta(minutes=policy.lockout_minutes)
    return failures, staff.locked_until


def session_expiry(session: SessionRecord, now: datetime, policy: StaffPolicy) -> str | None:
    """Why the session is over (``idle`` or ``lifetime``), or None if it is still valid."""
    if now >= session.expires_at:
        return "lifetime"
    if now - session.last_seen_at >= timedelta(minutes=policy.idle_minutes):
        return "idle"
    return None
