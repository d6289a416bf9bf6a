"""The processing decision as a use case: load what the rules need for a batch, then ask the core.

``decide_many`` answers a batch of questions in one unit of work, with two queries per 900 subjects
(facts and consent states) and the pure rules of :mod:`privault.core.decisions`; services that decide
inside their own transaction call the step :func:`answer_many`. Plans (the manifest side of a
question) are compiled once per container by its :class:`Decider`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from privault.core.access import Verdict
from privault.core.assessments import DPIA_RULE, unassessed, without_assessment
from privault.core.audit import ACTIONS, Affects, to_micros
from privault.core.children import is_teen, teen_years
from privault.core.consent import load_state
from privault.core.decisions import (
    UNKNOWN,
    UNKNOWN_SUBJECT,
    Decision,
    Facts,
    Plan,
    evaluate,
)
from privault.core.display import Display
from privault.core.manifest import Manifest
from privault.core.manifest.model import Action
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.notice_review import (
    RECONSENT_RULE,
    Mark,
    predates,
    reconsent_marks,
    stale_consent,
)
from privault.core.plans import compile_plan
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectFacts
from privault.core.vault import is_minor
from privault.errors import InvalidInput, NotFound
from privault.services.audit import Entry, record
from privault.services.tenants import bind_tenant

if TYPE_CHECKING:  # ``services.deps`` imports the Decider from here
    from privault.services.deps import Deps

MAX_BATCH = 10_000


# Audited actions that change what a decision reads: a subject's facts or consent state, or the
# tenant's own inputs (an impact assessment, GDPR-DPIA-1; a notice version's re-consent marks,
# CCPA-PP-1). Each action of the vocabulary says which (``core.audit.AuditAction.affects``).
CHANGES = tuple(name for name, action in ACTIONS.items() if action.affects is not Affects.NOTHING)
MAX_CACHED = 2_000_000


class FactsCache:
    """One tenant's subject facts, kept in this process between batches.

    Every change to a subject's facts or consent is audited in the same transaction. So a batch
    reads the audit log's change mark (``AuditRepository.change_mark``), replays the change events
    committed since the mark it saw last (dropping the subjects they name), and loads only what is
    missing. A cached entry is never older than the mark it was checked against. Audit appends take
    no lock, so the mark is not a position in the chain but one the storage guarantees: every event
    committed after it was read is found from it.
    """

    def __init__(
        self,
        teen_years: int = 0,
        assessed: frozenset[str] = frozenset(),
        limit: int = MAX_CACHED,
    ) -> None:
        self.limit = limit  # subjects kept; past it the least recently used go first
        self.teen_years = teen_years  # see ``core.children.teen_years``
        self.assessed = assessed  # purposes that require an impact assessment (GDPR-DPIA-1)
        self.unassessed: frozenset[str] = frozenset()  # of those, without an approved one today
        self.dpias_due = True
        self.reconsent: dict[str, Mark] = {}  # purposes a notice marked for re-consent, and since
        self.notices_due = True
        self.lock = threading.Lock()
        self.mark = -1
        self.newest: tuple[int, str | None] = (0, None)  # the newest event seen, and its MAC
        self.day: date | None = None
        self.by_ref: OrderedDict[str, Facts] = OrderedDict()  # least recently used first
        self.ref_by_uid: dict[str, str] = {}
        self.uid_of: dict[str, str] = {}
        self.adult_on: dict[str, date] = {}  # the refs whose facts a birthday can change
        self.unknown: set[str] = set()

    def clear(self) -> None:
        """Forget everything."""
        self.by_ref.clear()
        self.ref_by_uid.clear()
        self.uid_of.clear()
        self.adult_on.clear()
        self.unknown.clear()

    def refresh(self, uow: UnitOfWork, today: date) -> None:
        """Bring the cache up to what is committed now."""
        mark, newest, mac = uow.audit.change_mark()  # read before the changes it bounds
        if self.mark < 0 or mark < self.mark or self._restored(uow, newest, mac):
            self.clear()  # the first refresh, or another history (a restore)
            self.day, self.dpias_due, self.notices_due = today, True, True
        else:
            if self.day != today:
                self._new_day(today)
            for action, uid in uow.audit.changes_since(self.mark, CHANGES):
                self._drop(action, uid)
        self.mark, self.newest = mark, (newest, mac)
        if self.dpias_due and self.assessed:
            self.unassessed = unassessed(self.assessed, uow.dpias.all(), today)
        if self.notices_due:
            self.reconsent = reconsent_marks(uow.notices.history())
        self.dpias_due = self.notices_due = False

    def _new_day(self, today: date) -> None:
        """A new day changes only the subjects who stop being minors or teens on it (and, maybe,
        which assessments are due): those are read again, the others stay."""
        before, years = self.day or today, self.teen_years
        for ref, adult_on in list(self.adult_on.items()):
            if is_minor(adult_on, before) != is_minor(adult_on, today) or is_teen(
                adult_on, before, years
            ) != is_teen(adult_on, today, years):
                self._forget(ref)
        self.day, self.dpias_due = today, True  # an assessment's review date may have passed

    def _forget(self, ref: str) -> None:
        self.by_ref.pop(ref, None)
        self.adult_on.pop(ref, None)
        uid = self.uid_of.pop(ref, None)
        if uid is not None:
            self.ref_by_uid.pop(uid, None)

    def _restored(self, uow: UnitOfWork, newest: int, mac: str | None) -> bool:
        """The newest event seen last is gone or is another event: a restored database."""
        seen, seen_mac = self.newest
        if seen == 0:
            return False
        if newest == seen:
            return mac != seen_mac
        return newest < seen or uow.audit.mac_of(seen) != seen_mac

    def _drop(self, action: str, uid: str | None) -> None:
        if action == "records:dpia":
            self.dpias_due = True
        elif action == "config:notice:publish":
            self.notices_due = True
        elif action == "consent:rebuild":
            self.clear()
        elif action == "vault:subject:create":
            self.unknown.clear()
        elif uid is not None:
            ref = self.ref_by_uid.get(uid)
            if ref is not None:
                self._forget(ref)

    def load(self, uow: UnitOfWork, refs: Sequence[str], today: date) -> dict[str, Facts]:
        """Make sure these refs are cached (or known to be unknown); return the cache itself, to be
        read while the lock is held."""
        by_ref, unknown = self.by_ref, self.unknown
        missing = [r for r in dict.fromkeys(refs) if r not in by_ref and r not in unknown]
        if missing:
            if len(unknown) + len(missing) > self.limit:
                unknown.clear()  # refs asked about that do not exist: cheap to ask again
            self._evict(len(by_ref) + len(missing) - self.limit)
            found = uow.consent.facts(sorted(missing))
            for ref in missing:
                if ref not in found:
                    unknown.add(ref)
                    continue
                row, state = found[ref]
                by_ref[ref] = subject_facts(row, state, today, self.teen_years)
                self.ref_by_uid[row.uid], self.uid_of[ref] = ref, row.uid
                if row.adult_on is not None:
                    self.adult_on[ref] = row.adult_on
        return by_ref

    def _evict(self, count: int) -> None:
        """Forget the ``count`` least recently used subjects."""
        for _ in range(max(0, min(count, len(self.by_ref)))):
            ref = next(iter(self.by_ref))
            self._forget(ref)


@dataclass(slots=True)
class AccessMemo:
    """What a tenant view's access rules answered (the vault's reads ask the same few questions
    on every call): they depend on the manifest alone."""

    read_rules: dict[tuple[str, str, str, str | None], str | None] = field(default_factory=dict)
    verdicts: dict[tuple[str, Action, str, str], Verdict] = field(default_factory=dict)
    whole: dict[tuple[str, str, str], tuple[Display, Verdict | None]] = field(default_factory=dict)


class Decider:
    """Compiled plans and tenant views of one manifest, and each tenant's facts cache. The
    composition root holds one (``Container.decider``, rebuilt when the manifest is reloaded) and
    hands it to every use case that decides: no module keeps one."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._views: dict[str, TenantView] = {}
        self._plans: dict[tuple[str, str, tuple[str, ...], str | None], Plan] = {}
        self._facts: dict[str, FactsCache] = {}
        self._access: dict[str, AccessMemo] = {}

    def access_memo(self, tenant_key: str) -> AccessMemo:
        """The tenant's remembered access answers (emptied with the manifest)."""
        memo = self._access.get(tenant_key)
        if memo is None:
            memo = self._access.setdefault(tenant_key, AccessMemo())
        return memo

    def facts(self, tenant_key: str) -> FactsCache:
        """The tenant's facts cache."""
        cache = self._facts.get(tenant_key)
        if cache is None:
            view = self.view(tenant_key)
            years = teen_years(view.policy.minor_age, view.policy.sale_opt_in_age)
            assessed = frozenset(p.key for p in view.purposes if p.requires_dpia)
            cache = self._facts.setdefault(tenant_key, FactsCache(years, assessed))
        return cache

    def reconsent_mark(
        self, uow: UnitOfWork, tenant_key: str, purpose: str, today: date
    ) -> Mark | None:
        """Since when a consent to ``purpose`` must have been recorded to count (CCPA-PP-1): the
        notice version that last changed what the purpose says, or None. ``uow`` is bound."""
        cache = self.facts(tenant_key)
        with cache.lock:
            cache.refresh(uow, today)
            return cache.reconsent.get(purpose)

    def view(self, tenant_key: str) -> TenantView:
        """The tenant's resolved view (cached)."""
        view = self._views.get(tenant_key)
        if view is None:
            view = self._views[tenant_key] = tenant_view(self.manifest, tenant_key)
        return view

    def plan(
        self, tenant_key: str, purpose: str, categories: tuple[str, ...], brand: str | None
    ) -> Plan:
        """The compiled plan of a question (cached; at most 10,000 kept)."""
        key = (tenant_key, purpose, categories, brand)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= 10_000:
                self._plans.clear()
            plan = self._plans[key] = compile_plan(
                self.view(tenant_key), purpose, categories, brand
            )
        return plan

    def __getstate__(self) -> dict[str, Any]:
        return {"manifest": self.manifest}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["manifest"])  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class Question:
    """May the data of ``categories`` (default: all the purpose uses) of a subject or visitor be
    processed for ``purpose``, under ``brand`` (marketing)?"""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}  # parsed straight from JSON

    purpose: str
    subject: str | None = None
    visitor: str | None = None
    categories: tuple[str, ...] = ()
    brand: str | None = None


