"""The admin console at ``/admin``: server-rendered pages for staff, signed in with a password.

Adding a page: a module here with ``router = APIRouter(route_class=AdminRoute,
include_in_schema=False)``, views that take ``staff: StaffDep`` (any signed-in role) or
``AdminStaffDep`` (admin roles) from ``auth`` and return ``render(request, staff, "x.html.j2",
**context)`` from ``layout`` (a template in ``templates/admin`` extending ``base.html.j2``), POST forms
that carry ``<input type="hidden" name="csrf" value="{{ csrf }}">`` (checked by ``StaffDep``) and
answer ``redirect(request, url, "What happened.")``; then add the module to ``PAGES`` below, before
``fallback`` (which must stay last).
"""

from __future__ import annotations

from fastapi import APIRouter

from privault.web.admin import (
    audit,
    consent,
    dashboard,
    disclosures,
    fallback,
    home,
    incidents,
    login,
    lookup,
    queue,
    records,
    request_detail,
    retention,
    suppression,
)

PAGES = (
    login,
    home,
    queue,
    request_detail,
    lookup,
    dashboard,
    consent,
    suppression,
    retention,
    disclosures,
    records,
    incidents,
    audit,
)

router = APIRouter(include_in_schema=False)
for _page in (*PAGES, fallback):
    router.include_router(_page.router)
