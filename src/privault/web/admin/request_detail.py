"""One request (``/admin/requests/{ref}``): its facts, the deadline and why, the timeline, the tasks,
and a form for each action its state allows. Each action calls the service the CLI and the API call
(``services.requests`` and ``services.fulfilment``), then answers 303 back here with what happened;
a refusal shows the page again with the error's message. Admin roles only.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from privault.api.downloads import package_response
from privault.bootstrap import Container
from privault.core.jurisdictions import RIGHT_TITLES
from privault.core.redress import REDRESS_RIGHTS
from privault.core.requests import (
    FINAL,
    TRANSITIONS,
    DenialCode,
    PauseReason,
    RequestRecord,
    State,
    choice_of,
)
from privault.core.unfounded import optional_evidence, optional_fee
from privault.errors import InvalidInput, PrivaultError
from privault.services import requests as svc
from privault.services.fulfilment import WORKING, fulfil, staff_download
from privault.services.webhooks import deliver_due
from privault.web.admin.auth import AdminStaffDep, Staff
from privault.web.admin.layout import AdminRoute, container_of, redirect, render
from privault.web.admin.params import number
from privault.web.admin.queue import row

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
log = structlog.get_logger(__name__)
Fields = dict[str, str]
Handler = Callable[[svc.RequestDeps, Staff, str, Fields], str]


def allowed_actions(r: RequestRecord) -> frozenset[str]:
    """The actions the request's state allows (the services check again when one is taken)."""
    moves = TRANSITIONS[r.state]
    found = set()
    if r.verified_at is None and r.state not in FINAL:
        found.add("verify")
    if r.verified_at is not None and State.IN_PROGRESS in moves:
        found.add("start")
    if not r.extended and r.state is not State.PAUSED and State.EXTENDED in moves:
        found.add("extend")
    if State.PAUSED in moves:
        found.add("pause")
    if r.state is State.PAUSED:
        found.add("resume")
    if r.verified_at is not None and r.state in WORKING:
        found.add("complete")
    if State.DENIED in moves:
        found.add("deny")
    if r.state not in FINAL:
        found.add("task")
    return frozenset(found)


def _page(
    request: Request, staff: Staff, ref: str, *, error: str = "", status: int = 200
) -> HTMLResponse:
    view = svc.show_request(container_of(request).requests, staff.tenant_key, ref)
    r = view.request
    return render(
        request,
        staff,
        "request.html.j2",
        status=status,
        v=view,
        r=r,
        row=row(r, view.deadline_state, view.days_left),
        title=RIGHT_TITLES[r.type],
        actions=allowed_actions(r),
        by_outcome=r.type in REDRESS_RIGHTS,
        open_tasks=[t for t in view.tasks if t.state == "open"],
        problems=[str(p) for p in r.result.get("problems", [])],
        denial_codes=[c.value for c in DenialCode],
        pause_reasons=[p.value for p in PauseReason],
        error=error,
    )


@router.get("/admin/requests/{ref}", response_class=HTMLResponse)
def detail(request: Request, ref: str, staff: AdminStaffDep) -> HTMLResponse:
    """The request, its timeline and tasks, and the forms for the actions its state allows."""
    return _page(request, staff, ref)


def _verify(deps: svc.RequestDeps, staff: Staff, ref: str, form: Fields) -> str:
    svc.verify_manually(deps, staff.tenant_key, ref, staff.actor, form.get("note", ""))
    return "Identity verified."


def _start(deps: svc.RequestDeps, staff: Staff, ref: str, form: Fields) -> str:
    del form
    svc.start(deps, staff.tenant_key, ref, staff.actor)
    return "Work started; the request is assigned to you."


def _extend(deps: svc.RequestDeps, staff: Staff, ref: str, form: Fields) -> str:
    moved = svc.extend_request(deps, staff.tenant_key, ref, staff.actor, form.get("reasons", ""))
    return f"Deadline extended to {moved.due_on.isoformat()}; the requester was told why."


def _pause(deps: svc.RequestDeps, staff: Staff, ref: str, form: Fields) -> str:
    reason = choice_of(PauseReason, form.get("reason", ""), "pause reason")
    proof = optional_evidence(form.get("evidence", ""))
    fee = optional_fee(
        form.get("fee", ""),
        form.get("currency", ""),
        form.get("fee_ground", "excessive"),
        form.get("fee_costs", ""),
        proof,
    )
    message = form.get("message", "")
    svc.pause_request(deps, staff.tenant_key, ref, staff.actor, reason, message, fee=fee)
    return "Paused; the requester was told what we need."


