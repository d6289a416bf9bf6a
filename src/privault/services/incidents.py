"""The incident/breach register: open an incident with its clocks, record notifications (late ones
with their reasons), close it, and render the notices. Every change is audited as ``incident:change``
in its own transaction; the audit trail carries the reference, regimes and counts, never descriptions.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from privault.core import breach_states, incident_notices
from privault.core import incidents as rules
from privault.core.manifest.resolve import TenantView, known_categories, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records_ports import IncidentRecord, IncidentStatus
from privault.core.taxonomy import is_within
from privault.errors import Conflict, InvalidInput, NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

_REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
NOTICES = ("authority", "subjects", "controller", "public")  # public: GDPR 34(3)(c)


@dataclass(frozen=True, slots=True)
class NewIncident:
    """What staff know when they open an incident."""

    title: str
    aware_at: datetime
    risk: str
    occurred_at: datetime | None = None
    description: str = ""
    categories: Sequence[str] = ()
    subjects_affected: int = 0
    regimes: Sequence[str] = ()
    measures: str = ""
    residents: Mapping[str, int] = field(default_factory=dict)  # US state -> people affected


@dataclass(frozen=True, slots=True)
class IncidentView:
    """An incident with its clocks and each clock's state now."""

    incident: IncidentRecord
    clocks: list[rules.BreachClock]
    states: list[str]

    @property
    def overdue(self) -> bool:
        """Any clock overdue."""
        return any(s.startswith("overdue") for s in self.states)


def incident_view(incident: IncidentRecord, now: datetime) -> IncidentView:
    """An incident with its clocks' states at ``now``."""
    clocks = [rules.BreachClock.from_json(c) for c in incident.clocks]
    return IncidentView(incident, clocks, [rules.clock_state(c, now) for c in clocks])


def audit_change(uow: UnitOfWork, actor: str, at: datetime, details: dict[str, Any]) -> None:
    """Audit one change to the register (``incident:change``), inside the transaction."""
    record(uow, [Entry(actor, "incident:change", None, None, "ok", details)], at)


# --- checks -------------------------------------------------------------------------------------


def _check_categories(view: TenantView, categories: Sequence[str]) -> None:
    known = known_categories(view.manifest)
    unknown = [c for c in categories if c not in known and not any(is_within(k, c) for k in known)]
    if unknown:
        raise InvalidInput(
            f"unknown data categor{'ies' if len(unknown) > 1 else 'y'}: {', '.join(unknown)}",
            code="category.unknown",
        )


def _check_new(view: TenantView, item: NewIncident, now: datetime) -> None:
    problems = []
    if not item.title.strip() or len(item.title) > 300:
        problems.append("a title of 1 to 300 characters")
    if item.risk not in rules.RISKS:
        problems.append(f"a risk of {', '.join(rules.RISKS)}")
    if item.subjects_affected < 0:
        problems.append("a number of subjects affected of 0 or more")
    if item.aware_at.tzinfo is None or (item.occurred_at and item.occurred_at.tzinfo is None):
        problems.append("instants with their time zone")
    elif item.aware_at > now:
        problems.append("an awareness time that is not in the future")
    elif item.occurred_at and item.occurred_at > item.aware_at:
        problems.append("an occurrence no later than awareness")
    if problems:
        raise InvalidInput("an incident needs " + "; ".join(problems), code="incident.invalid")
    _check_categories(view, item.categories)


# --- use cases ----------------------------------------------------------------------------------


def open_incident(
    deps: Deps,
    tenant_key: str,
    actor: str,
    item: NewIncident,
    *,
    fcc_rule: str = "fcc_23_111",
) -> IncidentView:
    """Record an incident and start its clocks (regimes: the tenant's applicable ones by default,
    and the US states where affected people live; ``fcc_rule``: the setting)."""
    view = tenant_view(deps.manifest, tenant_key)
    now = deps.clock.now()
    _check_new(view, item, now)
    residents = breach_states.check_residents(item.residents)
    regimes = rules.choose_regimes(view, item.regimes, residents)
    clocks = rules.compute_clocks(
        view, regimes, item.aware_at, item.risk, item.subjects_affected, residents, fcc_rule
    )
    ref = "I-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        created = _add(uow, ref, actor, item, regimes, clocks, now)
        details = {"ref": ref, "change": "opened", "risk": item.risk, "regimes": regimes}
        details |= {"states": sorted(residents)} if residents else {}
        audit_change(uow, actor, now, details | {"subjects_affected": item.subjects_affected})
        uow.commit()
    return incident_view(created, now)


