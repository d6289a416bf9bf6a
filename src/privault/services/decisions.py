"""The processing decision as a use case: load what the rules need for a batch, then ask the core.

``decide_many`` answers a batch of questions with two queries per 900 subjects (facts and consent
states) and the pure rules of :mod:`privault.core.decisions`. Plans (the manifest side of a question)
are compiled once per process by :class:`Decider`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from privault.core.audit import to_micros
from privault.core.consent import load_state
from privault.core.decisions import UNKNOWN, Decision, Facts, Plan, compile_plan, evaluate
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectFacts
from privault.core.vault import is_minor
from privault.errors import InvalidInput
from privault.services.audit import Entry, record

MAX_BATCH = 10_000


class Decider:
    """Compiled plans and tenant views of one manifest (rebuilt when the manifest is reloaded)."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._views: dict[str, TenantView] = {}
        self._plans: dict[tuple[str, str, tuple[str, ...], str | None], Plan] = {}

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


_DECIDERS: dict[int, Decider] = {}


def decider_for(manifest: Manifest) -> Decider:
    """The process's decider for this manifest object (a few are kept; each holds its manifest)."""
    found = _DECIDERS.get(id(manifest))
    if found is None or found.manifest is not manifest:
        if len(_DECIDERS) >= 8:
            _DECIDERS.clear()
        found = _DECIDERS[id(manifest)] = Decider(manifest)
    return found


@dataclass(frozen=True, slots=True)
class Question:
    """May the data of ``categories`` (default: all the purpose uses) of a subject or visitor be
    processed for ``purpose``, under ``brand`` (marketing)?"""

    purpose: str
    subject: str | None = None
    visitor: str | None = None
    categories: tuple[str, ...] = ()
    brand: str | None = None


def subject_facts(row: SubjectFacts, state_json: str | None, today: date) -> Facts:
    """The decision's view of a stored subject."""
    if row.erased:
        return UNKNOWN
    exclusive = (
        {k: frozenset(v) for k, v in json.loads(row.exclusive_data).items()}
        if row.exclusive_data
        else {}
    )
    return Facts(True, is_minor(row.adult_on, today), load_state(state_json), exclusive)


def decide_many(
    uow: UnitOfWork,
    decider: Decider,
    tenant_key: str,
    tenant_id: int,
    questions: Sequence[Question],
    at: datetime,
    *,
    actor: str | None = None,
) -> list[Decision]:
    """Answer a batch of questions at instant ``at``. With ``actor``, the batch is audited (counts only)."""
    if len(questions) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} questions per batch")
    plans = [decider.plan(tenant_key, q.purpose, q.categories, q.brand) for q in questions]
    for q in questions:
        if (q.subject is None) == (q.visitor is None):
            raise InvalidInput("each question names either a subject or a visitor")
    uow.bind_tenant(tenant_id)
    facts = _load_facts(uow, questions, at.date())
    at_us = to_micros(at)
    answers = [
        evaluate(plan, facts.get(_key(q), UNKNOWN), at_us)
        for plan, q in zip(plans, questions, strict=True)
    ]
    if actor is not None:
        allowed = sum(1 for a in answers if a.allowed)
        details = {"questions": len(answers), "allowed": allowed, "denied": len(answers) - allowed}
        record(uow, [Entry(actor, "decision:batch", details=details)], at)
        uow.commit()
    return answers


def _key(q: Question) -> tuple[str, str]:
    return ("s", q.subject) if q.subject is not None else ("v", f"v:{q.visitor}")


def _load_facts(
    uow: UnitOfWork, questions: Sequence[Question], today: date
) -> dict[tuple[str, str], Facts]:
    refs = [q.subject for q in questions if q.subject is not None]
    visitors = [f"v:{q.visitor}" for q in questions if q.visitor is not None]
    facts: dict[tuple[str, str], Facts] = {}
    if refs:
        for ref, (row, state) in uow.consent.facts(refs).items():
            facts["s", ref] = subject_facts(row, state, today)
    if visitors:
        states = uow.consent.states(visitors)
        for holder in visitors:
            found = states.get(holder)
            facts["v", holder] = Facts(state=load_state(found[0] if found else None))
    return facts
