"""Exceptions to an incident's notices over HTTP (admin role): a GDPR Art. 34(3) exception to
telling the data subjects, and a law-enforcement delay of FCC customer notice (47 CFR
64.2011(a)(2)) with its lifting."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from privault.http.deps import AdminDep, ContainerDep
from privault.services import incident_exceptions as svc
from privault.services.incidents import incident_dict

router = APIRouter(tags=["records"])


class ExemptionIn(BaseModel):
    """A GDPR Art. 34(3) exception and why it applies."""

    code: Literal["34(3)(a)", "34(3)(b)", "34(3)(c)"]
    justification: str = Field(min_length=1, max_length=2000)


class DelayIn(BaseModel):
    """An agency's written direction (or extension) not to notify customers yet."""

    until: date = Field(description="The delay's last day.")
    reference: str = Field(min_length=1, max_length=300)
    directed_on: date | None = Field(None, description="Default: today.")


class LiftIn(BaseModel):
    """The agency's written word that customer notice no longer impedes it."""

    reference: str = Field(min_length=1, max_length=300)
    lifted_on: date | None = Field(None, description="Customers may be told from then; today.")


@router.post("/v1/incidents/{ref}/exemption")
def exempt(ref: str, body: ExemptionIn, admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """Close the data subjects' notice under Art. 34(3); (c) opens the public communication."""
    shown = svc.exempt_subjects(
        container.deps, admin.tenant_key, admin.actor, ref, body.code, body.justification
    )
    return incident_dict(shown)


@router.post("/v1/incidents/{ref}/delay")
def delay(ref: str, body: DelayIn, admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """Record a law-enforcement delay of FCC customer notice (at most 30 days at first)."""
    shown = svc.delay_customer_notice(
        container.deps,
        admin.tenant_key,
        admin.actor,
        ref,
        directed_on=body.directed_on or container.clock.now().date(),
        until=body.until,
        reference=body.reference,
    )
    return incident_dict(shown)


@router.post("/v1/incidents/{ref}/delay/lift")
def lift(ref: str, body: LiftIn, admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """Record that the agency lifted its delay: customers may be told from ``lifted_on``."""
    shown = svc.lift_customer_delay(
        container.deps,
        admin.tenant_key,
        admin.actor,
        ref,
        lifted_on=body.lifted_on or container.clock.now().date(),
        reference=body.reference,
    )
    return incident_dict(shown)