def _add(
    uow: UnitOfWork,
    ref: str,
    actor: str,
    item: NewIncident,
    regimes: list[str],
    clocks: list[rules.BreachClock],
    now: datetime,
) -> IncidentRecord:
    """Store the new incident with its clocks (the caller audits and commits)."""
    return uow.incidents.add(
        ref=ref,
        title=item.title.strip(),
        description=item.description,
        aware_at=item.aware_at,
        occurred_at=item.occurred_at,
        categories=list(dict.fromkeys(item.categories)),
        subjects_affected=item.subjects_affected,
        risk=item.risk,
        regimes=regimes,
        clocks=[c.to_json() for c in clocks],
        measures=item.measures,
        created_by=actor,
        at=now,
        retain_until=rules.retain_until(regimes, item.aware_at),
    )


def get_incident(uow: UnitOfWork, ref: str, *, lock: bool = False) -> IncidentRecord:
    """The incident ``ref`` (locked for an update when ``lock``), or ``incident.unknown``."""
    found = uow.incidents.get(ref, lock=lock)
    if found is None:
        raise NotFound(f"no incident '{ref}'", code="incident.unknown")
    return found


def list_incidents(deps: Deps, tenant_key: str, *, open_only: bool = False) -> list[IncidentView]:
    """The register, newest first, with each clock's state."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        now = deps.clock.now()
        return [incident_view(i, now) for i in uow.incidents.all(open_only=open_only)]


def show_incident(deps: Deps, tenant_key: str, ref: str) -> IncidentView:
    """One incident with its clocks and notifications."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return incident_view(get_incident(uow, ref), deps.clock.now())


def notify_incident(
    deps: Deps,
    tenant_key: str,
    actor: str,
    ref: str,
    target: str,
    at: datetime | None = None,
    *,
    late_reason: str | None = None,
    reference: str | None = None,
    law_enforcement_agrees: bool = False,
) -> IncidentView:
    """Record that ``target`` was told (at ``at``, default now); late notices need their reasons."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        now = deps.clock.now()
        when = at or now
        if when.tzinfo is None or when > now:
            raise InvalidInput(
                "a notification time has its time zone and is not in the future",
                code="incident.invalid",
            )
        incident = get_incident(uow, ref, lock=True)
        saved = _notify(
            uow, incident, actor, target, when, late_reason, reference, law_enforcement_agrees, now
        )
        uow.commit()
    return incident_view(saved, now)


def _notify(
    uow: UnitOfWork,
    incident: IncidentRecord,
    actor: str,
    target: str,
    when: datetime,
    late_reason: str | None,
    reference: str | None,
    law_enforcement_agrees: bool,
    now: datetime,
) -> IncidentRecord:
    """Satisfy ``target``'s clocks, add the note and audit (the caller commits)."""
    ref = incident.ref
    if when < incident.aware_at:
        raise InvalidInput("a notification cannot precede awareness", code="incident.invalid")
    clocks = [rules.BreachClock.from_json(c) for c in incident.clocks]
    updated, satisfied = rules.notify(
        clocks, target, when, late_reason, law_enforcement_agrees=law_enforcement_agrees
    )
    note = {
        "to": target,
        "at": when.isoformat(),
        "by": actor,
        "reference": reference,
        "late_reason": (late_reason or "").strip() or None,
        "rules": sorted({c.rule for c in satisfied}),
        "law_enforcement_agrees": law_enforcement_agrees,
    }
    saved = uow.incidents.save(
        ref,
        clocks=[c.to_json() for c in updated],
        notifications=[*incident.notifications, note],
        status=incident.status,
        measures=incident.measures,
        closed_at=incident.closed_at,
    )
    late = any(c.late_reason for c in satisfied)
    audit_change(uow, actor, now, {"ref": ref, "change": "notified", "to": target, "late": late})
    return saved


