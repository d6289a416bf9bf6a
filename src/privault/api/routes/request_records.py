"""The CCPA's verification levels, request log and metrics over HTTP: the requester's signed declaration
(11 CCR §7062(c)), staff evidence (§§7061-7062), the §7101(b) log and the §7102 metrics."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from privault.api.routes.requests import DetailOut, StatusOut, request_status, show
from privault.core.ids import Year
from privault.core.verification import DECLARATION_TEXT, DECLARATION_VERSION
from privault.http.deps import AdminDep, ContainerDep
from privault.services import requests as svc

router = APIRouter(tags=["requests"])


class DeclarationIn(BaseModel):
    """The requester signs the declaration by typing their full name under it."""

    name: str = Field(min_length=1, max_length=200, description="The requester's full name.")
    agree: Literal[True] = Field(description=f"Signs: {DECLARATION_TEXT}")


class Statement(BaseModel):
    """The statement a requester signs."""

    version: str
    text: str


@router.get("/v1/requests/declaration", response_model=Statement)
def declaration() -> Statement:
    """The declaration under penalty of perjury a request for specific pieces needs (§7062(c))."""
    return Statement(version=DECLARATION_VERSION, text=DECLARATION_TEXT)


@router.post("/v1/requests/status/{token}/declaration", response_model=StatusOut)
def declare(
    token: str, body: DeclarationIn, container: ContainerDep, response: Response
) -> StatusOut:
    """Sign the declaration; once every code is entered and the level is met, it is verified."""
    tenant, ref = svc.ref_for_token(container.deps, token)
    svc.sign_declaration(container.deps, tenant, ref, body.name)
    return request_status(token, container, response)


class EvidenceIn(BaseModel):
    """How staff verified a requester: a note, the data points matched, the account."""

    note: str = Field(min_length=1, max_length=2000)
    points: list[str] = Field(default=[], max_length=20, description="Names, never values.")
    account: bool = Field(default=False, description="Re-authenticated through their account.")


@router.post("/v1/requests/{ref}/evidence", response_model=DetailOut)
def evidence(ref: str, body: EvidenceIn, admin: AdminDep, container: ContainerDep) -> DetailOut:
    """Verify by hand with the evidence (422 ``verification.insufficient`` below the level)."""
    svc.verify_manually(
        container.deps,
        admin.tenant_key,
        ref,
        admin.actor,
        body.note,
        points=body.points,
        account=body.account,
    )
    return show(ref, admin, container)


class LogEntryOut(BaseModel):
    """One request in the §7101(b) log."""

    ref: str
    requested_on: date
    nature: str
    manner: str
    responded_on: date | None
    response: str
    denial_basis: str


@router.get("/v1/request-log", response_model=list[LogEntryOut])
def request_log(
    admin: AdminDep,
    container: ContainerDep,
    first: date = Query(alias="from"),
    last: date = Query(alias="to"),
) -> list[LogEntryOut]:
    """The §7101(b) log of the requests received from ``from`` to ``to``."""
    entries = svc.request_log(container.deps, admin.tenant_key, first, last)
    return [LogEntryOut.model_validate(e, from_attributes=True) for e in entries]


class KindOut(BaseModel):
    """One request type's figures."""

    kind: str
    received: int
    complied: int
    denied: int
    median_days: float | None
    mean_days: float | None


class MetricsOut(BaseModel):
    """The §7102 metrics of a calendar year."""

    year: int
    disclose_by: date
    consumers: int
    required: bool
    kinds: list[KindOut]
    denied_because: dict[str, int]


@router.get("/v1/request-metrics", response_model=MetricsOut)
def request_metrics(
    admin: AdminDep, container: ContainerDep, year: Year | None = None
) -> MetricsOut:
    """The §7102 metrics (default: the previous calendar year)."""
    found = svc.request_metrics(container.deps, admin.tenant_key, year)
    return MetricsOut.model_validate(found, from_attributes=True)
