"""The audit log (``/admin/audit``): the tenant's newest audit events, a page at a time, filtered by
action: who did what (actor, action, subject reference, purpose, outcome, when) and the details,
which hold references and counts, never personal data. "Verify the chain" walks the whole hash
chain and its signed checkpoints and says whether it holds, or where it breaks.

Admin roles only, as over the API (``GET /v1/audit/verify``): ``services.audit`` (``recent_events``,
``verify``, as ``privault audit verify``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from privault.core.audit import ACTIONS, AuditEvent, VerifyReport, from_micros
from privault.services.audit import recent_events, verify
from privault.web.admin.auth import AdminStaffDep, Staff
from privault.web.admin.layout import AdminRoute, container_of, render
from privault.web.admin.params import link, optional, whole

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
PAGE = 50


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One audit event as the page shows it."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    purpose: str
    outcome: str
    details: str


def entry_row(e: AuditEvent) -> EntryRow:
    """The row of one event (empty details and fields shown as a dash)."""
    details = "" if e.details in ("", "{}") else e.details
    return EntryRow(
        e.seq,
        from_micros(e.at_us),
        e.actor,
        e.action,
        e.subject or "—",
        e.purpose or "—",
        e.outcome,
        details or "—",
    )


def _page(
    request: Request,
    staff: Staff,
    action: str = "",
    before: str = "",
    report: VerifyReport | None = None,
) -> HTMLResponse:
    c = container_of(request)
    wanted, start = optional(action), whole(before, "before")
    events = recent_events(c.deps, staff.tenant_key, action=wanted, before=start, limit=PAGE)
    rows = [entry_row(e) for e in events]
    older = link("/admin/audit", action=wanted, before=rows[-1].seq) if len(rows) == PAGE else None
    return render(
        request,
        staff,
        "audit.html.j2",
        rows=rows,
        actions=sorted(ACTIONS),
        chosen=wanted or "",
        paged=start is not None,
        newest=link("/admin/audit", action=wanted),
        older=older,
        report=report,
    )


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, staff: AdminStaffDep, action: str = "", before: str = ""
) -> HTMLResponse:
    """The newest events (of one action), and the button to verify the chain."""
    return _page(request, staff, action, before)


@router.post("/admin/audit/verify", response_class=HTMLResponse)
def verify_chain(request: Request, staff: AdminStaffDep) -> HTMLResponse:
    """Walk the chain now and show the result above the newest events."""
    report = verify(container_of(request).deps, staff.tenant_key)
    return _page(request, staff, report=report)
