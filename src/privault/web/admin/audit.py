"""The audit log (``/admin/audit``): the tenant's newest audit events, a page at a time, filtered by
action: who did what (actor, action, subject reference, purpose, outcome, when) and the details,
which hold references and counts, never personal data. "Verify the chain" checks what was written
since the last clean verification (MACs, chain, checkpoints, the witness) and says whether it holds,
or where it breaks; "Verify everything" queues the full verification as a job, whose last result the
page shows.

Admin roles only, as over the API (``GET /v1/audit/verify``, ``POST /v1/audit/verify/full``):
``services.audit`` (``recent_events``), ``services.audit_verify`` (``verify``, as ``privault audit
verify``), ``services.jobs`` (``queue_job``, ``latest_job``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from privault.core.audit import ACTIONS, AuditEvent, VerifyReport, from_micros
from privault.services.audit import recent_events
from privault.services.audit_verify import verify
from privault.services.jobs import latest_job, queue_job
from privault.web.admin.auth import AdminStaffDep, Staff
from privault.web.admin.layout import AdminRoute, container_of, render
from privault.web.admin.params import link, optional, whole

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
PAGE = 50
FULL = "audit.verify"  # the job that verifies the whole log


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One audit event as the page shows it."""

    id: int
    seq: int | None
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
        e.id,
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
    queued: int | None = None,
) -> HTMLResponse:
    c = container_of(request)
    wanted, start = optional(action), whole(before, "before")
    events = recent_events(c.deps, staff.tenant_key, action=wanted, before=start, limit=PAGE)
    rows = [entry_row(e) for e in events]
    older = link("/admin/audit", action=wanted, before=rows[-1].id) if len(rows) == PAGE else None
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
        queued=queued,
        full=latest_job(c.deps, staff.tenant_key, FULL),
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


@router.post("/admin/audit/verify-full", response_class=HTMLResponse)
def verify_everything(request: Request, staff: AdminStaffDep) -> HTMLResponse:
    """Queue the full verification (a worker runs it); the page shows its result once done."""
    job = queue_job(container_of(request).deps, staff.tenant_key, FULL, staff.actor)
    return _page(request, staff, queued=job)
