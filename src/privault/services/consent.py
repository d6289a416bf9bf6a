"""Consent use cases: record choices (with their evidence), link visitors, honour GPC, read state, rebuild.

Each use case (``deps`` first) is one transaction: the ledger rows, the updated projections and one
audit event per choice commit together. The holders' state rows are locked first, so concurrent
writers for one person apply their events in id order and the projection always equals a rebuild
from the ledger. Other services compose the steps (``uow`` first) into their own transactions:
:func:`append_choices`, :func:`state_of`, :func:`events_of`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from privault.core.audit import to_micros
from privault.core.consent import (
    VOICE_CHANNELS,
    Choice,
    ConsentEvent,
    Kind,
    Method,
    State,
    Via,
    apply,
    check_choice,
    check_reference,
    check_text,
    check_visitor,
    dump_state,
    load_state,
    project,
    topic,
    truncate_ip,
)
from privault.core.jurisdictions import Right, universal_opt_out_laws
from privault.core.manifest.model import CookieCategoryKey
from privault.core.manifest.resolve import TenantView
from privault.core.opt_in import check_grants
from privault.core.ports import UnitOfWork
from privault.core.records import ConsentEventRecord, SubjectRecord
from privault.errors import InvalidInput, NotFound, PolicyViolation
from privault.services.audit import Entry, record
from privault.services.decisions import Decider
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant


@dataclass(frozen=True, slots=True)
class Evidence:
    """How, where and by whom a choice was taken (GDPR Art. 7(1) proof)."""

    method: Method
    via: Via
    brand: str | None = None
    notice_version: str | None = None
    shown: str | None = None  # the text or UI element shown, e.g. "banner v3: Accept all"
    agent: str | None = None
    call_id: str | None = None
    ip: str | None = None  # truncated to /24 or /48 before it is stored
    user_agent: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Holder:
    """Whose choice it is: a subject by ref, or an anonymous visitor id."""

    subject: str | None = None
    visitor: str | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """The events one call appended."""

    events: list[ConsentEventRecord]
    state: State


def check_evidence(view: TenantView, evidence: Evidence) -> None:
    """Refuse evidence that is incomplete for its channel or names an unknown brand."""
    if evidence.via in VOICE_CHANNELS and evidence.method not in (Method.IMPORT,):
        if not evidence.call_id:
            raise InvalidInput(
                "choices taken by phone, IVR or at the agent desktop need the call id",
                code="consent.evidence_missing",
            )
        if evidence.via is not Via.IVR and not evidence.agent:
            raise InvalidInput(
                "choices taken by an agent need the agent's id", code="consent.evidence_missing"
            )
    if evidence.brand is not None and evidence.brand not in {b.key for b in view.tenant.brands}:
        raise NotFound(f"tenant has no brand '{evidence.brand}'", code="brand.unknown")
    check_text("shown", evidence.shown)
    check_text("agent", evidence.agent, 120)
    check_reference("call_id", evidence.call_id)
    for key, value in evidence.extra.items():
        check_reference("evidence key", key)
        check_text(f"evidence '{key}'", value)


def notice_version(uow: UnitOfWork, wanted: str | None) -> str | None:
    """The full id of the notice version named (None: the latest published)."""
    if wanted is None:
        latest = uow.notices.latest()
        return latest.version_id if latest else None
    found = uow.notices.by_version_id(wanted)
    if found is None:
        raise NotFound(f"no notice version '{wanted}'", code="notice.version_unknown")
    return found.version_id


def subject_by_ref(uow: UnitOfWork, ref: str) -> SubjectRecord:
    """The live subject with this ref, or NotFound."""
    subject = uow.subjects.get_by_ref(ref)
    if subject is None or subject.wrapped_key is None:
        raise NotFound(f"no subject '{ref}'", code="subject.unknown")
    return subject


def _check_not_a_lift(choice: Choice, method: Method) -> None:
    """A restriction is lifted only where the person is told first (GDPR Art. 18(3)):
    ``services/restrictions.py``. An import records lifts that already happened."""
    if choice.kind is Kind.RESTRICTION and choice.granted and method is not Method.IMPORT:
        raise PolicyViolation(
            "a restriction is lifted with 'consent restrict --lift' (POST /v1/restrictions with "
            "restricted false), which tells the person first (GDPR Art. 18(3))",
            code="restriction.lift_elsewhere",
        )


def record_choices(
    deps: Deps,
    tenant_key: str,
    actor: str,
    holder: Holder,
    choices: Sequence[Choice],
    evidence: Evidence,
    at: datetime,
    *,
    two_step: bool = False,
) -> Recorded:
    """Append one event per choice with its evidence; update the projection; audit; commit.
    ``two_step``: a confirmed opt-in request (``services/opt_in.py``, CCPA-OI-1)."""
    with deps.make_uow() as uow:
        done = append_choices(
            uow, deps.decider, tenant_key, actor, holder, choices, evidence, at, two_step=two_step
        )
        uow.commit()
    return done


def append_choices(
    uow: UnitOfWork,
    decider: Decider,
    tenant_key: str,
    actor: str,
    holder: Holder,
    choices: Sequence[Choice],
    evidence: Evidence,
    at: datetime,
    *,
    two_step: bool = False,
) -> Recorded:
    """:func:`record_choices` in the caller's transaction (binds the tenant; the caller commits)."""
    view = decider.view(tenant_key)
    if not choices:
        raise InvalidInput("no choices given", code="consent.invalid")
    if (holder.subject is None) == (holder.visitor is None):
        raise InvalidInput("name either a subject or a visitor", code="consent.invalid")
    for choice in choices:
        check_choice(view, choice, evidence.method)
        _check_not_a_lift(choice, evidence.method)
    check_evidence(view, evidence)
    bind_tenant(uow, tenant_key)
    notice = notice_version(uow, evidence.notice_version)
    subject = subject_by_ref(uow, holder.subject) if holder.subject else None
    visitor = check_visitor(holder.visitor) if holder.visitor else None
    states, linked = _lock(uow, subject.id if subject else None, visitor)
    check_grants(states.values(), choices, evidence.method, two_step=two_step)
    subject_id = subject.id if subject else linked
    if subject is None and linked is not None:  # the audit names whose state changed
        subject = next(iter(uow.subjects.get_many([linked])), None)
    rows = [
        event_row(choice, subject_id, visitor, evidence, notice, actor, at) for choice in choices
    ]
    ids = uow.consent.append(rows)
    stored = [with_id(row, new_id) for row, new_id in zip(rows, ids, strict=True)]
    for row in stored:
        apply(states, fold_row(row))
    save_states(uow, states, visitor, subject_id, at)
    uid = subject.uid if subject else None
    record(uow, [audit_entry(row, actor, uid) for row in stored], at)
    return Recorded(stored, states.get(f"s:{subject_id}" if subject_id else f"v:{visitor}", {}))


