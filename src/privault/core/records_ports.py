"""Ports of the records: impact assessments, incidents, and the facts of processing the records of
processing (ROPA) report. Storage implements them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol


class DpiaStatus(StrEnum):
    """An impact assessment's decision: none yet, approved (until its review), or rejected."""

    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"


class IncidentStatus(StrEnum):
    """An incident is open until closed (its open clocks then waived with a reason)."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class DpiaRecord:
    """A data protection impact assessment as stored (GDPR Art. 35)."""

    id: int
    purpose: str
    title: str
    status: DpiaStatus
    risks: str
    measures: str
    residual_risk: str  # low | medium | high ("" while a draft does not say)
    reviewer: str | None
    decided_at: datetime | None
    review_on: date | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """An incident as stored; ``clocks`` and ``notifications`` are the JSON lists (see core.incidents)."""

    id: int
    ref: str
    title: str
    description: str
    aware_at: datetime
    occurred_at: datetime | None
    categories: tuple[str, ...]
    subjects_affected: int
    risk: str
    regimes: tuple[str, ...]
    clocks: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    status: IncidentStatus
    measures: str
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    retain_until: date


@dataclass(frozen=True, slots=True)
class Holding:
    """What the vault holds for one purpose and category: how many subjects, how many values."""

    purpose: str
    category: str
    subjects: int
    values: int


@dataclass(frozen=True, slots=True)
class DisclosureCount:
    """What was disclosed to one recipient: disclosures (one per subject and batch), subjects, last."""

    recipient: str
    disclosures: int
    subjects: int
    last_at: datetime | None


class ProcessingFacts(Protocol):
    """What the tenant's system actually holds and has disclosed (set-based counts, no values)."""

    def holdings(self) -> list[Holding]:
        """Subjects and values held per purpose of collection and category."""
        ...

    def subjects_by_purpose(self) -> dict[str, int]:
        """Distinct subjects holding at least one value collected for each purpose."""
        ...

    def subjects_held(self) -> int:
        """Subjects of the tenant that are not erased."""
        ...

    def disclosure_counts(self) -> list[DisclosureCount]:
        """Disclosures made, per recipient."""
        ...


class DpiaRepository(ProcessingFacts, Protocol):
    """Impact assessments of the bound tenant (and the processing facts the ROPA reports)."""

    def add(
        self,
        purpose: str,
        title: str,
        risks: str,
        measures: str,
        residual_risk: str,
        at: datetime,
    ) -> DpiaRecord:
        """Store a new draft assessment."""
        ...

    def get(self, dpia_id: int, *, lock: bool = False) -> DpiaRecord | None:
        """One assessment by id."""
        ...

    def all(self) -> list[DpiaRecord]:
        """Every assessment, oldest first."""
        ...

    def decide(
        self,
        dpia_id: int,
        status: DpiaStatus,
        residual_risk: str,
        reviewer: str,
        review_on: date | None,
        at: datetime,
    ) -> DpiaRecord:
        """Record the decision on an assessment."""
        ...


class IncidentRepository(Protocol):
    """The incident register of the bound tenant."""

    def add(
        self,
        ref: str,
        title: str,
        description: str,
        aware_at: datetime,
        occurred_at: datetime | None,
        categories: Sequence[str],
        subjects_affected: int,
        risk: str,
        regimes: Sequence[str],
        clocks: list[dict[str, Any]],
        measures: str,
        created_by: str,
        at: datetime,
        retain_until: date,
    ) -> IncidentRecord:
        """Store a new incident with its clocks."""
        ...

    def get(self, ref: str, *, lock: bool = False) -> IncidentRecord | None:
        """One incident by reference (``lock``: for update)."""
        ...

    def all(self, *, open_only: bool = False) -> list[IncidentRecord]:
        """Incidents, newest awareness first."""
        ...

    def save(
        self,
        ref: str,
        *,
        clocks: list[dict[str, Any]],
        notifications: list[dict[str, Any]],
        status: IncidentStatus,
        measures: str,
        closed_at: datetime | None,
    ) -> IncidentRecord:
        """Write an incident's clocks, notifications and status back."""
        ...
