"""Moving a request through its states, and the staff actions that do: start, extend, pause, resume,
deny and close.

Each move is checked against ``core.requests.TRANSITIONS`` and written with the timeline, the audit
trail and the webhook queue in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from privault.core.appeals import after_appeal, how_to_appeal
from privault.core.changes import UNCHANGED
from privault.core.deadlines import extend
from privault.core.jurisdictions import Right
from privault.core.manifest.resolve import tenant_view
from privault.core.ports import UnitOfWork
from privault.core.redress import where_to_complain
from privault.core.request_ports import RequestChange
from privault.core.requests import (
    FINAL,
    DenialCode,
    PauseReason,
    PauseSpan,
    RequestRecord,
    State,
    check_transition,
)
from privault.core.unfounded import Evidence, Fee, check_denial
from privault.errors import Conflict, InvalidInput, PolicyViolation
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.requests.deadline import (
    _deadline_change,
    _retain_until,
    _today,
    compute_deadline,
    establishment,
)
from privault.services.requests.deps import load_request, open_details
from privault.services.requests.events import queue_event
from privault.services.requests.messages import send_on_commit, to_requester


def _move(
    deps: Deps,
    uow: UnitOfWork,
    tenant_key: str,
    request: RequestRecord,
    to: State,
    actor: str,
    at: datetime,
    *,
    action: str,
    note: str = "",
    details: dict[str, Any] | None = None,
    change: RequestChange = RequestChange(),
) -> RequestRecord:
    """Change state (checked) and what ``change`` says, with the timeline, the audit trail and
    the webhook queue."""
    check_transition(request.state, to)
    change = replace(change, state=to, updated_at=at)
    if to in FINAL:
        change = replace(change, closed_at=at)
    uow.requests.update(request.id, change)
    uow.requests.add_event(
        request.id,
        at,
        actor,
        action,
        from_state=request.state.value,
        to_state=to.value,
        note=note,
        details=details,
    )
    audit = {"ref": request.ref, "from": request.state.value, "to": to.value, "action": action}
    audit |= {k: v for k, v in (details or {}).items() if k in ("code", "reason", "due_on")}
    record(uow, [Entry(actor, "request:transition", None, None, "ok", audit)], at)
    body = _hook_body(request, to, at, details)
    queue_event(deps, uow, tenant_key, f"request.{to.value}", body, at)
    return replace(request, state=to)


def _hook_body(
    request: RequestRecord, state: State, at: datetime, details: dict[str, Any] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ref": request.ref,
        "type": request.type.value,
        "state": state.value,
        "previous": request.state.value,
        "due_on": (details or {}).get("due_on", request.due_on.isoformat()),
        "at": at.isoformat(),
    }
    if details and "code" in details:
        body["code"] = details["code"]
    return body


def start(deps: Deps, tenant_key: str, ref: str, actor: str) -> RequestRecord:
    """Mark a verified request as being worked on (optionally assigned to the actor)."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if request.verified_at is None:
            raise Conflict(
                "the requester's identity is not verified yet", code="request.not_verified"
            )
        moved = _move(
            deps,
            uow,
            tenant_key,
            request,
            State.IN_PROGRESS,
            actor,
            at,
            action="started",
            change=RequestChange(assignee=actor),
        )
        uow.commit()
    return moved


def extend_request(
    deps: Deps, tenant_key: str, ref: str, actor: str, reasons: str
) -> RequestRecord:
    """The one extension the law allows, with its reasons, told to the requester before the due date."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if request.state is State.PAUSED:
            raise Conflict(
                "resume the request before extending it", code="request.invalid_transition"
            )
        if request.extended:
            raise PolicyViolation(
                "the deadline was already extended once", code="request.extension_refused"
            )
        check_transition(request.state, State.EXTENDED)
        today = _today(deps, request)
        seat = establishment(deps, tenant_key)
        current = compute_deadline(request, today, establishment=seat).winner
        extend(current, today, reasons)  # the winning law allows it, with reasons, in time
        chosen = compute_deadline(
            request, today, extension_reasons=reasons.strip(), establishment=seat
        )
        longer = chosen.winner
        if longer.due <= current.due:
            raise PolicyViolation(
                f"an extension would not move the deadline: {chosen.explanation}",
                code="request.extension_refused",
            )
        body = (
            f"We need more time to answer your request {ref}. We will answer by "
            f"{longer.due.isoformat()} instead of {current.due.isoformat()}.\nWhy: {reasons.strip()}"
        )
        details = open_details(deps, tenant_key, request)
        told = to_requester(details, f"Your request {ref}: more time", body, "extension")
        send_on_commit(deps, uow, tenant_key, ref, told)
        moved = _move(
            deps,
            uow,
            tenant_key,
            request,
            State.EXTENDED,
            actor,
            at,
            action="extended",
            note=reasons.strip(),
            details={"due_on": longer.due.isoformat(), "was": current.due.isoformat()},
            change=replace(
                _deadline_change(chosen),
                extended=True,
                extension_reasons=reasons.strip(),
                resume_state=None,
            ),
        )
        uow.commit()
    return replace(moved, due_on=longer.due, extended=True)


def pause_request(
    deps: Deps,
    tenant_key: str,
    ref: str,
    actor: str,
    reason: PauseReason,
    message: str,
    *,
    fee: Fee | None = None,
) -> RequestRecord:
    """Stop the clock while waiting for the requester (UK Art. 12A); ``message`` says what we need.

    A pause for a fee names the fee (amount, currency, ground, costs, evidence: GDPR Art. 12(5))."""
    if not message.strip():
        raise InvalidInput("say what the requester must send", code="request.pause_invalid")
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        check_transition(request.state, State.PAUSED)
        if (reason is PauseReason.AWAITING_FEE) != (fee is not None):
            raise InvalidInput(
                "a pause awaiting a fee names the fee, and only such a pause does",
                code="request.fee_invalid",
            )
        _check_prior(uow, tenant_key, fee.evidence if fee else None)
        spans = (*request.pauses, PauseSpan(_today(deps, request), None, reason.value))
        body = (
            f"To go on with your request {ref} we need: {message.strip()}\nThe time we have to "
            "answer is stopped until we hear from you." + (f"\n{fee.told()}" if fee else "")
        )
        details = open_details(deps, tenant_key, request)
        told = to_requester(details, f"Your request {ref}: we need something", body, "pause")
        send_on_commit(deps, uow, tenant_key, ref, told)
        moved = _move(
            deps,
            uow,
            tenant_key,
            request,
            State.PAUSED,
            actor,
            at,
            action="paused",
            note=message.strip(),
            details={"reason": reason.value} | ({"fee": fee.as_json()} if fee else {}),
            change=RequestChange(resume_state=request.state, pauses=spans),
        )
        uow.commit()
    return moved


def _resume_in(
    uow: UnitOfWork,
    request: RequestRecord,
    actor: str,
    at: datetime,
    deps: Deps,
    tenant_key: str,
) -> RequestRecord:
    if request.state is not State.PAUSED or request.resume_state is None:
        raise Conflict("the request is not paused", code="request.invalid_transition")
    today = _today(deps, request)
    spans = tuple(replace(p, end=today) if p.end is None else p for p in request.pauses)
    resumed = replace(request, pauses=spans)
    chosen = compute_deadline(resumed, today, establishment=establishment(deps, tenant_key))
    current = chosen.winner
    moved = _move(
        deps,
        uow,
        tenant_key,
        request,
        request.resume_state,
        actor,
        at,
        action="resumed",
        details={"due_on": current.due.isoformat()},
        change=replace(_deadline_change(chosen), pauses=spans, resume_state=None),
    )
    return replace(moved, pauses=spans, due_on=current.due, resume_state=None)


def resume_request(deps: Deps, tenant_key: str, ref: str, actor: str) -> RequestRecord:
    """Start the clock again; the due date moves by the days it stood still."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = _resume_in(uow, load_request(uow, tenant_key, ref), actor, at, deps, tenant_key)
        uow.commit()
    return request


