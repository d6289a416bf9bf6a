"""Subject requests over HTTP: intake and the requester's status (by private token), staff actions
(by API key with an admin role), package downloads and webhooks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from privault.core.access import Principal
from privault.core.ids import Id
from privault.core.jurisdictions import Right
from privault.core.requests import (
    Agent,
    Channel,
    DenialCode,
    PauseReason,
    StaffAction,
    parse_request,
)
from privault.core.search_scope import scope_of
from privault.core.unfounded import Evidence, Fee, optional_evidence, optional_fee
from privault.core.vault import DataValue
from privault.errors import Forbidden, InvalidInput
from privault.http.deps import AdminDep, ContainerDep
from privault.http.downloads import package_response
from privault.http.limits import INTAKE_LIMIT
from privault.services import requests as svc
from privault.services.api_keys import authenticate
from privault.services.fulfilment import download, staff_download
from privault.services.requests.actions import ActionIn, take_action
from privault.services.requests.receive import receive_request
from privault.services.requests.search_scope import record_search_scope
from privault.services.webhooks import add_webhook, list_webhooks

router = APIRouter(tags=["requests"])
_optional_bearer = HTTPBearer(auto_error=False)


class RequestBody(BaseModel):
    """A request as a person (or an agent, or staff taking it by phone) submits it."""

    tenant: str | None = Field(default=None, description="Required without an API key.")
    type: Right
    identities: dict[Literal["email", "phone"], list[str]]
    jurisdiction: str | None = None
    brand: str | None = None
    agent: Agent | None = None
    channel: Channel | None = None
    corrections: dict[str, DataValue] = {}
    purposes: list[str] = []
    details: str = ""
    lookback_from: date | None = None
    appeal_of: str | None = Field(
        default=None, description="Appeal (type appeal): the reference of the refused request."
    )
    decision: str | None = Field(
        default=None,
        description="Human review (type human_review): the automated decision contested, by the "
        "key of the purpose that declares it.",
    )
    received: date | None = Field(
        default=None,
        description="Staff only: the day a letter or call really arrived; the deadline counts "
        "from it (not in the future, at most a year back).",
    )


class OpenedOut(BaseModel):
    """The receipt: keep the token, it is the only way to see the request's status."""

    ref: str
    token: str
    state: str
    due_on: date
    rule: str
    explanation: str
    ack_due_on: date | None
    status_url: str
    received_on: date | None = None
    target_on: date | None = Field(
        None, description="The team's working target (PRIVAULT_TARGET_DAYS_EARLY before due_on)."
    )
    messages_failed: int = Field(
        0, description="Messages (codes, receipt) that could not be sent; ask for new codes."
    )


class CodesIn(BaseModel):
    """The one-time codes the requester received (one per identity)."""

    codes: list[str] = Field(min_length=1, max_length=10)


class StatusOut(BaseModel):
    """What the requester sees."""

    ref: str
    type: str
    state: str
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
    declaration: str | None = Field(
        None, description="CCPA §7062(c): the statement to sign, while it awaits the signature."
    )


