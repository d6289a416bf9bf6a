"""SQL implementation of the consent repository: the append-only ledger and its projection."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    String,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite

from privault.core.records import ConsentEventRecord, SubjectFacts
from privault.storage import tables as t
from privault.storage.base import CHUNK, BoundRepository, field_names
from privault.storage.bulk import DriverValues, insert_rows
from privault.storage.scoping import CROSS_TENANT

_EVENTS: Table = t.ConsentEvent.__table__  # type: ignore[assignment]
_STATES: Table = t.ConsentState.__table__  # type: ignore[assignment]
_SUBJECTS: Table = t.Subject.__table__  # type: ignore[assignment]
# Selects read the columns named like the record's fields, in field order (position equals name).
_EVENT_FIELDS = field_names(ConsentEventRecord)
_EVENT_VALUES = attrgetter(*_EVENT_FIELDS)  # an event's values in field order (insert)
_ID, _AT = _EVENT_FIELDS.index("id"), _EVENT_FIELDS.index("at")
_GRANTED = _EVENT_FIELDS.index("granted")  # stored as an integer on SQLite


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def allocate_ids(session: Any, table: str, count: int) -> list[int]:
    """Ids for rows about to be bulk-inserted: the column's sequence on PostgreSQL; on SQLite the
    transaction holds the only write lock (BEGIN IMMEDIATE), so max(id) + 1 onwards is ours."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        stmt = text(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"  # noqa: S608 - our table names
        )
        return [int(v) for v in session.scalars(stmt, {"n": count})]
    top = session.execute(
        text(f"SELECT coalesce(max(id), 0) FROM {table}"),  # noqa: S608 - our table names
        execution_options={CROSS_TENANT: True},  # the table's last row id, whichever tenant's
    ).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + count))


