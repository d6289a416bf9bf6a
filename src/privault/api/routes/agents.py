"""Authorised agents over the API (CCPA, 11 CCR §7063): the person confirms their agent with the
status token sent to them; staff record that they checked the agent's signed permission. Either way
the agent is then sent the request's status link (``services/requests/agents.py``)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from privault.http.deps import AdminDep, ContainerDep
from privault.services.requests.agents import agent_checked, confirm_agent

router = APIRouter(tags=["requests"])


class AgentOut(BaseModel):
    """The request whose agent is now confirmed."""

    ref: str
    agent_confirmed: bool = True


class AgentCheckIn(BaseModel):
    """What staff checked (e.g. "signed permission dated 2026-03-01 seen")."""

    note: str = Field(min_length=1, max_length=500)


@router.post("/v1/requests/status/{token}/agent", response_model=AgentOut)
def person_confirms(token: str, container: ContainerDep) -> AgentOut:
    """The person confirms that they authorised the agent named in their request."""
    return AgentOut(ref=confirm_agent(container.deps, token))


@router.post("/v1/requests/{ref}/agent-check", response_model=AgentOut)
def staff_checked(
    ref: str, body: AgentCheckIn, admin: AdminDep, container: ContainerDep
) -> AgentOut:
    """Staff checked the agent's signed permission: the agent is sent the status link."""
    agent_checked(container.deps, admin.tenant_key, ref, admin.actor, body.note)
    return AgentOut(ref=ref)