def close_incident(
    deps: Deps,
    tenant_key: str,
    actor: str,
    ref: str,
    *,
    measures: str | None = None,
    waive_reason: str | None = None,
) -> IncidentView:
    """Close an incident; clocks still open need the reason they were not needed (e.g. 34(3))."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        now = deps.clock.now()
        saved = _close(uow, get_incident(uow, ref, lock=True), actor, measures, waive_reason, now)
        uow.commit()
    return incident_view(saved, now)


def _close(
    uow: UnitOfWork,
    incident: IncidentRecord,
    actor: str,
    measures: str | None,
    waive_reason: str | None,
    now: datetime,
) -> IncidentRecord:
    """Close the incident, waiving its open clocks with the reason, and audit (the caller commits)."""
    ref = incident.ref
    if incident.status == "closed":
        raise Conflict(f"incident '{ref}' is closed already", code="incident.invalid")
    clocks = [rules.BreachClock.from_json(c) for c in incident.clocks]
    pending = [f"{c.notify} ({c.rule})" for c in clocks if c.done_at is None and c.waived is None]
    reason = (waive_reason or "").strip()
    if pending and not reason:
        raise Conflict(
            f"notifications still open: {', '.join(pending)}; make them or give the reason they "
            "are not needed",
            code="incident.invalid",
        )
    saved = uow.incidents.save(
        ref,
        clocks=[c.to_json() for c in rules.waive_open(clocks, reason)],
        notifications=incident.notifications,
        status=IncidentStatus.CLOSED,
        measures=incident.measures if measures is None else measures,
        closed_at=now,
    )
    audit_change(uow, actor, now, {"ref": ref, "change": "closed", "waived": len(pending)})
    return saved


# --- notices ------------------------------------------------------------------------------------


def _notice_context(view: TenantView, shown: IncidentView, to: str) -> dict[str, Any]:
    tenant, incident = view.tenant, shown.incident
    client = tenant.client if tenant.role == "processor" else None
    contact = tenant.dpo or tenant.contact
    return {
        "to": to,
        "incident": incident,
        "controller": client.name if client else tenant.name,
        "processor": view.manifest.organization.name if client else None,
        "contact_title": "Data protection officer" if tenant.dpo else "Privacy contact",
        "contact": contact,
        "categories": incident_notices.category_names(view, incident.categories),
        "consequences": incident_notices.likely_consequences(view, incident.categories),
        "authorities": sorted({c.whom for c in shown.clocks if c.notify == "authority"}),
        "rules": sorted({c.rule for c in shown.clocks if c.notify == to}),
        "late_reasons": sorted({c.late_reason for c in shown.clocks if c.late_reason}),
        "phased": not incident.description or not incident.measures,
    }


def render_notice(deps: Deps, tenant_key: str, ref: str, to: str) -> str:
    """The notice to the authority (GDPR 33(3)(a)-(d)), the controller, the subjects (34(2)) or
    the public communication that replaces the subjects' notices (34(3)(c), same content)."""
    if to not in NOTICES:
        raise InvalidInput(
            f"a notice goes to one of: {', '.join(NOTICES)}", code="incident.invalid"
        )
    view = tenant_view(deps.manifest, tenant_key)
    shown = show_incident(deps, tenant_key, ref)
    name = "subjects.md" if to in ("subjects", "public") else "authority.md"
    return deps.renderer.render(f"incidents/{name}", _notice_context(view, shown, to))  # Markdown


def with_clock_states(shown: IncidentView) -> list[dict[str, Any]]:
    """Each clock as JSON-ready data with its state now."""
    return [c.to_json() | {"state": s} for c, s in zip(shown.clocks, shown.states, strict=True)]


def incident_dict(shown: IncidentView) -> dict[str, Any]:
    """An incident as JSON-ready data (for the API and ``--json``)."""
    i = shown.incident
    return {
        "ref": i.ref,
        "title": i.title,
        "description": i.description,
        "status": i.status,
        "aware_at": i.aware_at.isoformat(),
        "occurred_at": i.occurred_at.isoformat() if i.occurred_at else None,
        "categories": list(i.categories),
        "subjects_affected": i.subjects_affected,
        "risk": i.risk,
        "regimes": list(i.regimes),
        "measures": i.measures,
        "clocks": with_clock_states(shown),
        "notifications": i.notifications,
        "created_by": i.created_by,
        "closed_at": i.closed_at.isoformat() if i.closed_at else None,
        "retain_until": i.retain_until.isoformat(),
        "overdue": shown.overdue,
    }
