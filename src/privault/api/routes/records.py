"""Records over HTTP (admin role): the records of processing, impact assessments and incidents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from privault.core.ids import Count, Id
from privault.http.deps import AdminDep, ContainerDep
from privault.services import dpias as dpia_svc
from privault.services import incidents as incident_svc
from privault.services.ropa import MEDIA_TYPES, export_ropa

router = APIRouter(tags=["records"])


@router.get("/v1/ropa")
def ropa(
    admin: AdminDep,
    container: ContainerDep,
    format: Literal["json", "csv", "html"] = Query("json"),
) -> Response:
    """The tenant's records of processing (GDPR Art. 30) as JSON, CSV or HTML (audited)."""
    text = export_ropa(container.deps, admin.tenant_key, admin.actor, format)
    return Response(text, media_type=MEDIA_TYPES[format])


# --- DPIAs --------------------------------------------------------------------------------------


class DpiaIn(BaseModel):
    """A draft impact assessment of one of the tenant's purposes."""

    purpose: str
    title: str = Field(min_length=1, max_length=300)
    risks: str = ""
    measures: str = ""
    residual_risk: Literal["", "low", "medium", "high"] = ""


class DecisionIn(BaseModel):
    """The decision on an assessment."""

    decision: Literal["approved", "rejected"]
    reviewer: str = Field(min_length=1, max_length=200)
    review_on: date | None = None
    residual_risk: Literal["low", "medium", "high"] | None = None


def _dpia(view: dpia_svc.DpiaView) -> dict[str, Any]:
    d = view.dpia
    return {
        "id": d.id,
        "purpose": d.purpose,
        "title": d.title,
        "status": d.status,
        "state": view.state,
        "risks": d.risks,
        "measures": d.measures,
        "residual_risk": d.residual_risk,
        "reviewer": d.reviewer,
        "decided_at": d.decided_at.isoformat() if d.decided_at else None,
        "review_on": d.review_on.isoformat() if d.review_on else None,
    }


@router.post("/v1/dpias", status_code=status.HTTP_201_CREATED)
def add_dpia(body: DpiaIn, admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """Record a draft assessment (audited as records:dpia)."""
    item = dpia_svc.NewDpia(**body.model_dump())
    added = dpia_svc.add_dpia(container.deps, admin.tenant_key, admin.actor, item)
    return _dpia(added)


@router.get("/v1/dpias")
def list_dpias(
    admin: AdminDep,
    container: ContainerDep,
    missing: bool = Query(False, description="Only purposes lacking an approved, unexpired DPIA."),
) -> list[dict[str, Any]]:
    """The register, or the purposes that need an approved DPIA and lack one."""
    if missing:
        gaps = dpia_svc.missing(container.deps, admin.tenant_key)
        return [{"purpose": p, "state": s} for p, s in gaps]
    return [_dpia(v) for v in dpia_svc.list_dpias(container.deps, admin.tenant_key)]


@router.post("/v1/dpias/{dpia_id}/decision")
def decide_dpia(
    dpia_id: Id, body: DecisionIn, admin: AdminDep, container: ContainerDep
) -> dict[str, Any]:
    """Approve or reject an assessment (audited as records:dpia)."""
    decided = dpia_svc.decide_dpia(
        container.deps,
        admin.tenant_key,
        admin.actor,
        dpia_id,
        body.decision,
        reviewer=body.reviewer,
        review_on=body.review_on,
        residual_risk=body.residual_risk,
    )
    return _dpia(decided)


# --- incidents ----------------------------------------------------------------------------------


class IncidentIn(BaseModel):
    """What is known when an incident is opened."""

    title: str = Field(min_length=1, max_length=300)
    aware_at: datetime | None = Field(None, description="Default: now. With its offset.")
    occurred_at: datetime | None = None
    risk: Literal["none", "low", "high"]
    description: str = ""
    categories: list[str] = []
    subjects_affected: Count = 0
    regimes: list[Literal["gdpr", "fcc", "pipeda", "quebec", "dpdp", "us-states"]] = []
    measures: str = ""
    residents: dict[str, Count] = Field(
        default_factory=dict,
        description='People affected per US state of residence, e.g. {"CA": 1200}: each state\'s '
        "breach clock.",
    )


class NotificationIn(BaseModel):
    """A notification made."""

    to: Literal[
        "authority",
        "subjects",
        "law_enforcement",
        "controller",
        "fcc",
        "attorney_general",
        "public",
    ]
    at: datetime | None = Field(None, description="Default: now. With its offset.")
    late_reason: str | None = None
    reference: str | None = None
    law_enforcement_agrees: bool = False


class CloseIn(BaseModel):
    """Closing an incident."""

    measures: str | None = None
    waive_reason: str | None = None


@router.post("/v1/incidents", status_code=status.HTTP_201_CREATED)
def open_incident(body: IncidentIn, admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """Open an incident and start its clocks (audited as incident:change)."""
    values = body.model_dump()
    values["aware_at"] = body.aware_at or container.clock.now()
    item = incident_svc.NewIncident(**values)
    shown = incident_svc.open_incident(
        container.deps,
        admin.tenant_key,
        admin.actor,
        item,
        fcc_rule=container.settings.fcc_breach_rule,
    )
    return incident_svc.incident_dict(shown)


@router.get("/v1/incidents")
def list_incidents(
    admin: AdminDep,
    container: ContainerDep,
    open_only: bool = Query(False, alias="open", description="Only open incidents."),
) -> list[dict[str, Any]]:
    """The register, newest first, with each clock's state."""
    shown = incident_svc.list_incidents(container.deps, admin.tenant_key, open_only=open_only)
    return [incident_svc.incident_dict(s) for s in shown]


@router.get("/v1/incidents/{ref}")
def show_incident(
    ref: str,
    admin: AdminDep,
    container: ContainerDep,
    notice: Literal["authority", "subjects", "controller", "public"] | None = Query(
        None, description="Return this notice (Markdown) instead."
    ),
) -> Any:
    """One incident with its clocks and notifications, or one of its notices."""
    if notice is not None:
        text = incident_svc.render_notice(container.deps, admin.tenant_key, ref, notice)
        return Response(text, media_type="text/markdown; charset=utf-8")
    shown = incident_svc.show_incident(container.deps, admin.tenant_key, ref)
    return incident_svc.incident_dict(shown)


@router.post("/v1/incidents/{ref}/notifications")
def notify(
    ref: str, body: NotificationIn, admin: AdminDep, container: ContainerDep
) -> dict[str, Any]:
    """Record a notification; after its due time it needs its late reason (GDPR 33(1))."""
    shown = incident_svc.notify_incident(
        container.deps,
        admin.tenant_key,
        admin.actor,
        ref,
        body.to,
        body.at,
        late_reason=body.late_reason,
        reference=body.reference,
        law_enforcement_agrees=body.law_enforcement_agrees,
    )
    return incident_svc.incident_dict(shown)


@router.post("/v1/incidents/{ref}/close")
def close(ref: str, body: CloseIn, admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """Close an incident; open clocks need the reason they are not needed."""
    shown = incident_svc.close_incident(
        container.deps,
        admin.tenant_key,
        admin.actor,
        ref,
        measures=body.measures,
        waive_reason=body.waive_reason,
    )
    return incident_svc.incident_dict(shown)
