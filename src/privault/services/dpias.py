"""The impact assessment register (GDPR Art. 35): entries linked to a purpose, drafted then decided.

An approval needs its reviewer, a review date after the decision and a residual risk of low or
medium: a high residual risk calls for prior consultation of the supervisory authority (Art. 36), so
it can only be rejected here. A purpose marked ``requires_dpia`` without an approved assessment whose
review date has not passed is reported (``missing_dpias``, and in the records of processing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from privault.core.manifest.resolve import tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records_ports import DpiaRecord, DpiaStatus
from privault.core.ropa import dpia_state, missing_dpias
from privault.errors import Conflict, InvalidInput, NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

RESIDUAL_RISKS = ("low", "medium", "high")
DECISIONS = ("approved", "rejected")


@dataclass(frozen=True, slots=True)
class NewDpia:
    """A draft assessment."""

    purpose: str
    title: str
    risks: str = ""
    measures: str = ""
    residual_risk: str = ""


@dataclass(frozen=True, slots=True)
class DpiaView:
    """An assessment with its state today (``approved``, ``expired``, ``draft``, ``rejected``)."""

    dpia: DpiaRecord
    state: str


def _state(dpia: DpiaRecord, today: date) -> str:
    if dpia.status == "approved" and dpia.review_on is not None and dpia.review_on < today:
        return "expired"
    return dpia.status


def _check_risk(value: str, *, required: bool) -> None:
    if (value or required) and value not in RESIDUAL_RISKS:
        raise InvalidInput(
            f"residual risk is one of {', '.join(RESIDUAL_RISKS)}", code="dpia.invalid"
        )


def add_dpia(deps: Deps, tenant_key: str, actor: str, item: NewDpia) -> DpiaView:
    """Record a draft assessment of one of the tenant's purposes."""
    view = tenant_view(deps.manifest, tenant_key)
    if view.purpose(item.purpose) is None:
        raise NotFound(
            f"tenant '{tenant_key}' has no purpose '{item.purpose}'", code="purpose.unknown"
        )
    if not item.title.strip() or len(item.title) > 300:
        raise InvalidInput("a DPIA needs a title of 1 to 300 characters", code="dpia.invalid")
    _check_risk(item.residual_risk, required=False)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        now = deps.clock.now()
        created = uow.dpias.add(
            item.purpose, item.title.strip(), item.risks, item.measures, item.residual_risk, now
        )
        details = {"dpia": created.id, "purpose": item.purpose, "change": "added"}
        record(uow, [Entry(actor, "records:dpia", None, item.purpose, "ok", details)], now)
        uow.commit()
    return DpiaView(created, created.status)


def decide_dpia(
    deps: Deps,
    tenant_key: str,
    actor: str,
    dpia_id: int,
    decision: str,
    *,
    reviewer: str,
    review_on: date | None = None,
    residual_risk: str | None = None,
) -> DpiaView:
    """Approve or reject an assessment; an approved one may be decided again at its review."""
    if decision not in DECISIONS:
        raise InvalidInput("decide 'approved' or 'rejected'", code="dpia.invalid")
    if not reviewer.strip():
        raise InvalidInput("a decision names its reviewer", code="dpia.invalid")
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        current = _open_dpia(uow, dpia_id)
        now = deps.clock.now()
        risk = current.residual_risk if residual_risk is None else residual_risk
        if decision == "approved":
            _check_approval(risk, review_on, now.date())
        else:
            _check_risk(risk, required=False)
        status = DpiaStatus(decision)
        decided = uow.dpias.decide(dpia_id, status, risk, reviewer.strip(), review_on, now)
        details = {"dpia": dpia_id, "purpose": current.purpose, "change": decision, "risk": risk}
        record(uow, [Entry(actor, "records:dpia", None, current.purpose, "ok", details)], now)
        uow.commit()
    return DpiaView(decided, _state(decided, now.date()))


def _open_dpia(uow: UnitOfWork, dpia_id: int) -> DpiaRecord:
    """The assessment, locked for its decision; a rejected one cannot be decided again."""
    current = uow.dpias.get(dpia_id, lock=True)
    if current is None:
        raise NotFound(f"no impact assessment {dpia_id}", code="dpia.unknown")
    if current.status == "rejected":
        raise Conflict(
            f"impact assessment {dpia_id} was rejected: add a new one", code="dpia.invalid"
        )
    return current


def _check_approval(risk: str, review_on: date | None, today: date) -> None:
    _check_risk(risk, required=True)
    if risk == "high":
        raise InvalidInput(
            "a high residual risk needs prior consultation of the supervisory authority "
            "(GDPR Art. 36): reduce the risk or reject",
            code="dpia.invalid",
        )
    if review_on is None or review_on <= today:
        raise InvalidInput("an approval sets a review date after today", code="dpia.invalid")


def list_dpias(deps: Deps, tenant_key: str) -> list[DpiaView]:
    """Every assessment of the tenant, with its state today."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        today = deps.clock.now().date()
        return [DpiaView(d, _state(d, today)) for d in uow.dpias.all()]


def missing(deps: Deps, tenant_key: str) -> list[tuple[str, str]]:
    """Purposes requiring an assessment without an approved, unexpired one: (purpose, state)."""
    view = tenant_view(deps.manifest, tenant_key)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        dpias, today = uow.dpias.all(), deps.clock.now().date()
    return [(key, dpia_state(key, dpias, today)) for key in missing_dpias(view, dpias, today)]
