"""Any other address under ``/admin``: 404, drawn in the console for a signed-in staff member.
Its router must be included last."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from privault.errors import NotFound
from privault.web.admin.auth import StaffDep
from privault.web.admin.layout import AdminRoute

router = APIRouter(route_class=AdminRoute, include_in_schema=False)


@router.get("/admin/{rest:path}", response_class=HTMLResponse)
def not_found(request: Request, rest: str, staff: StaffDep) -> HTMLResponse:
    """404 "no such page", drawn with the navigation (``staff`` makes sure the visitor is signed
    in, so the console's addresses are not probed from outside)."""
    del request, rest, staff
    raise NotFound("the console has no such page", code="not_found")
