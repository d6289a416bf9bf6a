"""The per-process facts cache follows the audit log's change mark, and forgets everything on
another history (a mark that went back)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from privault.core.audit import ACTIONS, Affects, AuditAction
from privault.core.decisions import Facts
from privault.core.records import SubjectFacts
from privault.services.decisions import CHANGES, FactsCache

TODAY = date(2026, 3, 2)


class FakeAudit:
    """The audit reads the cache makes: the change mark and the change events since one."""

    def __init__(
        self, mark: int, changes: list[tuple[str, str | None]], macs: dict[int, str] | None = None
    ) -> None:
        self.mark, self.changes = mark, changes
        self.macs = macs if macs is not None else {n: f"mac{n}" for n in range(1, mark + 1)}
        self.asked: list[int] = []

    def change_mark(self) -> tuple[int, int, str | None]:
        newest = max(self.macs, default=0)
        return self.mark, newest, self.macs.get(newest)

    def mac_of(self, event_id: int) -> str | None:
        return self.macs.get(event_id)

    def changes_since(self, mark: int, actions: Any) -> list[tuple[str, str | None]]:
        self.asked.append(mark)
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


class FakeConsent:
    """Subjects' facts rows, by ref (``None``: an adult with no state)."""

    def __init__(self, adult_on: dict[str, date | None]) -> None:
        self.adult_on = adult_on

    def facts(self, refs: list[str]) -> dict[str, tuple[SubjectFacts, str | None]]:
        return {
            ref: (SubjectFacts(n, f"uid-{ref}", ref, self.adult_on[ref], False, None), None)
            for n, ref in enumerate(refs, start=1)
            if ref in self.adult_on
        }


class FakeLoadingUow(FakeUow):
    """The audit and notices, and the consent repository's facts rows."""

    def __init__(self, audit: FakeAudit, adult_on: dict[str, date | None]) -> None:
        super().__init__(audit)
        self.consent = FakeConsent(adult_on)


def cached(mark: int) -> FactsCache:
    """A cache that followed the log to ``mark`` and holds two subjects."""
    cache = FactsCache()
    cache.mark, cache.day, cache.newest = mark, TODAY, (mark, f"mac{mark}")
    for ref, uid in (("a", "uid-a"), ("b", "uid-b")):
        cache.by_ref[ref] = Facts()
        cache.ref_by_uid[uid] = ref
    cache.unknown.add("ghost")
    return cache


def test_a_change_event_drops_only_the_subject_it_names() -> None:
    """consent:grant for uid-a: a goes, b stays, unknown refs stay."""
    cache = cached(5)
    audit = FakeAudit(6, [("consent:grant", "uid-a")])
    cache.refresh(FakeUow(audit), TODAY)  # type: ignore[arg-type]
    assert sorted(cache.by_ref) == ["b"]
    assert cache.unknown == {"ghost"}
    assert (cache.mark, audit.asked) == (6, [5])  # replayed from the mark it saw last


def test_a_new_subject_clears_the_remembered_unknown_refs() -> None:
    """vault:subject:create: a ref asked before may exist now."""
    cache = cached(5)
    cache.refresh(FakeUow(FakeAudit(6, [("vault:subject:create", "uid-new")])), TODAY)  # type: ignore[arg-type]
    assert cache.unknown == set()
    assert sorted(cache.by_ref) == ["a", "b"]


def test_a_mark_that_went_back_clears_everything() -> None:
    """A restored database (its mark is behind the one the cache saw): nothing cached survives."""
    behind = cached(5)
    behind.refresh(FakeUow(FakeAudit(3, [])), TODAY)  # type: ignore[arg-type]
    assert behind.by_ref == {}


def test_another_event_where_the_newest_was_clears_everything() -> None:
    """A database restored to the same length: the newest event seen last is another one now."""
    same_length = cached(5)
    same_length.refresh(FakeUow(FakeAudit(5, [], {5: "another"})), TODAY)  # type: ignore[arg-type]
    assert same_length.by_ref == {}
    gone = cached(5)
    gone.refresh(FakeUow(FakeAudit(9, [], {9: "mac9"})), TODAY)  # type: ignore[arg-type]
    assert gone.by_ref == {}
    kept = cached(5)
    kept.refresh(FakeUow(FakeAudit(9, [], {5: "mac5", 9: "mac9"})), TODAY)  # type: ignore[arg-type]
    assert sorted(kept.by_ref) == ["a", "b"]


