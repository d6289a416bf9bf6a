"""Signing in to the console and out of it.

``GET /admin/login`` shows the form (organisation, username, password) with a fresh CSRF value in a
``pv_login`` cookie and a hidden field; ``POST /admin/login`` checks both, signs in and sets the session
cookie; ``POST /admin/logout`` ends the session on the server and drops the cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from privault.errors import Forbidden, RateLimited, Unauthenticated
from privault.http.limits import check_signin, limits_of, signed_in, signin_keys
from privault.services.staff_sessions import sign_in, sign_out
from privault.web.admin import csrf
from privault.web.admin.auth import StaffDep
from privault.web.admin.layout import (
    SESSION,
    AdminRoute,
    container_of,
    cookie_name,
    drop_cookie,
    page,
    redirect,
    set_cookie,
)

router = APIRouter(route_class=AdminRoute, include_in_schema=False)


def _next(wanted: str | None) -> str:
    """Where to go after signing in: a console page, never another site."""
    if wanted and wanted.startswith("/admin") and not wanted.startswith("//"):
        return wanted
    return "/admin"


def _form(
    request: Request,
    *,
    tenant: str = "",
    username: str = "",
    next_url: str = "/admin",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    token = csrf.new_login_token()
    tenants = [(t.key, t.name) for t in container_of(request).manifest.tenants]
    response = page(
        request,
        None,
        "login.html.j2",
        status=status,
        tenants=tenants,
        tenant=tenant or request.query_params.get("tenant", ""),
        username=username,
        next_url=_next(next_url),
        login_csrf=token,
        error=error,
    )
    set_cookie(request, response, csrf.LOGIN_COOKIE, token)
    return response


@router.get("/admin/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return _form(request, next_url=_next(next))


async def _check_login_form(request: Request) -> None:
    """The sign-in form's own CSRF check: same origin, and the field equal to the cookie."""
    expected = request.cookies.get(cookie_name(request, csrf.LOGIN_COOKIE), "")
    await csrf.check(request, expected, container_of(request).settings.public_url)


@router.post("/admin/login", response_class=HTMLResponse)
async def login(
    request: Request,
    tenant: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "/admin",
) -> Response:
    """Sign in: the session cookie and on to the page asked for; or the form with what went wrong."""
    try:
        await _check_login_form(request)
    except Forbidden as exc:
        return _form(request, tenant=tenant, username=username, error=exc.message, status=403)
    container = container_of(request)
    limits, keys = (
        limits_of(request),
        await run_in_threadpool(signin_keys, request, tenant, username),
    )
    try:
        await run_in_threadpool(check_signin, limits, keys)
    except RateLimited as exc:  # 429 with Retry-After, before the password is even looked at
        refused = _form(request, tenant=tenant, username=username, error=exc.message, status=429)
        refused.headers.update(exc.headers)
        return refused
    try:
        signed = await run_in_threadpool(sign_in, container.deps, tenant, username, password)
    except Unauthenticated as exc:
        return _form(
            request,
            tenant=tenant,
            username=username,
            next_url=next_url,
            error=exc.message,
            status=401,
        )
    await run_in_threadpool(signed_in, limits, keys)
    response = redirect(request, _next(next_url))
    set_cookie(request, response, SESSION, signed.token.reveal())
    drop_cookie(request, response, csrf.LOGIN_COOKIE)
    return response


@router.post("/admin/logout", response_class=HTMLResponse)
async def logout(request: Request, staff: StaffDep) -> Response:
    """Sign out: the session ends on the server at once, and its cookie is dropped."""
    await run_in_threadpool(sign_out, container_of(request).deps, staff)
    response = redirect(request, "/admin/login", "You have signed out.")
    drop_cookie(request, response, SESSION)
    return response
