"""Receiving a request: its deadline, the receipt, and a one-time code to every identity it names."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from privault.core.deadlines import Deadline, acknowledgement, applicable, local_day
from privault.core.identities import normalise
from privault.core.jurisdictions import RIGHT_TITLES
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.redress import check_decision
from privault.core.request_ports import NewRequest
from privault.core.requests import (
    RequestDetails,
    RequestIn,
    RequestRecord,
    State,
    needs_verification,
    parse_request,
)
from privault.crypto.sealed import Sealed, seal_record
from privault.errors import InvalidInput, NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.requests.agents import agent_details, agent_intake
from privault.services.requests.appeals import appealed
from privault.services.requests.deadline import _applicable, establishment
from privault.services.requests.deps import (
    _REF_ALPHABET,
    SYSTEM,
    _code_hash,
    _identity_list,
    _status_url,
    hash_token,
)
from privault.services.requests.events import queue_event
from privault.services.requests.messages import (
    _code_message,
    _Outgoing,
    send_on_commit,
    to_person,
)
from privault.services.requests.workflow import _hook_body
from privault.services.tenants import bind_tenant

TOKEN_PREFIX = "rq_"  # noqa: S105 - a prefix, not a secret
RECEIVED_MAX_AGE_DAYS = 366  # a staff-entered receipt date further back is refused as a likely typo


@dataclass(frozen=True, slots=True)
class Opened:
    """What the requester is told when a request is received."""

    ref: str
    token: str  # "" when an authorised agent made the request: the link goes to the person only
    state: State
    due_on: date
    rule: str
    explanation: str
    ack_due_on: date | None
    status_url: str
    messages_failed: int = 0
    target_on: date | None = None
    received_on: date | None = None


def _new_ref() -> str:
    return "R-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))


def _seal_details(
    deps: Deps, tenant_key: str, tenant_id: int, ref: str, details: RequestDetails
) -> Sealed:
    plaintext = json.dumps(asdict(details), sort_keys=True, default=str).encode()
    return seal_record(deps.keyring, tenant_key, tenant_id, "request", ref, plaintext)


def _receipt(jurisdictions: tuple[str, ...], now: datetime, received: date | None) -> datetime:
    """The instant the clocks count from: now, or noon UTC on the day staff say a letter or call
    came (the same date in every zone from UTC-11 to UTC+11); refused in the future or over a
    year back."""
    if received is None:
        return now
    latest = max(local_day(k, now) for k in jurisdictions)
    if received > latest:
        raise InvalidInput(
            f"the date of receipt {received.isoformat()} is in the future", code="request.invalid"
        )
    if received < latest - timedelta(days=RECEIVED_MAX_AGE_DAYS):
        raise InvalidInput(
            f"the date of receipt {received.isoformat()} is more than a year ago; check the date",
            code="request.invalid",
        )
    return min(now, datetime.combine(received, time(12), UTC))


def details_identities(item: RequestIn) -> dict[str, list[str]]:
    """The identities a request names, as its details keep them."""
    return {k: list(v) for k, v in item.identities.items()}


def open_request(
    deps: Deps,
    tenant_key: str,
    raw: object,
    actor: str = "requester",
    *,
    received: date | None = None,
) -> Opened:
    """Receive a request: fix its deadline, acknowledge it, send a code to every identity it names.

    ``received``: the day a request taken by staff really arrived (a letter, an earlier call); the
    deadline counts from it, and the entry says so. Opt-out of sale/sharing and limiting sensitive
    data need no verification: they are applied at once (``services.fulfilment``) by the caller
    after this returns.
    """
    item = parse_request(raw)
    view = tenant_view(deps.manifest, tenant_key)
    if item.brand is not None and item.brand not in {b.key for b in view.tenant.brands}:
        raise NotFound(f"tenant has no brand '{item.brand}'", code="brand.unknown")
    region = view.phone_region
    for kind, values in item.identities.items():
        for value in values:
            normalise(kind, value, region)  # refuse a malformed identity before anything is kept
    check_decision(view, item.type, item.decision)  # a human review names a declared decision
    jurisdictions = _applicable(view, item.jurisdiction)
    if item.appeal_of is not None:  # an appeal runs under the laws of the refused request
        jurisdictions = appealed(deps, view, item.appeal_of, details_identities(item))
    at = deps.clock.now()
    arrived = _receipt(jurisdictions, at, received)
    seat = establishment(deps, tenant_key)
    chosen = applicable(jurisdictions, item.type, arrived, establishment=seat)
    winner = chosen.winner
    acks = [
        a
        for a in (acknowledgement(k, local_day(k, arrived), seat, item.type) for k in jurisdictions)
        if a
    ]
    ack = min(acks, key=lambda a: a.due) if acks else None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    details = RequestDetails(
        identities={k: list(v) for k, v in item.identities.items()},
        agent=agent_details(item.agent.model_dump(), token) if item.agent else None,
        corrections=dict(item.corrections),
        purposes=list(item.purposes),
        details=item.details,
        lookback_from=item.lookback_from.isoformat() if item.lookback_from else None,
        appeal_of=item.appeal_of,
        decision=item.decision,
    )
    verify = needs_verification(item.type)
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        ref = _new_ref()
        while uow.requests.get(ref) is not None:
            ref = _new_ref()
        sealed = _seal_details(deps, tenant_key, tenant.id, ref, details)
        new = NewRequest(
            ref=ref,
            type=item.type,
            channel=item.channel,
            brand=item.brand,
            jurisdictions=jurisdictions,
            jurisdiction=winner.jurisdiction,
            rule=winner.rule,
            deadline_explanation=chosen.explanation,
            received_at=arrived,
            received_on=winner.received,
            due_on=winner.due,
            ack_due_on=ack.due if ack else None,
            acknowledged_at=at,
            verification="pending" if verify else "not_required",
            kek_version=sealed.kek_version,
            wrapped_key=sealed.wrapped_key,
            sealed=sealed.ciphertext,
            token_hash=hash_token(token),
            created_at=at,
            updated_at=at,
        )
        request = uow.requests.add(new)
        uow.requests.add_event(
            request.id,
            at,
            actor,
            "received",
            to_state=State.RECEIVED.value,
            note=chosen.explanation,
            details={"channel": item.channel.value, "agent": bool(item.agent)}
            | (
                {"received": received.isoformat(), "entered_at": at.isoformat()} if received else {}
            ),
        )
        codes = _issue_codes(deps, uow, tenant_key, request, details, at) if verify else []
        record(
            uow,
            [
                Entry(
                    actor,
                    "request:open",
                    None,
                    None,
                    "ok",
                    {
                        "ref": ref,
                        "type": item.type.value,
                        "channel": item.channel.value,
                        "jurisdictions": list(jurisdictions),
                        "rule": winner.rule,
                        "due_on": winner.due.isoformat(),
                        "agent": bool(item.agent),
                    }
                    | ({"received_on": received.isoformat()} if received else {}),
                )
            ],
            at,
        )
        receipt = _acknowledgement(view, request, details, ack, verify, _status_url(deps, token))
        if details.agent:  # CCPA §7063: the link goes to the person; the agent waits for them
            extra, to_agent = agent_intake(deps, tenant_key, ref, details, token)
            receipt = [replace(m, body=m.body + extra) for m in receipt] + to_agent
        outbox = send_on_commit(deps, uow, tenant_key, ref, [*receipt, *codes])
        body = _hook_body(request, State.RECEIVED, at, None)
        queue_event(deps, uow, tenant_key, "request.received", body, at)
        uow.commit()
    shown = "" if details.agent else token  # an agent's submission never returns the link
    return Opened(
        ref,
        shown,
        State.RECEIVED,
        winner.due,
        winner.rule,
        chosen.explanation,
        ack.due if ack else None,
        _status_url(deps, shown) if shown else "",
        outbox.failed,
        winner.target(deps.settings.target_days_early),
        winner.received,
    )


def _acknowledgement(
    view: TenantView,
    request: RequestRecord,
    details: RequestDetails,
    ack: Deadline | None,
    verify: bool,
    status_url: str,
) -> list[_Outgoing]:
    """The receipt (CCPA §7021(a)): how we will verify, and when to expect the answer."""
    how = (
        "We have sent a one-time code to each email address and phone number you gave; enter "
        "every code on your status page to confirm it is you."
        if verify
        else "This request needs no proof of identity; we are applying it now."
    )
    body = (
        f"{view.tenant.name} received your request ({RIGHT_TITLES[request.type]}), reference "
        f"{request.ref}, on {request.received_on.isoformat()}.\n{how}\nWe will answer by "
        f"{request.due_on.isoformat()} ({request.rule})."
    )
    if ack is not None:
        body += f"\nThis confirms receipt as {ack.rule} requires."
    body += (
        f"\nFollow your request (and download your data when it is ready) at {status_url} - "
        "keep this link private: it is the key to your request."
    )
    return to_person(details, f"We received your request {request.ref}", body, "receipt")


def _issue_codes(
    deps: Deps,
    uow: UnitOfWork,
    tenant_key: str,
    request: RequestRecord,
    details: RequestDetails,
    at: datetime,
) -> list[_Outgoing]:
    """One code per identity; only its keyed hash is stored."""
    expires = at + timedelta(minutes=deps.settings.code_minutes)
    out = []
    for slot, (kind, value) in enumerate(_identity_list(details)):
        code = f"{secrets.randbelow(10**6):06d}"
        digest = _code_hash(deps.keyring, tenant_key, request.id, slot, code)
        uow.requests.add_verification(request.id, kind, slot, digest, expires)
        out.append(_code_message(request, kind, value, code, deps.settings.code_minutes))
    uow.requests.add_event(
        request.id,
        at,
        SYSTEM,
        "codes_sent",
        details={"identities": [k for k, _ in _identity_list(details)]},
    )
    return out
