"""Consent records (``/admin/consent``): the tenant's consent ledger, newest first, a page at a time,
filtered by subject ref and by kind and scope, with how each choice was taken (method, channel,
notice version and the evidence in short), never an identity; and for one subject ref its current
state per topic.

As over the API: the ledger and its evidence are for admin roles (``GET /v1/consent/events``,
``services.consent_ledger``); any role may see a subject's current state (``GET /v1/consent``,
``services.consent.current_state``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from privault.bootstrap import Container
from privault.core.audit import from_micros
from privault.core.records import ConsentEventRecord
from privault.errors import PrivaultError
from privault.services.consent import Holder, current_state
from privault.services.consent_ledger import KINDS, LedgerQuery, ledger
from privault.web.admin.auth import Staff, StaffDep
from privault.web.admin.layout import AdminRoute, container_of, render
from privault.web.admin.params import link, optional, whole

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
PAGE = 50


@dataclass(frozen=True, slots=True)
class EventRow:
    """One ledger event as the page shows it."""

    id: int
    at: datetime
    holder: str
    subject: str | None
    topic: str
    granted: bool
    method: str
    channel: str
    brand: str
    notice: str
    evidence: str
    actor: str


@dataclass(frozen=True, slots=True)
class TopicRow:
    """A subject's current answer on one topic, and the event that set it."""

    topic: str
    granted: bool
    method: str
    event: int
    at: datetime


def evidence_summary(e: ConsentEventRecord) -> str:
    """What proves the choice, in one line: the text shown, the agent and call, the IP prefix (already
    truncated) and the extra evidence; the user agent is left to the API."""
    parts = [
        f"{label} {value}"
        for label, value in (
            ("shown:", e.shown),
            ("agent", e.agent),
            ("call", e.call_id),
            ("IP prefix", e.ip_prefix),
        )
        if value
    ]
    extra = json.loads(e.evidence or "{}")
    parts += [f"{key}: {value}" for key, value in sorted(extra.items())]
    return "; ".join(parts) or "—"


def _holder(e: ConsentEventRecord, ref: str | None) -> str:
    if ref is not None:
        return "subject"
    return "visitor (not linked)" if e.visitor and e.subject_id is None else "erased subject"


def event_row(e: ConsentEventRecord, ref: str | None) -> EventRow:
    """The row of one ledger event (the subject by ref; a visitor is not named)."""
    return EventRow(
        e.id,
        e.at,
        _holder(e, ref),
        ref,
        f"{e.kind}:{e.scope}",
        e.granted,
        e.method,
        e.channel,
        e.brand or "any",
        e.notice_version or "—",
        evidence_summary(e),
        e.actor,
    )


def _events(c: Container, staff: Staff, query: LedgerQuery) -> list[EventRow]:
    return [event_row(e, ref) for e, ref in ledger(c.deps, staff.tenant_key, query)]


def _state(c: Container, staff: Staff, ref: str) -> list[TopicRow]:
    state = current_state(c.deps, staff.tenant_key, Holder(subject=ref))
    return [
        TopicRow(key, e.granted, e.method, e.event_id, from_micros(e.at_us))
        for key, e in sorted(state.items())
    ]


def _older(query: LedgerQuery, rows: list[EventRow]) -> str | None:
    """The link to the next page (older events), if this one is full."""
    if len(rows) < query.limit:
        return None
    return link(
        "/admin/consent",
        subject=query.subject,
        kind=query.kind,
        scope=query.scope,
        before=rows[-1].id,
    )


@router.get("/admin/consent", response_class=HTMLResponse)
def consent_page(
    request: Request,
    staff: StaffDep,
    subject: str = "",
    kind: str = "",
    scope: str = "",
    before: str = "",
) -> HTMLResponse:
    """The ledger (admin roles) and, for a subject ref, its current state per topic."""
    c = container_of(request)
    form = {"subject": subject.strip(), "kind": kind.strip(), "scope": scope.strip()}
    query = LedgerQuery(optional(subject), optional(kind), optional(scope), None, PAGE)
    events: list[EventRow] | None = None
    state: list[TopicRow] | None = None
    error, status = "", 200
    try:
        query = LedgerQuery(query.subject, query.kind, query.scope, whole(before, "before"), PAGE)
        events = _events(c, staff, query) if staff.admin else None
        state = _state(c, staff, query.subject) if query.subject else None
    except PrivaultError as exc:
        error, status = exc.message, exc.status
    return render(
        request,
        staff,
        "consent.html.j2",
        status=status,
        form=form,
        kinds=KINDS,
        events=events,
        state=state,
        older=_older(query, events) if events else None,
        paged=query.before is not None,
        newest=link("/admin/consent", **form),
        error=error,
    )
