"""SQL implementation of the retention ports: legal holds, sweep runs, and the set-based queries a
sweep runs over the vault (Core statements: the tenant filter is explicit in each)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, false, func, or_, select, true, tuple_
from sqlalchemy import update as sql_update

from privault.core.manifest.model import RetentionEvent
from privault.core.retention_ports import (
    DueRow,
    HoldRecord,
    RetentionSubject,
    RulePlan,
    RunRecord,
    RunStatus,
)
from privault.storage import tables as t
from privault.storage.base import BoundRepository, record_of

_FIELDS: Table = t.PersonalData.__table__  # type: ignore[assignment]
_SUBJECTS: Table = t.Subject.__table__  # type: ignore[assignment]
CHUNK = 900  # under SQLite's bound-parameter limit


def _hold(row: t.LegalHold) -> HoldRecord:
    return record_of(HoldRecord, row)


def _run(row: t.RetentionRun) -> RunRecord:
    return record_of(RunRecord, row, status=RunStatus(row.status), report=json.loads(row.report))


class SqlHolds(BoundRepository):
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
        row = t.LegalHold(
            tenant_id=self.tenant_id,
            scope=scope,
            subject_id=subject_id,
            category=category,
            reference=reference,
            reason=reason,
            created_by=created_by,
            created_at=at,
            expires_on=expires_on,
        )
        self.session.add(row)
        self.session.flush()
        return _hold(row)

    def get(self, hold_id: int) -> HoldRecord | None:
        """One hold."""
        row = self.session.scalars(select(t.LegalHold).where(t.LegalHold.id == hold_id)).first()
        return _hold(row) if row else None

    def list(self, *, include_ended: bool = False, today: date | None = None) -> list[HoldRecord]:
        """Holds, oldest first; without ``include_ended`` only those active on ``today``."""
        stmt = select(t.LegalHold).order_by(t.LegalHold.id)
        if not include_ended:
            stmt = stmt.where(t.LegalHold.released_at.is_(None))
            if today is not None:
                stmt = stmt.where(
                    or_(t.LegalHold.expires_on.is_(None), t.LegalHold.expires_on > today)
                )
        return [_hold(r) for r in self.session.scalars(stmt)]

    def release(self, hold_id: int, at: datetime) -> bool:
        """Release a hold; False if it was released already."""
        result = self.session.execute(
            sql_update(t.LegalHold)
            .where(t.LegalHold.id == hold_id, t.LegalHold.released_at.is_(None))
            .values(released_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _covers(plan: RulePlan) -> ColumnElement[bool]:
    """The values a rule covers (exact prefix match on categories; no LIKE wildcards)."""
    category = _FIELDS.c.category
    parts: list[ColumnElement[bool]] = []
    if plan.categories:
        parts.append(
            or_(
                *(
                    or_(category == c, func.substr(category, 1, len(c) + 1) == c + ".")
                    for c in plan.categories
                )
            )
        )
    if plan.purposes:
        parts.append(_FIELDS.c.purpose.in_(plan.purposes))
    return and_(true(), *parts)


def _activity() -> ColumnElement[datetime]:
    """The subject's last activity, or when it last changed if none is recorded."""
    return func.coalesce(
        _SUBJECTS.c.last_activity_at, _SUBJECTS.c.updated_at, type_=t.UtcDateTime()
    )


def _is_due(plan: RulePlan) -> ColumnElement[bool]:
    """The value's event is before the rule's cutoff."""
    before = plan.before
    if before is None:
        return false()
    if plan.event is RetentionEvent.COLLECTED:
        return _FIELDS.c.collected_at < before
    if plan.event is RetentionEvent.LAST_ACTIVITY:
        return _activity() < before
    day = (before - timedelta(microseconds=1)).date() + timedelta(days=1)  # midnight < before
    return and_(_SUBJECTS.c.contract_end_on.is_not(None), _SUBJECTS.c.contract_end_on < day)


def _due(plans: Sequence[RulePlan]) -> ColumnElement[bool]:
    """Covered by some rule, and due under every rule that covers it."""
    if not plans:
        return false()
    return and_(
        or_(*(_covers(p) for p in plans)),
        *(or_(~_covers(p), _is_due(p)) for p in plans),
    )


