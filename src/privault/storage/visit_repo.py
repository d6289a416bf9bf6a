"""SQL implementation of the visit log port: one insert per view, grouped counts for the stats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update

from privault.core.visits import Count, DayCount, NewVisit, Totals
from privault.storage.base import BoundRepository
from privault.storage.tables import Visit


class SqlVisits(BoundRepository):
    """Visits of the bound tenant."""

    def add(self, visit: NewVisit) -> None:
        """Store one page view (flushed with the commit)."""
        self.session.add(
            Visit(
                tenant_id=self.tenant_id,
                at=visit.at,
                page=visit.page,
                referrer=visit.referrer,
                browser=visit.browser,
                client=visit.client,
                visitor=visit.visitor,
                subject_id=visit.subject_id,
            )
        )

    def _in(self, since: datetime, until: datetime) -> list[ColumnElement[bool]]:
        return [Visit.tenant_id == self.tenant_id, Visit.at >= since, Visit.at < until]

    def totals(self, since: datetime, until: datetime) -> Totals:
        """All visits, those that kept a visitor id, those linked to a subject (one statement)."""
        row = self.session.execute(
            select(func.count(), func.count(Visit.visitor), func.count(Visit.subject_id)).where(
                *self._in(since, until)
            )
        ).one()
        visits, consented, linked = (int(n) for n in row)
        return Totals(visits=visits, consented=consented, linked=linked)

    def _grouped(
        self, column: Any, since: datetime, until: datetime, limit: int | None
    ) -> list[Count]:
        visits = func.count().label("visits")
        stmt = (
            select(column, visits)
            .where(*self._in(since, until), column.is_not(None))
            .group_by(column)
            .order_by(visits.desc(), column)
            .limit(limit)
        )
        return [Count(key=str(key), visits=int(n)) for key, n in self.session.execute(stmt)]

    def top_pages(self, since: datetime, until: datetime, limit: int) -> list[Count]:
        """The most visited pages, most first (ties by page)."""
        return self._grouped(Visit.page, since, until, limit)

    def browsers(self, since: datetime, until: datetime) -> list[Count]:
        """Visits per browser family, most first."""
        return self._grouped(Visit.browser, since, until, None)

    def top_referrers(self, since: datetime, until: datetime, limit: int) -> list[Count]:
        """The referrer hosts that sent most visits, most first."""
        return self._grouped(Visit.referrer, since, until, limit)

    def _day(self) -> ColumnElement[Any]:
        """The UTC day of ``at``: SQLite stores UTC text, PostgreSQL a timestamptz."""
        if self.session.get_bind().dialect.name == "postgresql":
            return func.date(func.timezone("UTC", Visit.at))
        return func.date(Visit.at)

    def per_day(self, since: datetime, until: datetime) -> list[DayCount]:
        """Visits per UTC day, oldest first."""
        day = self._day().label("day")
        stmt = select(day, func.count()).where(*self._in(since, until)).group_by(day).order_by(day)
        return [DayCount(day=_as_date(d), visits=int(n)) for d, n in self.session.execute(stmt)]

    def forget_subjects(self, subject_ids: Sequence[int]) -> int:
        """Unlink these subjects' visits (visitor id and subject cleared); the count of visits."""
        if not subject_ids:
            return 0
        stmt = (
            update(Visit)
            .where(Visit.tenant_id == self.tenant_id, Visit.subject_id.in_(list(subject_ids)))
            .values(subject_id=None, visitor=None)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(self.session.execute(stmt))

    def anonymise_before(self, cutoff: datetime) -> int:
        """Clear the client, visitor and subject of visits before ``cutoff``; the count changed."""
        stmt = (
            update(Visit)
            .where(
                Visit.tenant_id == self.tenant_id,
                Visit.at < cutoff,
                or_(
                    Visit.client.is_not(None),
                    Visit.visitor.is_not(None),
                    Visit.subject_id.is_not(None),
                ),
            )
            .values(client=None, visitor=None, subject_id=None)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(self.session.execute(stmt))


def _rowcount(result: object) -> int:
    """Rows an UPDATE changed."""
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def _as_date(value: object) -> date:
    """A day as the engine returns it (a date, or ISO text on SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
