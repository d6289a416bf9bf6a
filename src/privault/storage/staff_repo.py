"""SQL implementation of the staff port: console logins and their sessions.

A session is found by its token hash before the tenant is known (``CROSS_TENANT``, like an API key by
its prefix); everything else runs in the bound tenant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from privault.core.staff_ports import SessionRecord, StaffRecord
from privault.errors import Conflict
from privault.storage import tables as t
from privault.storage.base import BoundRepository
from privault.storage.scoping import CROSS_TENANT


def _staff(row: t.StaffUser) -> StaffRecord:
    return StaffRecord(
        row.id,
        row.tenant_id,
        row.username,
        row.role,
        row.password_hash,
        row.failed_attempts,
        row.locked_until,
        row.disabled,
        row.created_at,
        row.updated_at,
        row.last_login_at,
    )


def _session(row: t.StaffSession) -> SessionRecord:
    return SessionRecord(
        row.id,
        row.tenant_id,
        row.staff_id,
        row.csrf_token,
        row.created_at,
        row.last_seen_at,
        row.expires_at,
    )


class SqlStaff(BoundRepository):
    """Console logins and sessions of the bound tenant."""

    def add(self, username: str, role: str, password_hash: str, at: datetime) -> StaffRecord:
        """Store a new login."""
        row = t.StaffUser(
            tenant_id=self.tenant_id,
            username=username,
            role=role,
            password_hash=password_hash,
            failed_attempts=0,
            locked_until=None,
            disabled=False,
            created_at=at,
            updated_at=at,
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

    def update(self, staff_id: int, **values: Any) -> None:
        """Change a login."""
        self.session.execute(update(t.StaffUser).where(t.StaffUser.id == staff_id).values(**values))

    def add_session(
        self, staff_id: int, token_hash: str, csrf_token: str, at: datetime, expires_at: datetime
    ) -> int:
        """Store a new session."""
        row = t.StaffSession(
            tenant_id=self.tenant_id,
            staff_id=staff_id,
            token_hash=token_hash,
            csrf_token=csrf_token,
            created_at=at,
            last_seen_at=at,
            expires_at=expires_at,
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
