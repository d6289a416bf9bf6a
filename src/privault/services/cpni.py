"""CPNI use cases of a US carrier (docs/cpni.md): opt-out notices and their schedule (FCC-NOT-1,
47 CFR 64.2008) and the call-detail gate on inbound calls (FCC-AUTH-1, 47 CFR 64.2010(b)).

A notice is a CPNI event of the consent ledger (method ``notice``, or ``notice_mail`` for a mailed
notice whose wait starts on the third day after mailing): the ledger is append-only, so the record
of notification outlives the year 64.2008(a)(2) asks for, and the processing decision counts the
wait from it. The campaign log and the annual certificate are in ``services/cpni_campaigns.py``;
the alerts on account changes in ``services/cpni_alerts.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from privault.core.access import Principal
from privault.core.audit import to_micros
from privault.core.consent import Choice, Kind, Method, Via, load_state, topic
from privault.core.consent import Entry as Approval
from privault.core.cpni import (
    ADDRESS,
    ALTERNATIVES,
    CALL_DETAIL,
    CALL_DETAIL_RULE,
    PASSWORD,
    Delivery,
    approval_from,
    notice_needed,
    password_matches,
    renewal_due,
    require_carrier,
    wait_starts,
    within,
)
from privault.core.manifest.resolve import tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectRecord
from privault.core.secrets import Secret
from privault.crypto.subjects import subject_cipher
from privault.errors import Conflict, NotFound
from privault.services.audit import Entry, record
from privault.services.consent import Evidence, Holder, append_choices, state_of
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant
from privault.services.vault import SubjectView, Withheld, read_subjects

# --- notices (FCC-NOT-1) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeSent:
    """A recorded opt-out notice and the dates it sets."""

    ref: str
    delivery: Delivery
    sent_on: date
    wait_starts: date
    approval_from: date
    renew_by: date


def record_notice(
    deps: Deps, tenant_key: str, actor: str, ref: str, delivery: Delivery
) -> NoticeSent:
    """Record that an opt-out notice was sent (or mailed) to a customer today.

    Refused for a customer who opted out (an opt-out stands until the customer lifts it) and for a
    tenant the CPNI rules do not reach. The wait runs from the recording, never from an earlier day.
    """
    decider, holder = deps.decider, Holder(subject=ref)
    require_carrier(decider.view(tenant_key))
    mailed = delivery is Delivery.MAIL
    evidence = Evidence(
        Method.NOTICE_MAIL if mailed else Method.NOTICE,
        Via.POST if mailed else Via.EMAIL,
        shown="CPNI opt-out notice (47 CFR 64.2008)",
        extra={"delivery": delivery.value},
    )
    now = deps.clock.now()
    choice = Choice(Kind.CPNI, "*", True)
    with deps.make_uow() as uow:
        entry = state_of(uow, tenant_key, holder).get(topic(Kind.CPNI, "*"))
        if entry is not None and not entry.granted:
            raise Conflict(
                "the customer opted out of CPNI use: no opt-out notice assumes approval again",
                code="cpni.opted_out",
            )
        append_choices(uow, decider, tenant_key, actor, holder, [choice], evidence, now)
        uow.commit()
    today = now.date()
    return NoticeSent(
        ref,
        delivery,
        today,
        wait_starts(today, delivery),
        approval_from(today, delivery),
        renewal_due(today),
    )


@dataclass(frozen=True, slots=True)
class NoticeDue:
    """A customer who needs an opt-out notice: a ``first`` one, or a ``renewal`` (by ``due_on``)."""

    ref: str
    reason: str
    due_on: date


def notices_due(deps: Deps, tenant_key: str, limit: int = 1000) -> list[NoticeDue]:
    """The notice schedule: customers with no CPNI approval or notice on file (due today), and those
    whose last notice is near two years old (due on its second anniversary); never those who
    opted out or opted in."""
    require_carrier(deps.decider.view(tenant_key))
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return _due(uow, deps.clock.now(), limit)


def _due(uow: UnitOfWork, now: datetime, limit: int) -> list[NoticeDue]:
    now_us, after = to_micros(now), 0
    found: list[NoticeDue] = []
    while len(found) < limit and (page := uow.cpni.subjects_after(after, 500)):
        after = page[-1][0]
        states = uow.consent.states([f"s:{i}" for i, _ in page])
        for subject_id, ref in page:
            entry = _cpni_entry(states.get(f"s:{subject_id}"))
            reason = notice_needed(entry, now_us)
            if reason and ref:
                due = now.date() if entry is None else _renewal_on(entry.at_us)
                found.append(NoticeDue(ref, reason, due))
    return found[:limit]


def _cpni_entry(state: tuple[str, int | None] | None) -> Approval | None:
    return load_state(state[0]).get(topic(Kind.CPNI, "*")) if state else None


def _renewal_on(at_us: int) -> date:
    return renewal_due(datetime.fromtimestamp(at_us / 1_000_000, UTC).date())


# --- the call-detail gate (FCC-AUTH-1) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboundCall:
    """What an agent may see on a customer-initiated call.

    ``password`` is ``passed``, ``failed``, ``not_given`` or ``none_on_file``. Unless it passed,
    call detail is withheld (``masked``) and ``alternatives`` says how it may be given instead:
    sent to the address of record or by calling the telephone number of record, when on file.
    """

    view: SubjectView
    password: str
    masked: list[str]
    alternatives: list[str]


def inbound_call(
    deps: Deps, principal: Principal, ref: str, purpose: str, password: Secret[str] | None
) -> InboundCall:
    """Read a customer for an inbound call: call detail only after the customer's password passes
    (47 CFR 64.2010(b)). The check is audited (``cpni:call_detail``) with the read, never the
    password."""
    view = tenant_view(deps.manifest, principal.tenant_key)
    require_carrier(view)
    with deps.make_uow() as uow:
        uow.bind_tenant(principal.tenant_id)
        subject = uow.subjects.get_by_ref(ref)
        if subject is None or subject.wrapped_key is None:
            raise NotFound(f"no subject '{ref}'", code="subject.unknown")
        outcome = _check_password(uow, deps, principal, subject, password)
        verdict = "ok" if outcome == "passed" else "denied"
        details = {"password": outcome}
        entry = Entry(principal.actor, "cpni:call_detail", subject.uid, purpose, verdict, details)
        record(uow, [entry], deps.clock.now())
        read = read_subjects(uow, deps, principal, [subject.id], purpose)[0]
    if outcome == "passed":
        return InboundCall(read, outcome, [], [])
    return _masked(deps, read, outcome)


def _check_password(
    uow: UnitOfWork,
    deps: Deps,
    principal: Principal,
    subject: SubjectRecord,
    password: Secret[str] | None,
) -> str:
    """Compare the password given with the one on file (a category within
    ``user.authorization.password``), opened by the system, never shown to the agent."""
    on_file = [
        f for f in uow.subjects.fields([subject.id]) if within(deps.manifest, f.category, PASSWORD)
    ]
    if not on_file:
        return "none_on_file"
    if password is None or not password.reveal():
        return "not_given"
    cipher = subject_cipher(deps.keyring, principal.tenant_key, principal.tenant_id, subject)
    stored = [str(cipher.open_value(f.field, f.ciphertext).reveal()) for f in on_file]
    return "passed" if password_matches(stored, password.reveal()) else "failed"


def _masked(deps: Deps, read: SubjectView, outcome: str) -> InboundCall:
    """The read with call detail withheld, and the alternatives the customer's records allow."""
    hidden = sorted(
        name
        for name, value in read.data.items()
        if within(deps.manifest, value.category, CALL_DETAIL)
    )
    data = {k: v for k, v in read.data.items() if k not in hidden}
    withheld = [
        *read.withheld,
        *(Withheld(n, read.data[n].category, CALL_DETAIL_RULE) for n in hidden),
    ]
    has_address = any(within(deps.manifest, v.category, ADDRESS) for v in read.data.values())
    has_address |= any(within(deps.manifest, w.category, ADDRESS) for w in read.withheld)
    has_phone = "phone" in read.identities or any(
        w.field == "identity:phone" for w in read.withheld
    )
    offered = [a for a, ok in zip(ALTERNATIVES, (has_address, has_phone), strict=True) if ok]
    return InboundCall(replace(read, data=data, withheld=withheld), outcome, hidden, offered)