def subject_facts(row: SubjectFacts, state_json: str | None, today: date, teens: int = 0) -> Facts:
    """The decision's view of a stored subject (``teens``: see ``core.children.teen_years``)."""
    if row.erased:
        return UNKNOWN
    exclusive = (
        {k: frozenset(v) for k, v in json.loads(row.exclusive_data).items()}
        if row.exclusive_data
        else {}
    )
    minor = is_minor(row.adult_on, today)
    teen = is_teen(row.adult_on, today, teens)
    return Facts(True, minor, load_state(state_json), exclusive, teen)


def decide_many(
    deps: Deps,
    tenant_key: str,
    tenant_id: int,
    questions: Sequence[Question],
    at: datetime,
    *,
    actor: str | None = None,
) -> list[Decision]:
    """Answer a batch of questions at instant ``at``. With ``actor``, the batch is audited (counts only)."""
    with deps.make_uow() as uow:
        return _decide(uow, deps.decider, tenant_key, tenant_id, questions, at, actor)


def decide_question(
    deps: Deps, tenant_key: str, question: Question, at: datetime, *, actor: str | None = None
) -> Decision:
    """One question about a subject or a visitor (see :func:`decide_many`), the tenant by its key."""
    with deps.make_uow() as uow:
        tenant_id = bind_tenant(uow, tenant_key).id
        [answer] = _decide(uow, deps.decider, tenant_key, tenant_id, [question], at, actor)
    return answer