class SqlRetentionRuns(BoundRepository):
    """Retention sweeps of the bound tenant, and the vault queries they run."""

    def start(self, at: datetime, dry_run: bool, report: dict[str, Any]) -> int:
        """Record a sweep that begins."""
        row = t.RetentionRun(
            tenant_id=self.tenant_id,
            started_at=at,
            dry_run=dry_run,
            status=RunStatus.RUNNING.value,
            report=json.dumps(report, sort_keys=True),
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def get(self, run_id: int) -> RunRecord | None:
        """One sweep."""
        stmt = select(t.RetentionRun).where(t.RetentionRun.id == run_id)
        row = self.session.scalars(stmt).first()
        return _run(row) if row else None

    def save(
        self, run_id: int, report: dict[str, Any], status: RunStatus, finished_at: datetime | None
    ) -> None:
        """Store a sweep's report so far (or its end)."""
        self.session.execute(
            sql_update(t.RetentionRun)
            .where(t.RetentionRun.id == run_id)
            .values(
                report=json.dumps(report, sort_keys=True),
                status=status.value,
                finished_at=finished_at,
            )
        )

    def recent(self, limit: int = 10) -> list[RunRecord]:
        """The newest sweeps."""
        stmt = select(t.RetentionRun).order_by(t.RetentionRun.id.desc()).limit(limit)
        return [_run(r) for r in self.session.scalars(stmt)]

    def _from(self) -> Any:
        return _FIELDS.join(_SUBJECTS, _SUBJECTS.c.id == _FIELDS.c.subject_id)

    def _scan_end(self, after: tuple[int, str], scan: int) -> tuple[int, str] | None:
        """The key ``scan`` values after the cursor (None: fewer are left). Read from the unique
        index alone, across tenants: it only bounds the range the due query then reads, scoped."""
        f = _FIELDS.c
        stmt = (
            select(f.subject_id, f.field)
            .where(tuple_(f.subject_id, f.field) > tuple_(after[0], after[1]))
            .order_by(f.subject_id, f.field)
            .offset(scan - 1)
            .limit(1)
        )
        row = self.session.execute(stmt).first()
        return (int(row[0]), str(row[1])) if row else None

    def due_batch(
        self, plans: Sequence[RulePlan], after: tuple[int, str], limit: int, scan: int
    ) -> tuple[list[DueRow], tuple[int, str] | None]:
        """Up to ``limit`` due values among the next ``scan`` values after the cursor (subject id,
        field), in cursor order, and the cursor to continue from (None: the end was reached).

        The range is bounded first, so each query reads at most ``scan`` values whatever plan the
        database picks (without statistics, PostgreSQL would otherwise sort the whole table)."""
        f, s = _FIELDS.c, _SUBJECTS.c
        end = self._scan_end(after, scan)
        bounds = [tuple_(f.subject_id, f.field) > tuple_(after[0], after[1])]
        if end is not None:
            bounds.append(tuple_(f.subject_id, f.field) <= tuple_(end[0], end[1]))
        stmt = (
            select(
                f.id,
                f.subject_id,
                f.field,
                f.category,
                f.purpose,
                f.collected_at,
                s.uid,
                s.last_activity_at,
                s.updated_at,
                s.contract_end_on,
            )
            .select_from(self._from())
            .where(f.tenant_id == self.tenant_id, *bounds, _due(plans))
            .order_by(f.subject_id, f.field)
            .limit(limit)
        )
        rows = [DueRow(**row._asdict()) for row in self.session.execute(stmt)]
        if len(rows) == limit:
            return rows, (rows[-1].subject_id, rows[-1].field)
        return rows, end

    def delete_values(self, ids: Sequence[int]) -> int:
        """Delete values by id; how many went."""
        gone = 0
        for i in range(0, len(ids), CHUNK):
            result = self.session.execute(
                delete(_FIELDS).where(
                    _FIELDS.c.tenant_id == self.tenant_id, _FIELDS.c.id.in_(ids[i : i + CHUNK])
                )
            )
            gone += int(result.rowcount)  # type: ignore[attr-defined]
        return gone

    def count_due(self, plans: Sequence[RulePlan], rule: str) -> int:
        """How many values ``rule`` covers that are due under ``plans``."""
        plan = next(p for p in plans if p.key == rule)
        stmt = (
            select(func.count())
            .select_from(self._from())
            .where(_FIELDS.c.tenant_id == self.tenant_id, _covers(plan), _due(plans))
        )
        return int(self.session.execute(stmt).scalar_one())

    def earliest_event(self, plans: Sequence[RulePlan], rule: str) -> date | datetime | None:
        """The earliest event of a value ``rule`` covers that is not due under ``plans``."""
        plan = next(p for p in plans if p.key == rule)
        column: Any = {
            RetentionEvent.COLLECTED: _FIELDS.c.collected_at,
            RetentionEvent.LAST_ACTIVITY: _activity(),
            RetentionEvent.CONTRACT_END: _SUBJECTS.c.contract_end_on,
        }.get(plan.event)
        if column is None:
            return None
        stmt = (
            select(func.min(column))
            .select_from(self._from())
            .where(_FIELDS.c.tenant_id == self.tenant_id, _covers(plan), ~_due(plans))
        )
        found = self.session.execute(stmt).scalar_one()
        return _event_value(found, plan.event)

    def subject(self, *, uid: str | None = None, ref: str | None = None) -> RetentionSubject | None:
        """A subject by uid or ref, with its retention events."""
        wanted = _SUBJECTS.c.uid == uid if uid is not None else _SUBJECTS.c.ref == ref
        rows = self._subjects(wanted)
        return rows[0] if rows else None

    def subjects_by_id(self, ids: Sequence[int]) -> list[RetentionSubject]:
        """These subjects (those that exist), with their retention events, by id."""
        found: list[RetentionSubject] = []
        for start in range(0, len(ids), CHUNK):
            found += self._subjects(_SUBJECTS.c.id.in_(list(ids[start : start + CHUNK])))
        return found

    def _subjects(self, *where: ColumnElement[bool]) -> list[RetentionSubject]:
        s = _SUBJECTS.c
        stmt = (
            select(
                s.id,
                s.uid,
                s.ref,
                s.wrapped_key.is_not(None).label("live"),
                s.adult_on,
                s.contract_end_on,
                _activity().label("last_activity_at"),
            )
            .where(s.tenant_id == self.tenant_id, *where)
            .order_by(s.id)
        )
        return [
            record_of(RetentionSubject, r, live=bool(r.live)) for r in self.session.execute(stmt)
        ]

    def set_contract_end(self, subject_id: int, on: date, at: datetime) -> None:
        """Record the day the subject's contract ended (``updated_at`` is left alone: it stands in
        for the last activity of subjects that have none)."""
        self.session.execute(
            sql_update(_SUBJECTS)
            .where(_SUBJECTS.c.tenant_id == self.tenant_id, _SUBJECTS.c.id == subject_id)
            .values(contract_end_on=on)
        )

    def contract_ended(self, on_or_before: date) -> list[RetentionSubject]:
        """Live subjects whose contract ended on or before the day."""
        s = _SUBJECTS.c
        return self._subjects(s.wrapped_key.is_not(None), s.contract_end_on <= on_or_before)

    def dormant(self, active_before: datetime) -> list[RetentionSubject]:
        """Live subjects last active (or, with no activity recorded, last changed) before then."""
        return self._subjects(_SUBJECTS.c.wrapped_key.is_not(None), _activity() < active_before)

    def minors(self, today: date) -> list[RetentionSubject]:
        """Live subjects who are minors on ``today``."""
        s = _SUBJECTS.c
        return self._subjects(s.wrapped_key.is_not(None), s.adult_on > today)


def _event_value(found: Any, event: RetentionEvent) -> date | datetime | None:
    """A MIN() result as a date or an aware UTC datetime."""
    if found is None or isinstance(found, datetime):
        return found.replace(tzinfo=found.tzinfo or UTC) if found else None
    if isinstance(found, date):
        return found
    text = str(found)  # defensive: an engine handing back text
    if event is RetentionEvent.CONTRACT_END:
        return date.fromisoformat(text[:10])
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
