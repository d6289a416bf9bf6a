"""The visit log over HTTP: the page-view beacon and pixel (public: the visitor's browser calls them)
and the stats (admin role).

``Sec-GPC: 1`` or ``DNT: 1`` on a beacon keeps the visit anonymous: no visitor id, no subject. The
client IP and User-Agent are read here and reduced by the service; neither is stored.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from privault.bootstrap import Container
from privault.core.visits import VisitStats
from privault.http.deps import AdminDep, ContainerDep
from privault.http.limits import VISITS_LIMIT
from privault.http.text_json import json_from_text
from privault.services.visits import Hit, record_visit, visit_stats

router = APIRouter(tags=["visits"])
# A 1x1 transparent GIF (43 bytes).
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}
GpcHeader = Annotated[str | None, Header(alias="Sec-GPC")]
DntHeader = Annotated[str | None, Header(alias="DNT")]


class VisitIn(BaseModel):
    """A page view from the site's script. ``page`` is the path (a query string is dropped);
    ``referrer`` is ``document.referrer`` (only its host is kept); ``visitor`` is the cookie
    banner's visitor id (kept only if that visitor granted statistics cookies)."""

    tenant: str = Field(max_length=120)
    page: str = Field(examples=["/plans/unlimited"])
    referrer: str | None = Field(default=None, examples=["https://www.example.org/search?q=x"])
    visitor: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        """``navigator.sendBeacon`` posts text/plain (no CORS preflight): read it as JSON."""
        return json_from_text(data)


class CountOut(BaseModel):
    """A page, browser family or referrer host, and its visits."""

    key: str
    visits: int


class DayOut(BaseModel):
    """Visits on one UTC day."""

    day: date
    visits: int


class StatsOut(BaseModel):
    """Counts only: popular pages (top 20), visits per day, browsers, referrer hosts (top 20), and how
    many visits kept a consenting visitor id (``consented``) or were linked to a subject (``linked``)."""

    since: date
    until: date
    visits: int
    consented: int
    linked: int
    pages: list[CountOut]
    days: list[DayOut]
    browsers: list[CountOut]
    referrers: list[CountOut]


def _private(sec_gpc: str | None, dnt: str | None) -> bool:
    return (sec_gpc or "").strip() == "1" or (dnt or "").strip() == "1"


def _record(container: Container, tenant: str, hit: Hit) -> None:
    record_visit(
        container.deps,
        container.settings.visit_ip_mode,
        tenant,
        hit,
        container.clock.now(),
    )


def _hit(
    request: Request, page: str, referrer: str | None, visitor: str | None, private: bool
) -> Hit:
    return Hit(
        page=page,
        referrer=referrer,
        user_agent=request.headers.get("user-agent"),
        ip=request.client.host if request.client else None,
        visitor=visitor,
        private=private,
    )


@router.post(
    "/v1/visits",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=VISITS_LIMIT,
)
def post_visit(
    body: VisitIn,
    request: Request,
    container: ContainerDep,
    sec_gpc: GpcHeader = None,
    dnt: DntHeader = None,
) -> Response:
    """Record a page view (JSON, or text/plain JSON from ``navigator.sendBeacon``); 204."""
    private = _private(sec_gpc, dnt)
    hit = _hit(request, body.page, body.referrer, body.visitor, private)
    _record(container, body.tenant, hit)
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers=NO_STORE)


@router.get(
    "/v1/visits/pixel.gif",
    dependencies=VISITS_LIMIT,
    response_class=Response,
    responses={200: {"content": {"image/gif": {}}, "description": "A 1x1 transparent GIF."}},
)
def pixel(
    request: Request,
    container: ContainerDep,
    t: Annotated[str, Query(max_length=120, description="The tenant.")],
    p: Annotated[str, Query(description="The page's path.")],
    r: Annotated[str | None, Query(description="The referrer (only its host is kept).")] = None,
    sec_gpc: GpcHeader = None,
    dnt: DntHeader = None,
) -> Response:
    """Record a page view from ``<img src=".../v1/visits/pixel.gif?t=T&p=/path">`` (pages without
    JavaScript); answers a transparent GIF that is never cached."""
    _record(container, t, _hit(request, p, r, None, _private(sec_gpc, dnt)))
    return Response(content=PIXEL, media_type="image/gif", headers=NO_STORE)


def _stats_out(found: VisitStats) -> StatsOut:
    return StatsOut(
        since=found.since,
        until=found.until,
        visits=found.totals.visits,
        consented=found.totals.consented,
        linked=found.totals.linked,
        pages=[CountOut(key=c.key, visits=c.visits) for c in found.pages],
        days=[DayOut(day=d.day, visits=d.visits) for d in found.days],
        browsers=[CountOut(key=c.key, visits=c.visits) for c in found.browsers],
        referrers=[CountOut(key=c.key, visits=c.visits) for c in found.referrers],
    )


@router.get("/v1/visits/stats", response_model=StatsOut)
def stats(
    container: ContainerDep,
    principal: AdminDep,
    days: Annotated[int, Query(ge=1, le=366, description="UTC days up to today.")] = 30,
) -> StatsOut:
    """The tenant's visit statistics for the last ``days`` days (counts only)."""
    return _stats_out(
        visit_stats(container.deps, principal.tenant_key, days, container.clock.now())
    )
