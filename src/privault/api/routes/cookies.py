"""Cookie choices from the banner (public: the visitor's browser calls these), and GPC.

A request carrying ``Sec-GPC: 1`` is an opt-out of sale/sharing and of marketing cookies for the
visitor (and a linked subject), recorded once with method ``gpc``; the answer says
"Opt-Out Request Honored" (CCPA §7025(c)(6)).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Request, status
from pydantic import BaseModel, Field

from privault.core.consent import Choice, Kind, Method, Via
from privault.errors import InvalidInput
from privault.http.deps import ContainerDep
from privault.services.consent import Evidence, Holder, honour_gpc, record_choices
from privault.services.cookies import cookie_status

router = APIRouter(tags=["cookies"])
HONOURED = "Opt-Out Request Honored"
GPC_SINCE = "2026-11-29"  # the day privault started honouring GPC (the resource's lastUpdate)
GpcHeader = Annotated[str | None, Header(alias="Sec-GPC")]


class CookieChoicesIn(BaseModel):
    """What the visitor chose in the banner: accept (all), reject (all) or save (each category)."""

    visitor: str
    method: Method = Field(description="accept, reject or save")
    choices: dict[str, bool] = Field(
        default_factory=dict, description="With save: every offered category, true or false."
    )
    notice_version: str | None = Field(default=None, max_length=64)
    shown: str | None = Field(default=None, max_length=500, examples=["banner v3: Save choices"])


class CookieStatusOut(BaseModel):
    """The visitor's choices (null = not asked yet), whether to ask again, and GPC."""

    choices: dict[str, bool | None]
    reask: bool
    reason: str | None
    gpc: bool
    gpc_message: str | None
    decided_at: datetime | None
    exempt: list[str] = Field(
        default_factory=list,
        description="Categories on without consent until the visitor objects (UK PECR Sch. A1).",
    )
    notice: bool = Field(
        default=False, description="The visitor must still be told of the exempt categories."
    )
    sale_opt_in_ask_after: datetime | None = Field(
        default=None,
        description="CCPA-OI-1: the visitor opted out of sale or sharing; do not ask them to opt "
        "back in before this instant (Cal. Civ. Code 1798.135(c)(4)). Null: no such hold.",
    )


class GpcOut(BaseModel):
    """The GPC support resource (https://privacycg.github.io/gpc-spec/)."""

    gpc: bool
    lastUpdate: str  # noqa: N815 - the field name the GPC specification fixes


def _evidence(request: Request, method: Method, body: CookieChoicesIn | None = None) -> Evidence:
    return Evidence(
        method,
        Via.WEB,
        notice_version=body.notice_version if body else None,
        shown=body.shown if body else None,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def _choices(offered: list[str], body: CookieChoicesIn) -> list[Choice]:
    if body.method is Method.ACCEPT:
        return [Choice(Kind.COOKIE, key, True) for key in offered]
    if body.method is Method.REJECT:
        return [Choice(Kind.COOKIE, key, False) for key in offered]
    if body.method is not Method.SAVE:
        raise InvalidInput("the banner's method is accept, reject or save", code="consent.invalid")
    missing = sorted(set(offered) - set(body.choices))
    if missing:
        raise InvalidInput(
            f"save needs an explicit choice for every category (missing: {', '.join(missing)})",
            code="consent.invalid",
        )
    return [Choice(Kind.COOKIE, key, value) for key, value in sorted(body.choices.items())]


def _status(container: ContainerDep, tenant: str, visitor: str) -> CookieStatusOut:
    found = cookie_status(container.deps, tenant, visitor, container.clock.now())
    return CookieStatusOut(
        choices=found.choices,
        reask=found.reask,
        reason=found.reason,
        gpc=found.gpc,
        gpc_message=HONOURED if found.gpc else None,
        decided_at=found.decided_at,
        exempt=list(found.exempt),
        notice=found.notice,
        sale_opt_in_ask_after=found.sale_opt_in_ask_after,
    )


@router.post(
    "/v1/tenants/{tenant}/cookie-consent",
    response_model=CookieStatusOut,
    status_code=status.HTTP_201_CREATED,
)
def choose(
    tenant: str,
    body: CookieChoicesIn,
    request: Request,
    container: ContainerDep,
    sec_gpc: GpcHeader = None,
) -> CookieStatusOut:
    """Record the visitor's banner choice (non-necessary categories only; all start refused)."""
    view = container.decider.view(tenant)
    offered = [c.key.value for c in view.cookie_categories if c.key.value != "necessary"]
    choices = _choices(offered, body)
    holder, at = Holder(visitor=body.visitor), container.clock.now()
    actor = f"visitor:{body.visitor[:8]}"
    evidence = _evidence(request, body.method, body)
    record_choices(container.deps, tenant, actor, holder, choices, evidence, at)
    if sec_gpc == "1":
        honour_gpc(container.deps, tenant, holder, _evidence(request, Method.GPC), at)
    return _status(container, tenant, body.visitor)


@router.get("/v1/tenants/{tenant}/cookie-consent/{visitor}", response_model=CookieStatusOut)
def status_(
    tenant: str,
    visitor: str,
    request: Request,
    container: ContainerDep,
    sec_gpc: GpcHeader = None,
) -> CookieStatusOut:
    """The visitor's choices and whether the banner must ask again (a GPC signal is honoured here too)."""
    container.decider.view(tenant)
    if sec_gpc == "1":
        honour_gpc(
            container.deps,
            tenant,
            Holder(visitor=visitor),
            _evidence(request, Method.GPC),
            container.clock.now(),
        )
    return _status(container, tenant, visitor)


@router.get("/.well-known/gpc.json", response_model=GpcOut)
def gpc_json() -> GpcOut:
    """privault honours Global Privacy Control."""
    return GpcOut(gpc=True, lastUpdate=GPC_SINCE)
