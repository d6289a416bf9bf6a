"""Subject lookup (``/admin/subjects``): find a person by email or phone **for a stated purpose**.

The purpose is required and audited with the lookup (``services.lookup``); each value is shown only
if the staff member's role may read its category for that purpose, the rest is listed as withheld with
the rule. Card, bank-account, government and medical ID numbers show their last four characters,
and passwords, credentials, security answers and biometric data ``[withheld]``, unless the role's
grant lists them under ``full_values`` (``services.vault``, audited). The identity is posted
(never put in the address) and the page is not cached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from privault.core.audit import from_micros
from privault.errors import PrivaultError
from privault.services.lookup import KINDS, Found, look_up
from privault.web.admin.auth import StaffDep
from privault.web.admin.layout import AdminRoute, container_of, render
from privault.web.admin.queue import Row, row

router = APIRouter(route_class=AdminRoute, include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Card:
    """One person found, ready to show (values revealed only here, for this page)."""

    ref: str
    minor: bool
    identities: list[tuple[str, str]]
    data: list[tuple[str, str, str, str]]  # field, category, value, collected for
    withheld: list[tuple[str, str, str]]  # field, category, rule
    consent: list[tuple[str, str, str, str]]  # topic, yes/no, method, when
    requests: list[Row] = field(default_factory=list)
    last_four: bool = False  # some value is shown by its last four characters only
    never_shown: bool = False  # some value is shown as [withheld] (a password, biometric data)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def card(found: Found) -> Card:
    """What the page shows of one person found."""
    v = found.view
    return Card(
        v.ref or v.uid,
        v.is_minor,
        [(kind, s.reveal()) for kind, values in sorted(v.identities.items()) for s in values],
        [(name, f.category, _text(f.value.reveal()), f.purpose) for name, f in v.data.items()],
        [(w.field, w.category, w.rule) for w in v.withheld],
        [
            (key, "yes" if e.granted else "no", e.method, f"{from_micros(e.at_us):%Y-%m-%d %H:%M}")
            for key, e in sorted(found.consent.items())
        ],
        [row(*item) for item in found.requests],
        any(f.last_four for f in v.data.values()),
        any(f.withheld for f in v.data.values()),
    )


def _page(
    request: Request,
    staff: StaffDep,
    *,
    form: dict[str, str],
    cards: list[Card] | None = None,
    denied: str | None = None,
    hidden: list[str] | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    view = container_of(request).decider.view(staff.tenant_key)
    return render(
        request,
        staff,
        "lookup.html.j2",
        status=status,
        purposes=[(p.key, p.name) for p in view.purposes],
        kinds=KINDS,
        form=form,
        cards=cards,
        denied=denied,
        hidden=hidden or [],
        error=error,
    )


@router.get("/admin/subjects", response_class=HTMLResponse)
def lookup_form(request: Request, staff: StaffDep) -> HTMLResponse:
    """The lookup form: email or phone, and the purpose."""
    return _page(request, staff, form={"kind": "email", "value": "", "purpose": ""})


@router.post("/admin/subjects", response_class=HTMLResponse)
async def lookup(
    request: Request,
    staff: StaffDep,
    kind: Annotated[str, Form()] = "email",
    value: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Look the person up for the purpose (audited) and show what the role may see."""
    form = {"kind": kind, "value": value, "purpose": purpose}
    c = container_of(request)
    try:
        found = await run_in_threadpool(
            look_up,
            c.deps,
            staff.principal,
            kind,
            value,
            purpose,
            with_requests=staff.admin,
        )
    except PrivaultError as exc:
        return _page(request, staff, form=form, error=exc.message, status=exc.status)
    cards = [card(f) for f in found.found]
    return _page(request, staff, form=form, cards=cards, denied=found.denied, hidden=found.hidden)
