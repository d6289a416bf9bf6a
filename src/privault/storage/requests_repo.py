"""SQL implementation of the requests repository: requests, their timeline, codes, tasks and packages
of the bound tenant (datastores and webhooks: ``datastore_repo``, ``webhook_repo``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import func, select, update

from privault.core.changes import UNCHANGED
from privault.core.jurisdictions import Right
from privault.core.records import PackageRecord
from privault.core.request_ports import (
    NewPackage,
    NewRequest,
    RequestChange,
    TaskChange,
    VerificationChange,
)
from privault.core.requests import (
    Channel,
    EventRecord,
    PauseSpan,
    RequestRecord,
    State,
    TaskRecord,
    VerificationRecord,
)
from privault.storage import tables as t
from privault.storage.base import BoundRepository, record_of
from privault.storage.scoping import CROSS_TENANT

# how the fields stored in another form are written (enums are written as their values)
_ENCODE: dict[str, Callable[[Any], object]] = {
    "jurisdictions": ",".join,
    "pauses": lambda pauses: json.dumps([_pause(p) for p in pauses]),
    "result": lambda result: json.dumps(result, sort_keys=True),
}

# what a new request starts with
_FRESH: dict[str, object] = {
    "state": State.RECEIVED.value,
    "resume_state": None,
    "extended": False,
    "extension_reasons": "",
    "pauses": "[]",
    "subject_id": None,
    "response": "",
    "result": "{}",
}


def _column(name: str, value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    encode = _ENCODE.get(name)
    return encode(value) if encode else value


def _columns(
    values: NewRequest | RequestChange | VerificationChange | TaskChange | NewPackage,
) -> dict[str, object]:
    """The columns written, named like the fields (those left ``UNCHANGED`` are not written)."""
    pairs = ((f.name, getattr(values, f.name)) for f in fields(values))
    return {name: _column(name, value) for name, value in pairs if value is not UNCHANGED}


def _pause(span: PauseSpan) -> dict[str, str | None]:
    end = span.end.isoformat() if span.end else None
    return {"start": span.start.isoformat(), "end": end, "reason": span.reason}


def _pauses(text: str) -> tuple[PauseSpan, ...]:
    return tuple(
        PauseSpan(
            date.fromisoformat(p["start"]),
            date.fromisoformat(p["end"]) if p["end"] else None,
            p["reason"],
        )
        for p in json.loads(text)
    )


def _request(row: t.Request) -> RequestRecord:
    return record_of(
        RequestRecord,
        row,
        type=Right(row.type),
        state=State(row.state),
        resume_state=State(row.resume_state) if row.resume_state else None,
        channel=Channel(row.channel),
        jurisdictions=tuple(row.jurisdictions.split(",")),
        pauses=_pauses(row.pauses),
        result=json.loads(row.result),
    )


def _event(row: t.RequestEvent) -> EventRecord:
    return record_of(EventRecord, row, details=json.loads(row.details))


def _verification(row: t.RequestVerification) -> VerificationRecord:
    return record_of(VerificationRecord, row)


def _task(row: t.RequestTask) -> TaskRecord:
    return record_of(TaskRecord, row)


def _package(row: t.RequestPackage) -> PackageRecord:
    return record_of(PackageRecord, row)


class SqlRequests(BoundRepository):
    """The bound tenant's subject requests."""

    def add(self, new: NewRequest) -> RequestRecord:
        """Store a new request."""
        row = t.Request(tenant_id=self.tenant_id, **_FRESH, **_columns(new))
        self.session.add(row)
        self.session.flush()
        return _request(row)

    def _row(self, ref: str, *, lock: bool = False) -> t.Request | None:
        stmt = select(t.Request).where(t.Request.ref == ref)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def get(self, ref: str, *, lock: bool = False) -> RequestRecord | None:
        """The request with this reference; ``lock`` holds it until commit (one writer at a time)."""
        row = self._row(ref, lock=lock)
        return _request(row) if row else None

    def tenant_of_token(self, token_hash: str) -> int | None:
        """The tenant whose request has this requester token (looked up before scoping)."""
        stmt = select(t.Request.tenant_id).where(t.Request.token_hash == token_hash)
        found = self.session.execute(stmt, execution_options={CROSS_TENANT: True}).first()
        return int(found[0]) if found else None

    def by_token(self, token_hash: str) -> RequestRecord | None:
        """The bound tenant's request with this requester token."""
        row = self.session.scalar(select(t.Request).where(t.Request.token_hash == token_hash))
        return _request(row) if row else None

    def update(self, request_id: int, change: RequestChange) -> None:
        """Change one request."""
        stmt = update(t.Request).where(t.Request.id == request_id).values(_columns(change))
        self.session.execute(stmt)

    def search(
        self,
        *,
        states: Sequence[str] = (),
        types: Sequence[str] = (),
        due_by: date | None = None,
        limit: int | None = None,
    ) -> list[RequestRecord]:
        """Requests sorted by due date (soonest first), filtered; ``limit`` None: all of them."""
        stmt = select(t.Request).order_by(t.Request.due_on, t.Request.id).limit(limit)
        if states:
            stmt = stmt.where(t.Request.state.in_(list(states)))
        if types:
            stmt = stmt.where(t.Request.type.in_(list(types)))
        if due_by is not None:
            stmt = stmt.where(t.Request.due_on <= due_by)
        return [_request(r) for r in self.session.scalars(stmt)]

    def received_between(self, first: date, last: date) -> list[RequestRecord]:
        """Requests received from ``first`` to ``last`` (both included), oldest first."""
        stmt = (
            select(t.Request)
            .where(t.Request.received_on >= first, t.Request.received_on <= last)
            .order_by(t.Request.received_on, t.Request.id)
        )
        return [_request(r) for r in self.session.scalars(stmt)]

    def unverified_before(self, before: datetime) -> list[RequestRecord]:
        """Open requests still awaiting verification that arrived before ``before``."""
        stmt = select(t.Request).where(
            t.Request.verification == "pending",
            t.Request.verified_at.is_(None),
            t.Request.state.not_in(["completed", "denied"]),
            t.Request.received_at < before,
        )
        return [_request(r) for r in self.session.scalars(stmt)]

    def expired_records(self, today: date) -> list[int]:
        """Closed requests whose record-keeping period has ended."""
        stmt = select(t.Request.id).where(t.Request.retain_until < today)
        return list(self.session.scalars(stmt))

    def delete(self, ids: Sequence[int]) -> None:
        """Remove request records (their events, codes, tasks and packages go with them)."""
        for table in (t.RequestEvent, t.RequestVerification, t.RequestTask, t.RequestPackage):
            self.session.query(table).filter(table.request_id.in_(list(ids))).delete()
        self.session.query(t.Request).filter(t.Request.id.in_(list(ids))).delete()

    # timeline -------------------------------------------------------------------------------
    def add_event(
        self,
        request_id: int,
        at: datetime,
        actor: str,
        action: str,
        *,
        from_state: str | None = None,
        to_state: str | None = None,
        note: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append a timeline step."""
        self.session.add(
            t.RequestEvent(
                tenant_id=self.tenant_id,
                request_id=request_id,
                at=at,
                actor=actor,
                action=action,
                from_state=from_state,
                to_state=to_state,
                note=note,
                details=json.dumps(details or {}, sort_keys=True),
            )
        )

    def events(self, request_id: int) -> list[EventRecord]:
        """The timeline, oldest first."""
        stmt = (
            select(t.RequestEvent)
            .where(t.RequestEvent.request_id == request_id)
            .order_by(t.RequestEvent.id)
        )
        return [_event(r) for r in self.session.scalars(stmt)]

    # verification codes ---------------------------------------------------------------------
    def add_verification(
        self, request_id: int, kind: str, slot: int, code_hash: str, expires_at: datetime
    ) -> None:
        """Store the hash of a code sent to identity ``slot``."""
        self.session.add(
            t.RequestVerification(
                tenant_id=self.tenant_id,
                request_id=request_id,
                kind=kind,
                slot=slot,
                code_hash=code_hash,
                expires_at=expires_at,
                attempts=0,
                sends=1,
            )
        )
        self.session.flush()

    def verifications(self, request_id: int) -> list[VerificationRecord]:
        """The request's codes, one per identity."""
        stmt = (
            select(t.RequestVerification)
            .where(t.RequestVerification.request_id == request_id)
            .order_by(t.RequestVerification.slot)
        )
        return [_verification(r) for r in self.session.scalars(stmt)]

    def update_verification(self, verification_id: int, change: VerificationChange) -> None:
        """Change a code's hash, expiry, counters or verified time."""
        self.session.execute(
            update(t.RequestVerification)
            .where(t.RequestVerification.id == verification_id)
            .values(_columns(change))
        )

    # manual tasks ---------------------------------------------------------------------------
    def add_task(
        self, request_id: int, system: str, description: str, assignee: str | None, at: datetime
    ) -> int:
        """Open a manual task."""
        row = t.RequestTask(
            tenant_id=self.tenant_id,
            request_id=request_id,
            system=system,
            description=description,
            assignee=assignee,
            state="open",
            note="",
            created_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def tasks(self, request_id: int) -> list[TaskRecord]:
        """The request's manual tasks."""
        stmt = (
            select(t.RequestTask)
            .where(t.RequestTask.request_id == request_id)
            .order_by(t.RequestTask.id)
        )
        return [_task(r) for r in self.session.scalars(stmt)]

    def update_task(self, task_id: int, change: TaskChange) -> None:
        """Change a task."""
        self.session.execute(
            update(t.RequestTask).where(t.RequestTask.id == task_id).values(_columns(change))
        )

    # packages -------------------------------------------------------------------------------
    def add_package(self, new: NewPackage) -> None:
        """Store a sealed package, not downloaded yet."""
        self.session.add(t.RequestPackage(tenant_id=self.tenant_id, downloads=0, **_columns(new)))
        self.session.flush()

    def tenant_of_package(self, token_hash: str) -> int | None:
        """The tenant a package's token belongs to (looked up before scoping)."""
        stmt = (
            select(t.RequestPackage.tenant_id)
            .where(t.RequestPackage.token_hash == token_hash)
            .limit(1)
        )
        found = self.session.execute(stmt, execution_options={CROSS_TENANT: True}).first()
        return int(found[0]) if found else None

    def package(self, token_hash: str) -> PackageRecord | None:
        """The bound tenant's newest package reached with this (requester) token."""
        row = self.session.scalar(
            select(t.RequestPackage)
            .where(t.RequestPackage.token_hash == token_hash)
            .order_by(t.RequestPackage.id.desc())
            .limit(1)
        )
        return _package(row) if row else None

    def latest_package(self, request_id: int) -> PackageRecord | None:
        """The newest package of a request."""
        row = self.session.scalar(
            select(t.RequestPackage)
            .where(t.RequestPackage.request_id == request_id)
            .order_by(t.RequestPackage.id.desc())
            .limit(1)
        )
        return _package(row) if row else None

    def drop_expired_packages(self, now: datetime) -> int:
        """Delete packages whose download link has expired (the request record stays)."""
        return int(
            self.session.query(t.RequestPackage)
            .filter(t.RequestPackage.expires_at < now)
            .delete(synchronize_session=False)
        )

    def count_download(self, package_id: int) -> None:
        """Record a download."""
        self.session.execute(
            update(t.RequestPackage)
            .where(t.RequestPackage.id == package_id)
            .values(downloads=t.RequestPackage.downloads + 1)
        )

    def counts_by_state(self) -> dict[str, int]:
        """How many requests are in each state."""
        stmt = select(t.Request.state, func.count()).group_by(t.Request.state)
        return {str(s): int(n) for s, n in self.session.execute(stmt)}
