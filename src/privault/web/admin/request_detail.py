"""One request (``/admin/requests/{ref}``): its facts, the deadline and why, the timeline, the tasks,
and a form for each action its state allows. Each action calls the service the CLI and the API call
(``services.requests.actions.take_action``), then answers 303 back here with what happened;
a refusal shows the page again with the error's message. Admin roles only.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from privault.core.jurisdictions import RIGHT_TITLES
from privault.core.redress import REDRESS_RIGHTS
from privault.core.requests import (
    DenialCode,
    PauseReason,
    RequestRecord,
    StaffAction,
    State,
    allowed_actions,
    choice_of,
)
from privault.core.unfounded import Evidence, Fee, optional_evidence, optional_fee
from privault.errors import InvalidInput, PrivaultError
from privault.http.downloads import package_response
from privault.services import requests as svc
from privault.services.fulfilment import staff_download
from privault.services.requests.actions import ActionIn, take_action
from privault.web.admin.auth import AdminStaffDep, Staff
from privault.web.admin.layout import AdminRoute, container_of, redirect, render
from privault.web.admin.params import number
from privault.web.admin.queue import row

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
Fields = dict[str, str]


def _page(
    request: Request, staff: Staff, ref: str, *, error: str = "", status: int = 200
) -> HTMLResponse:
    view = svc.show_request(container_of(request).deps, staff.tenant_key, ref)
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


def _kind(text: str) -> StaffAction:
    try:
        return StaffAction(text)
    except ValueError:
        raise InvalidInput("choose one of the actions on the page", code="input.invalid") from None


def _fee(form: Fields, proof: Evidence | None) -> Fee | None:
    amount, currency = form.get("fee", ""), form.get("currency", "")
    ground, costs = form.get("fee_ground", "excessive"), form.get("fee_costs", "")
    return optional_fee(amount, currency, ground, costs, proof)


def _action_in(form: Fields) -> ActionIn:
    """The form as the use case takes it (a pause: reason, evidence, fee; a denial: code, evidence)."""
    kind = _kind(form.get("action", ""))
    pause, deny = kind is StaffAction.PAUSE, kind is StaffAction.DENY
    reason = choice_of(PauseReason, form.get("reason", ""), "pause reason") if pause else None
    code = choice_of(DenialCode, form.get("code", ""), "denial code") if deny else None
    proof = optional_evidence(form.get("evidence", "")) if pause or deny else None
    return ActionIn(
        kind,
        note=form.get("note", ""),
        reasons=form.get("reasons", ""),
        reason=reason,
        message=form.get("message", ""),
        fee=_fee(form, proof) if pause else None,
        code=code,
        text=form.get("text" if deny else "outcome", ""),
        evidence=proof,
    )


def _completed(done: RequestRecord) -> str:
    if done.state is State.COMPLETED:
        return "Fulfilled: the request is completed and the requester was told."
    return "Fulfilment ran but something is left: the request is incomplete (see the problems)."


FLASH: dict[StaffAction, Callable[[RequestRecord], str]] = {
    StaffAction.VERIFY: lambda _: "Identity verified.",
    StaffAction.START: lambda _: "Work started; the request is assigned to you.",
    StaffAction.EXTEND: lambda r: (
        f"Deadline extended to {r.due_on.isoformat()}; the requester was told why."
    ),
    StaffAction.PAUSE: lambda _: "Paused; the requester was told what we need.",
    StaffAction.RESUME: lambda r: f"Resumed; now due {r.due_on.isoformat()}.",
    StaffAction.COMPLETE: _completed,
    StaffAction.DENY: lambda _: "Denied; the requester was sent the text and where to complain.",
}


async def _fields(request: Request) -> Fields:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _run(request: Request, staff: Staff, ref: str, work: Callable[[], str]) -> Response:
    """Do the work; 303 back to the request with what happened, or the page with the error."""
    try:
        flash = await run_in_threadpool(work)
    except PrivaultError as exc:
        return await run_in_threadpool(
            _page, request, staff, ref, error=exc.message, status=exc.status
        )
    return redirect(request, f"/admin/requests/{quote(ref)}", flash)


@router.get("/admin/requests/{ref}/package")
def package(ref: str, request: Request, staff: AdminStaffDep) -> Response:
    """The request's package (to send by post, say), audited under the staff member's name."""
    found = staff_download(container_of(request).deps, staff.tenant_key, ref, staff.actor)
    return package_response(found)


@router.post("/admin/requests/{ref}", response_class=HTMLResponse)
async def act(request: Request, ref: str, staff: AdminStaffDep) -> Response:
    """Take one action (field ``action``: verify, start, extend, pause, resume, complete, deny)."""
    form = await _fields(request)
    deps = container_of(request).deps

    def work() -> str:
        action = _action_in(form)
        return FLASH[action.kind](take_action(deps, staff.tenant_key, ref, action, staff.actor))

    return await _run(request, staff, ref, work)


@router.post("/admin/requests/{ref}/tasks", response_class=HTMLResponse)
async def add_task(request: Request, ref: str, staff: AdminStaffDep) -> Response:
    """Open a manual task (system, what to do, who does it)."""
    form = await _fields(request)
    deps = container_of(request).deps

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
    deps = container_of(request).deps
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