def _decide(
    uow: UnitOfWork,
    decider: Decider,
    tenant_key: str,
    tenant_id: int,
    questions: Sequence[Question],
    at: datetime,
    actor: str | None,
) -> list[Decision]:
    with uow.reading():  # only reads: on SQLite no write lock, but for the audit event after
        answers = answer_many(uow, decider, tenant_key, tenant_id, questions, at)
    if actor is not None:
        allowed = sum(1 for a in answers if a.allowed)
        details = {"questions": len(answers), "allowed": allowed, "denied": len(answers) - allowed}
        record(uow, [Entry(actor, "decision:batch", details=details)], at)
        uow.commit()
    return answers


def answer_many(
    uow: UnitOfWork,
    decider: Decider,
    tenant_key: str,
    tenant_id: int,
    questions: Sequence[Question],
    at: datetime,
) -> list[Decision]:
    """:func:`decide_many` in the caller's transaction (binds it to ``tenant_id``), not audited."""
    if len(questions) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} questions per batch")
    uow.bind_tenant(tenant_id)
    at_us, today = to_micros(at), at.date()
    cache = decider.facts(tenant_key)
    with cache.lock:  # other threads change the cache only between batches
        cache.refresh(uow, today)
        batch = _Batch(decider, tenant_key, at_us)
        batch.answer_cached(questions, cache.by_ref)
        visitors: dict[str, Facts] = {}
        if batch.visitors:  # anonymous visitors: their state is read for this batch
            visitors = _visitors(uow, {questions[i].visitor or "" for i in batch.visitors})
            batch.answer_visitors(questions, visitors)
        if batch.missing:  # first touch: load these subjects' facts, then answer their questions
            refs = [questions[i].subject or "" for i in batch.missing]
            batch.answer_loaded(questions, cache.load(uow, refs, today))
        answers = batch.answers
        if cache.unassessed and batch.touches(cache.unassessed):
            _require_assessments(batch, cache.unassessed)
        if cache.reconsent and batch.touches(frozenset(cache.reconsent)):
            _require_reconsent(batch, questions, cache.by_ref, visitors, cache.reconsent)
    return answers


