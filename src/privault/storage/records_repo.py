"""SQL implementation of the records ports: impact assessments, incidents, and the facts of processing
the records of processing report (set-based counts over the vault and the disclosure register)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from privault.core.records_ports import (
    DisclosureCount,
    DpiaRecord,
    DpiaStatus,
    Holding,
    IncidentRecord,
    IncidentStatus,
)
from privault.errors import NotFound
from privault.storage import tables as t
from privault.storage.base import BoundRepository, record_of


def _dpia(row: t.Dpia) -> DpiaRecord:
    return record_of(DpiaRecord, row, status=DpiaStatus(row.status))


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


def _incident(row: t.Incident) -> IncidentRecord:
    return record_of(
        IncidentRecord,
        row,
        categories=_split(row.categories),
        regimes=_split(row.regimes),
        status=IncidentStatus(row.status),
        clocks=json.loads(row.clocks),
        notifications=json.loads(row.notifications),
    )


class SqlProcessingFacts(BoundRepository):
    """Counts over the bound tenant's vault and disclosures (GROUP BY in the database, never rows).

    Each statement names its tenant itself: the session's automatic scoping does not see the table
    of a bare ``count()``.
    """

    def holdings(self) -> list[Holding]:
        """Subjects and values held per purpose of collection and category."""
        pd = t.PersonalData
        stmt = (
            select(pd.purpose, pd.category, func.count(func.distinct(pd.subject_id)), func.count())
            .where(pd.tenant_id == self.tenant_id)
            .group_by(pd.purpose, pd.category)
            .order_by(pd.purpose, pd.category)
        )
        rows = self.session.execute(stmt)
        return [Holding(purpose=p, category=c, subjects=s, values=v) for p, c, s, v in rows]

    def subjects_by_purpose(self) -> dict[str, int]:
        """Distinct subjects holding at least one value collected for each purpose."""
        pd = t.PersonalData
        stmt = (
            select(pd.purpose, func.count(func.distinct(pd.subject_id)))
            .where(pd.tenant_id == self.tenant_id)
            .group_by(pd.purpose)
        )
        return {str(purpose): int(n) for purpose, n in self.session.execute(stmt)}

    def subjects_held(self) -> int:
        """Subjects of the tenant that are not erased."""
        stmt = select(func.count(t.Subject.id)).where(
            t.Subject.tenant_id == self.tenant_id, t.Subject.erased_at.is_(None)
        )
        return int(self.session.scalar(stmt) or 0)

    def disclosure_counts(self) -> list[DisclosureCount]:
        """Disclosures made, per recipient."""
        d = t.Disclosure
        stmt = (
            select(
                d.recipient, func.count(), func.count(func.distinct(d.subject_id)), func.max(d.at)
            )
            .where(d.tenant_id == self.tenant_id)
            .group_by(d.recipient)
            .order_by(d.recipient)
        )
        return [
            DisclosureCount(recipient=r, disclosures=n, subjects=s, last_at=last)
            for r, n, s, last in self.session.execute(stmt)
        ]


class SqlDpias(SqlProcessingFacts):
    """Dpias of the bound tenant (and, through its base, the facts of processing)."""

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
        row = t.Dpia(
            tenant_id=self.tenant_id,
            purpose=purpose,
            title=title,
            status=DpiaStatus.DRAFT.value,
            risks=risks,
            measures=measures,
            residual_risk=residual_risk,
            created_at=at,
            updated_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return _dpia(row)

    def _row(self, dpia_id: int, *, lock: bool = False) -> t.Dpia | None:
        stmt = select(t.Dpia).where(t.Dpia.id == dpia_id)
        return self.session.scalar(stmt.with_for_update() if lock else stmt)

    def get(self, dpia_id: int, *, lock: bool = False) -> DpiaRecord | None:
        """One assessment by id."""
        row = self._row(dpia_id, lock=lock)
        return _dpia(row) if row else None

    def all(self) -> list[DpiaRecord]:
        """Every assessment, oldest first."""
        return [_dpia(r) for r in self.session.scalars(select(t.Dpia).order_by(t.Dpia.id))]

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
        row = self._row(dpia_id, lock=True)
        if row is None:
            raise NotFound(f"no impact assessment {dpia_id}", code="dpia.unknown")
        row.status, row.residual_risk, row.reviewer = status.value, residual_risk, reviewer
        row.review_on, row.decided_at, row.updated_at = review_on, at, at
        self.session.flush()
        return _dpia(row)


class SqlIncidents(BoundRepository):
    """Incidents of the bound tenant."""

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
        row = t.Incident(
            tenant_id=self.tenant_id,
            ref=ref,
            title=title,
            description=description,
            aware_at=aware_at,
            occurred_at=occurred_at,
            categories=",".join(categories),
            subjects_affected=subjects_affected,
            risk=risk,
            regimes=",".join(regimes),
            clocks=json.dumps(clocks, sort_keys=True),
            notifications="[]",
            status=IncidentStatus.OPEN.value,
            measures=measures,
            created_by=created_by,
            created_at=at,
            retain_until=retain_until,
        )
        self.session.add(row)
        self.session.flush()
        return _incident(row)

    def _row(self, ref: str, *, lock: bool = False) -> t.Incident | None:
        stmt = select(t.Incident).where(t.Incident.ref == ref)
        return self.session.scalar(stmt.with_for_update() if lock else stmt)

    def get(self, ref: str, *, lock: bool = False) -> IncidentRecord | None:
        """One incident by reference (``lock``: for update)."""
        row = self._row(ref, lock=lock)
        return _incident(row) if row else None

    def all(self, *, open_only: bool = False) -> list[IncidentRecord]:
        """Incidents, newest awareness first."""
        stmt = select(t.Incident).order_by(t.Incident.aware_at.desc(), t.Incident.id.desc())
        if open_only:
            stmt = stmt.where(t.Incident.status == IncidentStatus.OPEN.value)
        return [_incident(r) for r in self.session.scalars(stmt)]

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
        row = self._row(ref, lock=True)
        if row is None:
            raise NotFound(f"no incident '{ref}'", code="incident.unknown")
        row.clocks = json.dumps(clocks, sort_keys=True)
        row.notifications = json.dumps(notifications, sort_keys=True)
        row.status, row.measures, row.closed_at = status.value, measures, closed_at
        self.session.flush()
        return _incident(row)
