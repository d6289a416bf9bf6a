"""SQL implementation of the audit repository: one chain per tenant, head row locked to append."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from privault.core.audit import GENESIS, AuditEvent
from privault.core.records import CheckpointRecord
from privault.storage import tables as t
from privault.storage.base import BoundRepository, columns_of, field_names
from privault.storage.bulk import insert_rows

# The columns named like the record's fields, in field order: position equals name by construction.
_EVENT_COLUMNS = columns_of(t.AuditEvent, AuditEvent)
_CHECKPOINT_COLUMNS = columns_of(t.AuditCheckpoint, CheckpointRecord)
_EVENT_NAMES = field_names(AuditEvent)
_EVENT_VALUES = attrgetter(*_EVENT_NAMES)  # an event's values in field order (insert)


def _event(row: Any) -> AuditEvent:
    return AuditEvent(*row)


class SqlAudit(BoundRepository):
    """The bound tenant's audit chain in SQL."""

    def lock_head(self) -> tuple[int, str]:
        """Create the head if missing, then lock it (FOR UPDATE on PostgreSQL; SQLite has one writer)."""
        dialect = self.session.get_bind().dialect.name
        maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = {"tenant_id": self.tenant_id, "seq": 0, "hash": GENESIS}
        self.session.execute(maker(t.AuditHead).values(**values).on_conflict_do_nothing())
        row = self.session.execute(
            select(t.AuditHead.seq, t.AuditHead.hash).with_for_update()
        ).one()
        return int(row[0]), str(row[1])

    def head(self) -> tuple[int, str]:
        """The recorded head, unlocked (genesis if none)."""
        row = self.session.execute(select(t.AuditHead.seq, t.AuditHead.hash)).first()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def append(self, events: Sequence[AuditEvent]) -> None:
        """Insert chained events and move the head to the last one."""
        if not events:
            return
        tenant = self.tenant_id
        rows = [(tenant, *_EVENT_VALUES(e)) for e in events]
        columns = ("tenant_id", *_EVENT_NAMES)
        insert_rows(self.session, t.AuditEvent.__tablename__, columns, rows)
        last = events[-1]
        stmt = update(t.AuditHead).where(t.AuditHead.tenant_id == self.tenant_id)
        self.session.execute(stmt.values(seq=last.seq, hash=last.hash))

    def stream(self, batch: int) -> Iterator[tuple[Any, ...]]:
        """Every event in seq order as plain tuples (seq, at_us, actor, action, subject, purpose, outcome,
        details, hash), straight from the driver (no row objects):
        a server-side cursor on PostgreSQL, fetchmany on SQLite. The tenant filter is explicit here."""
        columns = ", ".join(c.key for c in _EVENT_COLUMNS if c.key != "prev_hash")
        connection = self.session.connection()
        driver = connection.connection.driver_connection
        assert driver is not None  # noqa: S101 - an open connection has its driver connection
        sql = f"SELECT {columns} FROM audit_events WHERE tenant_id = %s ORDER BY seq"  # noqa: S608
        if connection.dialect.name == "postgresql":
            with driver.cursor(name="privault_audit_stream") as cursor:
                cursor.itersize = batch
                cursor.execute(sql, (self.tenant_id,))
                yield from cursor
            return
        cursor = driver.cursor()
        try:
            cursor.execute(sql.replace("%s", "?"), (self.tenant_id,))
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()

    def prev_hash(self, seq: int) -> str | None:
        """The stored previous-hash of one event."""
        return self.session.scalar(select(t.AuditEvent.prev_hash).where(t.AuditEvent.seq == seq))

    def checkpoints(self) -> list[CheckpointRecord]:
        """Signed checkpoints in seq order."""
        stmt = select(*_CHECKPOINT_COLUMNS).order_by(t.AuditCheckpoint.seq)
        return [CheckpointRecord(*row) for row in self.session.execute(stmt)]

    def add_checkpoint(self, record: CheckpointRecord) -> None:
        """Store a checkpoint."""
        self.session.execute(
            insert(t.AuditCheckpoint),
            [
                {
                    "tenant_id": self.tenant_id,
                    "seq": record.seq,
                    "hash": record.hash,
                    "signature": record.signature,
                    "created_at": record.created_at,
                }
            ],
        )

    def hash_at(self, seq: int) -> str | None:
        """The stored hash of event ``seq`` (the genesis hash for 0)."""
        if seq == 0:
            return GENESIS
        return self.session.scalar(select(t.AuditEvent.hash).where(t.AuditEvent.seq == seq))

    def subjects_since(self, seq: int, actions: Sequence[str]) -> list[tuple[str, str | None]]:
        """(action, subject uid) of the events after ``seq`` with one of these actions."""
        stmt = (
            select(t.AuditEvent.action, t.AuditEvent.subject)
            .where(t.AuditEvent.seq > seq, t.AuditEvent.action.in_(list(actions)))
            .order_by(t.AuditEvent.seq)
        )
        return [(str(row[0]), row[1]) for row in self.session.execute(stmt)]

    def recent(
        self, limit: int, *, before: int | None = None, action: str | None = None
    ) -> list[AuditEvent]:
        """The newest events, newest first (only those before seq ``before``, of ``action``)."""
        stmt = select(*_EVENT_COLUMNS).order_by(t.AuditEvent.seq.desc()).limit(limit)
        if before is not None:
            stmt = stmt.where(t.AuditEvent.seq < before)
        if action is not None:
            stmt = stmt.where(t.AuditEvent.action == action)
        return [_event(row) for row in self.session.execute(stmt)]
