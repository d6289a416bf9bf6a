"""Ports of retention: legal holds, sweep runs and the vault queries a sweep needs. Storage
implements them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from privault.core.manifest.model import RetentionEvent
from privault.core.retention import Hold


@dataclass(frozen=True, slots=True)
class HoldRecord:
    """A legal hold as stored."""

    id: int
    scope: str
    subject_id: int | None
    category: str | None
    reference: str
    reason: str
    created_by: str
    created_at: datetime
    expires_on: date | None
    released_at: datetime | None

    def rule_view(self) -> Hold:
        """What the retention rules need of it."""
        return Hold(
            self.id,
            self.scope,
            self.subject_id,
            self.category,
            self.reference,
            self.expires_on,
            self.released_at,
        )


class RunStatus(StrEnum):
    """A retention sweep is running (possibly taken over from its checkpoint) until done."""

    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A retention sweep and its report."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    dry_run: bool
    status: RunStatus
    report: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RulePlan:
    """One rule as the due query needs it: which values it covers and the instant before which its
    event makes them due (None: never, for events that are not vault data)."""

    key: str
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    event: RetentionEvent
    before: datetime | None


@dataclass(frozen=True, slots=True)
class DueRow:
    """A value the due query found, with the events its retention counts from (never its value)."""

    id: int
    subject_id: int
    field: str
    category: str
    purpose: str
    collected_at: datetime
    uid: str
    last_activity_at: datetime | None
    updated_at: datetime
    contract_end_on: date | None


@dataclass(frozen=True, slots=True)
class RetentionSubject:
    """A subject with its retention events."""

    id: int
    uid: str
    ref: str | None
    live: bool
    adult_on: date | None
    contract_end_on: date | None
    last_activity_at: datetime | None = None  # or, when none is recorded, when it last changed


class HoldRepository(Protocol):
    """Legal holds of the bound tenant."""

    def add(
        self,
        scope: str,
        subject_id: int | None,
        category: str | None,
        reference: str,
        reason: str,
        created_by: str,
        at: datetime,
        expires_on: date | None,
    ) -> HoldRecord:
        """Place a hold."""
        ...

    def get(self, hold_id: int) -> HoldRecord | None:
        """One hold."""
        ...

    def list(self, *, include_ended: bool = False, today: date | None = None) -> list[HoldRecord]:
        """Holds, oldest first; without ``include_ended`` only those active on ``today``."""
        ...

    def release(self, hold_id: int, at: datetime) -> bool:
        """Release a hold; False if it was released already."""
        ...


class RetentionRunRepository(Protocol):
    """Retention sweeps of the bound tenant, and the set-based vault queries they run."""

    def start(self, at: datetime, dry_run: bool, report: dict[str, Any]) -> int:
        """Record a sweep that begins."""
        ...

    def get(self, run_id: int) -> RunRecord | None:
        """One sweep."""
        ...

    def save(
        self, run_id: int, report: dict[str, Any], status: RunStatus, finished_at: datetime | None
    ) -> None:
        """Store a sweep's report so far (or its end)."""
        ...

    def recent(self, limit: int = 10) -> list[RunRecord]:
        """The newest sweeps."""
        ...

    def due_batch(
        self, plans: Sequence[RulePlan], after: tuple[int, str], limit: int, scan: int
    ) -> tuple[list[DueRow], tuple[int, str] | None]:
        """Up to ``limit`` values due under ``plans`` among the next ``scan`` values after the
        cursor (subject id, field), in cursor order, and the cursor to continue from (None: the
        end)."""
        ...

    def delete_values(self, ids: Sequence[int]) -> int:
        """Delete values by id; how many went."""
        ...

    def count_due(self, plans: Sequence[RulePlan], rule: str) -> int:
        """How many values ``rule`` covers that are due under ``plans``."""
        ...

    def earliest_event(self, plans: Sequence[RulePlan], rule: str) -> date | datetime | None:
        """The earliest event of a value ``rule`` covers that is not due under ``plans``."""
        ...

    def subject(self, *, uid: str | None = None, ref: str | None = None) -> RetentionSubject | None:
        """A subject by uid or ref, with its retention events."""
        ...

    def subjects_by_id(self, ids: Sequence[int]) -> list[RetentionSubject]:
        """These subjects (those that exist), with their retention events, by id."""
        ...

    def set_contract_end(self, subject_id: int, on: date, at: datetime) -> None:
        """Record the day the subject's contract ended."""
        ...

    def contract_ended(self, on_or_before: date) -> list[RetentionSubject]:
        """Live subjects whose contract ended on or before the day."""
        ...

    def dormant(self, active_before: datetime) -> list[RetentionSubject]:
        """Live subjects last active (or, with no activity recorded, last changed) before then."""
        ...

    def minors(self, today: date) -> list[RetentionSubject]:
        """Live subjects who are minors on ``today``."""
        ...
