"""The dashboard (``/admin/dashboard``): requests received per type per ISO week, the median days to
close (overall and per type), the open requests overdue and due within 7 days, and the consent rates
per cookie category and consent-based purpose. The charts are drawn on the server (SVG, no script)
and each comes with its table (``web.dashboard_charts``); the figures are counts, nobody is named.

Admin roles see the figures (``services.dashboard``: the request clocks are the privacy office's, as
over the API); other roles see what they can do here instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from privault.core.dashboard import Dashboard
from privault.services.dashboard import dashboard
from privault.web.admin.auth import Staff, StaffDep
from privault.web.admin.layout import AdminRoute, container_of, render
from privault.web.admin.params import whole
from privault.web.dashboard_charts import (
    RIGHT_LABELS,
    consent_chart,
    consent_table,
    requests_chart,
    requests_table,
)

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
WEEKS = 12


@dataclass(frozen=True, slots=True)
class Median:
    """The median days to close of one request type (or of all)."""

    label: str
    days: str


def days_text(value: float | None) -> str:
    """A median in words: "3.5 days", "1 day", or "none closed"."""
    if value is None:
        return "none closed"
    shown = f"{value:.1f}".removesuffix(".0")
    return f"{shown} day{'' if shown == '1' else 's'}"


def medians(d: Dashboard) -> list[Median]:
    """The overall median, then one per request type."""
    overall = Median("All types", days_text(d.median_days_to_close))
    return [overall] + [
        Median(RIGHT_LABELS[r], days_text(days)) for r, days in d.median_days_by_type.items()
    ]


def _figures(request: Request, staff: Staff, weeks: int) -> HTMLResponse:
    c = container_of(request)
    d = dashboard(c.deps, staff.tenant_key, c.clock.now(), weeks)
    return render(
        request,
        staff,
        "dashboard.html.j2",
        d=d,
        weeks=weeks,
        medians=medians(d),
        requests_chart=requests_chart(d),
        requests_table=requests_table(d),
        consent_chart=consent_chart(d),
        consent_table=consent_table(d),
    )


@router.get("/admin/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, staff: StaffDep, weeks: str = "") -> HTMLResponse:
    """The four figures of the last ``weeks`` ISO weeks (12 unless asked), for admin roles."""
    if not staff.admin:
        return render(request, staff, "dashboard.html.j2", d=None)
    return _figures(request, staff, whole(weeks, "weeks", default=WEEKS) or WEEKS)
