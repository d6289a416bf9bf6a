"""Erasing a whole subject whose contract ended (GDPR-PROC-1) or who is a minor (POL-MIN-1), through
the erasure path of subject requests: every connected datastore first (rows deleted or masked in
foreign-key-safe order, what the law or an exception keeps retained), then the vault
(crypto-shredding, or only the values nothing keeps). A legal hold on the subject or the tenant keeps
the subject whole; a category hold keeps that category's values and rows.

What the law keeps is derived as for an erasure request (``services.retention_kept``): a retention
rule naming a ``law`` keeps what it covers until its period has run, and so do the manifest's
``legal_obligation`` exceptions; the subject is then restricted, so that only the law's purposes may
use what is left. POL-MIN-1 is the company's policy and gives way to a law: a minor's bills are kept
like anyone's (and the minor has been restricted since discovery).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from privault.core.dormancy import erasure_day as dormant_erasure_day
from privault.core.job_ports import LeaseLost
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records import FieldRecord, IdentityRecord, SubjectRecord
from privault.core.retention import Hold, contract_end_deletion, contract_ends_due_by, holding
from privault.core.retention_ports import RetentionSubject
from privault.core.vault import is_minor
from privault.errors import PrivaultError
from privault.services.audit import Entry, record
from privault.services.datastores import connected
from privault.services.deps import Deps
from privault.services.fulfilment.kept import (
    Source,
    VaultKept,
    excepted,
    kept_in_vault,
    legal_sources,
    retained_rows,
)
from privault.services.legal_holds import active_holds, still_free
from privault.services.retention_kept import (
    LawKept,
    always_kept,
    by_law,
    listed,
    restrict_to_law,
)
from privault.services.retention_subjects import (
    CONTRACT_END,
    DORMANT,
    MINOR,
    SYSTEM_ACTOR,
    subject_identities,
)
from privault.services.tenants import bind_tenant
from privault.services.visits import forget_subject_visits


@dataclass(frozen=True, slots=True)
class Ended:
    """How a whole-subject erasure ended (erased, partial, kept, held, not_due, gone; in a sweep
    also failed or would_erase) and what legal obligations kept, per rule."""

    outcome: str
    kept: tuple[LawKept, ...] = ()  # per rule


After = Callable[[UnitOfWork, Ended], None]


# --- erasing a whole subject ---------------------------------------------------------------------


def _due(view: TenantView, subject: RetentionSubject, reason: str, today: date) -> bool:
    if reason == MINOR:
        return is_minor(subject.adult_on, today)
    if reason == DORMANT:  # DPDP-ERA-1: still inactive three years on (the job ran after notice)
        activity = subject.last_activity_at
        return (
            view.tenant.dpdp_platform is not None
            and activity is not None
            and (dormant_erasure_day(activity) <= today)
        )
    end = subject.contract_end_on
    return end is not None and contract_end_deletion(end, view.policy) <= today


@dataclass(frozen=True, slots=True)
class _Plan:
    subject: RetentionSubject
    identities: dict[str, list[str]]
    sources: list[Source]


def _blocked(
    uow: UnitOfWork,
    view: TenantView,
    subject: RetentionSubject | None,
    reason: str,
    at: datetime,
) -> str | None:
    """Why the subject is not erased now (gone, not due, held: audited as denied), or None."""
    why, denied = _why_not(view, subject, reason, at.date(), active_holds(uow, at.date()))
    if denied is not None:
        record(uow, [denied], at)
    return why


def _why_not(
    view: TenantView,
    subject: RetentionSubject | None,
    reason: str,
    today: date,
    holds: Sequence[Hold],
) -> tuple[str | None, Entry | None]:
    """Why the subject is not erased now (gone, not due, held) and, if a hold keeps it, the audit
    entry of the refusal; (None, None) if it is to be erased."""
    if subject is None or not subject.live:
        return "gone", None
    if not _due(view, subject, reason, today):
        return "not_due", None
    hold = holding(holds, subject.id, None)
    if hold is None:
        return None, None
    details = {"reason": f"retention:{reason}", "hold": hold.id, "reference": hold.reference}
    return "held", Entry(SYSTEM_ACTOR, "vault:subject:erase", subject.uid, None, "denied", details)


def _prepare(
    deps: Deps, view: TenantView, uid: str, reason: str, after: After | None
) -> _Plan | str:
    """The subject, its identities and the exceptions; or why nothing is to be done."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, view.tenant.key)
        subject = uow.retention.subject(uid=uid)
        blocked = _blocked(uow, view, subject, reason, at)
        if blocked is not None or subject is None:
            if after is not None:
                after(uow, Ended(blocked or "gone"))
            uow.commit()
            return blocked or "gone"
        holds = active_holds(uow, at.date())
        identities = subject_identities(deps, uow, view, tenant.id, subject.id)
    return _Plan(subject, identities, always_kept(view, holds))


