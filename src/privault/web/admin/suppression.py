"""Suppression lists (``/admin/suppression``): who must not be contacted on a channel (email, phone
or SMS), for any brand or one, with the rule that suppresses each and since when, as the CSV export
gives it (``/admin/suppression.csv``, the file for dialers and mail senders).

Any role, as over the API (``GET /v1/suppression``): ``services.suppression`` decrypts the addresses
and numbers only if the role may read them for the channel's marketing (else 403), and audits every
list it gives out (``suppression:export``), on the page as in the file.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from privault.errors import InvalidInput, PrivaultError
from privault.services.suppression import (
    IDENTITY_KIND,
    Suppressed,
    suppression_csv,
    suppression_list,
)
from privault.web.admin.auth import Staff, StaffDep
from privault.web.admin.layout import HEADERS, AdminRoute, container_of, render
from privault.web.admin.params import link, optional

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
CHANNELS = tuple(IDENTITY_KIND)


def _list(request: Request, staff: Staff, channel: str, brand: str | None) -> list[Suppressed]:
    if channel not in CHANNELS:
        raise InvalidInput("choose a channel: email, phone or sms", code="input.invalid")
    c = container_of(request)
    if brand is not None and brand not in {
        b.key for b in c.decider.view(staff.tenant_key).tenant.brands
    }:
        raise InvalidInput("choose one of the brands listed", code="input.invalid")
    return suppression_list(c.deps, staff.principal, channel, brand)


@router.get("/admin/suppression", response_class=HTMLResponse)
def suppression_page(
    request: Request, staff: StaffDep, channel: str = "", brand: str = ""
) -> HTMLResponse:
    """Choose a channel (and a brand); the list, with the link to its CSV."""
    view = container_of(request).decider.view(staff.tenant_key)
    form = {"channel": channel, "brand": brand.strip()}
    rows: list[Suppressed] | None = None
    error, status = "", 200
    if channel:
        try:
            rows = _list(request, staff, channel, optional(brand))
        except PrivaultError as exc:
            error, status = exc.message, exc.status
    return render(
        request,
        staff,
        "suppression.html.j2",
        status=status,
        form=form,
        channels=CHANNELS,
        brands=[(b.key, b.name) for b in view.tenant.brands],
        rows=rows,
        csv_url=link("/admin/suppression.csv", **form),
        error=error,
    )


@router.get("/admin/suppression.csv")
def suppression_file(
    request: Request, staff: StaffDep, channel: str = "", brand: str = ""
) -> Response:
    """The list as CSV (value, subject, rule, since), as ``privault suppression export`` writes it."""
    rows = _list(request, staff, channel, optional(brand))
    name = f"suppression-{staff.tenant_key}-{channel}{'-' + brand.strip() if brand.strip() else ''}"
    headers = HEADERS | {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(suppression_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