def _lock(
    uow: UnitOfWork, subject_id: int | None, visitor: str | None
) -> tuple[dict[str, State], int | None]:
    """Lock and load the holders' states, always in one sorted statement (subjects before visitors),
    so that writers never wait for each other in opposite orders. A linked visitor's subject is
    locked too (links never change once made, so reading the link first is safe)."""
    holders = [f"s:{subject_id}"] if subject_id else []
    linked: int | None = None
    if visitor:
        holders.append(f"v:{visitor}")
        known = uow.consent.states([f"v:{visitor}"]).get(f"v:{visitor}")
        linked = known[1] if known else None
        if linked is not None and linked != subject_id:
            holders.append(f"s:{linked}")
    found = uow.consent.states(holders, lock=True)
    if visitor and found[f"v:{visitor}"][1] != linked:  # linked meanwhile: take the locked truth
        linked = found[f"v:{visitor}"][1]
        if linked is not None and linked != subject_id:
            found.update(uow.consent.states([f"s:{linked}"], lock=True))
    return {h: load_state(v[0]) for h, v in found.items()}, linked


def save_states(
    uow: UnitOfWork,
    states: dict[str, State],
    visitor: str | None,
    subject_id: int | None,
    at: datetime,
) -> None:
    """Write the states of the holders this call changed."""
    rows: list[tuple[str, int | None, str]] = []
    for holder, state in states.items():
        if holder.startswith("s:"):
            rows.append((holder, int(holder[2:]), dump_state(state)))
        elif holder == f"v:{visitor}":
            rows.append((holder, subject_id, dump_state(state)))
    uow.consent.put_states(rows, at)


