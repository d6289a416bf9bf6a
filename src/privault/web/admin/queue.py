"""The request queue (``/admin/requests``): the staff member's tenant's requests, soonest due first,
with days left and overdue ones marked in words; filters by type, state and overdue (a GET form).

Admin roles only, as over the API: it reads ``services.requests.list_requests``, the same query as
``GET /v1/requests`` and ``privault requests list``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from privault.core.jurisdictions import Right
from privault.core.requests import RequestRecord, State
from privault.errors import InvalidInput
from privault.services.requests import list_requests
from privault.web.admin.auth import AdminStaffDep
from privault.web.admin.layout import AdminRoute, container_of, render

router = APIRouter(route_class=AdminRoute, include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Row:
    """One request as the queue shows it."""

    ref: str
    type: str
    state: str
    received_on: date
    due_on: date
    days_left: int
    deadline: str
    assignee: str | None

    @property
    def overdue(self) -> bool:
        """Past its due date and still open."""
        return self.deadline == "overdue"

    @property
    def left(self) -> str:
        """Days left in words (never by colour alone)."""
        n = self.days_left
        if self.deadline == "closed":
            return "closed"
        if self.overdue:
            return f"overdue by {-n} day{'s' if n != -1 else ''}"
        if self.deadline == "due_today":
            return "due today"
        text = f"{n} day{'s' if n != 1 else ''}"
        return f"{text} (paused)" if self.deadline == "paused" else text


def row(request: RequestRecord, deadline: str, days_left: int) -> Row:
    """A queue row from ``list_requests``' (request, deadline state, days left)."""
    return Row(
        request.ref,
        request.type.value,
        request.state.value,
        request.received_on,
        request.due_on,
        days_left,
        deadline,
        request.assignee,
    )


@router.get("/admin/requests", response_class=HTMLResponse)
def queue(
    request: Request,
    staff: AdminStaffDep,
    type: str = "",
    state: str = "",
    overdue: str = "",
) -> HTMLResponse:
    """The queue by due date; open requests unless a state is chosen."""
    container = container_of(request)
    error, status, rows = "", 200, []
    try:
        found = list_requests(
            container.deps,
            staff.tenant_key,
            states=[state] if state else [],
            types=[type] if type else [],
            overdue=overdue == "1",
            open_only=not state,
        )
        rows = [row(*item) for item in found]
    except InvalidInput as exc:
        error, status = exc.message, exc.status
    return render(
        request,
        staff,
        "queue.html.j2",
        status=status,
        rows=rows,
        error=error,
        chosen={"type": type, "state": state, "overdue": overdue == "1"},
        types=[r.value for r in Right],
        states=[s.value for s in State],
        tenant_name=container.decider.view(staff.tenant_key).tenant.name,
    )
