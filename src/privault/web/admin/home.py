"""The console's first page (``/admin``): for admin roles a summary of the open requests by legal
clock and the five due soonest (the charts are on ``/admin/dashboard``); for other roles, what they
can do here.
"""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from privault.services.requests import list_requests
from privault.web.admin.auth import StaffDep
from privault.web.admin.layout import AdminRoute, container_of, render
from privault.web.admin.queue import row

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
CLOCKS = (
    ("overdue", "Overdue"),
    ("due_today", "Due today"),
    ("due_soon", "Due within 7 days"),
    ("on_time", "On time"),
    ("paused", "Paused"),
)


@router.get("/admin", response_class=HTMLResponse)
def home(request: Request, staff: StaffDep) -> HTMLResponse:
    """Open requests by legal clock (admin roles), and where to go next."""
    found = (
        list_requests(container_of(request).deps, staff.tenant_key, open_only=True)
        if staff.admin
        else []
    )
    counts = Counter(deadline for _, deadline, _ in found)
    return render(
        request,
        staff,
        "home.html.j2",
        clocks=[(key, label, counts.get(key, 0)) for key, label in CLOCKS],
        total=len(found),
        soonest=[row(*item) for item in found[:5]],
    )
