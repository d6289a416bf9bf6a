"""A fake consent ledger and projection with the semantics of ``storage/consent_repo.py``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import date, datetime

from privault.core.records import ConsentEventRecord, SubjectFacts
from tests.fakes.base import FakeRepository
from tests.fakes.tables import StoredState


class FakeConsent(FakeRepository):
    """The bound tenant's consent ledger (append-only) and its states."""

    def _events(self) -> list[ConsentEventRecord]:
        tenant = self.tenant_id
        return [e for t, e in self.rows.consent_events if t == tenant]

    def _states(self) -> dict[str, StoredState]:
        tenant = self.tenant_id
        return {h: s for (t, h), s in self.rows.consent_states.items() if t == tenant}

    def append(self, events: Sequence[ConsentEventRecord]) -> list[int]:
        """Insert events (their ``id`` is ignored); return the ids given, in order."""
        top = max((e.id for _, e in self.rows.consent_events), default=0)
        ids = list(range(top + 1, top + 1 + len(events)))
        for new_id, event in zip(ids, events, strict=True):
            self.rows.consent_events.append((self.tenant_id, dataclasses.replace(event, id=new_id)))
        return ids

    def states(
        self, holders: Sequence[str], *, lock: bool = False
    ) -> dict[str, tuple[str, int | None]]:
        """{holder: (state JSON, subject id)}; ``lock`` first creates missing rows, empty."""
        tenant = self.tenant_id
        if lock:
            for holder in holders:
                own = int(holder[2:]) if holder.startswith("s:") else None
                self.rows.consent_states.setdefault((tenant, holder), StoredState("{}", own))
        mine = self._states()
        return {h: (mine[h].state, mine[h].subject_id) for h in sorted(set(holders)) if h in mine}

    def put_states(self, rows: Sequence[tuple[str, int | None, str]], at: datetime) -> None:
        """Create or replace states: (holder, subject id, state JSON)."""
        for holder, subject_id, state in rows:
            self.rows.consent_states[(self.tenant_id, holder)] = StoredState(state, subject_id)

    def all_states(self) -> Iterator[tuple[str, int | None, str]]:
        """Every (holder, subject id, state JSON)."""
        for holder, stored in self._states().items():
            yield holder, stored.subject_id, stored.state

    def clear_states(self) -> None:
        """Delete every state of the tenant (before a rebuild)."""
        for holder in self._states():
            del self.rows.consent_states[(self.tenant_id, holder)]

    def events(
        self,
        *,
        subject_id: int | None = None,
        visitor: str | None = None,
        after_id: int = 0,
        limit: int = 5000,
    ) -> list[ConsentEventRecord]:
        """Ledger rows in id order: of one subject, one visitor, or (neither) the whole tenant."""
        found = [
            e
            for e in sorted(self._events(), key=lambda e: e.id)
            if e.id > after_id
            and (subject_id is None or e.subject_id == subject_id)
            and (visitor is None or e.visitor == visitor)
        ]
        return found[:limit]

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
        """Ledger rows newest first, filtered as the SQL repository filters them."""
        found = [
            e
            for e in sorted(self._events(), key=lambda e: -e.id)
            if (subject_id is None or e.subject_id == subject_id or e.visitor in visitors)
            and (kind is None or e.kind == kind)
            and (scope is None or e.scope == scope)
            and (before_id is None or e.id < before_id)
        ]
        return found[:limit]

    def linked_visitors(self, subject_id: int) -> list[str]:
        """Visitor ids linked to this subject."""
        mine = self._states().items()
        return sorted(h[2:] for h, s in mine if h.startswith("v:") and s.subject_id == subject_id)

    def lock_all(self) -> None:
        """Nothing to do: one fake transaction runs at a time."""

    def count(self) -> int:
        """Events in the tenant's ledger."""
        return len(self._events())

    def facts(self, refs: Sequence[str]) -> dict[str, tuple[SubjectFacts, str | None]]:
        """{ref: (facts, state JSON)} of the subjects with these refs."""
        tenant, states, wanted = self.tenant_id, self._states(), set(refs)
        found: dict[str, tuple[SubjectFacts, str | None]] = {}
        for stored in self.rows.subjects.values():
            s = stored.record
            if stored.tenant_id != tenant or s.ref is None or s.ref not in wanted:
                continue
            facts = SubjectFacts(
                s.id, s.uid, s.ref, s.adult_on, s.wrapped_key is None, stored.exclusive_data
            )
            state = states.get(f"s:{s.id}")
            found[s.ref] = (facts, state.state if state else None)
        return found

    def minors(self, today: date) -> list[int]:
        """Ids of live subjects who are minors today."""
        tenant = self.tenant_id
        return [
            i
            for i, stored in self.rows.subjects.items()
            if stored.tenant_id == tenant
            and stored.record.wrapped_key is not None
            and stored.record.adult_on is not None
            and stored.record.adult_on > today
        ]
