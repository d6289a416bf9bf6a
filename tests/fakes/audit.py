"""A fake audit log with the semantics of ``storage/audit_repo.py`` (one log per tenant)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

from privault.core.audit import GENESIS, AuditEvent
from privault.core.records import CheckpointRecord
from tests.fakes.base import FakeRepository


class FakeAudit(FakeRepository):
    """The bound tenant's audit events, its sealed head and its checkpoints."""

    def _log(self) -> list[AuditEvent]:
        return self.rows.audit_events.setdefault(self.tenant_id, [])

    def _sealed(self) -> list[AuditEvent]:
        return sorted((e for e in self._log() if e.seq is not None), key=lambda e: e.seq or 0)

    def _next_id(self) -> int:
        return 1 + max((e.id for log in self.rows.audit_events.values() for e in log), default=0)

    def append(self, events: Sequence[AuditEvent]) -> None:
        """Insert unsealed events with fresh ids; a MAC is never stored twice (unique)."""
        log = self._log()
        macs = {e.mac for e in log}
        next_id = self._next_id()
        for offset, event in enumerate(events):
            if event.mac is not None and event.mac in macs:
                raise ValueError("an audit event with this MAC exists (unique (mac, tenant_id))")
            macs.add(event.mac)
            log.append(dataclasses.replace(event, id=next_id + offset))

    def _everyone(self) -> list[AuditEvent]:
        return [e for log in self.rows.audit_events.values() for e in log]

    def change_mark(self) -> tuple[int, int, str | None]:
        """The highest event id of any tenant (one fake transaction commits at a time), with its
        MAC."""
        newest = max(self._everyone(), key=lambda e: e.id, default=None)
        if newest is None:
            return 0, 0, None
        return newest.id, newest.id, newest.mac or ""

    def mac_of(self, event_id: int) -> str | None:
        """The MAC of one event of any tenant ("" without one, None if there is no such event)."""
        found = next((e for e in self._everyone() if e.id == event_id), None)
        return None if found is None else (found.mac or "")

    def changes_since(self, mark: int, actions: Sequence[str]) -> list[tuple[str, str | None]]:
        """(action, subject uid) of the events after ``mark`` with one of these actions."""
        log = sorted(self._log(), key=lambda e: e.id)
        return [(e.action, e.subject) for e in log if e.id > mark and e.action in actions]

    def tenants_to_seal(self) -> set[int]:
        """Tenants with unsealed events, or a head past their last checkpoint."""
        due = {
            tid for tid, log in self.rows.audit_events.items() if any(e.seq is None for e in log)
        }
        for tid, (seq, _, _) in self.rows.audit_heads.items():
            points = [c.seq for c in self.rows.checkpoints.get(tid, [])]
            if seq > max(points, default=0):
                due.add(tid)
        return due

    def lock_head(self) -> tuple[int, str, int]:
        """The head, created at genesis if missing (one fake transaction runs at a time)."""
        return self.rows.audit_heads.setdefault(self.tenant_id, (0, GENESIS, 0))

    def head(self) -> tuple[int, str]:
        """The recorded head, unlocked (genesis if none)."""
        seq, hash_, _ = self.rows.audit_heads.get(self.tenant_id, (0, GENESIS, 0))
        return seq, hash_

    def unsealed(self, until_us: int | None, limit: int) -> list[AuditEvent]:
        """Unsealed events written at or before ``until_us``, in time order."""
        waiting = [
            e for e in self._log() if e.seq is None and (until_us is None or e.at_us <= until_us)
        ]
        return sorted(waiting, key=lambda e: (e.at_us, e.id))[:limit]

    def seal(self, events: Sequence[AuditEvent], head: tuple[int, str, int]) -> None:
        """Store the events' places in the chain and move the head."""
        if not events:
            return
        by_id = {e.id: e for e in events}
        taken = {e.seq for e in self._log() if e.seq is not None}
        for event in events:
            if event.seq in taken:
                raise ValueError(f"audit event {event.seq} exists (unique (tenant_id, seq))")
        log = self._log()
        log[:] = [by_id.get(e.id, e) for e in log]
        self.rows.audit_heads[self.tenant_id] = head

    def stream(self, after: int, batch: int) -> Iterator[tuple[object, ...]]:
        """Sealed events after ``after`` as tuples (seq, at_us, actor, action, subject, purpose,
        outcome, details, nonce, mac, hash)."""
        for e in self._sealed():
            if (e.seq or 0) > after:
                yield (*dataclasses.astuple(e)[:8], e.nonce, e.mac, e.hash)

    def stream_unsealed(self, batch: int) -> Iterator[tuple[object, ...]]:
        """Unsealed events as tuples (id, at_us, ..., details, nonce, mac)."""
        for e in self.unsealed(None, len(self._log())):
            yield (e.id, *dataclasses.astuple(e)[1:8], e.nonce, e.mac)

    def duplicate_macs(self) -> list[str]:
        """MACs more than one event carries."""
        macs = [e.mac for e in self._log() if e.mac is not None]
        return sorted({m for m in macs if macs.count(m) > 1})

    def prev_hash(self, seq: int) -> str | None:
        """The stored previous-hash of one sealed event."""
        return next((e.prev_hash for e in self._log() if e.seq == seq), None)

    def hash_at(self, seq: int) -> str | None:
        """The stored hash of sealed event ``seq`` (the genesis hash for 0)."""
        if seq == 0:
            return GENESIS
        return next((e.hash for e in self._log() if e.seq == seq), None)

    def checkpoints(self, after: int = -1) -> list[CheckpointRecord]:
        """Signed checkpoints past ``after``, in seq order."""
        points = self.rows.checkpoints.get(self.tenant_id, [])
        return sorted((c for c in points if c.seq > after), key=lambda c: c.seq)

    def add_checkpoint(self, record: CheckpointRecord) -> None:
        """Store a checkpoint."""
        self.rows.checkpoints.setdefault(self.tenant_id, []).append(record)

    def recent(
        self, limit: int, *, before: int | None = None, action: str | None = None
    ) -> list[AuditEvent]:
        """The newest events by id, newest first (ids below ``before``, of ``action``)."""
        log = sorted(self._log(), key=lambda e: -e.id)
        found = [
            e
            for e in log
            if (before is None or e.id < before) and (action is None or e.action == action)
        ]
        return found[:limit]
