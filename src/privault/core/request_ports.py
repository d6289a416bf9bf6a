"""Ports of the subject requests: the requests repository and the values it stores, in domain types
(storage encodes them). Storage implements it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from privault.core.changes import UNCHANGED, Unchanged
from privault.core.jurisdictions import Right
from privault.core.records import PackageRecord
from privault.core.requests import (
    Channel,
    DenialCode,
    EventRecord,
    PauseSpan,
    RequestRecord,
    State,
    TaskRecord,
    VerificationRecord,
)


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A request to store: received, not paused, extended or matched to a subject yet, unanswered."""

    ref: str
    type: Right
    channel: Channel
    brand: str | None
    jurisdictions: tuple[str, ...]
    jurisdiction: str
    rule: str
    deadline_explanation: str
    received_at: datetime
    received_on: date
    due_on: date
    ack_due_on: date | None
    acknowledged_at: datetime | None
    verification: str
    kek_version: int
    wrapped_key: bytes
    sealed: bytes
    token_hash: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RequestChange:
    """What changes in a request: a field left ``UNCHANGED`` is kept (``None`` clears it)."""

    state: State | Unchanged = UNCHANGED
    resume_state: State | Unchanged | None = UNCHANGED
    assignee: str | Unchanged | None = UNCHANGED
    jurisdiction: str | Unchanged = UNCHANGED
    rule: str | Unchanged = UNCHANGED
    deadline_explanation: str | Unchanged = UNCHANGED
    due_on: date | Unchanged = UNCHANGED
    extended: bool | Unchanged = UNCHANGED
    extension_reasons: str | Unchanged = UNCHANGED
    pauses: tuple[PauseSpan, ...] | Unchanged = UNCHANGED
    subject_id: int | Unchanged | None = UNCHANGED
    verified_at: datetime | Unchanged | None = UNCHANGED
    verification: str | Unchanged = UNCHANGED
    denial_code: DenialCode | Unchanged | None = UNCHANGED
    denial_text: str | Unchanged | None = UNCHANGED
    response: str | Unchanged = UNCHANGED
    result: dict[str, Any] | Unchanged = UNCHANGED
    closed_at: datetime | Unchanged | None = UNCHANGED
    retain_until: date | Unchanged | None = UNCHANGED
    updated_at: datetime | Unchanged = UNCHANGED


@dataclass(frozen=True, slots=True)
class VerificationChange:
    """What changes in a one-time code: a field left ``UNCHANGED`` is kept."""

    code_hash: str | Unchanged = UNCHANGED
    expires_at: datetime | Unchanged = UNCHANGED
    attempts: int | Unchanged = UNCHANGED
    sends: int | Unchanged = UNCHANGED
    verified_at: datetime | Unchanged | None = UNCHANGED


@dataclass(frozen=True, slots=True)
class TaskChange:
    """What changes in a manual task: a field left ``UNCHANGED`` is kept."""

    state: Literal["open", "done", "cancelled"] | Unchanged = UNCHANGED
    assignee: str | Unchanged | None = UNCHANGED
    note: str | Unchanged = UNCHANGED
    done_at: datetime | Unchanged | None = UNCHANGED
    done_by: str | Unchanged | None = UNCHANGED


@dataclass(frozen=True, slots=True)
class NewPackage:
    """A sealed access or portability package to store, not downloaded yet."""

    request_id: int
    token_hash: str
    filename: str
    size: int
    kek_version: int
    wrapped_key: bytes
    sealed: bytes
    expires_at: datetime
    created_at: datetime


class RequestRepository(Protocol):
    """Subject requests of the bound tenant, their timeline, codes, tasks and packages."""

    def add(self, new: NewRequest) -> RequestRecord:
        """Store a new request."""
        ...

    def get(self, ref: str, *, lock: bool = False) -> RequestRecord | None:
        """The request with this reference (``lock``: held until commit)."""
        ...

    def tenant_of_token(self, token_hash: str) -> int | None:
        """The tenant of a requester token, in any tenant."""
        ...

    def by_token(self, token_hash: str) -> RequestRecord | None:
        """The bound tenant's request with this requester token."""
        ...

    def update(self, request_id: int, change: RequestChange) -> None:
        """Change one request."""
        ...

    def search(
        self,
        *,
        states: Sequence[str] = (),
        types: Sequence[str] = (),
        due_by: date | None = None,
        limit: int | None = None,
    ) -> list[RequestRecord]:
        """Requests by due date, filtered."""
        ...

    def received_between(self, first: date, last: date) -> list[RequestRecord]:
        """Requests received from ``first`` to ``last`` (both included), oldest first."""
        ...

    def unverified_before(self, before: datetime) -> list[RequestRecord]:
        """Open requests awaiting verification received before ``before``."""
        ...

    def expired_records(self, today: date) -> list[int]:
        """Closed requests past their keeping period."""
        ...

    def delete(self, ids: Sequence[int]) -> None:
        """Remove request records with everything attached."""
        ...

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
        ...

    def events(self, request_id: int) -> list[EventRecord]:
        """The timeline, oldest first."""
        ...

    def add_verification(
        self, request_id: int, kind: str, slot: int, code_hash: str, expires_at: datetime
    ) -> None:
        """Store a code's hash."""
        ...

    def verifications(self, request_id: int) -> list[VerificationRecord]:
        """The request's codes."""
        ...

    def update_verification(self, verification_id: int, change: VerificationChange) -> None:
        """Change a code."""
        ...

    def add_task(
        self, request_id: int, system: str, description: str, assignee: str | None, at: datetime
    ) -> int:
        """Open a manual task."""
        ...

    def tasks(self, request_id: int) -> list[TaskRecord]:
        """The request's tasks."""
        ...

    def update_task(self, task_id: int, change: TaskChange) -> None:
        """Change a task."""
        ...

    def add_package(self, new: NewPackage) -> None:
        """Store a sealed package."""
        ...

    def tenant_of_package(self, token_hash: str) -> int | None:
        """The tenant of a download token, in any tenant."""
        ...

    def package(self, token_hash: str) -> PackageRecord | None:
        """The package with this download token."""
        ...

    def latest_package(self, request_id: int) -> PackageRecord | None:
        """The newest package of a request."""
        ...

    def count_download(self, package_id: int) -> None:
        """Record a download."""
        ...

    def drop_expired_packages(self, now: datetime) -> int:
        """Delete packages whose link expired."""
        ...

    def counts_by_state(self) -> dict[str, int]:
        """Requests per state."""
        ...
