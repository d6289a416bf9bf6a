"""One-click unsubscribe (RFC 8058): links for senders, the confirmation page and the POST that acts.

``GET /u/{token}`` only shows a page with a button; it never unsubscribes (mail scanners follow links).
``POST /u/{token}`` unsubscribes at once, without a login: the mail client's one-click POST
(``List-Unsubscribe=One-Click``) or the page's button.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from privault.api.pages import render
from privault.core.rendering import Renderer
from privault.errors import PrivaultError
from privault.http.deps import ContainerDep, PrincipalDep
from privault.services.unsubscribe import describe, unsubscribe, unsubscribe_link

router = APIRouter(tags=["unsubscribe"])


class LinkIn(BaseModel):
    """Whom and what the link unsubscribes."""

    subject: str
    brand: str = Field(description="A brand key, or * for every brand.")
    channel: str = Field(description="email, sms, phone, post, or * for every channel.")


class LinkOut(BaseModel):
    """The link and the headers to add to the message."""

    url: str
    headers: dict[str, str]


@router.post("/v1/unsubscribe-links", response_model=LinkOut, tags=["consent"])
def make_link(body: LinkIn, principal: PrincipalDep, container: ContainerDep) -> LinkOut:
    """A signed one-click unsubscribe link and its ``List-Unsubscribe`` headers."""
    link = unsubscribe_link(
        container.deps,
        principal.tenant_key,
        body.subject,
        body.brand,
        body.channel,
        container.clock.now().date(),
    )
    return LinkOut(url=link.url, headers=link.headers)


def _page(renderer: Renderer, state: str, status: int = 200, **context: object) -> HTMLResponse:
    """The unsubscribe page in one of its states: confirm, done or invalid."""
    page = render(renderer, "unsubscribe.html.j2", state=state, **context)
    return HTMLResponse(page, status_code=status)


def _error_page(renderer: Renderer, exc: PrivaultError) -> HTMLResponse:
    return _page(renderer, "invalid", exc.status, message=exc.message)


@router.get("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
def confirm_page(token: str, container: ContainerDep) -> HTMLResponse:
    """The confirmation page: a button that POSTs; nothing changes on GET."""
    try:
        target, brand, tenant = describe(container.deps, token)
    except PrivaultError as exc:
        return _error_page(container.renderer, exc)
    return _page(container.renderer, "confirm", brand=brand, tenant=tenant, channel=target.channel)


@router.post("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
def one_click(token: str, request: Request, container: ContainerDep) -> HTMLResponse:
    """Unsubscribe now (RFC 8058 one-click POST, or the confirmation page's button)."""
    try:
        target, brand, tenant = describe(container.deps, token)
        unsubscribe(
            container.deps,
            token,
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
    except PrivaultError as exc:
        return _error_page(container.renderer, exc)
    return _page(container.renderer, "done", brand=brand, tenant=tenant, channel=target.channel)
