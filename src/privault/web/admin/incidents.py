"""Incidents (``/admin/incidents``, ``/admin/incidents/{ref}``): the incident and breach register,
newest first, each incident with its state and its legal clocks (the authority within 72 hours
under the GDPR, the FCC and law enforcement for CPNI, the people affected, the client controller of
a processor), what each clock says now, and how long the record is kept. An overdue clock says
"Overdue" in words (never by colour alone). One incident's page adds its notifications.

Admin roles only, as over the API (``/v1/incidents``): ``services.incidents`` (``list_incidents``,
``show_incident``), the same as ``privault incidents``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from privault.core.incidents import BreachClock
from privault.services.incidents import IncidentView, list_incidents, show_incident
from privault.web.admin.auth import AdminStaffDep
from privault.web.admin.layout import AdminRoute, container_of, render

router = APIRouter(route_class=AdminRoute, include_in_schema=False)


@dataclass(frozen=True, slots=True)
class ClockRow:
    """One notification an incident calls for, with its state now."""

    regime: str
    rule: str
    notify: str
    whom: str
    due: str
    state: str
    on_behalf: bool
    late_reason: str | None
    waived: str | None

    @property
    def overdue(self) -> bool:
        """Not made, and past its due time."""
        return self.state.startswith("overdue")


def due_text(clock: BreachClock) -> str:
    """When the clock is due: an instant, a day, or the law's words."""
    if clock.due_at is not None:
        return f"{clock.due_at:%Y-%m-%d %H:%M} UTC ({clock.due_text})"
    if clock.due_on is not None:
        return f"{clock.due_on.isoformat()} ({clock.due_text})"
    return clock.due_text


def clock_rows(shown: IncidentView) -> list[ClockRow]:
    """The incident's clocks as the page shows them."""
    return [
        ClockRow(
            c.regime,
            c.rule,
            c.notify.replace("_", " "),
            c.whom,
            due_text(c),
            state,
            c.on_behalf,
            c.late_reason,
            c.waived,
        )
        for c, state in zip(shown.clocks, shown.states, strict=True)
    ]


@router.get("/admin/incidents", response_class=HTMLResponse)
def incidents_page(
    request: Request, staff: AdminStaffDep, open_only: str = Query("", alias="open")
) -> HTMLResponse:
    """The register, newest first (open incidents only with ``open=1``)."""
    c = container_of(request)
    shown = list_incidents(c.deps, staff.tenant_key, open_only=open_only == "1")
    return render(
        request,
        staff,
        "incidents.html.j2",
        incidents=[(s, clock_rows(s)) for s in shown],
        open_only=open_only == "1",
        overdue=sum(1 for s in shown if s.overdue),
    )


@router.get("/admin/incidents/{ref}", response_class=HTMLResponse)
def incident_page(request: Request, ref: str, staff: AdminStaffDep) -> HTMLResponse:
    """One incident: its facts, clocks and notifications."""
    c = container_of(request)
    shown = show_incident(c.deps, staff.tenant_key, ref)
    return render(
        request, staff, "incident.html.j2", s=shown, i=shown.incident, clocks=clock_rows(shown)
    )
