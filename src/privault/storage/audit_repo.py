"""SQL implementation of the audit log: events inserted without a lock, sealed by the worker.

Writers only insert. The head row is locked by the sealer alone, for one short transaction, so a
tenant's reads and writes never wait on each other. On PostgreSQL each event carries the id of the
transaction that wrote it (a column default), which the decision cache follows; on SQLite writers
commit one after another, so the highest id is enough.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import bindparam, exists, func, insert, inspect, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from privault.core.audit import GENESIS, AuditEvent
from privault.core.records import CheckpointRecord
from privault.storage import tables as t
from privault.storage.base import BoundRepository, columns_of, field_names
from privault.storage.bulk import insert_rows
from privault.storage.scoping import CROSS_TENANT

# The columns named like the record's fields, in field order: position equals name by construction.
_EVENT_COLUMNS = columns_of(t.AuditEvent, AuditEvent)
_CHECKPOINT_COLUMNS = columns_of(t.AuditCheckpoint, CheckpointRecord)
_WRITTEN = ("at_us", "actor", "action", "subject", "purpose", "outcome", "details", "nonce", "mac")
_WRITTEN_VALUES = attrgetter(*_WRITTEN)  # what an insert stores (seq, hashes and id come later)
_SEALED_STREAM = "seq, at_us, actor, action, subject, purpose, outcome, details, nonce, mac, hash"
_UNSEALED_STREAM = "id, at_us, actor, action, subject, purpose, outcome, details, nonce, mac"
_SEAL = (
    update(t.AuditEvent)
    .where(t.AuditEvent.tenant_id == bindparam("tenant"), t.AuditEvent.id == bindparam("event_id"))
    .values(seq=bindparam("new_seq"), prev_hash=bindparam("new_prev"), hash=bindparam("new_hash"))
)

assert set(_WRITTEN) <= set(field_names(AuditEvent))  # noqa: S101 - import-time shape check


class SqlAudit(BoundRepository):
    """The bound tenant's audit log in SQL."""

    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def append(self, events: Sequence[AuditEvent]) -> None:
        """Insert unsealed events; no lock is taken (the MACs make them tamper-evident)."""
        if not events:
            return
        tenant = self.tenant_id
        rows = [(tenant, *_WRITTEN_VALUES(e)) for e in events]
        insert_rows(self.session, t.AuditEvent.__tablename__, ("tenant_id", *_WRITTEN), rows)

    def tenants_to_seal(self) -> set[int]:
        """Ids of the tenants (across tenants) with events not sealed yet, or sealed past their
        last checkpoint: one index probe per tenant, so the sealer visits only those."""
        event, head, point = t.AuditEvent, t.AuditHead, t.AuditCheckpoint
        unsealed = exists().where(event.tenant_id == t.Tenant.id, event.seq.is_(None))
        last_point = select(func.max(point.seq)).where(point.tenant_id == t.Tenant.id)
        past = exists().where(
            head.tenant_id == t.Tenant.id,
            head.seq > func.coalesce(last_point.scalar_subquery(), 0),
        )
        stmt = select(t.Tenant.id).where(or_(unsealed, past))
        return set(self.session.scalars(stmt, execution_options={CROSS_TENANT: True}))

    def change_mark(self) -> tuple[int, int, str | None]:
        """PostgreSQL: the oldest transaction still running (every older one has ended, so its
        events are visible); SQLite: the highest event id (its writers commit one after another).
        With the newest event of the database and its MAC, any tenant's: a restore is of the whole
        database, and the newest id is one index lookup (the newest of one tenant made SQLite sort
        that tenant's whole log on every decision batch)."""
        mark = None
        if self._postgres():
            xmin = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            mark = int(self.session.scalar(xmin) or 0)
        stmt = select(t.AuditEvent.id, t.AuditEvent.mac).order_by(t.AuditEvent.id.desc()).limit(1)
        newest = self.session.execute(stmt, execution_options={CROSS_TENANT: True}).first()
        newest_id, mac = (int(newest[0]), newest[1] or "") if newest else (0, None)
        return (newest_id if mark is None else mark), newest_id, mac

    def mac_of(self, event_id: int) -> str | None:
        """The MAC of one event of any tenant, as ``change_mark`` names it ("" without one, None if
        there is no such event)."""
        row = self.session.execute(
            select(t.AuditEvent.mac).where(t.AuditEvent.id == event_id),
            execution_options={CROSS_TENANT: True},
        ).first()
        return None if row is None else (row[0] or "")

    def changes_since(self, mark: int, actions: Sequence[str]) -> list[tuple[str, str | None]]:
        """(action, subject uid) of the events with these actions written after ``mark``."""
        event = t.AuditEvent
        wanted = event.action.in_(list(actions))
        if self._postgres():  # by the index on (tenant_id, xid)
            stmt = select(event.action, event.subject).where(event.xid >= mark, wanted)
            rows = self.session.execute(stmt.order_by(event.id))
        else:  # SQLite: the id range (``+ 0`` keeps it off the tenant's indexes, which it would
            # otherwise walk whole)
            mine = event.tenant_id + 0 == self.tenant_id
            stmt = select(event.action, event.subject).where(event.id > mark, mine, wanted)
            rows = self.session.execute(
                stmt.order_by(event.id), execution_options={CROSS_TENANT: True}
            )
        return [(str(row[0]), row[1]) for row in rows]

    def lock_head(self) -> tuple[int, str, int]:
        """Create the head if missing, then lock it (FOR UPDATE on PostgreSQL; SQLite has one writer)."""
        maker = postgresql.insert if self._postgres() else sqlite.insert
        values = {"tenant_id": self.tenant_id, "seq": 0, "hash": GENESIS, "at_us": 0}
        self.session.execute(maker(t.AuditHead).values(**values).on_conflict_do_nothing())
        row = self.session.execute(
            select(t.AuditHead.seq, t.AuditHead.hash, t.AuditHead.at_us).with_for_update()
        ).one()
        return int(row[0]), str(row[1]), int(row[2])

    def head(self) -> tuple[int, str]:
        """The recorded head, unlocked (genesis if none)."""
        row = self.session.execute(select(t.AuditHead.seq, t.AuditHead.hash)).first()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def unsealed(self, until_us: int | None, limit: int) -> list[AuditEvent]:
        """Committed, unsealed events written at or before ``until_us``, oldest first."""
        stmt = (
            select(*_EVENT_COLUMNS)
            .where(t.AuditEvent.seq.is_(None))
            .order_by(t.AuditEvent.at_us, t.AuditEvent.id)
            .limit(limit)
        )
        if until_us is not None:
            stmt = stmt.where(t.AuditEvent.at_us <= until_us)
        return [AuditEvent(*row) for row in self.session.execute(stmt)]

    def seal(self, events: Sequence[AuditEvent], head: tuple[int, str, int]) -> None:
        """Store the events' places in the chain and move the head."""
        if not events:
            return
        tenant = self.tenant_id
        params = [
            {
                "tenant": tenant,
                "event_id": e.id,
                "new_seq": e.seq,
                "new_prev": e.prev_hash,
                "new_hash": e.hash,
            }
            for e in events
        ]
        self.session.connection().execute(_SEAL, params)
        seq, hash_, at_us = head
        stmt = update(t.AuditHead).where(t.AuditHead.tenant_id == self.tenant_id)
        self.session.execute(stmt.values(seq=seq, hash=hash_, at_us=at_us))

    def _raw(
        self, sql: str, params: tuple[Any, ...], batch: int, name: str
    ) -> Iterator[tuple[Any, ...]]:
        """Rows straight from the driver (no row objects): a server-side cursor on PostgreSQL,
        fetchmany on SQLite. The tenant filter is in ``sql`` (these bypass the ORM)."""
        connection = self.session.connection()
        driver = connection.connection.driver_connection
        assert driver is not None  # noqa: S101 - an open connection has its driver connection
        if connection.dialect.name == "postgresql":
            with driver.cursor(name=name) as cursor:
                cursor.execute(sql, params)
                while rows := cursor.fetchmany(batch):
                    yield from rows
            return
        cursor = driver.cursor()
        try:
            cursor.execute(sql.replace("%s", "?"), params)
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()

    def stream(self, after: int, batch: int) -> Iterator[tuple[Any, ...]]:
        """Sealed events after ``after`` in seq order: (seq, at_us, actor, action, subject, purpose,
        outcome, details, nonce, mac, hash)."""
        sql = (
            f"SELECT {_SEALED_STREAM} FROM audit_events "  # noqa: S608 - fixed column list
            "WHERE tenant_id = %s AND seq > %s ORDER BY seq"
        )
        return self._raw(sql, (self.tenant_id, after), batch, "privault_audit_sealed")

    def stream_unsealed(self, batch: int) -> Iterator[tuple[Any, ...]]:
        """Unsealed events: (id, at_us, actor, action, subject, purpose, outcome, details, nonce, mac)."""
        sql = (
            f"SELECT {_UNSEALED_STREAM} FROM audit_events "  # noqa: S608 - fixed column list
            "WHERE tenant_id = %s AND seq IS NULL ORDER BY at_us, id"
        )
        return self._raw(sql, (self.tenant_id,), batch, "privault_audit_unsealed")

    def duplicate_macs(self) -> list[str]:
        """MACs carried by more than one event: none while the unique index on (mac, tenant_id)
        stands (it could not have been rebuilt over duplicates), else counted."""
        if self._mac_index_stands():
            return []
        stmt = (
            select(t.AuditEvent.mac)
            .where(t.AuditEvent.mac.is_not(None))
            .group_by(t.AuditEvent.mac)
            .having(func.count() > 1)
        )
        return [str(mac) for mac in self.session.scalars(stmt)]

    def _mac_index_stands(self) -> bool:
        inspector = inspect(self.session.connection())
        constraints = inspector.get_unique_constraints("audit_events")
        unique: list[list[str | None]] = [list(c["column_names"]) for c in constraints]
        indexes = inspector.get_indexes("audit_events")
        unique += [list(i["column_names"]) for i in indexes if i["unique"]]
        return ["mac", "tenant_id"] in unique

    def prev_hash(self, seq: int) -> str | None:
        """The stored previous-hash of one sealed event."""
        return self.session.scalar(select(t.AuditEvent.prev_hash).where(t.AuditEvent.seq == seq))

    def hash_at(self, seq: int) -> str | None:
        """The stored hash of sealed event ``seq`` (the genesis hash for 0)."""
        if seq == 0:
            return GENESIS
        return self.session.scalar(select(t.AuditEvent.hash).where(t.AuditEvent.seq == seq))

    def checkpoints(self, after: int = -1) -> list[CheckpointRecord]:
        """Signed checkpoints past ``after``, in seq order."""
        stmt = (
            select(*_CHECKPOINT_COLUMNS)
            .where(t.AuditCheckpoint.seq > after)
            .order_by(t.AuditCheckpoint.seq)
        )
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

    def recent(
        self, limit: int, *, before: int | None = None, action: str | None = None
    ) -> list[AuditEvent]:
        """The newest events by id, newest first (only ids below ``before``, of ``action``)."""
        stmt = select(*_EVENT_COLUMNS).order_by(t.AuditEvent.id.desc()).limit(limit)
        if before is not None:
            stmt = stmt.where(t.AuditEvent.id < before)
        if action is not None:
            stmt = stmt.where(t.AuditEvent.action == action)
        return [AuditEvent(*row) for row in self.session.execute(stmt)]
