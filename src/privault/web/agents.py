"""The person's page to confirm an authorised agent (CCPA, 11 CCR §7063): reached from the link in
the receipt sent to the person's own contact; the status token in the address is the person's proof.
GET only shows who asked; the POST confirms and sends the agent the status link."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from privault.errors import NotFound
from privault.http.deps import ContainerDep
from privault.services.requests.agents import agent_state, confirm_agent
from privault.web.pages import PRIVATE_HEADERS, PageRoute, brand_look, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _page(container: ContainerDep, tenant: str, token: str, confirmed_now: bool) -> HTMLResponse:
    owner, ref, agent, done = agent_state(container.deps, token)
    if owner != tenant:
        raise NotFound("no request for this link", code="request.unknown")
    return render(
        container.renderer,
        "agent.html.j2",
        headers=PRIVATE_HEADERS | {"Referrer-Policy": "no-referrer"},
        tenant=tenant,
        token=token,
        brand=brand_look(container.decider.view(tenant), None),
        ref=ref,
        agent=agent,
        done=done,
        confirmed_now=confirmed_now,
    )


@router.get("/p/{tenant}/agent/{token}", response_class=HTMLResponse)
def agent_page(tenant: str, token: str, container: ContainerDep) -> Response:
    """Who says they act for the person, and a button to confirm it."""
    return _page(container, tenant, token, confirmed_now=False)


@router.post("/p/{tenant}/agent/{token}", response_class=HTMLResponse)
async def confirm(tenant: str, token: str, container: ContainerDep) -> Response:
    """The person confirms the agent: the agent is sent the status link."""
    owner, _, _, _ = await run_in_threadpool(agent_state, container.deps, token)
    if owner != tenant:
        raise NotFound("no request for this link", code="request.unknown")
    await run_in_threadpool(confirm_agent, container.deps, token)
    return _page(container, tenant, token, confirmed_now=True)
