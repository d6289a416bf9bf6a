"""Restriction of processing (GDPR Art. 18) for many subjects at once, e.g. a whole billing run,
and of one subject whose data an erasure request kept because the law requires it.

All or nothing: one unknown subject and nothing is written. Each subject gets its own ledger event
(with the batch's reference in its evidence) and audit entry, like any other choice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

from privault.core.consent import (
    Choice,
    Kind,
    apply,
    check_choice,
    check_reference,
    load_state,
    topic,
)
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectRecord
from privault.services.audit import record
from privault.services.consent import (
    Evidence,
    audit_entry,
    check_evidence,
    event_row,
    fold_row,
    notice_version,
    save_states,
    subject_by_ref,
    with_id,
)
from privault.services.decisions import Decider
from privault.services.tenants import bind_tenant


def restrict_processing(
    make_uow: Callable[[], UnitOfWork],
    decider: Decider,
    tenant_key: str,
    actor: str,
    subject_refs: Sequence[str],
    purpose: str | None,
    *,
    restricted: bool,
    reference: str | None,
    evidence: Evidence,
    at: datetime,
) -> int:
    """Restrict (or lift) processing of many subjects at once, all or nothing; e.g. a billing run.

    ``reference`` names the batch (``billing-run:2026-11``) in every event's evidence.
    """
    view = decider.view(tenant_key)
    choice = Choice(Kind.RESTRICTION, purpose or "*", not restricted)
    check_choice(view, choice, evidence.method)
    check_reference("reference", reference)
    check_evidence(view, evidence)
    if reference:
        evidence = dataclasses.replace(evidence, extra={**evidence.extra, "reference": reference})
    refs = list(dict.fromkeys(subject_refs))
    with make_uow() as uow:
        bind_tenant(uow, tenant_key)
        notice = notice_version(uow, evidence.notice_version)
        subjects = [subject_by_ref(uow, ref) for ref in refs]
        states = {
            h: load_state(v[0])
            for h, v in uow.consent.states([f"s:{s.id}" for s in subjects], lock=True).items()
        }
        rows = [event_row(choice, s.id, None, evidence, notice, actor, at) for s in subjects]
        stored = [with_id(r, i) for r, i in zip(rows, uow.consent.append(rows), strict=True)]
        for row in stored:
            apply(states, fold_row(row))
        save_states(uow, states, None, None, at)
        entries = [audit_entry(r, actor, s.uid) for r, s in zip(stored, subjects, strict=True)]
        record(uow, entries, at)
        uow.commit()
    return len(stored)


def restrict_kept(
    uow: UnitOfWork,
    decider: Decider,
    tenant_key: str,
    actor: str,
    subject: SubjectRecord,
    evidence: Evidence,
    at: datetime,
) -> int | None:
    """Restrict all processing of a subject whose data an erasure kept for a legal reason, inside
    the caller's transaction (the caller commits): from now on only the purposes allowed while
    processing is restricted (GDPR Art. 18(2), the legal obligation itself) may use it, and every
    other decision says no, naming this ledger event. Returns the event's id (None: the subject
    was restricted already)."""
    view = decider.view(tenant_key)
    choice = Choice(Kind.RESTRICTION, "*", False)
    check_choice(view, choice, evidence.method)
    check_evidence(view, evidence)
    holder = f"s:{subject.id}"
    states = {h: load_state(v[0]) for h, v in uow.consent.states([holder], lock=True).items()}
    current = states.get(holder, {}).get(topic(Kind.RESTRICTION, "*"))
    if current is not None and not current.granted:
        return None
    row = event_row(choice, subject.id, None, evidence, notice_version(uow, None), actor, at)
    [new_id] = uow.consent.append([row])
    stored = with_id(row, new_id)
    apply(states, fold_row(stored))
    save_states(uow, states, None, None, at)
    record(uow, [audit_entry(stored, actor, subject.uid)], at)
    return new_id