def decide(
    deps: Deps,
    tenant_key: str,
    subject: str,
    purpose: str,
    categories: Sequence[str] = (),
    *,
    brand: str | None = None,
    at: datetime,
    actor: str | None = None,
) -> Decision:
    """May ``subject``'s data of ``categories`` (default: all the purpose uses) be processed for
    ``purpose`` at ``at``? One question; see :func:`decide_many` for batches."""
    question = Question(purpose, subject, categories=tuple(categories), brand=brand)
    with deps.make_uow() as uow:
        tenant = uow.tenants.get_by_key(tenant_key)
        if tenant is None:
            raise NotFound(f"no tenant '{tenant_key}' in the database", code="tenant.unknown")
        [answer] = _decide(uow, deps.decider, tenant_key, tenant.id, [question], at, actor)
    return answer


class _Batch:
    """Answers of one batch, in one pass over the questions for subjects already cached; questions
    about visitors and about subjects not cached yet are answered once their facts are read."""

    def __init__(self, decider: Decider, tenant_key: str, at_us: int) -> None:
        self.decider, self.tenant_key, self.at_us = decider, tenant_key, at_us
        self.plans: list[Plan] = []
        self.answers: list[Decision] = []
        self.visitors: list[int] = []
        self.missing: list[int] = []
        self._seen: dict[tuple[str, tuple[str, ...], str | None], Plan] = {}

    def _plan(self, q: Question) -> Plan:
        key = (q.purpose, q.categories, q.brand)
        plan = self._seen.get(key)
        if plan is None:
            plan = self._seen[key] = self.decider.plan(
                self.tenant_key, q.purpose, q.categories, q.brand
            )
        return plan

    def touches(self, purposes: frozenset[str]) -> bool:
        """Does a question of this batch concern one of these purposes?"""
        return any(plan.purpose.key in purposes for plan in self._seen.values())

    def answer_cached(self, questions: Sequence[Question], by_ref: OrderedDict[str, Facts]) -> None:
        """The hot loop: look the plan and the remembered answer up, else compute it (a subject
        found is marked as just used)."""
        plans, answer, at_us, touch = (
            self.plans,
            self.answers.append,
            self.at_us,
            by_ref.move_to_end,
        )
        seen, plan_for = self._seen, self._plan
        for i, q in enumerate(questions):
            plan = seen.get((q.purpose, q.categories, q.brand)) or plan_for(q)
            plans.append(plan)
            subject = q.subject
            if subject is None or q.visitor is not None:
                if (subject is None) == (q.visitor is None):
                    raise InvalidInput("each question names either a subject or a visitor")
                self.visitors.append(i)
                answer(UNKNOWN_SUBJECT)  # replaced once the visitors' states are read
                continue
            facts = by_ref.get(subject)
            if facts is None:
                self.missing.append(i)
                answer(UNKNOWN_SUBJECT)  # replaced once the subject's facts are loaded
                continue
            touch(subject)
            found = facts.memo.get(plan.serial)
            answer(found if found is not None else _fresh(plan, facts, at_us))

    def answer_visitors(self, questions: Sequence[Question], facts: dict[str, Facts]) -> None:
        """Questions about visitors, from their state read for this batch."""
        for i in self.visitors:
            self.answers[i] = _fresh(self.plans[i], facts[questions[i].visitor or ""], self.at_us)

    def answer_loaded(self, questions: Sequence[Question], by_ref: dict[str, Facts]) -> None:
        """Questions about subjects whose facts were just loaded (or found unknown)."""
        for i in self.missing:
            facts = by_ref.get(questions[i].subject or "", UNKNOWN)
            plan = self.plans[i]
            self.answers[i] = facts.memo.get(plan.serial) or _fresh(plan, facts, self.at_us)