@dataclass
class _Stores:
    """What the datastores did: counts, and the rows kept, grouped as a request's result groups
    them (per datastore, collection, code and rule)."""

    counts: dict[str, int] = field(
        default_factory=lambda: {"deleted": 0, "masked": 0, "retained": 0}
    )
    retained: list[dict[str, Any]] = field(default_factory=list)


def _erase_datastores(deps: Deps, view: TenantView, plan: _Plan) -> _Stores:
    """Erase the person in every connected datastore, keeping what the law and the exceptions keep
    there (a failure stops here: the vault keeps the identities so the next attempt can try again)."""
    done = _Stores()
    if not plan.identities:
        return done
    with deps.make_uow() as uow:
        stores = connected(deps, uow, view.tenant.key)
    for key, store in stores:
        fresh = still_free(deps, view.tenant.key, plan.subject.id)  # a hold placed meanwhile wins
        sources = [*legal_sources(view, store.dataset), *plan.sources]
        sources += [(e, excepted(e, "legal-hold")) for e in fresh]
        result = store.erase(plan.identities, exceptions=[e for e, _ in sources])
        done.counts["deleted"] += sum(result.deleted.values())
        done.counts["masked"] += sum(sum(c.values()) for c in result.masked.values())
        done.counts["retained"] += len(result.retained)
        done.retained += retained_rows(key, store.dataset, result, sources)
    return done


