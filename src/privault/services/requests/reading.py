"""Reading requests: one with everything staff need, the list by due date, and the requester's status page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from privault.core.jurisdictions import Right
from privault.core.ports import UnitOfWork
from privault.core.requests import (
    FINAL,
    EventRecord,
    RequestDetails,
    RequestRecord,
    State,
    TaskRecord,
    choice_of,
)
from privault.core.verification import DECLARATION_TEXT
from privault.services.deps import Deps
from privault.services.requests import levels
from privault.services.requests.deadline import _today
from privault.services.requests.deps import (
    _identity_list,
    _status_url,
    load_request,
    open_details,
)
from privault.services.requests.verification import ref_for_token
from privault.services.tenants import bind_tenant


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request with its timeline, tasks and codes' progress (for staff)."""

    request: RequestRecord
    details: RequestDetails
    events: list[EventRecord]
    tasks: list[TaskRecord]
    verified_identities: int
    identities: int
    deadline_state: str
    days_left: int
    package: dict[str, Any] | None


def _mask(kind: str, value: str) -> str:
    if kind == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain}"
    return f"***{value[-2:]}"


def show_request(deps: Deps, tenant_key: str, ref: str) -> RequestView:
    """A request with everything staff need to act on it."""
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref, lock=False)
        return _view(deps, uow, tenant_key, request)


def _view(deps: Deps, uow: UnitOfWork, tenant_key: str, request: RequestRecord) -> RequestView:
    codes = uow.requests.verifications(request.id)
    package = uow.requests.latest_package(request.id)
    today = _today(deps, request)
    return RequestView(
        request,
        open_details(deps, tenant_key, request),
        uow.requests.events(request.id),
        uow.requests.tasks(request.id),
        sum(1 for c in codes if c.verified_at is not None),
        len(codes),
        deadline_state(request, today),
        (request.due_on - today).days,
        {
            "expires_at": package.expires_at.isoformat(),
            "size": package.size,
            "downloads": package.downloads,
            "filename": package.filename,
        }
        if package
        else None,
    )


def deadline_state(request: RequestRecord, today: date) -> str:
    """closed, paused, on_time, due_soon, due_today or overdue."""
    if request.state in FINAL:
        return "closed"
    if request.state is State.PAUSED:
        return "paused"
    if today > request.due_on:
        return "overdue"
    if today == request.due_on:
        return "due_today"
    return "due_soon" if (request.due_on - today).days <= 7 else "on_time"


def list_requests(
    deps: Deps,
    tenant_key: str,
    *,
    states: Sequence[str] = (),
    types: Sequence[str] = (),
    overdue: bool = False,
    open_only: bool = False,
    limit: int | None = None,
) -> list[tuple[RequestRecord, str, int]]:
    """Requests by due date with their deadline state and days left (``limit``: the first ones)."""
    for s in states:
        choice_of(State, s, "state")
    for t in types:
        choice_of(Right, t, "request type")
    wanted = list(states) or ([s.value for s in State if s not in FINAL] if open_only else [])
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        found = uow.requests.search(states=wanted, types=types, limit=None if overdue else limit)
    rows = []
    for request in found:
        today = _today(deps, request)
        state = deadline_state(request, today)
        if overdue and state != "overdue":
            continue
        rows.append((request, state, (request.due_on - today).days))
    return rows[:limit] if limit is not None else rows


@dataclass(frozen=True, slots=True)
class RequesterStatus:
    """What the requester sees on their status page (no identities, no staff notes)."""

    ref: str
    type: Right
    state: State
    received_on: date
    due_on: date
    extended: bool
    extension_reasons: str
    response: str
    denial_text: str | None
    identities: list[str]
    verified: list[bool]
    timeline: list[tuple[datetime, str]]
    download_url: str | None
    download_expires_at: datetime | None
    declaration: str | None = None  # the §7062(c) statement, while it awaits the signature


_PUBLIC_ACTIONS = {
    "received": "Request received",
    "codes_sent": "Verification codes sent",
    "codes_resent": "New verification codes sent",
    "awaiting_evidence": "More proof of identity needed",
    "declaration_signed": "Declaration signed",
    "verified": "Identity verified",
    "started": "Work started",
    "paused": "Waiting for you",
    "resumed": "Work resumed",
    "extended": "Deadline extended",
    "incomplete": "Partly done: we are still working on it",
    "completed": "Completed",
    "denied": "Refused",
}


def requester_status(deps: Deps, token: str) -> RequesterStatus:
    """The status page behind the requester's private link."""
    tenant_key, ref = ref_for_token(deps, token)
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref, lock=False)
        details = open_details(deps, tenant_key, request)
        codes = uow.requests.verifications(request.id)
        events = uow.requests.events(request.id)
        package = uow.requests.latest_package(request.id)
    now = deps.clock.now()
    live = package is not None and package.expires_at > now and request.state is State.COMPLETED
    expires = package.expires_at if live and package is not None else None
    identities = _identity_list(details)
    verified = {c.slot: c.verified_at is not None for c in codes}
    return RequesterStatus(
        ref,
        request.type,
        request.state,
        request.received_on,
        request.due_on,
        request.extended,
        request.extension_reasons,
        request.response,
        request.denial_text,
        [_mask(k, v) for k, v in identities],
        [verified.get(i, not codes) for i in range(len(identities))],
        [(e.at, _PUBLIC_ACTIONS[e.action]) for e in events if e.action in _PUBLIC_ACTIONS],
        f"{_status_url(deps, token)}/package" if expires else None,
        expires,
        DECLARATION_TEXT if levels.declaration_due(deps, request, events) else None,
    )