class SqlConsent(BoundRepository):
    """The bound tenant's consent ledger and states."""

    def append(self, events: Sequence[ConsentEventRecord]) -> list[int]:
        """Insert events (their ``id`` is ignored); return the ids given, in order."""
        ids = allocate_ids(self.session, "consent_events", len(events))
        value = DriverValues(self.session)
        rows = [
            (self.tenant_id, *_row(e, new_id, value)) for new_id, e in zip(ids, events, strict=True)
        ]
        insert_rows(self.session, "consent_events", ("tenant_id", *_EVENT_FIELDS), rows)
        return ids

    def states(
        self, holders: Sequence[str], *, lock: bool = False
    ) -> dict[str, tuple[str, int | None]]:
        """{holder: (state JSON, subject id)} of these holders; ``lock`` holds them until commit."""
        found: dict[str, tuple[str, int | None]] = {}
        if not lock:
            rows = self.rows_in(
                _STATES, ("holder", "state", "subject_id"), "holder", sorted(set(holders))
            )
            return {row[0]: (row[1], row[2]) for row in rows}
        self._ensure(holders)
        for chunk in _chunks(sorted(set(holders))):
            stmt = select(_STATES.c.holder, _STATES.c.state, _STATES.c.subject_id).where(
                _STATES.c.tenant_id == self.tenant_id, _STATES.c.holder.in_(chunk)
            )
            # in holder order, so that writers always lock rows in the same order
            stmt = stmt.order_by(_STATES.c.holder).with_for_update()
            found.update({row[0]: (row[1], row[2]) for row in self.session.execute(stmt)})
        return found

    def _ensure(self, holders: Sequence[str]) -> None:
        """Create missing state rows (empty) so that they can be locked: two first writers for one
        holder then queue on the row instead of both inserting and one overwriting the other."""
        dialect = self.session.get_bind().dialect.name
        maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
        at = datetime.now(UTC)
        values = [
            {
                "tenant_id": self.tenant_id,
                "holder": h,
                "subject_id": _own_subject(h),
                "state": "{}",
                "updated_at": at,
            }
            for h in sorted(set(holders))
        ]
        if values:
            self.session.execute(maker(_STATES).on_conflict_do_nothing(), values)

    def put_states(self, rows: Sequence[tuple[str, int | None, str]], at: datetime) -> None:
        """Create or replace the states of holders: (holder, subject id, state JSON)."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = [
            {
                "tenant_id": self.tenant_id,
                "holder": h,
                "subject_id": s,
                "state": state,
                "updated_at": at,
            }
            for h, s, state in rows
        ]
        stmt = maker(_STATES)
        stmt = stmt.on_conflict_do_update(
            index_elements=["holder", "tenant_id"],
            set_={
                "state": stmt.excluded.state,
                "subject_id": stmt.excluded.subject_id,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        self.session.execute(stmt, values)

    def all_states(self) -> Iterator[tuple[str, int | None, str]]:
        """Every (holder, subject id, state JSON) of the tenant."""
        stmt = select(_STATES.c.holder, _STATES.c.subject_id, _STATES.c.state).where(
            _STATES.c.tenant_id == self.tenant_id
        )
        for row in self.session.execute(stmt.execution_options(yield_per=5000)):
            yield row[0], row[1], row[2]

    def clear_states(self) -> None:
        """Delete every state of the tenant (before a rebuild)."""
        self.session.execute(delete(_STATES).where(_STATES.c.tenant_id == self.tenant_id))

    def events(
        self,
        *,
        subject_id: int | None = None,
        visitor: str | None = None,
        after_id: int = 0,
        limit: int = 5000,
    ) -> list[ConsentEventRecord]:
        """Ledger rows in id order: of one subject, one visitor, or (neither) the whole tenant."""
        stmt = select(*(_EVENTS.c[f] for f in _EVENT_FIELDS)).where(
            _EVENTS.c.tenant_id == self.tenant_id, _EVENTS.c.id > after_id
        )
        if subject_id is not None:
            stmt = stmt.where(_EVENTS.c.subject_id == subject_id)
        if visitor is not None:
            stmt = stmt.where(_EVENTS.c.visitor == visitor)
        stmt = stmt.order_by(_EVENTS.c.id).limit(limit)
        return [_record(row) for row in self.session.execute(stmt)]

    def recent(
        self,
        *,
        subject_id: int | None = None,
        visitors: Sequence[str] = (),
        kind: str | None = None,
        scope: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[ConsentEventRecord]:
        """Ledger rows newest first: of the whole tenant, or of a subject and its linked visitors;
        of one kind (and scope); with ids below ``before_id``."""
        stmt = select(*(_EVENTS.c[f] for f in _EVENT_FIELDS)).where(
            _EVENTS.c.tenant_id == self.tenant_id
        )
        if subject_id is not None:
            mine = _EVENTS.c.subject_id == subject_id
            stmt = stmt.where(
                or_(mine, _EVENTS.c.visitor.in_(list(visitors))) if visitors else mine
            )
        if kind is not None:
            stmt = stmt.where(_EVENTS.c.kind == kind)
        if scope is not None:
            stmt = stmt.where(_EVENTS.c.scope == scope)
        if before_id is not None:
            stmt = stmt.where(_EVENTS.c.id < before_id)
        stmt = stmt.order_by(_EVENTS.c.id.desc()).limit(limit)
        return [_record(row) for row in self.session.execute(stmt)]

    def linked_visitors(self, subject_id: int) -> list[str]:
        """Visitor ids linked to this subject."""
        stmt = select(_STATES.c.holder).where(
            _STATES.c.tenant_id == self.tenant_id,
            _STATES.c.subject_id == subject_id,
            _STATES.c.holder.like("v:%"),
        )
        return sorted(str(h)[2:] for h in self.session.scalars(stmt))

    def lock_all(self) -> None:
        """Keep every other writer of consent states out until the transaction ends (rebuild)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("LOCK TABLE consent_states IN EXCLUSIVE MODE"))

    def count(self) -> int:
        """Events in the tenant's ledger."""
        stmt = (
            select(func.count()).select_from(_EVENTS).where(_EVENTS.c.tenant_id == self.tenant_id)
        )
        return int(self.session.execute(stmt).scalar_one())

    def facts(self, refs: Sequence[str]) -> dict[str, tuple[SubjectFacts, str | None]]:
        """{ref: (facts, consent state JSON)} for the subjects with these refs (erased ones have no ref):
        one query per 900 refs, the state joined on its holder key."""
        holder = literal("s:") + cast(_SUBJECTS.c.id, String)
        joined = _SUBJECTS.outerjoin(
            _STATES, and_(_STATES.c.holder == holder, _STATES.c.tenant_id == _SUBJECTS.c.tenant_id)
        )
        columns = (
            *(_SUBJECTS.c[name] for name in ("id", "uid", "ref", "adult_on")),
            _SUBJECTS.c.wrapped_key.is_(None).label("erased"),
            _SUBJECTS.c.exclusive_data,
            _STATES.c.state,
        )
        stmt = (
            select(*columns)
            .select_from(joined)
            .where(
                _SUBJECTS.c.tenant_id == self.tenant_id,
                _SUBJECTS.c.ref.in_(bindparam("refs", expanding=True)),
            )
        )
        found: dict[str, tuple[SubjectFacts, str | None]] = {}
        for chunk in _chunks(sorted(set(refs))):
            rows = self.session.execute(stmt, {"refs": list(chunk)})
            # unpacked in the order of ``columns`` above: plain tuples are cheaper than attribute
            # access on each of the thousands of rows a cold batch reads
            for id_, uid, ref, adult_on, erased, exclusive, state in rows:
                facts = SubjectFacts(
                    id=id_,
                    uid=uid,
                    ref=ref,
                    adult_on=adult_on,
                    erased=bool(erased),
                    exclusive_data=exclusive,
                )
                found[ref] = (facts, state)
        return found

    def minors(self, today: Any) -> list[int]:
        """Live subjects who are minors today."""
        stmt = select(_SUBJECTS.c.id).where(
            _SUBJECTS.c.tenant_id == self.tenant_id,
            _SUBJECTS.c.adult_on > today,
            _SUBJECTS.c.wrapped_key.is_not(None),
        )
        return [int(v) for v in self.session.scalars(stmt)]


def _row(e: ConsentEventRecord, new_id: int, value: DriverValues) -> tuple[Any, ...]:
    """The event's values in field order, with its new id and its instant as the driver stores it."""
    values = list(_EVENT_VALUES(e))
    values[_ID], values[_AT] = new_id, value(values[_AT])
    return tuple(values)


def _record(row: Any) -> ConsentEventRecord:
    values = list(row)
    values[_GRANTED] = bool(values[_GRANTED])
    return ConsentEventRecord(*values)


def _own_subject(holder: str) -> int | None:
    return int(holder[2:]) if holder.startswith("s:") else None
