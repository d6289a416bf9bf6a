"""Carrying out a verified request: claim it, re-match the subject, run the handler for its type, and
close it as completed or incomplete in one transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

from privault.core.appeals import how_to_appeal
from privault.core.jurisdictions import RIGHT_TITLES, Right
from privault.core.manifest.resolve import tenant_view
from privault.core.ports import UnitOfWork
from privault.core.redress import REDRESS_RIGHTS
from privault.core.request_ports import RequestChange
from privault.core.requests import RequestDetails, RequestRecord, State
from privault.errors import Conflict
from privault.services.audit import Entry, record
from privault.services.cpni_alerts import send_alert
from privault.services.deps import Deps
from privault.services.fulfilment.access import _access
from privault.services.fulfilment.answers import refused_something
from privault.services.fulfilment.erasure import _erasure
from privault.services.fulfilment.flags import _flags
from privault.services.fulfilment.rectification import _rectification
from privault.services.fulfilment.staged import SYSTEM_ACTOR, Closing, Outcome, Staged
from privault.services.fulfilment.tally import runs_of, totals
from privault.services.requests import (
    answer_request,
    close_request,
    load_request,
    mark_verified,
    match_subject,
    normalised_identities,
    open_details,
    send_messages,
    to_requester,
)
from privault.services.tenants import bind_tenant

WORKING = (State.VERIFIED, State.IN_PROGRESS, State.EXTENDED, State.INCOMPLETE)


def fulfil(
    deps: Deps, tenant_key: str, ref: str, actor: str, outcome_text: str = ""
) -> RequestRecord:
    """Carry out a verified request and close it as completed, or incomplete saying what is left.

    A complaint, grievance or human review is completed with ``outcome_text``, the text staff write.

    The request is claimed first (one fulfilment at a time); datastores are worked on outside any
    transaction of ours; the vault part, the tasks, the audit entry and the closing happen in one.
    """
    kind = _type(deps, tenant_key, ref)
    if kind is Right.APPEAL:
        return grant_appeal(deps, tenant_key, ref, actor)
    if kind in REDRESS_RIGHTS:  # a complaint, grievance or human review ends with its outcome
        return answer_request(deps, tenant_key, ref, actor, outcome_text)
    request = _claim(deps, tenant_key, ref, actor)
    view = tenant_view(deps.manifest, tenant_key)
    details = open_details(deps, tenant_key, request)
    identities = normalised_identities(view, details)
    outcome = Outcome()
    try:
        request = _rematch(deps, tenant_key, request, details, outcome)
        staged = _HANDLERS[request.type](deps, view, request, details, identities, outcome)
        closed = _close(deps, tenant_key, ref, actor, request, details, staged, outcome)
    except Exception:
        _release(deps, tenant_key, ref, actor)
        raise
    return closed


CLAIM_MINUTES = 15


def _claim(deps: Deps, tenant_key: str, ref: str, actor: str) -> RequestRecord:
    """Check the request can be fulfilled and mark it as being fulfilled (refusing a second
    fulfilment while one runs, unless the first was abandoned CLAIM_MINUTES ago)."""
    now = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if request.verified_at is None:
            raise Conflict(
                "the requester's identity is not verified yet", code="request.not_verified"
            )
        if request.state not in WORKING:
            raise Conflict(
                f"a {request.state.value} request cannot be fulfilled "
                "(verify it first; closed requests stay closed)",
                code="request.invalid_transition",
            )
        runs = [e for e in uow.requests.events(request.id) if e.action.startswith("fulfilment_")]
        last = runs[-1] if runs else None
        busy = last is not None and last.action == "fulfilment_started"
        if busy and last is not None and now - last.at < timedelta(minutes=CLAIM_MINUTES):
            raise Conflict(
                f"the request is being fulfilled by {last.actor} since "
                f"{last.at.isoformat(timespec='seconds')}",
                code="request.busy",
            )
        uow.requests.add_event(request.id, now, actor, "fulfilment_started")
        uow.commit()
    return request


def _release(deps: Deps, tenant_key: str, ref: str, actor: str) -> None:
    """A fulfilment failed: say so on the timeline so it can be run again at once."""
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref, lock=False)
        uow.requests.add_event(request.id, deps.clock.now(), actor, "fulfilment_failed")
        uow.commit()


def _rematch(
    deps: Deps,
    tenant_key: str,
    request: RequestRecord,
    details: RequestDetails,
    outcome: Outcome,
) -> RequestRecord:
    """Find the vault subject again (one may have been created since verification). Identities that
    lead to several subjects leave the vault untouched and the request incomplete."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        subject_id, matches = match_subject(deps, uow, tenant_key, details)
    if matches > 1:
        outcome.fail(
            f"the identities lead to {matches} different people in the vault: "
            "staff must establish which one asked"
        )
    return replace(request, subject_id=subject_id)


