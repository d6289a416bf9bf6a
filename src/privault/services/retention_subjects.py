"""Whole-subject deletion: a contract that ended (GDPR-PROC-1, the seeds' month) and minors
(POL-MIN-1), through the erasure path of subject requests: every connected datastore first (rows
deleted or masked in foreign-key-safe order, what an exception keeps retained), then the vault
(crypto-shredding, or only the values no exception keeps). A legal hold on the subject or the tenant
keeps the subject whole; a category hold keeps that category's values and rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from privault.connectors.results import ErasureException
from privault.core.consent import Choice, Kind, Method, Via, load_state, topic
from privault.core.job_ports import LeaseLost
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.retention import (
    Hold,
    contract_end_deletion,
    contract_ends_due_by,
    held_categories,
    holding,
    midnight,
)
from privault.core.retention_ports import RetentionSubject
from privault.core.taxonomy import is_within
from privault.core.vault import identity_category, is_minor
from privault.crypto.blind_index import normalise
from privault.crypto.subjects import subject_cipher
from privault.errors import NotFound, PrivaultError
from privault.services.audit import Entry, record
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.datastores import connected
from privault.services.decisions import Decider, decider_for
from privault.services.legal_holds import still_free
from privault.services.requests import RequestDeps
from privault.services.tenants import bind_tenant
from privault.services.visits import forget_subject_visits

SYSTEM_ACTOR = "privault:retention"
ERASE_JOB = "subject.erase"
CONTRACT_END, MINOR = "contract_end", "minor"
_ALWAYS = frozenset({"legal_obligation", "legal_hold"})  # what the law keeps whatever the reason
After = Callable[[UnitOfWork, str], None]


def _erase_job(
    uow: UnitOfWork, tenant_key: str, uid: str, reason: str, run_at: datetime, now: datetime
) -> int | None:
    """Queue the subject's erasure (once per subject, reason and day)."""
    key = f"{ERASE_JOB}:{tenant_key}:{uid}:{reason}:{run_at.date().isoformat()}"
    payload = {"subject": uid, "reason": reason}
    return uow.jobs.enqueue(ERASE_JOB, tenant_key, payload, run_at, now, dedupe_key=key)


# --- contract end --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractEnd:
    """A recorded contract end and the deletion it scheduled."""

    uid: str
    on: date
    delete_on: date
    job: int | None


def record_contract_end(
    deps: RequestDeps, tenant_key: str, ref: str, on: date, actor: str
) -> ContractEnd:
    """Record the day the subject's contract ended and schedule its deletion (the policy's
    ``contract_end_delete_days``, and at most one calendar month after); audited."""
    view = tenant_view(deps.manifest, tenant_key)
    delete_on = contract_end_deletion(on, view.policy)
    now = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        subject = uow.retention.subject(ref=ref)
        if subject is None or not subject.live:
            raise NotFound(f"no subject '{ref}'", code="subject.unknown")
        uow.retention.set_contract_end(subject.id, on, now)
        job = _erase_job(uow, tenant_key, subject.uid, CONTRACT_END, midnight(delete_on), now)
        details = {"on": on.isoformat(), "delete_on": delete_on.isoformat(), "job": job}
        record(uow, [Entry(actor, "subject:contract_end", subject.uid, None, "ok", details)], now)
        uow.commit()
    return ContractEnd(subject.uid, on, delete_on, job)


# --- minors --------------------------------------------------------------------------------------


def suppressed(uow: UnitOfWork, subject_id: int) -> bool:
    """Whether the subject's processing is restricted in full (a "*" restriction in force)."""
    holder = f"s:{subject_id}"
    found = uow.consent.states([holder]).get(holder)
    entry = load_state(found[0] if found else None).get(topic(Kind.RESTRICTION.value, "*"))
    return entry is not None and not entry.granted


