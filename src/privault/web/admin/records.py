"""Records (``/admin/records``): the records of processing (GDPR Art. 30) as tables, every purpose
with its lawful basis, data subjects, categories, recipients, transfers, retention and impact
assessment, the gaps, and the downloads (CSV, JSON, HTML; each export audited as
``records:export``); and the register of impact assessments (DPIAs).

Admin roles only, as over the API (``GET /v1/ropa``, ``GET /v1/dpias``): ``services.ropa``
(``ropa_for`` to show, ``export_ropa`` to download) and ``services.dpias.list_dpias``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from privault.errors import NotFound
from privault.services.dpias import list_dpias
from privault.services.ropa import FORMATS, MEDIA_TYPES, export_ropa, ropa_for
from privault.web.admin.auth import AdminStaffDep
from privault.web.admin.layout import HEADERS, AdminRoute, container_of, render

router = APIRouter(route_class=AdminRoute, include_in_schema=False)


@router.get("/admin/records", response_class=HTMLResponse)
def records_page(request: Request, staff: AdminStaffDep) -> HTMLResponse:
    """The record of processing and the DPIA register."""
    c = container_of(request)
    ropa = ropa_for(c.deps, staff.tenant_key)
    dpias = list_dpias(c.deps, staff.tenant_key)
    return render(request, staff, "records.html.j2", ropa=ropa, dpias=dpias, formats=FORMATS)


@router.get("/admin/records/ropa.{fmt}")
def records_file(request: Request, fmt: str, staff: AdminStaffDep) -> Response:
    """The record as a file to keep or hand to an authority (the export is audited)."""
    if fmt not in FORMATS:
        raise NotFound("the records are exported as csv, json or html", code="not_found")
    c = container_of(request)
    text = export_ropa(c.deps, staff.tenant_key, staff.actor, fmt)
    name = f"records-of-processing-{staff.tenant_key}.{fmt}"
    headers = HEADERS | {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(text, media_type=MEDIA_TYPES[fmt], headers=headers)