def _check_prior(uow: UnitOfWork, tenant_key: str, evidence: Evidence | None) -> None:
    """The earlier requests the evidence names exist (request.unknown otherwise)."""
    for ref in evidence.prior_requests if evidence else ():
        load_request(uow, tenant_key, ref, lock=False)


def _denial_text(request: RequestRecord, text: str) -> str:
    """The text sent: the reasons, then how to appeal (or, for an appeal, how to contact the
    Attorney General), then the authority to complain to."""
    lines = [text.strip()]
    if request.type is Right.APPEAL:
        lines.append(after_appeal(request))
    else:
        lines.append(how_to_appeal(request))
        lines.append(where_to_complain(request))
    return "\n".join(line for line in lines if line)


def deny_request(
    deps: Deps,
    tenant_key: str,
    ref: str,
    actor: str,
    code: DenialCode,
    text: str,
    *,
    evidence: Evidence | None = None,
    only_if_unverified: bool = False,
) -> RequestRecord | None:
    """Refuse the request with a reason code; ``text`` is exactly what the requester is sent.

    Refused as manifestly unfounded or excessive, it needs ``evidence`` (GDPR Art. 12(5): the
    controller bears the burden of proof), kept on the timeline with the denial.

    ``only_if_unverified``: do nothing (None) if, under the lock, the request turns out to be
    verified or closed by now (the sweep's guard against a verification that just happened).
    """
    if not text.strip():
        raise InvalidInput(
            "write the text the requester will receive", code="request.denial_invalid"
        )
    at = deps.clock.now()
    view = tenant_view(deps.manifest, tenant_key)
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if only_if_unverified and (
            request.verified_at is not None
            or request.state in FINAL
            or request.verification != "pending"
        ):
            return None
        check_transition(request.state, State.DENIED)
        check_denial(code, evidence)
        _check_prior(uow, tenant_key, evidence)
        sent = _denial_text(request, text)
        subject = f"{view.tenant.name}: your request {ref}"
        details = open_details(deps, tenant_key, request)
        send_on_commit(deps, uow, tenant_key, ref, to_requester(details, subject, sent, "denial"))
        moved = _move(
            deps,
            uow,
            tenant_key,
            request,
            State.DENIED,
            actor,
            at,
            action="denied",
            note=sent,
            details={"code": code.value} | ({"evidence": evidence.as_json()} if evidence else {}),
            change=RequestChange(
                denial_code=code,
                denial_text=sent,
                response=f"denied: {code.value}",
                retain_until=_retain_until(deps, at),
            ),
        )
        uow.commit()
    return moved


def close_request(
    deps: Deps,
    uow: UnitOfWork,
    tenant_key: str,
    request: RequestRecord,
    actor: str,
    *,
    complete: bool,
    response: str,
    result: dict[str, Any],
) -> RequestRecord:
    """Record the outcome of fulfilment: completed, or incomplete with what is missing.

    ``result`` replaces the stored one: fulfilment keeps every run in it, with the totals."""
    at = deps.clock.now()
    state = State.COMPLETED if complete else State.INCOMPLETE
    change = RequestChange(
        response=response,
        result=result,
        retain_until=_retain_until(deps, at) if complete else UNCHANGED,
    )
    moved = _move(
        deps,
        uow,
        tenant_key,
        request,
        state,
        actor,
        at,
        action="completed" if complete else "incomplete",
        note=response,
        change=change,
    )
    return replace(moved, response=response, result=result)
