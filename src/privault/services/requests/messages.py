"""Messages to the requester (and their agent), sent only after the transaction that decided them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import structlog

from privault.core.ports import UnitOfWork
from privault.core.requests import RequestDetails, RequestRecord
from privault.errors import PrivaultError
from privault.outbound.messenger import Message
from privault.services.deps import Deps
from privault.services.requests.deps import SYSTEM, load_request

log = structlog.get_logger(__name__)
AGENT_TOKEN = "status_token"  # noqa: S105 - where the sealed details keep an agent's link (agents.py)
AGENT_CONFIRMED = "agent_confirmed"  # the timeline event that releases it


@dataclass(frozen=True, slots=True)
class _Outgoing:
    channel: Literal["email", "sms"]
    to: str
    subject: str
    body: str
    kind: str
    agent_copy: bool = False  # a copy for an agent: sent only once the agent is confirmed


def to_person(details: RequestDetails, subject: str, body: str, kind: str) -> list[_Outgoing]:
    """A message to the requester's first email (or phone) only (never to an agent)."""
    emails = details.identities.get("email", [])
    phones = details.identities.get("phone", [])
    if emails:
        return [_Outgoing("email", emails[0], subject, body, kind)]
    if phones:
        return [_Outgoing("sms", phones[0], subject, body, kind)]
    return []


def to_requester(details: RequestDetails, subject: str, body: str, kind: str) -> list[_Outgoing]:
    """A message to the requester's first email (or phone), and to the agent if there is one: an
    agent named since agents are confirmed (CCPA §7063, ``agents.py``) gets it only once confirmed."""
    out = to_person(details, subject, body, kind)
    if details.agent:
        held = AGENT_TOKEN in details.agent
        out.append(_Outgoing("email", details.agent["email"], subject, body, kind, held))
    return out


def _for_confirmed(
    deps: Deps, tenant_key: str, ref: str, messages: Sequence[_Outgoing]
) -> Sequence[_Outgoing]:
    """The messages without the agent's copies while the agent is not confirmed."""
    if not any(m.agent_copy for m in messages):
        return messages
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref, lock=False)
        confirmed = any(e.action == AGENT_CONFIRMED for e in uow.requests.events(request.id))
    return messages if confirmed else [m for m in messages if not m.agent_copy]


def send_messages(deps: Deps, tenant_key: str, ref: str, messages: Sequence[_Outgoing]) -> int:
    """Hand messages to the messenger after the transaction that decided them committed.

    Never raises: the action has happened. Each message that could not be sent is counted and
    written to the request's timeline (``messages_failed``) for staff to follow up (``resend``
    sends codes again). Returns how many failed.
    """
    messages = _for_confirmed(deps, tenant_key, ref, messages)
    failed = 0
    for m in messages:
        try:
            deps.messenger.send(Message(m.channel, m.to, m.subject, m.body, tenant_key, m.kind))
        except PrivaultError as exc:
            failed += 1
            log.warning("message not sent", kind=m.kind, code=exc.code, request=ref)
    if failed:
        with deps.make_uow() as uow:
            request = load_request(uow, tenant_key, ref, lock=False)
            kinds = sorted({m.kind for m in messages})
            uow.requests.add_event(
                request.id,
                deps.clock.now(),
                SYSTEM,
                "messages_failed",
                note=f"{failed} of {len(messages)} messages could not be sent",
                details={"failed": failed, "kinds": kinds},
            )
            uow.commit()
    return failed


@dataclass(slots=True)
class Outbox:
    """Messages waiting for their transaction's commit; ``failed`` counts those not sent."""

    deps: Deps
    tenant_key: str
    ref: str
    messages: Sequence[_Outgoing]
    failed: int = 0

    def __call__(self) -> None:
        self.failed = send_messages(self.deps, self.tenant_key, self.ref, self.messages)


def send_on_commit(
    deps: Deps,
    uow: UnitOfWork,
    tenant_key: str,
    ref: str,
    messages: Sequence[_Outgoing],
) -> Outbox:
    """Send the messages once ``uow`` commits (``uow.on_commit``; never if it rolls back)."""
    outbox = Outbox(deps, tenant_key, ref, messages)
    uow.on_commit(outbox)
    return outbox


def _code_message(
    request: RequestRecord, kind: str, value: str, code: str, minutes: int
) -> _Outgoing:
    body = (
        f"Your code for privacy request {request.ref} is {code}. It is valid for {minutes} "
        "minutes. If you did not make this request, ignore this message."
    )
    return _Outgoing(
        "email" if kind == "email" else "sms",
        value,
        f"Your verification code for request {request.ref}",
        body,
        "verification_code",
    )