def test_the_same_mark_still_replays_what_committed_since() -> None:
    """On PostgreSQL the mark (the oldest running transaction) can stay put while events commit:
    the cache asks for changes every time, not only when the mark moves."""
    cache = cached(5)
    audit = FakeAudit(5, [("consent:withdraw", "uid-b")])
    cache.refresh(FakeUow(audit), TODAY)  # type: ignore[arg-type]
    assert sorted(cache.by_ref) == ["a"]
    assert audit.asked == [5]


def test_a_new_day_drops_only_who_comes_of_age_on_it() -> None:
    """Minors grow up at midnight: the subject who turns adult (or stops being a teen) on the new
    day is read again; the others stay, and assessments are re-read."""
    cache = cached(5)
    cache.teen_years = 2
    tomorrow = date(2026, 3, 3)
    cache.by_ref["grows-up"], cache.uid_of["grows-up"] = Facts(is_minor=True), "uid-g"
    cache.ref_by_uid["uid-g"] = "grows-up"
    cache.adult_on["grows-up"] = tomorrow
    cache.by_ref["no-longer-teen"] = Facts(teen=True)
    cache.adult_on["no-longer-teen"] = date(2024, 3, 3)  # two teen years end tomorrow
    cache.by_ref["still-minor"] = Facts(is_minor=True)
    cache.adult_on["still-minor"] = date(2030, 1, 1)
    cache.dpias_due = False
    cache.refresh(FakeUow(FakeAudit(5, [])), tomorrow)  # type: ignore[arg-type]
    assert sorted(cache.by_ref) == ["a", "b", "still-minor"]
    assert "uid-g" not in cache.ref_by_uid
    assert cache.unknown == {"ghost"}
    assert cache.day == tomorrow


def test_past_its_limit_the_least_recently_used_subjects_go_first() -> None:
    """A cache of three: a subject answered from the cache is kept over older ones, and the
    oldest is forgotten to make room (with its uid)."""
    cache = FactsCache(limit=3)
    cache.mark, cache.day, cache.newest = 5, TODAY, (5, "mac5")
    uow = FakeLoadingUow(FakeAudit(5, []), {"a": None, "b": None, "c": None, "d": None})
    cache.load(uow, ["a", "b", "c"], TODAY)  # type: ignore[arg-type]
    cache.by_ref.move_to_end("a")  # "a" answered again, as the hot loop marks it
    cache.load(uow, ["d"], TODAY)  # type: ignore[arg-type]
    assert list(cache.by_ref) == ["c", "a", "d"]
    assert "uid-b" not in cache.ref_by_uid
    assert cache.ref_by_uid["uid-d"] == "d"


def test_no_change_keeps_the_cache() -> None:
    """Events that change nothing a decision reads: nothing is dropped."""
    cache = cached(5)
    cache.refresh(FakeUow(FakeAudit(7, [])), TODAY)  # type: ignore[arg-type]
    assert sorted(cache.by_ref) == ["a", "b"]


def test_notice_marks_are_read_once_then_again_after_a_publication() -> None:
    """The re-consent marks (CCPA-PP-1) are read on the first refresh, not on the next ones, and
    again after a ``config:notice:publish`` event."""
    cache = cached(5)
    uow = FakeUow(FakeAudit(5, []))
    cache.refresh(uow, TODAY)  # type: ignore[arg-type]
    cache.refresh(uow, TODAY)  # type: ignore[arg-type]
    assert uow.notices.reads == 1
    uow.audit = FakeAudit(6, [("config:notice:publish", None)])
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
    cache = cached(5)
    cache.assessed = frozenset({"profiling"})
    cache.dpias_due = cache.notices_due = False
    inputs = FakeInputs()
    audit = FakeAudit(6, [(action, None if tenant else "uid-a")])
    cache.refresh(FakeTenantUow(audit, inputs), TODAY)  # type: ignore[arg-type]
    if tenant:
        assert inputs.reads == 1
    else:
        assert "a" not in cache.by_ref or not cache.unknown