def _close(
    deps: Deps,
    tenant_key: str,
    ref: str,
    actor: str,
    request: RequestRecord,
    details: RequestDetails,
    staged: Staged,
    outcome: Outcome,
) -> RequestRecord:
    """Do the vault part, record the run and close the request, in one transaction; once it is
    committed, send the account-change alerts and tell the requester."""
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        current = uow.requests.get(ref, lock=True)
        if current is None or current.state not in WORKING:
            raise Conflict("the request changed while it was being fulfilled; try again")
        current = replace(current, subject_id=request.subject_id)
        uow.requests.update(current.id, RequestChange(subject_id=request.subject_id))
        staged.commit(Closing(deps, uow, tenant_key, tenant.id, current, outcome))
        _open_tasks(deps, uow, current, outcome)
        now = deps.clock.now()
        outcome.result["problems"] = outcome.problems
        runs = [*runs_of(current.result), {**outcome.result, "at": now.isoformat()}]
        total = totals(request.type, runs)
        staged.answer(total, outcome)
        record(
            uow,
            [
                Entry(
                    actor,
                    "request:fulfil",
                    None,
                    None,
                    "ok" if outcome.complete else "partial",
                    {"ref": ref, "type": request.type.value, **_summary(total)},
                )
            ],
            now,
        )
        run = {"run": len(runs), **_summary(outcome.result)}
        uow.requests.add_event(current.id, now, actor, "fulfilment_done", details=run)
        closed = close_request(
            deps,
            uow,
            tenant_key,
            current,
            actor,
            complete=outcome.complete,
            response=_public_response(request, outcome, total),
            result=total,
        )
        for alert in outcome.alerts:  # FCC-AUTH-2: told once the change is committed
            uow.on_commit(partial(send_alert, deps.messenger, alert))
        if closed.state is State.COMPLETED:
            uow.on_commit(partial(_tell, deps, tenant_key, closed, details))
        uow.commit()
    return closed


def _open_tasks(deps: Deps, uow: UnitOfWork, request: RequestRecord, outcome: Outcome) -> None:
    """Open the tasks fulfilment found (not again if an earlier run opened them)."""
    existing = {(t.system, t.description) for t in uow.requests.tasks(request.id)}
    for system, what in outcome.tasks:
        if (system, what) not in existing:
            uow.requests.add_task(request.id, system, what, None, deps.clock.now())
    still_open = [t for t in uow.requests.tasks(request.id) if t.state == "open"]
    if still_open:
        outcome.fail(f"{len(still_open)} manual task(s) still open")


def _public_response(request: RequestRecord, outcome: Outcome, total: dict[str, Any]) -> str:
    """What the requester is told (staff see the problems in the result, by name); where part of
    the request was refused under a law granting an appeal, how to appeal and when we answer."""
    response = " ".join(outcome.response) or RIGHT_TITLES[request.type]
    if not outcome.complete:
        response += (
            " We have not finished yet: some of your data still needs work by our staff. "
            "We will write to you when everything is done."
        )
    appeal = how_to_appeal(request) if refused_something(total) else ""
    return f"{response} {appeal}" if appeal else response


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail keeps of a result: counts and names, never row keys."""
    counts = ("rows", "deleted", "masked", "recorded")
    summary: dict[str, Any] = {k: result[k] for k in counts if k in result}
    summary["datastores"] = result.get("datastores", [])
    summary["retained"] = sum(r.get("rows", 1) for r in result.get("retained", []))
    summary["not_erased"] = len(result.get("not_erased", []))
    summary["problems"] = len(result.get("problems", []))
    if "no_record" in result:
        summary["no_record"] = result["no_record"]
    if "runs" in result:
        summary["runs"] = len(result["runs"])
    return summary


def _tell(deps: Deps, tenant_key: str, request: RequestRecord, details: RequestDetails) -> None:
    """Tell the requester the request is complete (and where the package is)."""
    body = f"Your request {request.ref} is complete.\n{request.response}"
    result = request.result
    if "package" in result:
        body += (
            "\nDownload your data from your status page (the link in our first message) until "
            f"{result['package']['expires_at'][:10]}."
        )
    subject = f"Your request {request.ref} is complete"
    send_messages(deps, tenant_key, request.ref, to_requester(details, subject, body, "completed"))


_HANDLERS = {
    Right.ACCESS: _access,
    Right.PORTABILITY: _access,
    Right.ERASURE: _erasure,
    Right.RECTIFICATION: _rectification,
    Right.RESTRICTION: _flags,
    Right.OBJECTION: _flags,
    Right.OPT_OUT_SALE: _flags,
    Right.LIMIT_SENSITIVE: _flags,
    Right.OPT_OUT_TARGETED_ADS: _flags,
    Right.OPT_OUT_PROFILING: _flags,
}


def grant_appeal(deps: Deps, tenant_key: str, ref: str, actor: str) -> RequestRecord:
    """Completing an appeal grants it: the refusal is reversed and the person is told so (staff
    then act on the refused request's right). Upholding the refusal is ``deny_request``."""
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if request.verified_at is None:
            raise Conflict(
                f"{ref} is not verified: verify the person first", code="request.not_verified"
            )
        details = open_details(deps, tenant_key, request)
        response = (
            f"We reviewed our decision on your request {details.appeal_of} and reversed it: we "
            "will act on that request and tell you when it is done."
        )
        result = {"appeal_of": details.appeal_of, "granted": True}
        closed = close_request(
            deps, uow, tenant_key, request, actor, complete=True, response=response, result=result
        )
        uow.on_commit(partial(_tell, deps, tenant_key, closed, details))
        uow.commit()
    return closed


def _type(deps: Deps, tenant_key: str, ref: str) -> Right:
    with deps.make_uow() as uow:
        return load_request(uow, tenant_key, ref, lock=False).type


def apply_at_once(deps: Deps, tenant_key: str, ref: str) -> RequestRecord:
    """Opt-out and limit requests need no verification: mark them verified and apply them now."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        mark_verified(deps, uow, tenant_key, request, SYSTEM_ACTOR, at, "not_required")
        uow.commit()
    return fulfil(deps, tenant_key, ref, SYSTEM_ACTOR)