MINOR_EVIDENCE = Evidence(
    method=Method.IMPORT,  # recorded by privault from data it holds, not chosen by the person
    via=Via.API,
    shown="minor discovered from the date of birth: all processing suppressed (POL-MIN-1)",
    extra={"policy": "POL-MIN-1"},
)


def mark_minor(
    uow: UnitOfWork,
    decider: Decider,
    tenant_key: str,
    subject: RetentionSubject,
    minor_age: int,
    at: datetime,
    actor: str = SYSTEM_ACTOR,
) -> bool:
    """Suppress a minor's data at once (a restriction of everything in the consent ledger, so every
    decision says no) and queue their erasure now; audited; commits. False if already suppressed."""
    bind_tenant(uow, tenant_key)
    if subject.ref is None or suppressed(uow, subject.id):
        return False
    job = _erase_job(uow, tenant_key, subject.uid, MINOR, at, at)
    details = {"policy": "POL-MIN-1", "minor_age": minor_age, "job": job}
    record(uow, [Entry(actor, "subject:minor", subject.uid, None, "ok", details)], at)
    restriction = [Choice(Kind.RESTRICTION, "*", False)]
    record_choices(
        uow,
        decider,
        tenant_key,
        actor,
        Holder(subject=subject.ref),
        restriction,
        MINOR_EVIDENCE,
        at,
    )
    return True


def mark_minor_by_ref(
    uow: UnitOfWork, decider: Decider, tenant_key: str, ref: str, at: datetime, actor: str
) -> bool:
    """:func:`mark_minor` for the subject with this ref if it is a minor on ``at`` (for the vault,
    right after a date of birth is written); False if it is not, or is already suppressed."""
    bind_tenant(uow, tenant_key)
    subject = uow.retention.subject(ref=ref)
    if subject is None or not subject.live or not is_minor(subject.adult_on, at.date()):
        return False
    minor_age = decider.view(tenant_key).policy.minor_age
    return mark_minor(uow, decider, tenant_key, subject, minor_age, at, actor)


def discover_minors(deps: RequestDeps, tenant_key: str, actor: str = SYSTEM_ACTOR) -> list[str]:
    """Find subjects under the tenant's minor age not yet suppressed; suppress them and queue their
    erasure. Returns their uids."""
    view = tenant_view(deps.manifest, tenant_key)
    now = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        minors = uow.retention.minors(now.date())
    found = []
    decider = decider_for(deps.manifest)
    for subject in minors:
        with deps.make_uow() as uow:
            if mark_minor(uow, decider, tenant_key, subject, view.policy.minor_age, now, actor):
                found.append(subject.uid)
    return found


# --- erasing a whole subject ---------------------------------------------------------------------


def _due(view: TenantView, subject: RetentionSubject, reason: str, today: date) -> bool:
    if reason == MINOR:
        return is_minor(subject.adult_on, today)
    end = subject.contract_end_on
    return end is not None and contract_end_deletion(end, view.policy) <= today


def _exceptions(view: TenantView, holds: list[Hold]) -> list[ErasureException]:
    """What the law keeps (legal obligations of the manifest) and what category holds keep."""
    kept = [
        ErasureException(tuple(e.categories), e.code, e.rule, e.description)
        for e in view.manifest.erasure_exceptions
        if e.code in _ALWAYS
    ]
    held = held_categories(holds)
    if held:
        kept.append(ErasureException(held, "legal_hold", "legal hold", "a legal hold applies"))
    return kept


@dataclass(frozen=True, slots=True)
class _Plan:
    subject: RetentionSubject
    identities: dict[str, list[str]]
    exceptions: list[ErasureException]


def _blocked(
    uow: UnitOfWork,
    view: TenantView,
    subject: RetentionSubject | None,
    reason: str,
    at: datetime,
) -> str | None:
    """Why the subject is not erased now (gone, not due, held: audited as denied), or None."""
    if subject is None or not subject.live:
        return "gone"
    if not _due(view, subject, reason, at.date()):
        return "not_due"
    hold = holding([h.rule_view() for h in uow.holds.list(today=at.date())], subject.id, None)
    if hold is None:
        return None
    details = {"reason": f"retention:{reason}", "hold": hold.id, "reference": hold.reference}
    denied = Entry(SYSTEM_ACTOR, "vault:subject:erase", subject.uid, None, "denied", details)
    record(uow, [denied], at)
    return "held"


