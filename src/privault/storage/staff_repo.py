"""SQL implementation of the staff port: console logins and their sessions.

A session is found by its token hash before the tenant is known (``CROSS_TENANT``, like an API key by
its prefix); everything else runs in the bound tenant.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from privault.core.changes import UNCHANGED
from privault.core.staff_ports import (
    NewSession,
    NewStaff,
    SessionRecord,
    StaffChange,
    StaffRecord,
)
from privault.errors import Conflict
from privault.storage import tables as t
from privault.storage.base import BoundRepository
from privault.storage.scoping import CROSS_TENANT


def _staff(row: t.StaffUser) -> StaffRecord:
    return StaffRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        username=row.username,
        role=row.role,
        password_hash=row.password_hash,
        failed_attempts=row.failed_attempts,
        locked_until=row.locked_until,
        disabled=row.disabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_login_at=row.last_login_at,
    )


def _session(row: t.StaffSession) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        staff_id=row.staff_id,
        csrf_token=row.csrf_token,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
    )


def _changed(change: StaffChange) -> dict[str, object]:
    """The columns a change writes (the fields it does not leave ``UNCHANGED``)."""
    values = {f.name: getattr(change, f.name) for f in fields(change)}
    return {name: value for name, value in values.items() if value is not UNCHANGED}


class SqlStaff(BoundRepository):
    """Console logins and sessions of the bound tenant."""

    def add(self, new: NewStaff) -> StaffRecord:
        """Store a new login."""
        username = new.username
        row = t.StaffUser(
            tenant_id=self.tenant_id,
            username=username,
            role=new.role,
            password_hash=new.password_hash,
            failed_attempts=0,
            locked_until=None,
            disabled=False,
            created_at=new.created_at,
            updated_at=new.created_at,
            last_login_at=None,
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:  # a login of that name was created meanwhile
            raise Conflict(f"a login '{username}' already exists", code="staff.exists") from exc
        return _staff(row)

    def _one(self, *criteria: Any, lock: bool) -> StaffRecord | None:
        stmt = select(t.StaffUser).where(*criteria)
        if lock:
            stmt = stmt.with_for_update()
        row = self.session.scalar(stmt)
        return _staff(row) if row else None

    def get(self, username: str, *, lock: bool = False) -> StaffRecord | None:
        """The login with this username; ``lock`` holds the row until commit."""
        return self._one(t.StaffUser.username == username, lock=lock)

    def get_by_id(self, staff_id: int, *, lock: bool = False) -> StaffRecord | None:
        """The login with this id."""
        return self._one(t.StaffUser.id == staff_id, lock=lock)

    def list(self) -> list[StaffRecord]:
        """Every login of the tenant, by username."""
        stmt = select(t.StaffUser).order_by(t.StaffUser.username)
        return [_staff(r) for r in self.session.scalars(stmt)]

    def update(self, staff_id: int, change: StaffChange) -> None:
        """Change a login (only the fields the change names)."""
        values = _changed(change)
        if values:
            stmt = update(t.StaffUser).where(t.StaffUser.id == staff_id).values(values)
            self.session.execute(stmt)

    def add_session(self, new: NewSession) -> int:
        """Store a new session."""
        row = t.StaffSession(
            tenant_id=self.tenant_id,
            staff_id=new.staff_id,
            token_hash=new.token_hash,
            csrf_token=new.csrf_token,
            created_at=new.created_at,
            last_seen_at=new.created_at,
            expires_at=new.expires_at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def session_by_token(self, token_hash: str) -> SessionRecord | None:
        """The session with this token hash, in any tenant (looked up before scoping)."""
        stmt = select(t.StaffSession).where(t.StaffSession.token_hash == token_hash)
        row = self.session.scalar(stmt, execution_options={CROSS_TENANT: True})
        return _session(row) if row else None

    def touch_session(self, session_id: int, at: datetime) -> None:
        """Record that the session was used."""
        stmt = update(t.StaffSession).where(t.StaffSession.id == session_id)
        self.session.execute(stmt.values(last_seen_at=at))

    def delete_session(self, session_id: int) -> bool:
        """End one session."""
        stmt = delete(t.StaffSession).where(t.StaffSession.id == session_id)
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def delete_sessions(self, staff_id: int) -> int:
        """End every session of a login."""
        stmt = delete(t.StaffSession).where(t.StaffSession.staff_id == staff_id)
        return int(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def delete_stale_sessions(self, staff_id: int, idle_before: datetime, now: datetime) -> int:
        """Drop a login's sessions last seen before ``idle_before`` or past their lifetime."""
        stale = or_(t.StaffSession.last_seen_at < idle_before, t.StaffSession.expires_at <= now)
        stmt = delete(t.StaffSession).where(t.StaffSession.staff_id == staff_id, stale)
        return int(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]