def _resume(deps: svc.RequestDeps, staff: Staff, ref: str, form: Fields) -> str:
    del form
    moved = svc.resume_request(deps, staff.tenant_key, ref, staff.actor)
    return f"Resumed; now due {moved.due_on.isoformat()}."


def _complete(deps: svc.RequestDeps, staff: Staff, ref: str, form: Fields) -> str:
    done = fulfil(deps, staff.tenant_key, ref, staff.actor, form.get("outcome", ""))
    if done.state is State.COMPLETED:
        return "Fulfilled: the request is completed and the requester was told."
    return "Fulfilment ran but something is left: the request is incomplete (see the problems)."


def _deny(deps: svc.RequestDeps, staff: Staff, ref: str, form: Fields) -> str:
    code = choice_of(DenialCode, form.get("code", ""), "denial code")
    proof = optional_evidence(form.get("evidence", ""))
    text = form.get("text", "")
    svc.deny_request(deps, staff.tenant_key, ref, staff.actor, code, text, evidence=proof)
    return "Denied; the requester was sent the text and where to complain."


HANDLERS: dict[str, Handler] = {
    "verify": _verify,
    "start": _start,
    "extend": _extend,
    "pause": _pause,
    "resume": _resume,
    "complete": _complete,
    "deny": _deny,
}


async def _fields(request: Request) -> Fields:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _deliver(container: Container, tenant: str) -> None:
    """Send the webhooks the action queued; failures stay queued for the worker."""
    try:
        deliver_due(container.uow, container.keyring, container.clock, tenant, timeout=2.0)
    except PrivaultError as exc:
        log.warning("webhook delivery deferred", code=exc.code)


async def _run(request: Request, staff: Staff, ref: str, work: Callable[[], str]) -> Response:
    """Do the work; 303 back to the request with what happened, or the page with the error."""
    container = container_of(request)
    try:
        flash = await run_in_threadpool(work)
    except PrivaultError as exc:
        return await run_in_threadpool(
            _page, request, staff, ref, error=exc.message, status=exc.status
        )
    await run_in_threadpool(_deliver, container, staff.tenant_key)
    return redirect(request, f"/admin/requests/{quote(ref)}", flash)


@router.get("/admin/requests/{ref}/package")
def package(ref: str, request: Request, staff: AdminStaffDep) -> Response:
    """The request's package (to send by post, say), audited under the staff member's name."""
    found = staff_download(container_of(request).requests, staff.tenant_key, ref, staff.actor)
    return package_response(found)


@router.post("/admin/requests/{ref}", response_class=HTMLResponse)
async def act(request: Request, ref: str, staff: AdminStaffDep) -> Response:
    """Take one action (field ``action``: verify, start, extend, pause, resume, complete, deny)."""
    form = await _fields(request)
    handler = HANDLERS.get(form.get("action", ""))
    deps = container_of(request).requests

    def work() -> str:
        if handler is None:
            raise InvalidInput("choose one of the actions on the page", code="input.invalid")
        return handler(deps, staff, ref, form)

    return await _run(request, staff, ref, work)


@router.post("/admin/requests/{ref}/tasks", response_class=HTMLResponse)
async def add_task(request: Request, ref: str, staff: AdminStaffDep) -> Response:
    """Open a manual task (system, what to do, who does it)."""
    form = await _fields(request)
    deps = container_of(request).requests

    def work() -> str:
        task = svc.add_task(
            deps,
            staff.tenant_key,
            ref,
            staff.actor,
            form.get("system", ""),
            form.get("description", ""),
            form.get("assignee", "").strip() or None,
        )
        return f"Task {task} opened."

    return await _run(request, staff, ref, work)


def _task_id(text: str) -> int:
    task = number(text)
    if task is None:
        raise InvalidInput("choose a task from the list", code="request.task_unknown")
    return task


@router.post("/admin/requests/{ref}/tasks/{task}", response_class=HTMLResponse)
async def finish_task(request: Request, ref: str, task: str, staff: AdminStaffDep) -> Response:
    """Mark a task done (or cancelled, field ``outcome``), with a note of what was done."""
    form = await _fields(request)
    deps = container_of(request).requests
    cancelled = form.get("outcome") == "cancelled"

    def work() -> str:
        task_id = _task_id(task)
        svc.finish_task(
            deps,
            staff.tenant_key,
            ref,
            task_id,
            staff.actor,
            form.get("note", ""),
            cancelled=cancelled,
        )
        return f"Task {task_id} {'cancelled' if cancelled else 'done'}."

    return await _run(request, staff, ref, work)
