"""The preference center: marketing per brand and channel, and cookie categories, for a visitor id.

The visitor is the one this browser proves it is (the HttpOnly proof cookie,
``services/visitor_proof.py``); without a valid proof the page mints a new visitor and sets its proof.
A visitor id in the address (``?visitor=``) is never read: knowing an id shows nothing of its choices.
Saving records every choice shown, with its evidence (method ``save``, channel web, notice version),
through ``services.consent``; a POST is refused (403) unless the browser proves the form's visitor and
the form carries its HMAC token.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from privault.bootstrap import Container
from privault.core.consent import Choice, Kind, Method, State, Via, check_visitor, topic
from privault.core.manifest.cookies import uk_exempt
from privault.core.manifest.model import CookieCategoryKey, LawfulBasis, PurposeKind
from privault.core.manifest.resolve import TenantView
from privault.errors import Forbidden
from privault.http.deps import ContainerDep
from privault.http.limits import BANNER_LIMIT
from privault.http.visitor import proof_value, set_proof, this_visitor
from privault.services.consent import (
    Evidence,
    Holder,
    current_state,
    record_choices,
    state_and_notice,
)
from privault.services.form_tokens import csrf_ok, csrf_token
from privault.services.visitor_proof import require_proof
from privault.web.pages import PRIVATE_HEADERS, PageRoute, brand_look, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
SHOWN = "privacy center: preferences form"


@dataclass(frozen=True, slots=True)
class Toggle:
    """One checkbox: its field name, label, whether it is on, and what the state says."""

    name: str
    label: str
    on: bool
    state: str


def _describe(granted: bool | None, default: bool) -> str:
    if granted is None:
        return f"not chosen yet ({'on' if default else 'off'} until you choose)"
    return "on" if granted else "off"


def _channels(view: TenantView) -> dict[str, bool]:
    """Marketing channels the tenant uses, each with whether it is on before any choice
    (opt-in where a purpose on it rests on consent)."""
    found: dict[str, bool] = {}
    for p in view.purposes:
        if p.kind is PurposeKind.MARKETING and p.channel is not None:
            on = found.get(p.channel.value, True) and p.lawful_basis is not LawfulBasis.CONSENT
            found[p.channel.value] = on
    return found


def _toggles(view: TenantView, state: State) -> tuple[list[Toggle], list[Toggle]]:
    brands = [(b.key, b.name) for b in view.tenant.brands] or [("*", view.tenant.name)]
    marketing = []
    for key, name in brands:
        for channel, default in _channels(view).items():
            entry = state.get(topic(Kind.MARKETING, f"{key}:{channel}"))
            granted = entry.granted if entry else None
            on = default if granted is None else granted
            label = f"{name}: marketing by {channel}"
            marketing.append(
                Toggle(f"marketing:{key}:{channel}", label, on, _describe(granted, default))
            )
    cookies = []
    exempt = uk_exempt(view.policy.uk_cookie_mode, view.tenant.jurisdictions)  # UK-CK-1
    for c in view.cookie_categories:
        if c.key is not CookieCategoryKey.NECESSARY:
            entry = state.get(topic(Kind.COOKIE, c.key.value))
            granted = entry.granted if entry else None
            on = c.key in exempt if granted is None else granted
            cookies.append(
                Toggle(f"cookie:{c.key.value}", c.name, on, _describe(granted, c.key in exempt))
            )
    return marketing, cookies


def _page(
    container: Container, tenant: str, visitor: str, brand: str | None, saved: bool
) -> HTMLResponse:
    view = container.decider.view(tenant)
    state, version = state_and_notice(container.deps, tenant, Holder(visitor=visitor))
    marketing, cookies = _toggles(view, state)
    return render(
        container.renderer,
        "preferences.html.j2",
        headers=PRIVATE_HEADERS,
        tenant=tenant,
        brand=brand_look(view, brand),
        visitor=visitor,
        csrf=csrf_token(container.keyring, tenant, visitor),
        notice_version=version or "",
        marketing=marketing,
        cookies=cookies,
        saved=saved,
    )


@router.get("/p/{tenant}/preferences", response_class=HTMLResponse)
def preferences(
    tenant: str,
    request: Request,
    container: ContainerDep,
    brand: str | None = None,
    saved: bool = False,
) -> Response:
    """This browser's visitor's current choices, in a form (a new visitor without a proof)."""
    visitor, proof = this_visitor(request, container, tenant)
    page = _page(container, tenant, visitor, brand, saved)
    set_proof(page, container, tenant, proof)
    return page


def _save(
    container: Container, tenant: str, visitor: str, fields: dict[str, str], request: Request
) -> None:
    view = container.decider.view(tenant)
    state = current_state(container.deps, tenant, Holder(visitor=visitor))
    marketing, cookies = _toggles(view, state)
    choices = [
        Choice(Kind(t.name.split(":", 1)[0]), t.name.split(":", 1)[1], t.name in fields)
        for t in marketing + cookies
    ]
    evidence = Evidence(
        Method.SAVE,
        Via.WEB,
        notice_version=fields.get("notice_version") or None,
        shown=SHOWN,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    record_choices(
        container.deps,
        tenant,
        f"visitor:{visitor[:8]}",
        Holder(visitor=visitor),
        choices,
        evidence,
        container.clock.now(),
    )


@router.post("/p/{tenant}/preferences", response_class=HTMLResponse, dependencies=BANNER_LIMIT)
async def save(
    tenant: str, request: Request, container: ContainerDep, brand: str | None = None
) -> Response:
    """Record every choice on the form (unticked = off), then show the page again."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    visitor = check_visitor(fields.get("visitor", ""))
    await run_in_threadpool(
        require_proof, container.deps, tenant, visitor, proof_value(request, container, tenant)
    )
    if not csrf_ok(container.keyring, tenant, visitor, fields.get("csrf")):
        raise Forbidden(
            "this form has expired: open the preferences page again", code="access.denied"
        )
    await run_in_threadpool(_save, container, tenant, visitor, fields, request)
    look = brand_look(container.decider.view(tenant), brand)
    joiner = "&" if look.query else "?"
    url = f"/p/{tenant}/preferences{look.query}{joiner}saved=1"
    return RedirectResponse(url, 303, PRIVATE_HEADERS)