def _erase_vault(
    deps: Deps,
    view: TenantView,
    plan: _Plan,
    reason: str,
    stores: _Stores,
    after: After | None,
) -> Ended:
    """Crypto-shred the subject, or delete what nothing keeps; audited with the outcome."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, view.tenant.key)
        subject = uow.retention.subject(uid=plan.subject.uid)
        blocked = _blocked(uow, view, subject, reason, at)
        if blocked is None and subject is not None:
            ended = _shred(deps, uow, view, subject, reason, stores)
        else:
            ended = Ended(blocked or "gone")
        if after is not None:
            after(uow, ended)
        uow.commit()
    return ended


_Found = tuple[SubjectRecord, list[FieldRecord], list[IdentityRecord], VaultKept]


def _kept(deps: Deps, uow: UnitOfWork, view: TenantView, subject: RetentionSubject) -> _Found:
    """The subject's record, values and identities, and which of them the law or an exception
    keeps (category holds in force now included)."""
    today = deps.clock.now().date()
    [owner] = uow.subjects.get_many([subject.id])
    fields = list(uow.subjects.fields([subject.id]))
    identities = list(uow.subjects.identities([subject.id]))
    sources = always_kept(view, active_holds(uow, today))
    kept = kept_in_vault(view, sources, owner, (fields, identities), subject, today)
    return owner, fields, identities, kept


def _shred(
    deps: Deps,
    uow: UnitOfWork,
    view: TenantView,
    subject: RetentionSubject,
    reason: str,
    stores: _Stores,
) -> Ended:
    """Crypto-shred the subject, or delete what nothing keeps and restrict the rest; audited (with
    what the datastores did) unless nothing was erased anywhere."""
    owner, fields, identities, kept = _kept(deps, uow, view, subject)
    law = by_law(kept, stores.retained)
    at = deps.clock.now()
    details: dict[str, Any] = {"key": "destroyed"}
    if not kept:
        removed, gone = uow.subjects.erase(subject.id, at)
        forget_subject_visits(uow, [subject.id])
        ended = Ended("erased", law)
    else:
        restrict_to_law(deps, uow, view, owner, reason)
        drop = [f.field for f in fields if f.field not in kept.fields]
        kinds = sorted({i.kind for i in identities if i.kind not in kept.identities})
        removed, gone = (
            uow.subjects.erase_some(subject.id, drop, kinds, at) if drop or kinds else (0, 0)
        )
        ended = Ended("partial" if drop or kinds else "kept", law)
        details = {"key": "kept", "retained": listed(kept)}
    if ended.outcome == "kept" and not (stores.counts["deleted"] or stores.counts["masked"]):
        return ended  # nothing erased anywhere: nothing to audit
    details |= {"reason": f"retention:{reason}", "fields": removed, "identities": gone}
    details |= {"datastores": stores.counts, "retained_rows": stores.retained}
    entry = Entry(SYSTEM_ACTOR, "vault:subject:erase", subject.uid, None, "ok", details)
    record(uow, [entry], at)
    return ended


def erase_whole_subject(
    deps: Deps, tenant_key: str, uid: str, reason: str, *, after: After | None = None
) -> str:
    """Erase a subject whose contract end or minority makes it due, unless a hold keeps it.

    Returns the outcome: erased, partial (the law, an exception or a category hold keeps some
    values: the rest is restricted), kept (nothing left that may go), held, not_due, or gone
    (already erased). ``after`` runs in the transaction that records the outcome (a job's
    checkpoint, a sweep's counts)."""
    view = tenant_view(deps.manifest, tenant_key)
    plan = _prepare(deps, view, uid, reason, after)
    if isinstance(plan, str):
        return plan
    stores = _erase_datastores(deps, view, plan)
    return _erase_vault(deps, view, plan, reason, stores, after).outcome


# --- the sweep's part ----------------------------------------------------------------------------


Counted = Callable[[UnitOfWork, Sequence[tuple[int, str, Ended]]], None]
"""(uow, [(subject id, reason, how it ended)], in id order): the sweep counts outcomes in the
transaction that records them."""

ERASE_BATCH = 500  # vault-only subjects erased per transaction
# One writer at a time (SQLite): shorter transactions, a pause after each for waiting requests
ERASE_BATCH_SQLITE, SQLITE_PAUSE_S = 100, 0.02


def due_subjects(
    uow: UnitOfWork, view: TenantView, today: date
) -> list[tuple[RetentionSubject, str]]:
    """Live subjects due for whole deletion, by id: minors, and contract ends past their day."""
    due = {s.id: (s, MINOR) for s in uow.retention.minors(today)}
    for s in uow.retention.contract_ended(contract_ends_due_by(view.policy, today)):
        due.setdefault(s.id, (s, CONTRACT_END))
    return [due[k] for k in sorted(due)]


def erase_due_subjects(
    deps: Deps,
    view: TenantView,
    today: date,
    *,
    after_id: int,
    dry_run: bool,
    counted: Counted,
) -> None:
    """Erase every due subject after ``after_id``; with ``dry_run`` only count them
    (``would_erase`` or ``held``). A tenant with connected datastores is erased subject by subject
    (each datastore, then the vault; a datastore that fails leaves the subject for the next sweep,
    counted ``failed``); a tenant without any, ERASE_BATCH subjects to a transaction."""
    with deps.make_uow() as uow:
        bind_tenant(uow, view.tenant.key)
        due = [(s, r) for s, r in due_subjects(uow, view, today) if s.id > after_id]
        holds = active_holds(uow, today)
        stores = bool(connected(deps, uow, view.tenant.key)) if due and not dry_run else False
    if dry_run:
        outcomes = [
            (s.id, r, Ended("held" if holding(holds, s.id, None) else "would_erase"))
            for s, r in due
        ]
        if outcomes:
            _count_alone(deps, view, outcomes, counted)
        return
    if stores:
        for subject, reason in due:
            _erase_one(deps, view, subject, reason, counted)
        return
    size = ERASE_BATCH_SQLITE if deps.single_writer else ERASE_BATCH
    for start in range(0, len(due), size):
        if deps.single_writer and start:
            time.sleep(SQLITE_PAUSE_S)
        _erase_batch(deps, view, due[start : start + size], counted)


def tally(
    groups: dict[str, dict[str, int]], outcomes: Sequence[tuple[int, str, Ended]], after: int
) -> int:
    """Add each outcome to ``groups`` ({reason: {outcome: count}}); the last subject's id (or
    ``after``, if there were none)."""
    last = after
    for subject_id, reason, ended in outcomes:
        group = groups.setdefault(reason, {})
        group[ended.outcome] = group.get(ended.outcome, 0) + 1
        last = subject_id
    return last


def erase_due_now(
    deps: Deps,
    tenant_key: str,
    progress: dict[str, Any],
    checkpoint: Callable[[UnitOfWork, dict[str, Any]], None],
) -> dict[str, Any]:
    """Erase every subject of the tenant whose contract end or minority makes it due today (the
    ``subjects.erase_due`` job): as the sweep does, in batches, continuing after
    ``progress["subject_after"]``; each batch's outcomes are counted into the progress and
    checkpointed in the transaction that records them. Returns the progress."""
    view = tenant_view(deps.manifest, tenant_key)
    current: dict[str, Any] = {"subject_after": 0, "outcomes": {}} | progress

    def counted(uow: UnitOfWork, outcomes: Sequence[tuple[int, str, Ended]]) -> None:
        # counted on a copy, kept once committed: a batch rolled back and redone subject by
        # subject is not counted twice
        new = copy.deepcopy(current)
        new["subject_after"] = tally(new["outcomes"], outcomes, new["subject_after"])
        checkpoint(uow, new)
        uow.on_commit(lambda: current.update(new))

    today = deps.clock.now().date()
    after = int(current["subject_after"])
    erase_due_subjects(deps, view, today, after_id=after, dry_run=False, counted=counted)
    return current


def _erase_one(
    deps: Deps, view: TenantView, subject: RetentionSubject, reason: str, counted: Counted
) -> None:
    """One subject through every datastore and the vault, counted with its outcome."""

    def after(uow: UnitOfWork, ended: Ended) -> None:
        counted(uow, [(subject.id, reason, ended)])

    try:
        erase_whole_subject(deps, view.tenant.key, subject.uid, reason, after=after)
    except LeaseLost:
        raise  # another worker took the sweep over: stop, the batch rolls back
    except PrivaultError:
        _count_alone(deps, view, [(subject.id, reason, Ended("failed"))], counted)


def _erase_batch(
    deps: Deps, view: TenantView, due: Sequence[tuple[RetentionSubject, str]], counted: Counted
) -> None:
    """Vault-only subjects in one transaction: each checked again (gone, not due, held), the
    law's and the exceptions' share kept as for one subject, everything else crypto-shredded in a
    few statements, one audit event each, the outcomes counted. If anything fails, the batch is
    rolled back and done subject by subject (which counts a failure on its own subject)."""
    try:
        with deps.make_uow() as uow:
            bind_tenant(uow, view.tenant.key)
            outcomes = _shred_batch(deps, uow, view, due)
            counted(uow, outcomes)
            uow.commit()
    except LeaseLost:
        raise
    except PrivaultError:
        for subject, reason in due:
            _erase_one(deps, view, subject, reason, counted)


def _shred_batch(
    deps: Deps, uow: UnitOfWork, view: TenantView, due: Sequence[tuple[RetentionSubject, str]]
) -> list[tuple[int, str, Ended]]:
    at = deps.clock.now()
    holds = active_holds(uow, at.date())
    fresh = {s.id: s for s in uow.retention.subjects_by_id([s.id for s, _ in due])}
    ended: dict[int, Ended] = {}
    entries: list[Entry] = []
    ready: list[RetentionSubject] = []
    for subject, reason in due:
        why, denied = _why_not(view, fresh.get(subject.id), reason, at.date(), holds)
        if why is not None:
            ended[subject.id] = Ended(why)
            entries += [denied] if denied is not None else []
        else:
            ready.append(fresh[subject.id])
    reasons = {s.id: r for s, r in due}
    whole = _whole(deps, uow, view, ready, holds, ended, reasons)
    erased = uow.subjects.erase_many([s.id for s in whole], at)
    forget_subject_visits(uow, list(erased))
    for subject in whole:
        if subject.id not in erased:  # erased meanwhile by another job or sweep
            ended[subject.id] = Ended("gone")
            continue
        fields, identities = erased[subject.id]
        details: dict[str, Any] = {"key": "destroyed", "reason": f"retention:{reasons[subject.id]}"}
        details |= {"fields": fields, "identities": identities}
        details |= {"datastores": _Stores().counts, "retained_rows": []}
        entries.append(Entry(SYSTEM_ACTOR, "vault:subject:erase", subject.uid, None, "ok", details))
        ended[subject.id] = Ended("erased")
    if entries:
        record(uow, entries, at)
    return [(s.id, reasons[s.id], ended[s.id]) for s, _ in due]


def _whole(
    deps: Deps,
    uow: UnitOfWork,
    view: TenantView,
    ready: Sequence[RetentionSubject],
    holds: Sequence[Hold],
    ended: dict[int, Ended],
    reasons: dict[int, str],
) -> list[RetentionSubject]:
    """Of ``ready``, those nothing keeps anything of (to shred whole); the others are erased in
    part and restricted, one by one, their outcome put in ``ended``."""
    ids = [s.id for s in ready]
    owners = {o.id: o for o in uow.subjects.get_many(ids)}
    fields: dict[int, list[FieldRecord]] = {i: [] for i in ids}
    for value in uow.subjects.fields(ids):
        fields[value.subject_id].append(value)
    identities: dict[int, list[IdentityRecord]] = {i: [] for i in ids}
    for identity in uow.subjects.identities(ids):
        identities[identity.subject_id].append(identity)
    sources = always_kept(view, list(holds))
    today = deps.clock.now().date()
    whole = []
    for subject in ready:
        data = (fields[subject.id], identities[subject.id])
        if kept_in_vault(view, sources, owners[subject.id], data, subject, today):
            ended[subject.id] = _shred(deps, uow, view, subject, reasons[subject.id], _Stores())
        else:
            whole.append(subject)
    return whole


def _count_alone(
    deps: Deps, view: TenantView, outcomes: Sequence[tuple[int, str, Ended]], counted: Counted
) -> None:
    with deps.make_uow() as uow:
        bind_tenant(uow, view.tenant.key)
        counted(uow, outcomes)
        uow.commit()
