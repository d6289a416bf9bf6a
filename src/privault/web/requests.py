"""The request form, the private status page, its verification step and the package download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from privault.bootstrap import Container
from privault.core.jurisdictions import JURISDICTIONS, RIGHT_TITLES, Right
from privault.core.redress import automated_decisions
from privault.core.requests import State, parse_request
from privault.errors import InvalidInput, NotFound, PrivaultError
from privault.http.deps import ContainerDep
from privault.http.downloads import package_response
from privault.http.limits import INTAKE_LIMIT
from privault.services import requests as svc
from privault.services.fulfilment import download
from privault.services.requests.receive import receive_request
from privault.web.forms import RequestForm
from privault.web.pages import PRIVATE_HEADERS, PageRoute, brand_look, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _jurisdictions(container: Container, tenant: str) -> list[tuple[str, str]]:
    keys = container.decider.view(tenant).tenant.jurisdictions
    return [(k, JURISDICTIONS[k].name) for k in keys if k in JURISDICTIONS]


def _pick(container: Container, tenant: str, wanted: str | None) -> str:
    view = container.decider.view(tenant)
    keys = [k for k, _ in _jurisdictions(container, tenant)]
    if wanted in keys:
        return str(wanted)
    return view.tenant.default_jurisdiction or keys[0]


def _form_rights(container: Container, tenant: str, jurisdiction: str | None) -> list[Right]:
    """The rights the form offers: an appeal names a refused request, so it is made by replying
    to the refusal (staff open it with ``requests open --type appeal --appeal-of``), not here."""
    rights = svc.allowed_rights(container.manifest, tenant, jurisdiction)
    return [r for r in rights if r is not Right.APPEAL]


def _form_choices(
    container: Container, tenant: str, jurisdiction: str | None
) -> list[tuple[str, str]]:
    """(value, title) per choice: a human review once per declared automated decision
    (``human_review:<purpose>``), none where the manifest declares none."""
    decisions = automated_decisions(container.decider.view(tenant))
    choices = []
    for right in _form_rights(container, tenant, jurisdiction):
        if right is Right.HUMAN_REVIEW:
            title = RIGHT_TITLES[right]
            choices += [(f"{right.value}:{k}", f"{title}: {d.name}") for k, d in decisions.items()]
        else:
            choices.append((right.value, RIGHT_TITLES[right]))
    return choices


def _form_page(
    container: Container, tenant: str, brand: str | None, form: RequestForm, status: int = 200
) -> HTMLResponse:
    return render(
        container.renderer,
        "request.html.j2",
        status=status,
        tenant=tenant,
        brand=brand_look(container.decider.view(tenant), brand),
        form=form,
        rights=_form_choices(container, tenant, form.jurisdiction),
        jurisdictions=_jurisdictions(container, tenant),
    )


@router.get("/p/{tenant}/request", response_class=HTMLResponse)
def request_form(
    tenant: str, container: ContainerDep, brand: str | None = None, jurisdiction: str | None = None
) -> HTMLResponse:
    """The form: the rights of the chosen jurisdiction, email and/or phone, details."""
    return _form_page(container, tenant, brand, RequestForm(_pick(container, tenant, jurisdiction)))


@router.post("/p/{tenant}/request", response_class=HTMLResponse, dependencies=INTAKE_LIMIT)
def submit(
    tenant: str,
    container: ContainerDep,
    jurisdiction: Annotated[str, Form()] = "",
    right: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    details: Annotated[str, Form()] = "",
    brand: str | None = None,
) -> Response:
    """Open the request (channel web) and go to its private status page; or show what to fix."""
    look = brand_look(container.decider.view(tenant), brand)
    form = RequestForm(_pick(container, tenant, jurisdiction), right, email, phone, details)
    if not form.check([v for v, _ in _form_choices(container, tenant, form.jurisdiction)]):
        return _form_page(container, tenant, brand, form, status=422)
    try:
        item = parse_request(form.as_request(brand))
        opened = receive_request(container.deps, tenant, item, "requester")
    except PrivaultError as exc:
        form.errors["form"] = exc.message
        return _form_page(container, tenant, brand, form, status=exc.status)
    url = f"/p/{tenant}/status/{opened.token}{look.query}"
    return RedirectResponse(url, status_code=303, headers=PRIVATE_HEADERS)


def _ref(container: Container, tenant: str, token: str) -> str:
    owner, ref = svc.ref_for_token(container.deps, token)
    if owner != tenant:
        raise NotFound("no request for this link", code="request.unknown")
    return ref


def _status_page(
    container: Container,
    tenant: str,
    token: str,
    brand: str | None,
    message: str = "",
    status: int = 200,
) -> HTMLResponse:
    _ref(container, tenant, token)
    found = svc.requester_status(container.deps, token)
    pending = [m for m, ok in zip(found.identities, found.verified, strict=True) if not ok]
    return render(
        container.renderer,
        "status.html.j2",
        status=status,
        headers=PRIVATE_HEADERS,
        tenant=tenant,
        token=token,
        brand=brand_look(container.decider.view(tenant), brand),
        s=found,
        title=RIGHT_TITLES[found.type],
        pending=pending if found.state is State.RECEIVED else [],
        message=message,
    )


@router.get("/p/{tenant}/status/{token}", response_class=HTMLResponse)
def status_page(
    tenant: str,
    token: str,
    container: ContainerDep,
    brand: str | None = None,
    sent: int | None = None,
) -> HTMLResponse:
    """The requester's private page: state, dates, timeline, verification, the download."""
    note = f"We sent {sent} new code(s)." if sent is not None else ""
    return _status_page(container, tenant, token, brand, note)


