"""A fake audit chain with the semantics of ``storage/audit_repo.py`` (one chain per tenant)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

from privault.core.audit import GENESIS, AuditEvent
from privault.core.records import CheckpointRecord
from tests.fakes.base import FakeRepository


class FakeAudit(FakeRepository):
    """The bound tenant's audit chain, its head and its checkpoints."""

    def _chain(self) -> list[AuditEvent]:
        return self.rows.audit_events.setdefault(self.tenant_id, [])

    def lock_head(self) -> tuple[int, str]:
        """The head, created at genesis if missing (one fake transaction runs at a time)."""
        return self.rows.audit_heads.setdefault(self.tenant_id, (0, GENESIS))

    def head(self) -> tuple[int, str]:
        """The recorded head, unlocked (genesis if none)."""
        return self.rows.audit_heads.get(self.tenant_id, (0, GENESIS))

    def append(self, events: Sequence[AuditEvent]) -> None:
        """Insert chained events and move the head to the last one; a seq is never reused."""
        chain = self._chain()
        taken = {e.seq for e in chain}
        for event in events:
            if event.seq in taken:
                raise ValueError(f"audit event {event.seq} exists (unique (tenant_id, seq))")
            taken.add(event.seq)
            chain.append(event)
        if events:
            self.rows.audit_heads[self.tenant_id] = (events[-1].seq, events[-1].hash)

    def stream(self, batch: int) -> Iterator[tuple[object, ...]]:
        """Every event in seq order as tuples (seq, at_us, actor, action, subject, purpose,
        outcome, details, hash)."""
        for e in sorted(self._chain(), key=lambda e: e.seq):
            yield (*dataclasses.astuple(e)[:8], e.hash)  # every field but prev_hash

    def prev_hash(self, seq: int) -> str | None:
        """The stored previous-hash of one event."""
        return next((e.prev_hash for e in self._chain() if e.seq == seq), None)

    def hash_at(self, seq: int) -> str | None:
        """The stored hash of event ``seq`` (the genesis hash for 0)."""
        if seq == 0:
            return GENESIS
        return next((e.hash for e in self._chain() if e.seq == seq), None)

    def checkpoints(self) -> list[CheckpointRecord]:
        """Signed checkpoints in seq order."""
        return sorted(self.rows.checkpoints.get(self.tenant_id, []), key=lambda c: c.seq)

    def add_checkpoint(self, record: CheckpointRecord) -> None:
        """Store a checkpoint."""
        self.rows.checkpoints.setdefault(self.tenant_id, []).append(record)

    def subjects_since(self, seq: int, actions: Sequence[str]) -> list[tuple[str, str | None]]:
        """(action, subject uid) of the events after ``seq`` with one of these actions."""
        chain = sorted(self._chain(), key=lambda e: e.seq)
        return [(e.action, e.subject) for e in chain if e.seq > seq and e.action in actions]

    def recent(
        self, limit: int, *, before: int | None = None, action: str | None = None
    ) -> list[AuditEvent]:
        """The newest events, newest first (only those before seq ``before``, of ``action``)."""
        chain = sorted(self._chain(), key=lambda e: -e.seq)
        found = [
            e
            for e in chain
            if (before is None or e.seq < before) and (action is None or e.action == action)
        ]
        return found[:limit]
