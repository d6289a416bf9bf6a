"""Who is using the console: the session cookie resolved to a :class:`Staff` (a
``privault.core.access.Principal`` of kind ``user`` with the role's name and whether it is an admin
role). Every POST is checked for CSRF here, so a view that takes ``StaffDep`` is protected.

Without a valid session a view answers with the sign-in page (``layout.AdminRoute``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from privault.errors import Forbidden, Unauthenticated
from privault.services.staff_sessions import Staff, resolve_session
from privault.web.admin import csrf
from privault.web.admin.layout import SESSION, container_of, cookie_name

__all__ = ["AdminStaffDep", "Staff", "StaffDep", "admin_staff", "current_staff"]


async def current_staff(request: Request) -> Staff:
    """The signed-in staff member (Unauthenticated without a live session; 403 for a forged POST)."""
    container = container_of(request)
    token = request.cookies.get(cookie_name(request, SESSION))
    if not token:
        raise Unauthenticated("sign in to use the console", code="staff.session_invalid")
    staff = await run_in_threadpool(resolve_session, container.deps, token)
    request.state.staff = staff
    if request.method not in ("GET", "HEAD"):
        await csrf.check(request, staff.csrf_token, container.settings.public_url)
    return staff


StaffDep = Annotated[Staff, Depends(current_staff)]


def admin_staff(staff: StaffDep) -> Staff:
    """The staff member, if their role is an admin role (the privacy office); else 403."""
    if not staff.admin:
        raise Forbidden(
            f"this needs an admin role; yours is '{staff.role_name}'", code="access.denied"
        )
    return staff


AdminStaffDep = Annotated[Staff, Depends(admin_staff)]
