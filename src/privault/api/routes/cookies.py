"""Cookie choices from the banner (public: the visitor's browser calls these), and GPC.

A request carrying ``Sec-GPC: 1`` is an opt-out of sale/sharing and of marketing cookies for the
visitor (and a linked subject), recorded once with method ``gpc``; the answer says
"Opt-Out Request Honored" (CCPA §7025(c)(6)).

Both endpoints act only for the visitor this browser proves it is (the HttpOnly proof cookie,
``services/visitor_proof.py``): the status names that visitor (a new one, with its proof set, when the
browser has none) whatever id the path gives, and a choice for any other visitor is refused (403).
The brands' sites may call them with credentials (the proof cookie): the answers allow it for their
origins, and the choice may come as ``text/plain`` JSON, which needs no CORS preflight.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response, status
from pydantic import BaseModel, Field, model_validator

from privault.core.consent import Choice, Kind, Method, Via
from privault.errors import Forbidden, InvalidInput
from privault.http.deps import ContainerDep
from privault.http.limits import BANNER_LIMIT
from privault.http.text_json import json_from_text
from privault.http.visitor import proof_value, set_proof, this_visitor
from privault.services.consent import Evidence, Holder, honour_gpc, record_choices
from privault.services.cookies import cookie_status
from privault.services.visitor_proof import CODE, require_proof

router = APIRouter(tags=["cookies"])
HONOURED = "Opt-Out Request Honored"
GPC_SINCE = "2026-11-29"  # the day privault started honouring GPC (the resource's lastUpdate)
GpcHeader = Annotated[str | None, Header(alias="Sec-GPC")]


class CookieChoicesIn(BaseModel):
    """What the visitor chose in the banner: accept (all), reject (all) or save (each category)."""

    visitor: str = Field(
        description="The visitor id the status answered; the browser must prove it."
    )
    method: Method = Field(description="accept, reject or save")
    choices: dict[str, bool] = Field(
        default_factory=dict, description="With save: every offered category, true or false."
    )
    notice_version: str | None = Field(default=None, max_length=64)
    shown: str | None = Field(default=None, max_length=500, examples=["banner v3: Save choices"])

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        """A cross-origin banner posts text/plain (no CORS preflight): read it as JSON."""
        return json_from_text(data)


class CookieStatusOut(BaseModel):
    """The visitor's choices (null = not asked yet), whether to ask again, and GPC."""

    visitor: str | None = Field(
        default=None, description="The visitor this browser proves it is (the banner keeps it)."
    )
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
        visitor=visitor,
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
    dependencies=BANNER_LIMIT,
)
def choose(
    tenant: str,
    body: CookieChoicesIn,
    request: Request,
    response: Response,
    container: ContainerDep,
    sec_gpc: GpcHeader = None,
) -> CookieStatusOut:
    """Record the visitor's banner choice (non-necessary categories only; all start refused).
    403 ``consent.visitor_unproven`` unless this browser proves it is ``visitor``."""
    view = container.decider.view(tenant)
    _allow_credentials(request, response, container)
    check_origin(request, container)
    require_proof(container.deps, tenant, body.visitor, proof_value(request, container, tenant))
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
    response: Response,
    container: ContainerDep,
    sec_gpc: GpcHeader = None,
) -> CookieStatusOut:
    """This browser's visitor's choices and whether the banner must ask again (a GPC signal is
    honoured here too). ``visitor`` in the path is only a hint: the answer is for the visitor the
    browser proves it is, or for a new one whose proof is set now (never another visitor's)."""
    container.decider.view(tenant)
    _allow_credentials(request, response, container)
    visitor, proof = this_visitor(request, container, tenant)
    set_proof(response, container, tenant, proof)
    if sec_gpc == "1":
        honour_gpc(
            container.deps,
            tenant,
            Holder(visitor=visitor),
            _evidence(request, Method.GPC),
            container.clock.now(),
        )
    return _status(container, tenant, visitor)


def brand_origins(container: ContainerDep) -> set[str]:
    """The brands' own sites (as ``api/app.py`` allows them CORS)."""
    tenants = container.manifest.tenants
    return {f"https://{d}" for t in tenants for b in t.brands for d in b.domains}


def _sites(request: Request, container: ContainerDep) -> set[str]:
    own = container.settings.public_url.rstrip("/")
    return {own, str(request.base_url).rstrip("/"), *brand_origins(container)}


def _allow_credentials(request: Request, response: Response, container: ContainerDep) -> None:
    """Let a brand's site send the proof cookie (CORS answers its origin; credentials allowed)."""
    origin = request.headers.get("origin")
    if origin is not None and origin in brand_origins(container):
        response.headers["Access-Control-Allow-Credentials"] = "true"


def check_origin(request: Request, container: ContainerDep) -> None:
    """A choice posted from a page that is neither privault nor a brand's site is refused (403)."""
    origin = request.headers.get("origin")
    if origin is not None and origin not in _sites(request, container):
        raise Forbidden("choices are taken only from the tenant's own sites", code=CODE)


@router.get("/.well-known/gpc.json", response_model=GpcOut)
def gpc_json() -> GpcOut:
    """privault honours Global Privacy Control."""
    return GpcOut(gpc=True, lastUpdate=GPC_SINCE)
