"""Exceptions to an incident's notices: a GDPR Art. 34(3) exception to telling the data subjects
(GDPR-BR-3), and a law-enforcement direction to delay FCC customer notice (FCC-BR-2, 47 CFR
64.2011(a)(2)). Each is one transaction, audited as ``incident:change``; the audit trail carries
the exception code or the delay's dates, never the justification's text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from privault.core import breach_delays, breach_exemptions
from privault.core.incidents import BreachClock
from privault.core.ports import UnitOfWork
from privault.errors import Conflict
from privault.services.deps import Deps
from privault.services.incidents import IncidentView, audit_change, get_incident, incident_view
from privault.services.tenants import bind_tenant

Change = Callable[[list[BreachClock]], list[BreachClock]]


def _change_clocks(
    uow: UnitOfWork, now: datetime, tenant_key: str, ref: str, change: Change
) -> IncidentView:
    """Apply ``change`` to an open incident's clocks and save them (the caller audits, commits)."""
    bind_tenant(uow, tenant_key)
    incident = get_incident(uow, ref, lock=True)
    if incident.status == "closed":
        raise Conflict(f"incident '{ref}' is closed already", code="incident.invalid")
    clocks = change([BreachClock.from_json(c) for c in incident.clocks])
    saved = uow.incidents.save(
        ref,
        clocks=[c.to_json() for c in clocks],
        notifications=incident.notifications,
        status=incident.status,
        measures=incident.measures,
        closed_at=incident.closed_at,
    )
    return incident_view(saved, now)


def _apply(
    deps: Deps, tenant_key: str, actor: str, ref: str, change: Change, details: dict[str, Any]
) -> IncidentView:
    """One transaction: change the incident's clocks, audit ``details`` and commit."""
    now = deps.clock.now()
    with deps.make_uow() as uow:
        shown = _change_clocks(uow, now, tenant_key, ref, change)
        audit_change(uow, actor, now, details)
        uow.commit()
    return shown


def exempt_subjects(
    deps: Deps,
    tenant_key: str,
    actor: str,
    ref: str,
    code: str,
    justification: str,
) -> IncidentView:
    """Record a GDPR 34(3)(a)-(c) exception with its justification; (c) adds the public notice."""

    def change(clocks: list[BreachClock]) -> list[BreachClock]:
        return breach_exemptions.exempt_subjects(clocks, code, justification)

    details = {"ref": ref, "change": "subjects_exempted", "exception": code}
    return _apply(deps, tenant_key, actor, ref, change, details)


def delay_customer_notice(
    deps: Deps,
    tenant_key: str,
    actor: str,
    ref: str,
    *,
    directed_on: date,
    until: date,
    reference: str,
) -> IncidentView:
    """Record an agency's written direction (or extension) to delay FCC customer notice."""

    def change(clocks: list[BreachClock]) -> list[BreachClock]:
        return breach_delays.delay_customers(clocks, directed_on, until, reference)

    details = {"ref": ref, "change": "customers_delayed", "until": until.isoformat()}
    details |= {"directed_on": directed_on.isoformat()}
    return _apply(deps, tenant_key, actor, ref, change, details)


def lift_customer_delay(
    deps: Deps,
    tenant_key: str,
    actor: str,
    ref: str,
    *,
    lifted_on: date,
    reference: str,
) -> IncidentView:
    """Record the agency's word that customer notice no longer impedes it (from ``lifted_on``)."""

    def change(clocks: list[BreachClock]) -> list[BreachClock]:
        return breach_delays.lift_delay(clocks, lifted_on, reference)

    details = {"ref": ref, "change": "delay_lifted", "from": lifted_on.isoformat()}
    return _apply(deps, tenant_key, actor, ref, change, details)