def event_row(
    choice: Choice,
    subject_id: int | None,
    visitor: str | None,
    evidence: Evidence,
    notice: str | None,
    actor: str,
    at: datetime,
) -> ConsentEventRecord:
    """A ledger row for one choice (id 0 until stored), the IP truncated."""
    return ConsentEventRecord(
        id=0,
        subject_id=subject_id,
        visitor=visitor,
        brand=evidence.brand,
        kind=choice.kind.value,
        scope=choice.scope,
        granted=choice.granted,
        method=evidence.method.value,
        channel=evidence.via.value,
        notice_version=notice,
        shown=evidence.shown,
        agent=evidence.agent,
        call_id=evidence.call_id,
        ip_prefix=truncate_ip(evidence.ip),
        user_agent=evidence.user_agent[:300] if evidence.user_agent else None,
        evidence=json.dumps(evidence.extra, sort_keys=True, separators=(",", ":")),
        actor=actor,
        at=at,
        at_us=to_micros(at),
    )


def with_id(row: ConsentEventRecord, new_id: int) -> ConsentEventRecord:
    """The row with the id storage gave it."""
    return dataclasses.replace(row, id=new_id)


def fold_row(row: ConsentEventRecord) -> ConsentEvent:
    """What the projection needs of a ledger row."""
    return ConsentEvent(
        row.id, row.at_us, row.subject_id, row.visitor, row.kind, row.scope, row.granted, row.method
    )


def audit_entry(row: ConsentEventRecord, actor: str, subject_uid: str | None) -> Entry:
    """The audit entry of one ledger row (references only, never evidence values)."""
    action = {Kind.LINK.value: "consent:link"}.get(
        row.kind, "consent:grant" if row.granted else "consent:withdraw"
    )
    details = {
        "event": row.id,
        "kind": row.kind,
        "scope": row.scope,
        "method": row.method,
        "via": row.channel,
        "holder": "visitor" if row.visitor else "subject",
    }
    return Entry(actor, action, subject_uid, None, "ok", details)


def link_visitor(
    deps: Deps,
    tenant_key: str,
    actor: str,
    visitor: str,
    subject_ref: str,
    evidence: Evidence,
    at: datetime,
) -> Recorded:
    """Attach an anonymous visitor to a subject: its choices (cookies, GPC) now count for the subject."""
    check_evidence(deps.decider.view(tenant_key), evidence)
    check_visitor(visitor)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        done = _link(uow, actor, visitor, subject_ref, evidence, at)
        uow.commit()
    return done


def _link(
    uow: UnitOfWork, actor: str, visitor: str, subject_ref: str, evidence: Evidence, at: datetime
) -> Recorded:
    subject = subject_by_ref(uow, subject_ref)
    states, linked = _lock(uow, subject.id, visitor)
    if linked is not None and linked != subject.id:
        raise InvalidInput(
            "this visitor is already linked to another subject", code="consent.invalid"
        )
    link = Choice(Kind.LINK, "*", True)
    row = event_row(link, subject.id, visitor, evidence, None, actor, at)
    [new_id] = uow.consent.append([row])
    stored = with_id(row, new_id)
    apply(states, fold_row(stored))
    save_states(uow, states, visitor, subject.id, at)
    record(uow, [audit_entry(stored, actor, subject.uid)], at)
    return Recorded([stored], states.get(f"s:{subject.id}", {}))


def gpc_choices(view: TenantView, on: date | None = None) -> list[Choice]:
    """What a Global Privacy Control signal opts out of: sale/sharing and marketing cookies, and
    targeted advertising where a law of the tenant makes the signal binding on that day (Colorado,
    Connecticut, Texas, ...: ``Jurisdiction.universal_opt_out_from``)."""
    choices = [Choice(Kind.SALE_SHARING, "*", False)]
    if on is not None and any(
        Right.OPT_OUT_TARGETED_ADS in law.rights
        for law in universal_opt_out_laws(view.tenant.jurisdictions, on)
    ):
        choices.append(Choice(Kind.TARGETED_ADS, "*", False))
    if any(c.key is CookieCategoryKey.MARKETING for c in view.cookie_categories):
        choices.append(Choice(Kind.COOKIE, CookieCategoryKey.MARKETING.value, False))
    return choices


def honour_gpc(
    deps: Deps, tenant_key: str, holder: Holder, evidence: Evidence, at: datetime
) -> bool:
    """Record a ``Sec-GPC: 1`` signal once: False if the holder was already opted out by GPC."""
    choices = gpc_choices(deps.decider.view(tenant_key), at.date())
    with deps.make_uow() as uow:
        current = state_of(uow, tenant_key, holder)
        if all(
            (e := current.get(topic(c.kind, c.scope))) is not None
            and not e.granted
            and e.method == "gpc"
            for c in choices
        ):
            return False
        actor = f"visitor:{holder.visitor[:8]}" if holder.visitor else "gpc"
        append_choices(uow, deps.decider, tenant_key, actor, holder, choices, evidence, at)
        uow.commit()
    return True