def subject_identities(
    deps: RequestDeps, uow: UnitOfWork, view: TenantView, tenant_id: int, subject_id: int
) -> dict[str, list[str]]:
    """The subject's identities, decrypted and normalised as requests normalise them."""
    found = uow.subjects.get_many([subject_id])
    if not found or found[0].wrapped_key is None:
        return {}
    cipher = subject_cipher(deps.keyring, view.tenant.key, tenant_id, found[0])
    region = view.phone_region
    values: dict[str, set[str]] = {}
    for i in uow.subjects.identities([subject_id]):
        value = cipher.open_value(f"identity:{i.kind}", i.ciphertext).reveal()
        values.setdefault(i.kind, set()).add(normalise(i.kind, value, region))
    return {kind: sorted(v) for kind, v in values.items()}


def _prepare(
    deps: RequestDeps, view: TenantView, uid: str, reason: str, after: After | None
) -> _Plan | str:
    """The subject, its identities and the exceptions; or why nothing is to be done."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, view.tenant.key)
        subject = uow.retention.subject(uid=uid)
        blocked = _blocked(uow, view, subject, reason, at)
        if blocked is not None or subject is None:
            if after is not None:
                after(uow, blocked or "gone")
            uow.commit()
            return blocked or "gone"
        holds = [h.rule_view() for h in uow.holds.list(today=at.date())]
        identities = subject_identities(deps, uow, view, tenant.id, subject.id)
    return _Plan(subject, identities, _exceptions(view, holds))


def _erase_datastores(deps: RequestDeps, tenant_key: str, plan: _Plan) -> dict[str, int]:
    """Erase the person in every connected datastore (a failure stops here: the vault keeps the
    identities so the next attempt can try again)."""
    counts = {"deleted": 0, "masked": 0, "retained": 0}
    if not plan.identities:
        return counts
    with deps.make_uow() as uow:
        stores = connected(uow, deps.keyring, tenant_key)
    for _key, store in stores:
        fresh = still_free(deps, tenant_key, plan.subject.id)  # a hold placed meanwhile wins
        result = store.erase(plan.identities, exceptions=[*plan.exceptions, *fresh])
        counts["deleted"] += sum(result.deleted.values())
        counts["masked"] += sum(sum(c.values()) for c in result.masked.values())
        counts["retained"] += len(result.retained)
    return counts


def _covered(category: str, exceptions: list[ErasureException]) -> bool:
    return any(is_within(category, c) for e in exceptions for c in e.categories)


def _erase_vault(
    deps: RequestDeps,
    view: TenantView,
    plan: _Plan,
    reason: str,
    stores: dict[str, int],
    after: After | None,
) -> str:
    """Crypto-shred the subject, or delete what no exception keeps; audited with the outcome."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, view.tenant.key)
        subject = uow.retention.subject(uid=plan.subject.uid)
        outcome = _blocked(uow, view, subject, reason, at)
        if outcome is None:
            outcome = _shred(uow, plan, reason, stores, at)
        if after is not None:
            after(uow, outcome)
        uow.commit()
    return outcome


