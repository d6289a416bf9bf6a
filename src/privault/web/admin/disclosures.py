"""Disclosures (``/admin/disclosures``): the disclosure register, one row per disclosure (a batch of
subjects given to one recipient at once) with the recipient, purpose, categories, form, how many
subjects, the legal basis and document of an authority's request, and a notice withheld until when;
filtered by recipient or subject ref. Beside it, the recipients the manifest allows, with their
purposes, categories, countries, forms and contract terms, and what each has received.

Admin roles only, as over the API (``GET /v1/disclosures``): ``services.disclosures.list_disclosures``
(as ``privault disclosures list``) and the recipients of ``services.ropa.ropa_for``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from privault.bootstrap import Container
from privault.core.disclosure_ports import DisclosureRecord
from privault.core.disclosures import notice_withheld
from privault.core.ropa import RecipientEntry
from privault.errors import PrivaultError
from privault.services.disclosures import list_disclosures
from privault.services.ropa import ropa_for
from privault.web.admin.auth import AdminStaffDep, Staff
from privault.web.admin.layout import AdminRoute, container_of, render
from privault.web.admin.params import optional

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
LIMIT = 500


@dataclass(slots=True)
class Batch:
    """One disclosure: the rows of its subjects folded into one."""

    batch: str
    at: datetime
    recipient: str
    purpose: str
    categories: tuple[str, ...]
    transform: str
    legal_basis: str | None
    document_ref: str | None
    withheld_until: date | None
    withhold_reference: str | None
    actor: str
    subjects: list[str] = field(default_factory=list)


def _batch(r: DisclosureRecord) -> Batch:
    return Batch(
        r.batch,
        r.at,
        r.recipient,
        r.purpose,
        r.categories,
        r.transform,
        r.legal_basis,
        r.document_ref,
        r.notice_withheld_until,
        r.withhold_reference,
        r.actor,
    )


def batches(rows: list[tuple[DisclosureRecord, str | None]]) -> list[Batch]:
    """The register's rows (one per subject, newest first) folded per disclosure, newest first."""
    found: dict[str, Batch] = {}
    for r, ref in rows:
        if r.batch not in found:
            found[r.batch] = _batch(r)
        found[r.batch].subjects.append(ref or "(erased)")
    return list(found.values())


@dataclass(frozen=True, slots=True)
class Allowed:
    """A recipient of the manifest with what it may receive and what it has."""

    entry: RecipientEntry
    transforms: tuple[str, ...]


def _recipients(c: Container, tenant_key: str) -> list[Allowed]:
    transforms = {r.key: tuple(r.transforms) for r in c.decider.view(tenant_key).recipients}
    entries = ropa_for(c.deps, tenant_key).recipients
    return [Allowed(e, transforms.get(e.key, ())) for e in entries]


def _register(
    c: Container, staff: Staff, subject: str | None, recipient: str | None
) -> list[Batch]:
    rows = list_disclosures(
        c.deps, staff.tenant_key, subject_ref=subject, recipient=recipient, limit=LIMIT
    )
    return batches(rows)


@router.get("/admin/disclosures", response_class=HTMLResponse)
def disclosures_page(
    request: Request, staff: AdminStaffDep, recipient: str = "", subject: str = ""
) -> HTMLResponse:
    """The register (newest first) and the recipients allowed."""
    c = container_of(request)
    recipients = _recipients(c, staff.tenant_key)
    form = {"recipient": recipient.strip(), "subject": subject.strip()}
    error, status, rows = "", 200, []
    try:
        rows = _register(c, staff, optional(subject), optional(recipient))
    except PrivaultError as exc:
        error, status = exc.message, exc.status
    today = c.clock.now().date()
    return render(
        request,
        staff,
        "disclosures.html.j2",
        status=status,
        rows=rows,
        withheld={b.batch: notice_withheld(b.withheld_until, today) for b in rows},
        recipients=recipients,
        names={a.entry.key: a.entry.name for a in recipients},
        form=form,
        limit=LIMIT,
        error=error,
    )