def _require_assessments(batch: _Batch, missing: frozenset[str]) -> None:
    """GDPR-DPIA-1: deny every answer about a purpose still without an approved assessment."""
    for i, plan in enumerate(batch.plans):
        answer = batch.answers[i]
        if plan.purpose.key in missing and answer is not UNKNOWN_SUBJECT:
            rule = plan.labels.get(DPIA_RULE, DPIA_RULE)
            batch.answers[i] = without_assessment(answer, plan.purpose.key, rule)


def _require_reconsent(
    batch: _Batch,
    questions: Sequence[Question],
    by_ref: dict[str, Facts],
    visitors: dict[str, Facts],
    marks: dict[str, Mark],
) -> None:
    """CCPA-PP-1: an answer allowed on a consent recorded before a notice version changed what the
    purpose says is denied until the person consents again."""
    for i, plan in enumerate(batch.plans):
        mark, answer = marks.get(plan.purpose.key), batch.answers[i]
        if mark is None or not answer.allowed:
            continue
        q = questions[i]
        facts = visitors.get(q.visitor) if q.visitor else by_ref.get(q.subject or "")
        if facts is not None and predates(facts.state, plan.consent_topics, mark):
            rule = plan.labels.get(RECONSENT_RULE, RECONSENT_RULE)
            batch.answers[i] = stale_consent(answer, plan.purpose.key, mark, rule)


def _visitors(uow: UnitOfWork, names: set[str]) -> dict[str, Facts]:
    if not names:
        return {}
    found = uow.consent.states([f"v:{v}" for v in sorted(names)])
    return {
        v: Facts(state=load_state(found[f"v:{v}"][0] if f"v:{v}" in found else None)) for v in names
    }


def _fresh(plan: Plan, facts: Facts, at_us: int) -> Decision:
    """Evaluate (or take the plan's default for a holder who chose nothing relevant); remember the
    answer with the facts unless time alone can change it."""
    default = plan.default  # the fast path of evaluate(), inlined: most holders chose nothing
    if (
        default is not None
        and facts.plain
        and facts.state.keys().isdisjoint(plan.topics)
        and not (plan.any_brand and facts.marketing)
    ):
        found = default
    else:
        found = evaluate(plan, facts, at_us)
    if facts.known and facts.timeless():
        facts.memo[plan.serial] = found
    return found
