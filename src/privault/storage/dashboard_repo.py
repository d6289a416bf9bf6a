"""SQL implementation of the dashboard's queries: grouped counts, one statement each.

The consent answers are read from the projection (``consent_states``), whose state is JSON text
``{"kind:scope": [granted, at_us, event id, method], ...}``: each row is expanded into its topics with
the engine's own JSON table function (``json_each`` on SQLite, ``jsonb_each`` on PostgreSQL) and
counted per topic and answer, so no state leaves the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, String, Table, cast, column, func, literal_column, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import TableValuedAlias

from privault.core.dashboard import Closure, TopicCount, TypeDayCount
from privault.core.requests import FINAL
from privault.storage import tables as t
from privault.storage.base import BoundRepository

_STATES: Table = t.ConsentState.__table__  # type: ignore[assignment]
_CLOSED = sorted(s.value for s in FINAL)


class SqlDashboard(BoundRepository):
    """Dashboard counts over the bound tenant."""

    def received_per_day(self, since: date, until: date) -> list[TypeDayCount]:
        """Requests per type and day of receipt in ``[since, until)``."""
        r = t.Request
        stmt = (
            select(r.type, r.received_on, func.count())
            .where(r.tenant_id == self.tenant_id, r.received_on >= since, r.received_on < until)
            .group_by(r.type, r.received_on)
        )
        return [
            TypeDayCount(type=kind, day=day, requests=int(n))
            for kind, day, n in self.session.execute(stmt)
        ]

    def closed_between(self, since: datetime, until: datetime) -> list[Closure]:
        """Requests closed (completed or denied) in ``[since, until)``."""
        r = t.Request
        stmt = select(r.type, r.received_at, r.closed_at).where(
            r.tenant_id == self.tenant_id,
            r.state.in_(_CLOSED),
            r.closed_at >= since,
            r.closed_at < until,
        )
        return [
            Closure(type=kind, received_at=received, closed_at=closed)
            for kind, received, closed in self.session.execute(stmt)
            if closed is not None
        ]

    def current_answers(self, topics: Sequence[str]) -> list[TopicCount]:
        """Per topic and answer, the subjects and unlinked visitors whose current state holds it."""
        if not topics:
            return []
        each, granted = self._topics()
        answer = granted.label("granted")
        stmt = (
            select(each.c.key, answer, func.count())
            .select_from(_STATES.join(each, true()))
            .where(
                _STATES.c.tenant_id == self.tenant_id,
                or_(_STATES.c.holder.like("s:%"), _STATES.c.subject_id.is_(None)),
                each.c.key.in_(list(topics)),
            )
            .group_by(each.c.key, granted)
        )
        return [
            TopicCount(topic=str(key), granted=bool(int(yes)), people=int(n))
            for key, yes, n in self.session.execute(stmt)
        ]

    def _topics(self) -> tuple[TableValuedAlias, Any]:
        """The state's topics as rows (key, value) and the answer (1 or 0) of each."""
        key, value = column("key", String), column("value", String)
        if self.session.get_bind().dialect.name == "postgresql":
            source = func.jsonb_each(cast(_STATES.c.state, JSONB))
            each = source.table_valued(key, value).alias("topic")
            return each, cast(each.c.value.op("->>")(literal_column("0")), Integer)
        each = func.json_each(_STATES.c.state).table_valued(key, value).alias("topic")
        return each, func.json_extract(each.c.value, "$[0]")
