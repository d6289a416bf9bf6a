"""Retention (``/admin/retention``): per rule what is due now, within 30 days and next; the active
legal holds with a form to place one and a button to release each; the last sweep's report (per
rule, per datastore collection, subjects erased whole), and a dry-run sweep that writes a report
and deletes nothing.

Admin roles only, as over the API: ``services.retention`` (``status``, ``sweep``) and
``services.legal_holds`` (``add_hold``, ``release_hold``), the same calls as ``privault retention``
and ``/v1/retention``, ``/v1/legal-holds``; every change and sweep is audited by the services. A hold
on one subject does not name the subject here (the audit trail does), as in the API and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from privault.core.retention import HOLD_SCOPES
from privault.core.retention_ports import HoldRecord
from privault.errors import PrivaultError
from privault.services import legal_holds
from privault.services.retention import status, sweep
from privault.web.admin.auth import AdminStaffDep, Staff
from privault.web.admin.layout import AdminRoute, container_of, redirect, render
from privault.web.admin.params import day, optional, whole
from privault.web.admin.retention_report import report_view

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
PAGE = "/admin/retention"
Field = Annotated[str, Form()]


@dataclass(frozen=True, slots=True)
class HoldRow:
    """An active legal hold as the page shows it."""

    id: int
    scope: str
    what: str
    reference: str
    reason: str
    created_by: str
    created_at: datetime
    expires_on: date | None


def hold_row(h: HoldRecord) -> HoldRow:
    """A hold's row: what it covers in words (one subject, the whole tenant, or its category)."""
    what = {"subject": "one subject (named in the audit trail)", "tenant": "the whole tenant"}
    return HoldRow(
        h.id,
        h.scope,
        what.get(h.scope, f"category {h.category}"),
        h.reference,
        h.reason,
        h.created_by,
        h.created_at,
        h.expires_on,
    )


def _page(
    request: Request,
    staff: Staff,
    *,
    form: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    container = container_of(request)
    batch = container.settings.retention_batch_size
    found = status(container.deps, staff.tenant_key, batch_size=batch)
    last = found.last_run
    return render(
        request,
        staff,
        "retention.html.j2",
        status=status_code,
        today=found.today,
        rules=found.rules,
        datastores=found.datastores,
        holds=[hold_row(h) for h in found.holds],
        last=last,
        report=report_view(last.report) if last else None,
        scopes=HOLD_SCOPES,
        form=form or {},
        error=error,
    )


@router.get(PAGE, response_class=HTMLResponse)
def retention_page(request: Request, staff: AdminStaffDep) -> HTMLResponse:
    """What is due when, the holds, the last sweep."""
    return _page(request, staff)


def _act(
    request: Request, staff: Staff, work: Callable[[], str], form: dict[str, str] | None = None
) -> Response:
    """Do the work and go back to the page with what happened; on a refusal, the page with the
    error (and the form as typed)."""
    try:
        flash = work()
    except PrivaultError as exc:
        return _page(request, staff, form=form, error=exc.message, status_code=exc.status)
    return redirect(request, PAGE, flash)


@router.post(f"{PAGE}/holds", response_class=HTMLResponse)
def place_hold(
    request: Request,
    staff: AdminStaffDep,
    scope: Field = "",
    reference: Field = "",
    subject: Field = "",
    category: Field = "",
    expires_on: Field = "",
    reason: Field = "",
) -> Response:
    """Place a legal hold on a subject (by ref), the tenant, or a category."""
    form = {
        "scope": scope,
        "reference": reference,
        "subject": subject,
        "category": category,
        "expires_on": expires_on,
        "reason": reason,
    }

    def work() -> str:
        hold = legal_holds.add_hold(
            container_of(request).deps,
            staff.tenant_key,
            staff.actor,
            scope=scope,
            reference=reference.strip(),
            subject=optional(subject) if scope == "subject" else None,
            category=optional(category) if scope == "category" else None,
            expires_on=day(expires_on, "the expiry"),
            reason=reason.strip(),
        )
        return f"Legal hold {hold.id} placed ({hold.reference})."

    return _act(request, staff, work, form)


@router.post(PAGE + "/holds/{hold_id}/release", response_class=HTMLResponse)
def release_hold(request: Request, hold_id: str, staff: AdminStaffDep) -> Response:
    """Release a hold: the next sweep deletes what it kept, if due."""

    def work() -> str:
        number = whole(hold_id, "the hold's number") or 0
        hold = legal_holds.release_hold(
            container_of(request).deps, staff.tenant_key, number, staff.actor
        )
        return f"Legal hold {hold.id} released ({hold.reference})."

    return _act(request, staff, work)


@router.post(f"{PAGE}/sweep", response_class=HTMLResponse)
def dry_run(request: Request, staff: AdminStaffDep) -> Response:
    """Run a dry-run sweep now: the report of what is due, nothing deleted."""
    c = container_of(request)

    def work() -> str:
        done = sweep(
            c.deps,
            staff.tenant_key,
            batch_size=c.settings.retention_batch_size,
            dry_run=True,
            actor=staff.actor,
        )
        return f"Dry-run sweep {done.run_id} finished: nothing was deleted; its report is below."

    return _act(request, staff, work)
