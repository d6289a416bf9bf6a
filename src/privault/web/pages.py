"""Rendering privacy-center pages (``templates/web`` through the renderer): the brand, headers and
error pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from privault.core.manifest.model import Colours
from privault.core.manifest.resolve import TenantView
from privault.core.rendering import Renderer
from privault.errors import NotFound, PrivaultError, RateLimited

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}
PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class BrandLook:
    """The name and colours a page is drawn in; ``query`` keeps the brand on every link."""

    key: str | None
    name: str
    primary: str
    accent: str
    on_primary: str

    @property
    def query(self) -> str:
        """``?brand=KEY`` (or nothing) to append to links."""
        return f"?brand={self.key}" if self.key else ""


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def text_on(colour: str) -> str:
    """White or black, whichever reads better on ``colour`` (WCAG contrast ratio)."""
    light = _luminance(colour)
    return "#ffffff" if 1.05 / (light + 0.05) >= (light + 0.05) / 0.05 else "#000000"


def brand_look(view: TenantView, brand: str | None) -> BrandLook:
    """The chosen brand (``?brand=KEY``), else the tenant's first brand, else the tenant itself."""
    brands = view.tenant.brands
    chosen = next((b for b in brands if b.key == brand), None)
    if brand and chosen is None:
        raise NotFound(f"tenant has no brand '{brand}'", code="brand.unknown")
    if chosen is None and brands:
        chosen = brands[0]
    colours = chosen.colours if chosen else Colours()
    name = chosen.name if chosen else view.tenant.name
    return BrandLook(
        chosen.key if brand and chosen else None,
        name,
        colours.primary,
        colours.accent,
        text_on(colours.primary),
    )


def render(
    renderer: Renderer,
    name: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page from ``templates/web`` with the security headers."""
    body = renderer.render(f"web/{name}", context)
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS | (headers or {}))


_MAIN = re.compile(r"<main>(.*)</main>", re.S)
_UPDATED = re.compile(r'<p class="updated">.*?</p>', re.S)


def notice_body(html: str) -> str:
    """The inside of a stored notice's <main>, without its own "Last updated" line."""
    found = _MAIN.search(html)
    return _UPDATED.sub("", found.group(1) if found else html, count=1)


def error_page(renderer: Renderer, exc: PrivaultError) -> HTMLResponse:
    """One error page for every privault error on the web (the message never holds input)."""
    headers = exc.headers if isinstance(exc, RateLimited) else None  # 429 with Retry-After
    return render(
        renderer,
        "error.html.j2",
        status=exc.status,
        headers=headers,
        message=exc.message,
        code=exc.code,
        brand=None,
    )


class PageRoute(APIRoute):
    """A route whose privault errors become the HTML error page instead of problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler."""
        handler = super().get_route_handler()

        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except PrivaultError as exc:
                renderer: Renderer = request.app.state.container.renderer
                return error_page(renderer, exc)

        return wrapped