@router.post("/p/{tenant}/status/{token}/verify", response_class=HTMLResponse)
def verify(
    tenant: str,
    token: str,
    container: ContainerDep,
    code: Annotated[list[str] | None, Form()] = None,
    brand: str | None = None,
) -> Response:
    """Check the codes; back to the status page, or the page again with what went wrong."""
    ref = _ref(container, tenant, token)
    try:
        svc.verify_codes(container.deps, tenant, ref, code or [])
    except PrivaultError as exc:
        return _status_page(container, tenant, token, brand, exc.message, status=exc.status)
    look = brand_look(container.decider.view(tenant), brand)
    return RedirectResponse(f"/p/{tenant}/status/{token}{look.query}", 303, PRIVATE_HEADERS)


@router.post("/p/{tenant}/status/{token}/declaration", response_class=HTMLResponse)
def declare(
    tenant: str,
    token: str,
    container: ContainerDep,
    name: Annotated[str, Form()] = "",
    agree: Annotated[str, Form()] = "",
    brand: str | None = None,
) -> Response:
    """Sign the declaration under penalty of perjury (CCPA §7062(c)); back to the status page."""
    ref = _ref(container, tenant, token)
    try:
        if agree != "yes":
            raise InvalidInput("tick the box to sign the declaration", code="verification.failed")
        svc.sign_declaration(container.deps, tenant, ref, name)
    except PrivaultError as exc:
        return _status_page(container, tenant, token, brand, exc.message, status=exc.status)
    look = brand_look(container.decider.view(tenant), brand)
    return RedirectResponse(f"/p/{tenant}/status/{token}{look.query}", 303, PRIVATE_HEADERS)


@router.post("/p/{tenant}/status/{token}/resend", response_class=HTMLResponse)
def resend(tenant: str, token: str, container: ContainerDep, brand: str | None = None) -> Response:
    """New codes for the identities not verified yet."""
    ref = _ref(container, tenant, token)
    try:
        sent = svc.resend_codes(container.deps, tenant, ref)
    except PrivaultError as exc:
        return _status_page(container, tenant, token, brand, exc.message, status=exc.status)
    look = brand_look(container.decider.view(tenant), brand)
    joiner = "&" if look.query else "?"
    url = f"/p/{tenant}/status/{token}{look.query}{joiner}sent={sent}"
    return RedirectResponse(url, 303, PRIVATE_HEADERS)


@router.get("/p/{tenant}/status/{token}/package")
def package(tenant: str, token: str, container: ContainerDep) -> Response:
    """The access or portability package, while its link is live."""
    _ref(container, tenant, token)
    return package_response(download(container.deps, token))
