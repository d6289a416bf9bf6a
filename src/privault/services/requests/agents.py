"""Authorised agents (CCPA, 11 CCR §7063): the agent gets the request's status link only once the
person has confirmed the agent, or staff have checked the agent's signed permission.

§7063(a) lets a business require, when an authorised agent submits a request, that the consumer
verify their own identity directly and directly confirm that they gave the agent permission (and that
the agent provide the consumer's signed permission). So, at intake, the person (at their own contact,
the request's first identity) gets the receipt with the status link and a link to confirm the agent;
the agent gets only word that the request was received and will be handled once the person confirms.
The status token is kept for the agent inside the request's sealed details (never in clear) and is
sent to the agent when the person confirms (``confirm_agent``) or staff record that they checked the
signed permission (``agent_checked``): a timeline event ``agent_confirmed`` and an audit
``request:verify`` entry (``agent: confirmed``, ``by: person | staff``) record it.
"""

from __future__ import annotations

from datetime import datetime

from privault.core.ports import UnitOfWork
from privault.core.requests import RequestDetails, RequestRecord
from privault.errors import Conflict, InvalidInput
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.requests.deps import _status_url, hash_token, load_request, open_details
from privault.services.requests.messages import (
    AGENT_CONFIRMED,
    AGENT_TOKEN,
    _Outgoing,
    send_on_commit,
)
from privault.services.requests.verification import ref_for_token

TOKEN_KEY = AGENT_TOKEN
CONFIRMED = AGENT_CONFIRMED


def agent_details(agent: dict[str, str], token: str) -> dict[str, str]:
    """The agent as the sealed details keep it: with the status token to release later."""
    return {**agent, TOKEN_KEY: token}


def confirm_url(deps: Deps, tenant_key: str, token: str) -> str:
    """Where the person confirms the agent (the status token is the person's proof)."""
    return f"{deps.settings.public_url.rstrip('/')}/p/{tenant_key}/agent/{token}"


def agent_intake(
    deps: Deps, tenant_key: str, ref: str, details: RequestDetails, token: str
) -> tuple[str, list[_Outgoing]]:
    """(what the person's receipt adds, the message to the agent: no link) for a new request."""
    agent = details.agent or {}
    to_person = (
        f"\n{agent.get('name', 'Someone')} ({agent.get('email', '')}) made this request for you "
        "as your authorised agent. They will not see its status until you confirm that you gave "
        f"them permission: {confirm_url(deps, tenant_key, token)} . If you did not, do not confirm "
        "and tell us."
    )
    body = (
        f"We received the request {ref} you made as an authorised agent. We will share its status "
        "link with you once the person confirms that they authorised you (11 CCR §7063), or once "
        "we have checked your signed permission. The person has been asked to confirm."
    )
    subject = f"We received request {ref}: awaiting the person's confirmation"
    return to_person, [_Outgoing("email", agent["email"], subject, body, "agent_received")]


def agent_state(deps: Deps, token: str) -> tuple[str, str, dict[str, str], bool]:
    """(tenant, ref, the agent's name and email, whether already confirmed) for the person's page."""
    tenant_key, ref = ref_for_token(deps, token)
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref, lock=False)
        details = open_details(deps, tenant_key, request)
        done = _confirmed(uow, request)
    agent = _agent(details)
    return tenant_key, ref, {"name": agent["name"], "email": agent["email"]}, done


def confirm_agent(deps: Deps, token: str) -> str:
    """The person (holding the status token sent to their own contact) confirms the agent: the
    agent gets the status link. Returns the request's ref."""
    tenant_key, ref = ref_for_token(deps, token)
    _release(deps, tenant_key, ref, "requester", "person", "")
    return ref


def agent_checked(deps: Deps, tenant_key: str, ref: str, actor: str, note: str) -> None:
    """Staff checked the agent's signed permission (the note says what they saw): the agent gets
    the status link."""
    if not note.strip():
        raise InvalidInput(
            "say how the agent's permission was checked (e.g. signed permission seen)",
            code="request.invalid",
        )
    _release(deps, tenant_key, ref, actor, "staff", note.strip())


def _release(deps: Deps, tenant_key: str, ref: str, actor: str, by: str, note: str) -> None:
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        details = open_details(deps, tenant_key, request)
        agent = _agent(details)
        if _confirmed(uow, request):
            raise Conflict("the agent was already confirmed", code="request.agent_confirmed")
        token = agent.get(TOKEN_KEY, "")
        if hash_token(token) != request.token_hash:
            raise Conflict("this request's status link cannot be shared", code="request.invalid")
        _mark(uow, request, actor, by, note, at)
        send_on_commit(deps, uow, tenant_key, ref, [_link_message(deps, ref, agent, token)])
        uow.commit()


def _mark(
    uow: UnitOfWork, request: RequestRecord, actor: str, by: str, note: str, at: datetime
) -> None:
    details = {"by": by}
    uow.requests.add_event(request.id, at, actor, CONFIRMED, note=note, details=details)
    entry = {"ref": request.ref, "agent": "confirmed", "by": by}
    record(uow, [Entry(actor, "request:verify", None, None, "ok", entry)], at)


def _link_message(deps: Deps, ref: str, agent: dict[str, str], token: str) -> _Outgoing:
    body = (
        f"The person confirmed you as their authorised agent for request {ref} (or we checked "
        f"your signed permission). Follow the request at {_status_url(deps, token)} - keep this "
        "link private: it is the key to the request."
    )
    return _Outgoing(
        "email", agent["email"], f"Your request {ref}: status link", body, "agent_link"
    )


def _agent(details: RequestDetails) -> dict[str, str]:
    if not details.agent:
        raise Conflict("this request was not made by an authorised agent", code="request.invalid")
    return details.agent


def _confirmed(uow: UnitOfWork, request: RequestRecord) -> bool:
    return any(e.action == CONFIRMED for e in uow.requests.events(request.id))