def current_state(deps: Deps, tenant_key: str, holder: Holder) -> State:
    """The holder's projected state (empty if it never chose anything)."""
    with deps.make_uow() as uow:
        return state_of(uow, tenant_key, holder)


def state_and_notice(deps: Deps, tenant_key: str, holder: Holder) -> tuple[State, str | None]:
    """The holder's state and the latest published notice version's id, read together (what the
    preference center shows and saves against)."""
    with deps.make_uow() as uow:
        return state_of(uow, tenant_key, holder), notice_version(uow, None)


def state_of(uow: UnitOfWork, tenant_key: str, holder: Holder) -> State:
    """:func:`current_state` in the caller's transaction (binds the tenant)."""
    bind_tenant(uow, tenant_key)
    if holder.subject is not None:
        key = f"s:{subject_by_ref(uow, holder.subject).id}"
    else:
        key = f"v:{check_visitor(holder.visitor or '')}"
    found = uow.consent.states([key])
    return load_state(found[key][0]) if key in found else {}


def history(deps: Deps, tenant_key: str, holder: Holder) -> list[ConsentEventRecord]:
    """Every ledger event of the holder, oldest first; a subject's includes its linked visitors'
    events from before the link (they count for the subject too)."""
    with deps.make_uow() as uow:
        return events_of(uow, tenant_key, holder)


def events_of(uow: UnitOfWork, tenant_key: str, holder: Holder) -> list[ConsentEventRecord]:
    """:func:`history` in the caller's transaction (binds the tenant)."""
    bind_tenant(uow, tenant_key)
    if holder.subject is not None:
        subject_id = subject_by_ref(uow, holder.subject).id
        found = {e.id: e for e in _all_events(uow, subject_id=subject_id)}
        for visitor in uow.consent.linked_visitors(subject_id):
            found.update((e.id, e) for e in _all_events(uow, visitor=visitor))
        return [found[i] for i in sorted(found)]
    return _all_events(uow, visitor=check_visitor(holder.visitor or ""))


def _all_events(
    uow: UnitOfWork, *, subject_id: int | None = None, visitor: str | None = None
) -> list[ConsentEventRecord]:
    events: list[ConsentEventRecord] = []
    after = 0
    while batch := uow.consent.events(subject_id=subject_id, visitor=visitor, after_id=after):
        events += batch
        after = batch[-1].id
    return events


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild found: holders whose stored state differed from the ledger's."""

    events: int
    holders: int
    differing: list[str]


def rebuild(
    deps: Deps, tenant_key: str, actor: str, at: datetime, *, apply_fix: bool
) -> RebuildReport:
    """Recompute every state from the ledger; compare with what is stored; with ``apply_fix``, replace."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        report = _rebuild(uow, actor, at, apply_fix=apply_fix)
        uow.commit()
    return report


def _rebuild(uow: UnitOfWork, actor: str, at: datetime, *, apply_fix: bool) -> RebuildReport:
    if apply_fix:
        uow.consent.lock_all()
    events: list[ConsentEvent] = []
    subjects: dict[str, int | None] = {}
    after = 0
    while batch := uow.consent.events(after_id=after, limit=20_000):
        events += [fold_row(r) for r in batch]
        for r in batch:
            if r.visitor and r.subject_id and r.kind == Kind.LINK:
                subjects[f"v:{r.visitor}"] = r.subject_id
        after = batch[-1].id
    rebuilt = {h: dump_state(s) for h, s in project(events).items()}
    stored = {h: s for h, _, s in uow.consent.all_states()}
    empty = dump_state({})  # a holder locked once but never changed has an empty row
    differing = sorted(
        h for h in set(rebuilt) | set(stored) if rebuilt.get(h, empty) != stored.get(h, empty)
    )
    if apply_fix and differing:
        uow.consent.clear_states()
        rows = [
            (h, int(h[2:]) if h.startswith("s:") else subjects.get(h), state)
            for h, state in rebuilt.items()
        ]
        uow.consent.put_states(rows, at)
    details = {
        "events": len(events),
        "holders": len(rebuilt),
        "differing": len(differing),
        "fixed": apply_fix,
    }
    record(uow, [Entry(actor, "consent:rebuild", details=details)], at)
    return RebuildReport(len(events), len(rebuilt), differing)