def _staff_principal(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    return authenticate(container.deps, credentials.credentials)


@router.post(
    "/v1/requests",
    status_code=status.HTTP_201_CREATED,
    response_model=OpenedOut,
    dependencies=INTAKE_LIMIT,  # per IP and per identity without an API key (docs/limits.md)
)
def open_request(
    body: RequestBody,
    container: ContainerDep,
    staff: Annotated[Principal | None, Depends(_staff_principal)],
) -> OpenedOut:
    """Receive a request. Without an API key it comes from the privacy center (channel web)."""
    tenant = staff.tenant_key if staff else body.tenant
    if tenant is None:
        raise InvalidInput("name the tenant", code="input.invalid")
    # Without an API key the request came through the privacy center: the record says so, whatever
    # the body claims (CCPA §7101 records how the request was made).
    channel = (body.channel or Channel.API) if staff else Channel.WEB
    if body.received is not None and staff is None:
        raise Forbidden("only staff may give an earlier date of receipt", code="auth.forbidden")
    item = parse_request(
        body.model_dump(exclude={"tenant", "channel", "received"}) | {"channel": channel}
    )
    actor = staff.actor if staff else "requester"
    opened = receive_request(container.deps, tenant, item, actor, received=body.received)
    return OpenedOut(
        **{k: getattr(opened, k) for k in OpenedOut.model_fields} | {"state": opened.state.value}
    )


@router.get("/v1/requests/status/{token}", response_model=StatusOut)
def request_status(token: str, container: ContainerDep, response: Response) -> StatusOut:
    """The requester's status page, by the private token from the receipt."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    found = svc.requester_status(container.deps, token)
    return StatusOut(
        **{k: getattr(found, k) for k in StatusOut.model_fields if k not in ("type", "state")},
        type=found.type.value,
        state=found.state.value,
    )


@router.post("/v1/requests/status/{token}/verify", response_model=StatusOut)
def verify(token: str, body: CodesIn, container: ContainerDep, response: Response) -> StatusOut:
    """Enter the codes sent to each identity; when all are verified the request is verified."""
    tenant, ref = svc.ref_for_token(container.deps, token)
    svc.verify_codes(container.deps, tenant, ref, body.codes)
    return request_status(token, container, response)


@router.post("/v1/requests/status/{token}/resend", status_code=status.HTTP_202_ACCEPTED)
def resend(token: str, container: ContainerDep) -> dict[str, int]:
    """Send new codes to the identities not verified yet."""
    tenant, ref = svc.ref_for_token(container.deps, token)
    return {"sent": svc.resend_codes(container.deps, tenant, ref)}


@router.get("/v1/requests/status/{token}/package")
def download_package(token: str, container: ContainerDep) -> Response:
    """The requester downloads their access or portability package (until the link expires)."""
    return package_response(download(container.deps, token))


# --- staff ---------------------------------------------------------------------------------------


class RequestOut(BaseModel):
    """A request in the staff queue."""

    ref: str
    type: str
    state: str
    channel: str
    jurisdictions: list[str]
    rule: str
    received_on: date
    due_on: date
    deadline: str
    days_left: int
    extended: bool
    assignee: str | None


def _out(request: Any, deadline: str, days_left: int) -> RequestOut:
    return RequestOut(
        ref=request.ref,
        type=request.type.value,
        state=request.state.value,
        channel=request.channel.value,
        jurisdictions=list(request.jurisdictions),
        rule=request.rule,
        received_on=request.received_on,
        due_on=request.due_on,
        deadline=deadline,
        days_left=days_left,
        extended=request.extended,
        assignee=request.assignee,
    )


@router.get("/v1/requests", response_model=list[RequestOut])
def queue(
    admin: AdminDep,
    container: ContainerDep,
    state: list[str] = Query(default_factory=list),
    type: list[str] = Query(default_factory=list),
    overdue: bool = False,
    open_only: bool = Query(False, alias="open"),
    limit: int = Query(500, ge=1, le=10_000),
) -> list[RequestOut]:
    """The queue, soonest due first; filter by state, type, overdue or open; at most ``limit``."""
    rows = svc.list_requests(
        container.deps,
        admin.tenant_key,
        states=state,
        types=type,
        overdue=overdue,
        open_only=open_only,
        limit=limit,
    )
    return [_out(r, d, n) for r, d, n in rows]


class DetailOut(RequestOut):
    """A request with its timeline and tasks."""

    deadline_explanation: str
    extension_reasons: str
    verification: str
    verified_identities: int
    identities: int
    response: str
    denial_code: str | None
    result: dict[str, Any]
    events: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    package: dict[str, Any] | None


def _detail(view: svc.RequestView) -> DetailOut:
    r = view.request
    return DetailOut(
        **_out(r, view.deadline_state, view.days_left).model_dump(),
        deadline_explanation=r.deadline_explanation,
        extension_reasons=r.extension_reasons,
        verification=r.verification,
        verified_identities=view.verified_identities,
        identities=view.identities,
        response=r.response,
        denial_code=r.denial_code,
        result=r.result,
        events=[
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "note": e.note,
                "details": e.details,  # e.g. a refusal's evidence, a fee, a search scope
            }
            for e in view.events
        ],
        tasks=[
            {
                "id": t.id,
                "system": t.system,
                "description": t.description,
                "assignee": t.assignee,
                "state": t.state,
                "note": t.note,
            }
            for t in view.tasks
        ],
        package=view.package,
    )


@router.get("/v1/requests/{ref}/package")
def staff_package(ref: str, admin: AdminDep, container: ContainerDep) -> Response:
    """Staff download a request's package (e.g. to send it by post); audited under their name."""
    return package_response(staff_download(container.deps, admin.tenant_key, ref, admin.actor))


@router.get("/v1/requests/{ref}", response_model=DetailOut)
def show(ref: str, admin: AdminDep, container: ContainerDep) -> DetailOut:
    """One request with its timeline, tasks and result."""
    return _detail(svc.show_request(container.deps, admin.tenant_key, ref))


class FeeIn(BaseModel):
    """A reasonable fee (GDPR Art. 12(5), 15(3)): amount, currency, ground, the costs it covers."""

    amount: str = Field(max_length=20)
    currency: str = Field(max_length=3)
    ground: str = "excessive"
    costs: str = Field(max_length=500)


def _fee(fee: FeeIn | None, proof: Evidence | None) -> Fee | None:
    if fee is None:
        return None
    return optional_fee(fee.amount, fee.currency, fee.ground, fee.costs, proof)


class Action(BaseModel):
    """A staff action on a request."""

    action: Literal["verify", "start", "extend", "pause", "resume", "complete", "deny"]
    reasons: str = ""
    note: str = ""
    reason: PauseReason | None = None
    code: DenialCode | None = None
    text: str = ""
    evidence: str = Field(
        default="", max_length=4000, description="Manifestly unfounded or excessive: the facts."
    )
    prior_requests: list[str] = Field(default=[], max_length=20)
    fee: FeeIn | None = None


@router.post("/v1/requests/{ref}/actions", response_model=DetailOut)
def act(ref: str, body: Action, admin: AdminDep, container: ContainerDep) -> DetailOut:
    """verify (with a note saying how), start, extend (reasons), pause (reason + note = what we
    need), resume, complete (runs fulfilment; a complaint, grievance or human review: text = the
    outcome sent), deny (code + text sent)."""
    take_action(container.deps, admin.tenant_key, ref, _action_in(body), admin.actor)
    return show(ref, admin, container)


def _action_in(body: Action) -> ActionIn:
    """The body as the use case takes it: the evidence and the fee are read only for a pause
    with its reason or a denial with its code (a missing one is refused first)."""
    kind = StaffAction(body.action)
    grounds = (kind is StaffAction.PAUSE and body.reason is not None) or (
        kind is StaffAction.DENY and body.code is not None
    )
    proof = optional_evidence(body.evidence, body.prior_requests) if grounds else None
    return ActionIn(
        kind,
        note=body.note,
        reasons=body.reasons,
        reason=body.reason,
        message=body.note,
        fee=_fee(body.fee, proof) if grounds and kind is StaffAction.PAUSE else None,
        code=body.code,
        text=body.text,
        evidence=proof,
    )


class ScopeIn(BaseModel):
    """The search scope of an access request (UK GDPR Art. 15(1A)): systems searched, and those
    left out with the reason."""

    searched: list[str] = Field(default=[], max_length=50)
    left_out: dict[str, str] = Field(default={}, max_length=50)


@router.post("/v1/requests/{ref}/search-scope", response_model=DetailOut)
def search_scope(ref: str, body: ScopeIn, admin: AdminDep, container: ContainerDep) -> DetailOut:
    """Record what was searched for an access or portability request, and what was not and why."""
    found = scope_of(body.searched, body.left_out)
    record_search_scope(container.deps, admin.tenant_key, ref, admin.actor, found)
    return show(ref, admin, container)


class TaskIn(BaseModel):
    """A manual task."""

    system: str
    description: str
    assignee: str | None = None


class TaskDone(BaseModel):
    """Closing a manual task."""

    note: str = ""
    cancelled: bool = False


@router.post("/v1/requests/{ref}/tasks", status_code=status.HTTP_201_CREATED)
def add_task(ref: str, body: TaskIn, admin: AdminDep, container: ContainerDep) -> dict[str, int]:
    """Open a manual task on a request."""
    task = svc.add_task(
        container.deps,
        admin.tenant_key,
        ref,
        admin.actor,
        body.system,
        body.description,
        body.assignee,
    )
    return {"task": task}


@router.post("/v1/requests/{ref}/tasks/{task_id}", response_model=DetailOut)
def finish_task(
    ref: str, task_id: Id, body: TaskDone, admin: AdminDep, container: ContainerDep
) -> DetailOut:
    """Mark a manual task done (or cancelled)."""
    svc.finish_task(
        container.deps,
        admin.tenant_key,
        ref,
        task_id,
        admin.actor,
        body.note,
        cancelled=body.cancelled,
    )
    return show(ref, admin, container)


# --- webhooks ------------------------------------------------------------------------------------


class WebhookIn(BaseModel):
    """An endpoint for request events."""

    url: str
    events: list[str] = ["*"]


@router.post("/v1/webhooks", status_code=status.HTTP_201_CREATED)
def create_webhook(body: WebhookIn, admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """Register an endpoint; the signing secret is returned only now."""
    endpoint, secret = add_webhook(
        container.deps, admin.tenant_key, admin.actor, body.url, tuple(body.events)
    )
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "secret": secret,
    }


@router.get("/v1/webhooks")
def webhooks(admin: AdminDep, container: ContainerDep) -> list[dict[str, Any]]:
    """The tenant's endpoints (never their secrets)."""
    return [
        {"id": w.id, "url": w.url, "events": list(w.events), "active": w.active}
        for w in list_webhooks(container.deps, admin.tenant_key)
    ]
