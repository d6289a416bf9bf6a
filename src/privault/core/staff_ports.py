"""Ports of the staff logins: console users and their sessions. Storage implements them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from privault.core.changes import UNCHANGED, Unchanged


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A staff login as stored: never the password, only its Argon2id hash."""

    id: int
    tenant_id: int
    username: str
    role: str
    password_hash: str
    failed_attempts: int
    locked_until: datetime | None
    disabled: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A console session as stored: never the token, only its SHA-256."""

    id: int
    tenant_id: int
    staff_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewStaff:
    """A login to store: not locked, not disabled, never signed in."""

    username: str
    role: str
    password_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewSession:
    """A console session to store (its token only as a SHA-256), last seen when created."""

    staff_id: int
    token_hash: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class StaffChange:
    """What changes in a login: a field left ``UNCHANGED`` is kept (``locked_until=None`` lifts a
    lock-out)."""

    role: str | Unchanged = UNCHANGED
    password_hash: str | Unchanged = UNCHANGED
    failed_attempts: int | Unchanged = UNCHANGED
    locked_until: datetime | Unchanged | None = UNCHANGED
    disabled: bool | Unchanged = UNCHANGED
    last_login_at: datetime | Unchanged = UNCHANGED
    updated_at: datetime | Unchanged = UNCHANGED


class StaffRepository(Protocol):
    """Staff logins and sessions of the bound tenant (sessions are found by token before binding)."""

    def add(self, new: NewStaff) -> StaffRecord:
        """Store a new login."""
        ...

    def get(self, username: str, *, lock: bool = False) -> StaffRecord | None:
        """The login with this username; ``lock`` holds the row until commit."""
        ...

    def get_by_id(self, staff_id: int, *, lock: bool = False) -> StaffRecord | None:
        """The login with this id."""
        ...

    def list(self) -> list[StaffRecord]:
        """Every login of the tenant, by username."""
        ...

    def update(self, staff_id: int, change: StaffChange) -> None:
        """Change a login."""
        ...

    def add_session(self, new: NewSession) -> int:
        """Store a new session."""
        ...

    def session_by_token(self, token_hash: str) -> SessionRecord | None:
        """The session with this token hash, in any tenant (looked up before scoping)."""
        ...

    def touch_session(self, session_id: int, at: datetime) -> None:
        """Record that the session was used."""
        ...

    def delete_session(self, session_id: int) -> bool:
        """End one session."""
        ...

    def delete_sessions(self, staff_id: int) -> int:
        """End every session of a login."""
        ...

    def delete_stale_sessions(self, staff_id: int, idle_before: datetime, now: datetime) -> int:
        """Drop a login's sessions last seen before ``idle_before`` or past their lifetime."""
        ...
