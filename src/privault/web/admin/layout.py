"""Drawing admin-console pages (``templates/admin``, through the renderer): the navigation, flash
messages, headers, and the route class that turns errors into pages (and a missing session into the
sign-in page).

A page view builds its context and returns ``render(request, staff, "page.html.j2", **context)``;
after a POST it answers ``redirect(request, url, "What happened.")`` (303, the message shown once on
the next page).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from privault.bootstrap import Container
from privault.errors import PrivaultError, Unauthenticated
from privault.services.staff_sessions import Staff
from privault.web.admin.params import refuse_control_characters
from privault.web.pages import PRIVATE_HEADERS, SECURITY_HEADERS

# Not cached; the referrer (and so the Origin of the console's own form posts) stays on this site.
HEADERS = SECURITY_HEADERS | PRIVATE_HEADERS | {"Referrer-Policy": "same-origin"}
# The whole console (any other address under /admin answers 404: ``fallback``).
NAV: tuple[tuple[str, str], ...] = (
    ("/admin", "Home"),
    ("/admin/dashboard", "Dashboard"),
    ("/admin/requests", "Requests"),
    ("/admin/subjects", "Subject lookup"),
    ("/admin/consent", "Consent"),
    ("/admin/suppression", "Suppression"),
    ("/admin/retention", "Retention"),
    ("/admin/disclosures", "Disclosures"),
    ("/admin/records", "Records"),
    ("/admin/incidents", "Incidents"),
    ("/admin/audit", "Audit"),
)
FLASH = "pv_flash"
SESSION = "pv_admin"


def container_of(request: Request) -> Container:
    """The process's container."""
    found: Container = request.app.state.container
    return found


def cookie_name(request: Request, name: str) -> str:
    """``__Host-<name>`` when cookies are Secure (the default), else ``<name>``."""
    secure = container_of(request).settings.admin_cookie_secure
    return f"__Host-{name}" if secure else name


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A console cookie: HttpOnly, SameSite=Strict, Path=/, Secure unless turned off."""
    response.set_cookie(
        cookie_name(request, name),
        value,
        httponly=True,
        samesite="strict",
        secure=container_of(request).settings.admin_cookie_secure,
        path="/",
    )


def drop_cookie(request: Request, response: Response, name: str) -> None:
    """Remove a console cookie."""
    response.delete_cookie(
        cookie_name(request, name),
        path="/",
        secure=container_of(request).settings.admin_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def _nav(path: str) -> list[tuple[str, str, bool]]:
    """(href, label, current) for each console page; the longest matching prefix is current."""
    best = max((h for h, _ in NAV if path == h or path.startswith(f"{h}/")), key=len, default="")
    return [(href, label, href == best) for href, label in NAV]


def page(
    request: Request,
    staff: Staff | None,
    template: str,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Any console page, signed in or not (the sign-in and error pages)."""
    flash = unquote(request.cookies.get(cookie_name(request, FLASH), ""))[:300]
    container = container_of(request)
    tenant = container.manifest.tenant(staff.tenant_key) if staff else None
    body = container.renderer.render(
        f"admin/{template}",
        {
            "staff": staff,
            "organisation": tenant.name if tenant else "",
            "csrf": staff.csrf_token if staff else "",
            "nav": _nav(request.url.path) if staff else [],
            "flash": flash,
            **context,
        },
    )
    response = HTMLResponse(body, status_code=status, headers=HEADERS)
    if flash:
        drop_cookie(request, response, FLASH)
    return response


def render(
    request: Request, staff: Staff, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page of the console for a signed-in staff member: navigation, their name and role, the
    CSRF token (``{{ csrf }}``: put ``<input type="hidden" name="csrf" value="{{ csrf }}">`` in
    every POST form), the flash message, the security headers."""
    return page(request, staff, template, status=status, **context)


def redirect(request: Request, url: str, flash: str = "") -> RedirectResponse:
    """303 to ``url`` (after a POST), with a message to show once on the next page."""
    response = RedirectResponse(url, status_code=303, headers=HEADERS)
    if flash:
        set_cookie(request, response, FLASH, quote(flash[:300], safe=""))
    return response


def error_page(request: Request, exc: PrivaultError) -> HTMLResponse:
    """The console's page for an error (its message never holds input)."""
    return page(
        request,
        getattr(request.state, "staff", None),
        "error.html.j2",
        status=exc.status,
        message=exc.message,
        code=exc.code,
    )


def to_login(request: Request) -> RedirectResponse:
    """Off to the sign-in page, coming back here afterwards (GET pages only)."""
    back = request.url.path if request.method == "GET" else "/admin"
    response = RedirectResponse(f"/admin/login?next={quote(back)}", 303, HEADERS)
    drop_cookie(request, response, SESSION)
    return response


async def _refuse_control_characters(request: Request) -> None:
    """422 for a control character in the path, the query or a posted form (see ``params``)."""
    values = [request.url.path, *request.query_params.values()]
    if request.method == "POST":
        values += [v for v in (await request.form()).values() if isinstance(v, str)]
    refuse_control_characters(values)


class AdminRoute(APIRoute):
    """A console route: without a valid session, the sign-in page; privault errors, the error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler."""
        handler = super().get_route_handler()

        async def wrapped(request: Request) -> Response:
            try:
                await _refuse_control_characters(request)
                return await handler(request)
            except Unauthenticated:
                return to_login(request)
            except PrivaultError as exc:
                return error_page(request, exc)

        return wrapped
