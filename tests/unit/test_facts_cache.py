"""The per-process facts cache follows the audit chain, and forgets everything on another history."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from privault.core.audit import ACTIONS, Affects, AuditAction
from privault.core.decisions import Facts
from privault.services.decisions import CHANGES, FactsCache

TODAY = date(2026, 3, 2)


class FakeAudit:
    """The two audit reads the cache makes, and the change events since a seq."""

    def __init__(
        self, head: tuple[int, str], hashes: dict[int, str], changes: list[tuple[str, str | None]]
    ) -> None:
        self._head, self.hashes, self.changes = head, hashes, changes

    def head(self) -> tuple[int, str]:
        return self._head

    def hash_at(self, seq: int) -> str | None:
        return self.hashes.get(seq)

    def subjects_since(self, seq: int, actions: Any) -> list[tuple[str, str | None]]:
        return list(self.changes)


class FakeNotices:
    """Published notice versions (none: no purpose is marked for re-consent)."""

    def __init__(self) -> None:
        self.reads = 0

    def history(self) -> list[Any]:
        self.reads += 1
        return []


class FakeUow:
    """Just the audit and notice repositories."""

    def __init__(self, audit: FakeAudit) -> None:
        self.audit = audit
        self.notices = FakeNotices()


def cached(seq: int, digest: str) -> FactsCache:
    """A cache that followed the chain to (seq, digest) and holds two subjects."""
    cache = FactsCache()
    cache.seq, cache.hash, cache.day = seq, digest, TODAY
    for ref, uid in (("a", "uid-a"), ("b", "uid-b")):
        cache.by_ref[ref] = Facts()
        cache.ref_by_uid[uid] = ref
    cache.unknown.add("ghost")
    return cache


def test_a_change_event_drops_only_the_subject_it_names() -> None:
    """consent:grant for uid-a: a goes, b stays, unknown refs stay."""
    cache = cached(5, "h5")
    cache.refresh(FakeUow(FakeAudit((6, "h6"), {5: "h5"}, [("consent:grant", "uid-a")])), TODAY)  # type: ignore[arg-type]
    assert sorted(cache.by_ref) == ["b"]
    assert cache.unknown == {"ghost"}
    assert (cache.seq, cache.hash) == (6, "h6")


def test_a_new_subject_clears_the_remembered_unknown_refs() -> None:
    """vault:subject:create: a ref asked before may exist now."""
    cache = cached(5, "h5")
    cache.refresh(
        FakeUow(FakeAudit((6, "h6"), {5: "h5"}, [("vault:subject:create", "uid-new")])), TODAY
    )  # type: ignore[arg-type]
    assert cache.unknown == set()
    assert sorted(cache.by_ref) == ["a", "b"]


def test_another_history_at_or_past_the_same_seq_clears_everything() -> None:
    """A restored database whose chain differs where the cache last looked: nothing cached survives."""
    same_seq = cached(5, "h5")
    same_seq.refresh(FakeUow(FakeAudit((5, "other"), {}, [])), TODAY)  # type: ignore[arg-type]
    assert same_seq.by_ref == {}
    later = cached(5, "h5")
    later.refresh(FakeUow(FakeAudit((9, "h9"), {5: "not-h5"}, [])), TODAY)  # type: ignore[arg-type]
    assert later.by_ref == {}
    behind = cached(5, "h5")
    behind.refresh(FakeUow(FakeAudit((3, "h3"), {}, [])), TODAY)  # type: ignore[arg-type]
    assert behind.by_ref == {}


def test_a_new_day_clears_everything() -> None:
    """Minors grow up at midnight: facts are read again."""
    cache = cached(5, "h5")
    cache.refresh(FakeUow(FakeAudit((5, "h5"), {}, [])), date(2026, 3, 3))  # type: ignore[arg-type]
    assert cache.by_ref == {}


def test_an_unchanged_chain_keeps_the_cache() -> None:
    """Same head, same hash: nothing is dropped."""
    cache = cached(5, "h5")
    cache.refresh(FakeUow(FakeAudit((5, "h5"), {}, [("consent:grant", "uid-a")])), TODAY)  # type: ignore[arg-type]
    assert sorted(cache.by_ref) == ["a", "b"]


def test_notice_marks_are_read_once_then_again_after_a_publication() -> None:
    """The re-consent marks (CCPA-PP-1) are read on the first refresh, not on the next ones, and
    again after a ``config:notice:publish`` event."""
    cache = cached(5, "h5")
    uow = FakeUow(FakeAudit((5, "h5"), {5: "h5"}, []))
    cache.refresh(uow, TODAY)  # type: ignore[arg-type]
    cache.refresh(uow, TODAY)  # type: ignore[arg-type]
    assert uow.notices.reads == 1
    uow.audit = FakeAudit((6, "h6"), {5: "h5", 6: "h6"}, [("config:notice:publish", None)])
    cache.refresh(uow, TODAY)  # type: ignore[arg-type]
    assert uow.notices.reads == 2


class FakeInputs:
    """The tenant's own decision inputs (assessments, notice versions), counting the reads."""

    def __init__(self) -> None:
        self.reads = 0

    def all(self) -> list[object]:
        self.reads += 1
        return []

    def history(self) -> list[object]:
        self.reads += 1
        return []


class FakeTenantUow(FakeUow):
    """The audit repository and the tenant's decision inputs."""

    def __init__(self, audit: FakeAudit, inputs: FakeInputs) -> None:
        super().__init__(audit)
        self.dpias = self.notices = inputs


# Reviewed: the audited actions that change what a decision reads (issue #15). A new action that
# does must be added here as well as marked in the vocabulary.
REVIEWED = {
    "vault:subject:create": Affects.SUBJECTS,
    "vault:subject:update": Affects.SUBJECTS,
    "vault:subject:erase": Affects.SUBJECTS,
    "consent:grant": Affects.SUBJECTS,
    "consent:withdraw": Affects.SUBJECTS,
    "consent:link": Affects.SUBJECTS,
    "consent:rebuild": Affects.SUBJECTS,
    "records:dpia": Affects.TENANT,
    "config:notice:publish": Affects.TENANT,
}


def test_every_audit_action_says_whether_it_changes_a_decision() -> None:
    """The vocabulary cannot take an action without that decision, and the cache replays exactly
    the actions reviewed as changing a subject's facts or consent or the tenant's inputs."""
    with pytest.raises(TypeError):
        AuditAction("A new action nobody classified.")  # type: ignore[call-arg]
    assert all(isinstance(action.affects, Affects) for action in ACTIONS.values())
    changing = {k: a.affects for k, a in ACTIONS.items() if a.affects is not Affects.NOTHING}
    assert changing == REVIEWED
    assert sorted(CHANGES) == sorted(REVIEWED)


@pytest.mark.parametrize("action", CHANGES)
def test_every_change_makes_the_cache_read_again(action: str) -> None:
    """A change to subjects forgets the subject it names (or the unknown refs, or everything); a
    change to the tenant's inputs makes its assessments or notice versions read again."""
    tenant = ACTIONS[action].affects is Affects.TENANT
    cache = cached(5, "h5")
    cache.assessed = frozenset({"profiling"})
    cache.dpias_due = cache.notices_due = False
    inputs = FakeInputs()
    audit = FakeAudit((6, "h6"), {5: "h5"}, [(action, None if tenant else "uid-a")])
    cache.refresh(FakeTenantUow(audit, inputs), TODAY)  # type: ignore[arg-type]
    if tenant:
        assert inputs.reads == 1
    else:
        assert "a" not in cache.by_ref or not cache.unknown