def _shred(uow: UnitOfWork, plan: _Plan, reason: str, stores: dict[str, int], at: datetime) -> str:
    subject_id = plan.subject.id
    fields = uow.subjects.fields([subject_id])
    kinds = {i.kind for i in uow.subjects.identities([subject_id])}
    drop = [f.field for f in fields if not _covered(f.category, plan.exceptions)]
    drop_kinds = sorted(k for k in kinds if not _covered(identity_category(k), plan.exceptions))
    kept = len(fields) - len(drop) + len(kinds) - len(drop_kinds)
    if not kept:
        removed, gone = uow.subjects.erase(subject_id, at)
        forget_subject_visits(uow, [subject_id])
        outcome, key = "erased", "destroyed"
    elif drop or drop_kinds:
        removed, gone = uow.subjects.erase_some(subject_id, drop, drop_kinds, at)
        outcome, key = "partial", "kept"
    else:
        return "kept"
    details: dict[str, Any] = {
        "reason": f"retention:{reason}",
        "fields": removed,
        "identities": gone,
        "key": key,
        "datastores": stores,
    }
    entry = Entry(SYSTEM_ACTOR, "vault:subject:erase", plan.subject.uid, None, "ok", details)
    record(uow, [entry], at)
    return outcome


def erase_whole_subject(
    deps: RequestDeps, tenant_key: str, uid: str, reason: str, *, after: After | None = None
) -> str:
    """Erase a subject whose contract end or minority makes it due, unless a hold keeps it.

    Returns the outcome: erased, partial (an exception or a category hold keeps some values),
    kept (nothing left that may go), held, not_due, or gone (already erased). ``after`` runs in the
    transaction that records the outcome (a job's checkpoint, a sweep's counts)."""
    view = tenant_view(deps.manifest, tenant_key)
    plan = _prepare(deps, view, uid, reason, after)
    if isinstance(plan, str):
        return plan
    stores = _erase_datastores(deps, tenant_key, plan)
    return _erase_vault(deps, view, plan, reason, stores, after)


Counted = Callable[[UnitOfWork, int, str, str], None]  # (uow, subject id, reason, outcome)


def due_subjects(
    uow: UnitOfWork, view: TenantView, today: date
) -> list[tuple[RetentionSubject, str]]:
    """Live subjects due for whole deletion, by id: minors, and contract ends past their day."""
    due = {s.id: (s, MINOR) for s in uow.retention.minors(today)}
    for s in uow.retention.contract_ended(contract_ends_due_by(view.policy, today)):
        due.setdefault(s.id, (s, CONTRACT_END))
    return [due[k] for k in sorted(due)]


def erase_due_subjects(
    deps: RequestDeps,
    view: TenantView,
    today: date,
    *,
    after_id: int,
    dry_run: bool,
    counted: Counted,
) -> None:
    """Erase every due subject after ``after_id`` (each in its own transaction, ``counted`` in it);
    with ``dry_run`` only count them (``would_erase`` or ``held``). A datastore that fails leaves
    the subject for the next sweep (counted ``failed``)."""
    with deps.make_uow() as uow:
        bind_tenant(uow, view.tenant.key)
        due = [(s, r) for s, r in due_subjects(uow, view, today) if s.id > after_id]
        holds = [h.rule_view() for h in uow.holds.list(today=today)]
    for subject, reason in due:
        if dry_run:
            outcome = "held" if holding(holds, subject.id, None) else "would_erase"
            _count_alone(deps, view, subject.id, reason, outcome, counted)
            continue
        try:
            erase_whole_subject(
                deps,
                view.tenant.key,
                subject.uid,
                reason,
                after=_counter(counted, subject.id, reason),
            )
        except LeaseLost:
            raise  # another worker took the sweep over: stop, the batch rolls back
        except PrivaultError:
            _count_alone(deps, view, subject.id, reason, "failed", counted)


def _counter(counted: Counted, subject_id: int, reason: str) -> After:
    def after(uow: UnitOfWork, outcome: str) -> None:
        counted(uow, subject_id, reason, outcome)

    return after


def _count_alone(
    deps: RequestDeps,
    view: TenantView,
    subject_id: int,
    reason: str,
    outcome: str,
    counted: Counted,
) -> None:
    with deps.make_uow() as uow:
        bind_tenant(uow, view.tenant.key)
        counted(uow, subject_id, reason, outcome)
        uow.commit()
