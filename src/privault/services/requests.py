"""Subject requests: intake, verification by one-time codes, the legal clock, and every staff action.

Each use case runs in one transaction that locks the request row, checks the move against the
workflow (``core.requests.TRANSITIONS``), writes the timeline, the audit trail and the webhook queue
together, and only then sends messages. What the requester told us (identities, agent, corrections) is
sealed with the request's own data key; the audit trail and webhooks carry references and codes only.
Fulfilment (gathering, erasing, correcting) lives in ``services.fulfilment``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

import structlog

from privault.core.clock import Clock
from privault.core.deadlines import (
    Deadline,
    Pause,
    Strictest,
    acknowledgement,
    applicable,
    extend,
    local_day,
)
from privault.core.deadlines import add_months as _add_months
from privault.core.jurisdictions import JURISDICTIONS, RIGHT_TITLES, Right
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.requests import (
    FINAL,
    DenialCode,
    EventRecord,
    PauseReason,
    PauseSpan,
    RequestDetails,
    RequestRecord,
    State,
    TaskRecord,
    VerificationRecord,
    check_transition,
    choice_of,
    needs_verification,
    parse_request,
    pauses_json,
)
from privault.crypto.blind_index import blind_index, normalise
from privault.crypto.keyring import Keyring
from privault.crypto.sealed import Sealed, open_record, seal_record
from privault.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PolicyViolation,
    PrivaultError,
)
from privault.outbound.messenger import Message, Messenger
from privault.services.audit import Entry, record
from privault.services.tenants import bind_tenant
from privault.services.webhooks import enqueue_event

log = structlog.get_logger(__name__)
_REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
DATA_RIGHTS = (Right.ACCESS, Right.PORTABILITY, Right.ERASURE, Right.RECTIFICATION)
RESEND_COOLDOWN = timedelta(seconds=60)  # between two sends of codes for one request
TOKEN_PREFIX = "rq_"  # noqa: S105 - a prefix, not a secret
SYSTEM = "privault"


@dataclass(frozen=True, slots=True)
class RequestSettings:
    """The request settings (from ``config.Settings``)."""

    code_minutes: int = 30
    max_attempts: int = 5
    max_sends: int = 5
    unverified_close_days: int = 30
    package_link_days: int = 14
    record_months: int = 24
    public_url: str = "http://127.0.0.1:8000"


@dataclass(frozen=True, slots=True)
class RequestDeps:
    """What request use cases need: each opens its own units of work (fulfilment spans several)."""

    make_uow: Callable[[], UnitOfWork]
    manifest: Manifest
    keyring: Keyring
    clock: Clock
    messenger: Messenger
    settings: RequestSettings


@dataclass(frozen=True, slots=True)
class Opened:
    """What the requester is told when a request is received."""

    ref: str
    token: str
    state: State
    due_on: date
    rule: str
    explanation: str
    ack_due_on: date | None
    status_url: str
    messages_failed: int = 0


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request with its timeline, tasks and codes' progress (for staff)."""

    request: RequestRecord
    details: RequestDetails
    events: list[EventRecord]
    tasks: list[TaskRecord]
    verified_identities: int
    identities: int
    deadline_state: str
    days_left: int
    package: dict[str, Any] | None


# --- small helpers -----------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """The stored form of a requester or download token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_ref() -> str:
    return "R-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))


def _code_hash(keyring: Keyring, tenant_key: str, request_id: int, slot: int, code: str) -> str:
    key = keyring.index_key(tenant_key, "request-code")
    return hmac.new(key, f"{request_id}|{slot}|{code}".encode(), hashlib.sha256).hexdigest()


def _seal_details(
    deps: RequestDeps, tenant_key: str, tenant_id: int, ref: str, details: RequestDetails
) -> Sealed:
    plaintext = json.dumps(asdict(details), sort_keys=True, default=str).encode()
    return seal_record(deps.keyring, tenant_key, tenant_id, "request", ref, plaintext)


def open_details(deps: RequestDeps, tenant_key: str, request: RequestRecord) -> RequestDetails:
    """What the requester told us, decrypted."""
    sealed = Sealed(request.kek_version, request.wrapped_key, request.sealed)
    raw = open_record(deps.keyring, tenant_key, request.tenant_id, "request", request.ref, sealed)
    return RequestDetails(**json.loads(raw))


def _identity_list(details: RequestDetails) -> list[tuple[str, str]]:
    return [(kind, value) for kind, values in details.identities.items() for value in values]


def _mask(kind: str, value: str) -> str:
    if kind == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain}"
    return f"***{value[-2:]}"


def _region(view: TenantView) -> str | None:
    default = view.tenant.default_jurisdiction
    return JURISDICTIONS[default].phone_region if default else None


def normalised_identities(view: TenantView, details: RequestDetails) -> dict[str, list[str]]:
    """Each identity in its canonical form (lower-case email, E.164 phone)."""
    region = _region(view)
    return {
        kind: sorted({normalise(kind, v, region) for v in values})
        for kind, values in details.identities.items()
    }


def _applicable(view: TenantView, declared: str | None) -> tuple[str, ...]:
    """The declared residence and the tenant's own jurisdiction (it applies by establishment)."""
    if declared is not None and declared not in JURISDICTIONS:
        raise NotFound(f"no jurisdiction '{declared}'", code="jurisdiction.unknown")
    keys = [k for k in (declared, view.tenant.default_jurisdiction) if k]
    if not keys:
        raise InvalidInput(
            "the tenant has no default jurisdiction: the request must declare one",
            code="jurisdiction.unknown",
        )
    return tuple(dict.fromkeys(keys))


def _pauses(spans: Sequence[PauseSpan]) -> list[Pause]:
    return [Pause(p.start, p.end, p.reason) for p in spans]


def compute_deadline(
    request: RequestRecord, today: date, *, extension_reasons: str | None = None
) -> Strictest:
    """The deadline that applies now, across every applicable law: pauses where the law stops the
    clock, the extension where the law allows one (``extension_reasons``: as if extended now)."""
    reasons = extension_reasons or (request.extension_reasons if request.extended else None)
    return applicable(
        request.jurisdictions,
        request.type,
        request.received_at,
        _pauses(request.pauses),
        today,
        reasons,
    )


def _deadline_columns(chosen: Strictest) -> dict[str, Any]:
    """What the request row stores about its deadline."""
    return {
        "due_on": chosen.winner.due,
        "rule": chosen.winner.rule,
        "jurisdiction": chosen.winner.jurisdiction,
        "deadline_explanation": chosen.explanation,
    }


def _today(deps: RequestDeps, request: RequestRecord) -> date:
    return local_day(request.jurisdiction, deps.clock.now())


def _status_url(deps: RequestDeps, token: str) -> str:
    return f"{deps.settings.public_url.rstrip('/')}/v1/requests/status/{token}"


# --- messages ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outgoing:
    channel: Literal["email", "sms"]
    to: str
    subject: str
    body: str
    kind: str


def to_requester(details: RequestDetails, subject: str, body: str, kind: str) -> list[_Outgoing]:
    """A message to the requester's first email (or phone), and to the agent if there is one."""
    emails = details.identities.get("email", [])
    phones = details.identities.get("phone", [])
    out = []
    if emails:
        out.append(_Outgoing("email", emails[0], subject, body, kind))
    elif phones:
        out.append(_Outgoing("sms", phones[0], subject, body, kind))
    if details.agent:
        out.append(_Outgoing("email", details.agent["email"], subject, body, kind))
    return out


def send_messages(
    deps: RequestDeps, tenant_key: str, ref: str, messages: Sequence[_Outgoing]
) -> int:
    """Hand messages to the messenger after the transaction that decided them committed.

    Never raises: the action has happened. Each message that could not be sent is counted and
    written to the request's timeline (``messages_failed``) for staff to follow up (``resend``
    sends codes again). Returns how many failed.
    """
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


# --- transitions ---------------------------------------------------------------------------------


def _move(
    uow: UnitOfWork,
    request: RequestRecord,
    to: State,
    actor: str,
    at: datetime,
    *,
    action: str,
    note: str = "",
    details: dict[str, Any] | None = None,
    **changes: Any,
) -> RequestRecord:
    """Change state (checked), with the timeline, the audit trail and the webhook queue."""
    check_transition(request.state, to)
    values: dict[str, Any] = {"state": to.value, "updated_at": at, **changes}
    if to in FINAL:
        values["closed_at"] = at
    uow.requests.update(request.id, **values)
    uow.requests.add_event(
        request.id,
        at,
        actor,
        action,
        from_state=request.state.value,
        to_state=to.value,
        note=note,
        details=details,
    )
    audit = {"ref": request.ref, "from": request.state.value, "to": to.value, "action": action}
    audit |= {k: v for k, v in (details or {}).items() if k in ("code", "reason", "due_on")}
    record(uow, [Entry(actor, "request:transition", None, None, "ok", audit)], at)
    enqueue_event(uow, f"request.{to.value}", _hook_body(request, to, at, details), at)
    return replace(request, state=to)


def _hook_body(
    request: RequestRecord, state: State, at: datetime, details: dict[str, Any] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ref": request.ref,
        "type": request.type.value,
        "state": state.value,
        "previous": request.state.value,
        "due_on": (details or {}).get("due_on", request.due_on.isoformat()),
        "at": at.isoformat(),
    }
    if details and "code" in details:
        body["code"] = details["code"]
    return body


def load_request(uow: UnitOfWork, tenant_key: str, ref: str, *, lock: bool = True) -> RequestRecord:
    bind_tenant(uow, tenant_key)
    request = uow.requests.get(ref, lock=lock)
    if request is None:
        raise NotFound(f"no request '{ref}'", code="request.unknown")
    return request


def _retain_until(deps: RequestDeps, at: datetime) -> date:
    return _add_months(at.date(), deps.settings.record_months)


# --- intake --------------------------------------------------------------------------------------


def open_request(
    deps: RequestDeps, tenant_key: str, raw: object, actor: str = "requester"
) -> Opened:
    """Receive a request: fix its deadline, acknowledge it, send a code to every identity it names.

    Opt-out of sale/sharing and limiting sensitive data need no verification: they are applied at
    once (``services.fulfilment``) by the caller after this returns.
    """
    item = parse_request(raw)
    view = tenant_view(deps.manifest, tenant_key)
    if item.brand is not None and item.brand not in {b.key for b in view.tenant.brands}:
        raise NotFound(f"tenant has no brand '{item.brand}'", code="brand.unknown")
    region = _region(view)
    for kind, values in item.identities.items():
        for value in values:
            normalise(kind, value, region)  # refuse a malformed identity before anything is kept
    jurisdictions = _applicable(view, item.jurisdiction)
    at = deps.clock.now()
    chosen = applicable(jurisdictions, item.type, at)
    winner = chosen.winner
    acks = [a for a in (acknowledgement(k, local_day(k, at)) for k in jurisdictions) if a]
    ack = min(acks, key=lambda a: a.due) if acks else None
    details = RequestDetails(
        identities={k: list(v) for k, v in item.identities.items()},
        agent=item.agent.model_dump() if item.agent else None,
        corrections=dict(item.corrections),
        purposes=list(item.purposes),
        details=item.details,
        lookback_from=item.lookback_from.isoformat() if item.lookback_from else None,
    )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    verify = needs_verification(item.type)
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        ref = _new_ref()
        while uow.requests.get(ref) is not None:
            ref = _new_ref()
        sealed = _seal_details(deps, tenant_key, tenant.id, ref, details)
        request = uow.requests.add(
            ref=ref,
            type=item.type.value,
            state=State.RECEIVED.value,
            resume_state=None,
            channel=item.channel.value,
            brand=item.brand,
            jurisdictions=",".join(jurisdictions),
            jurisdiction=winner.jurisdiction,
            rule=winner.rule,
            deadline_explanation=chosen.explanation,
            received_at=at,
            received_on=winner.received,
            due_on=winner.due,
            ack_due_on=ack.due if ack else None,
            acknowledged_at=at,
            extended=False,
            extension_reasons="",
            pauses="[]",
            subject_id=None,
            verification="pending" if verify else "not_required",
            response="",
            result="{}",
            kek_version=sealed.kek_version,
            wrapped_key=sealed.wrapped_key,
            sealed=sealed.ciphertext,
            token_hash=hash_token(token),
            created_at=at,
            updated_at=at,
        )
        uow.requests.add_event(
            request.id,
            at,
            actor,
            "received",
            to_state=State.RECEIVED.value,
            note=chosen.explanation,
            details={"channel": item.channel.value, "agent": bool(item.agent)},
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
                    },
                )
            ],
            at,
        )
        enqueue_event(uow, "request.received", _hook_body(request, State.RECEIVED, at, None), at)
        uow.commit()
    failed = send_messages(
        deps,
        tenant_key,
        ref,
        [*_acknowledgement(view, request, details, ack, verify, _status_url(deps, token)), *codes],
    )
    return Opened(
        ref,
        token,
        State.RECEIVED,
        winner.due,
        winner.rule,
        chosen.explanation,
        ack.due if ack else None,
        _status_url(deps, token),
        failed,
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
    return to_requester(details, f"We received your request {request.ref}", body, "receipt")


def _issue_codes(
    deps: RequestDeps,
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


# --- verification --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verified:
    """Where verification stands after codes were tried."""

    state: State
    verified: int
    identities: int
    attempts_left: int


def _tenant_of_token(deps: RequestDeps, token: str) -> str:
    with deps.make_uow() as uow:
        tenant_id = uow.requests.tenant_of_token(hash_token(token))
        tenant = uow.tenants.get(tenant_id) if tenant_id is not None else None
    if tenant is None:
        raise NotFound("no request for this link", code="request.unknown")
    return tenant.key


def ref_for_token(deps: RequestDeps, token: str) -> tuple[str, str]:
    """(tenant key, request ref) of a requester token."""
    tenant_key = _tenant_of_token(deps, token)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        request = uow.requests.by_token(hash_token(token))
    if request is None:
        raise NotFound("no request for this link", code="request.unknown")
    return tenant_key, request.ref


def verify_codes(
    deps: RequestDeps, tenant_key: str, ref: str, codes: Sequence[str], actor: str = "requester"
) -> Verified:
    """Check codes against every identity still unverified; all verified -> the request is verified.

    A wrong code counts against every pending identity; past the attempt limit a new code is needed.
    Wrong codes are committed (and audited) before the error is raised.
    """
    cleaned = [c.strip() for c in codes if c.strip()]
    if not cleaned:
        raise InvalidInput("enter the code(s) you received", code="verification.failed")
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        _require_unverified(request)
        pending = [v for v in uow.requests.verifications(request.id) if v.verified_at is None]
        if not pending or len(cleaned) > len(pending):
            raise InvalidInput(
                f"enter at most {len(pending)} code(s): one per identity still to verify",
                code="verification.failed",
            )
        matched, wrong, tries = _check_codes(deps, tenant_key, request.id, pending, cleaned, at)
        for v in pending:
            if v.id in matched:
                uow.requests.update_verification(v.id, verified_at=at)
            elif tries[v.id] != v.attempts:
                uow.requests.update_verification(v.id, attempts=tries[v.id])
        remaining = [v for v in pending if v.id not in matched]
        total = len(uow.requests.verifications(request.id))
        outcome = "ok" if not wrong else ("partial" if matched else "failed")
        record(
            uow,
            [
                Entry(
                    actor,
                    "request:verify",
                    None,
                    None,
                    outcome,
                    {"ref": ref, "matched": len(matched), "wrong": wrong},
                )
            ],
            at,
        )
        if not remaining:
            request = mark_verified(deps, uow, tenant_key, request, actor, at, "codes")
        left = min(
            (deps.settings.max_attempts - tries[v.id] for v in remaining),
            default=deps.settings.max_attempts,
        )
        uow.commit()
    if wrong and not matched:
        raise InvalidInput(
            f"the code is wrong or has expired ({max(left, 0)} attempts left; ask for a new code "
            "if none are left)",
            code="verification.failed",
        )
    return Verified(request.state, total - len(remaining), total, max(left, 0))


def _require_unverified(request: RequestRecord) -> None:
    if request.state in FINAL or request.verified_at is not None:
        raise Conflict(
            f"the request is {request.state.value} and not awaiting verification",
            code="request.invalid_transition",
        )


def _check_codes(
    deps: RequestDeps,
    tenant_key: str,
    request_id: int,
    pending: Sequence[VerificationRecord],
    codes: Sequence[str],
    at: datetime,
) -> tuple[set[int], int, dict[int, int]]:
    """Try each code against the identities still pending, one guess at a time: a wrong guess
    counts against every pending identity, and an identity past the attempt limit accepts nothing.
    Returns (verified ids, wrong guesses, attempts per id)."""
    tries = {v.id: v.attempts for v in pending}
    matched: set[int] = set()
    wrong = 0
    for code in codes:
        hit = next(
            (
                v
                for v in pending
                if v.id not in matched
                and tries[v.id] < deps.settings.max_attempts
                and v.expires_at > at
                and hmac.compare_digest(
                    v.code_hash, _code_hash(deps.keyring, tenant_key, request_id, v.slot, code)
                )
            ),
            None,
        )
        if hit is not None:
            matched.add(hit.id)
            continue
        wrong += 1
        for v in pending:
            if v.id not in matched:
                tries[v.id] += 1
    return matched, wrong, tries


def mark_verified(
    deps: RequestDeps,
    uow: UnitOfWork,
    tenant_key: str,
    request: RequestRecord,
    actor: str,
    at: datetime,
    method: str,
    note: str = "",
) -> RequestRecord:
    """Mark verified, match the subject in the vault, open tasks for systems without a connector.

    A paused request is resumed first; an extended one keeps its state (the identity is recorded).
    """
    if request.state is State.PAUSED:
        request = _resume_in(uow, request, actor, at, deps)
    details = open_details(deps, tenant_key, request)
    subject_id, matches = match_subject(deps, uow, tenant_key, details)
    changes = {"verified_at": at, "verification": method, "subject_id": subject_id}
    event = {"method": method, "vault_matches": matches}
    if request.state is State.RECEIVED:
        moved = _move(
            uow,
            request,
            State.VERIFIED,
            actor,
            at,
            action="verified",
            note=note,
            details=event,
            **changes,
        )
    else:
        uow.requests.update(request.id, updated_at=at, **changes)
        uow.requests.add_event(request.id, at, actor, "verified", note=note, details=event)
        record(
            uow,
            [
                Entry(
                    actor,
                    "request:verify",
                    None,
                    None,
                    "ok",
                    {"ref": request.ref, "method": method},
                )
            ],
            at,
        )
        moved = request
    for store in uow.datastores.stores() if request.type in DATA_RIGHTS else ():
        if store.kind == "manual":
            what = RIGHT_TITLES[request.type]
            uow.requests.add_task(
                request.id,
                store.key,
                f"{what}: act on request {request.ref} in {store.key} ({store.description})",
                store.owner,
                at,
            )
    return replace(moved, subject_id=subject_id)


def match_subject(
    deps: RequestDeps, uow: UnitOfWork, tenant_key: str, details: RequestDetails
) -> tuple[int | None, int]:
    """The one vault subject the request's identities lead to (None if none, or several) and how
    many subjects they lead to."""
    view = tenant_view(deps.manifest, tenant_key)
    found: set[int] = set()
    for kind, values in normalised_identities(view, details).items():
        key = deps.keyring.index_key(tenant_key, kind)
        indexes = [blind_index(key, v) for v in values]
        found |= {subject_id for _, subject_id in uow.subjects.find(kind, indexes)}
    return (next(iter(found)) if len(found) == 1 else None), len(found)


def resend_codes(deps: RequestDeps, tenant_key: str, ref: str, actor: str = "requester") -> int:
    """New codes for every identity still unverified (the old ones stop working); how many sent."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        _require_unverified(request)
        details = open_details(deps, tenant_key, request)
        identities = _identity_list(details)
        expires = at + timedelta(minutes=deps.settings.code_minutes)
        out = []
        last_sent = max(
            (v.expires_at - timedelta(minutes=deps.settings.code_minutes))
            for v in uow.requests.verifications(request.id)
        )
        if at - last_sent < RESEND_COOLDOWN:
            raise PolicyViolation(
                "new codes were sent less than a minute ago: wait a moment",
                code="verification.limit",
            )
        for v in uow.requests.verifications(request.id):
            if v.verified_at is not None:
                continue
            if v.sends >= deps.settings.max_sends:
                raise PolicyViolation(
                    "no more codes can be sent for this request; contact us",
                    code="verification.limit",
                )
            code = f"{secrets.randbelow(10**6):06d}"
            uow.requests.update_verification(
                v.id,
                code_hash=_code_hash(deps.keyring, tenant_key, request.id, v.slot, code),
                expires_at=expires,
                attempts=0,
                sends=v.sends + 1,
            )
            kind, value = identities[v.slot]
            out.append(_code_message(request, kind, value, code, deps.settings.code_minutes))
        uow.requests.add_event(request.id, at, actor, "codes_resent", details={"sent": len(out)})
        uow.commit()
    send_messages(deps, tenant_key, ref, out)
    return len(out)


def verify_manually(
    deps: RequestDeps, tenant_key: str, ref: str, actor: str, note: str
) -> RequestRecord:
    """Staff confirmed the requester's identity another way (documents, a call back to the number
    of record); the note says how."""
    if not note.strip():
        raise InvalidInput("say how the identity was verified", code="verification.failed")
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        _require_unverified(request)
        request = mark_verified(deps, uow, tenant_key, request, actor, at, "staff", note.strip())
        uow.commit()
    return request


# --- staff actions -------------------------------------------------------------------------------


def start(deps: RequestDeps, tenant_key: str, ref: str, actor: str) -> RequestRecord:
    """Mark a verified request as being worked on (optionally assigned to the actor)."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if request.verified_at is None:
            raise Conflict(
                "the requester's identity is not verified yet", code="request.not_verified"
            )
        moved = _move(uow, request, State.IN_PROGRESS, actor, at, action="started", assignee=actor)
        uow.commit()
    return moved


def extend_request(
    deps: RequestDeps, tenant_key: str, ref: str, actor: str, reasons: str
) -> RequestRecord:
    """The one extension the law allows, with its reasons, told to the requester before the due date."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if request.state is State.PAUSED:
            raise Conflict(
                "resume the request before extending it", code="request.invalid_transition"
            )
        if request.extended:
            raise PolicyViolation(
                "the deadline was already extended once", code="request.extension_refused"
            )
        check_transition(request.state, State.EXTENDED)
        today = _today(deps, request)
        current = compute_deadline(request, today).winner
        extend(current, today, reasons)  # the winning law allows it, with reasons, in time
        chosen = compute_deadline(request, today, extension_reasons=reasons.strip())
        longer = chosen.winner
        if longer.due <= current.due:
            raise PolicyViolation(
                f"an extension would not move the deadline: {chosen.explanation}",
                code="request.extension_refused",
            )
        moved = _move(
            uow,
            request,
            State.EXTENDED,
            actor,
            at,
            action="extended",
            note=reasons.strip(),
            details={"due_on": longer.due.isoformat(), "was": current.due.isoformat()},
            extended=True,
            extension_reasons=reasons.strip(),
            resume_state=None,
            **_deadline_columns(chosen),
        )
        details = open_details(deps, tenant_key, request)
        uow.commit()
    body = (
        f"We need more time to answer your request {ref}. We will answer by "
        f"{longer.due.isoformat()} instead of {current.due.isoformat()}.\nWhy: {reasons.strip()}"
    )
    send_messages(
        deps,
        tenant_key,
        ref,
        to_requester(details, f"Your request {ref}: more time", body, "extension"),
    )
    return replace(moved, due_on=longer.due, extended=True)


def pause_request(
    deps: RequestDeps, tenant_key: str, ref: str, actor: str, reason: PauseReason, message: str
) -> RequestRecord:
    """Stop the clock while waiting for the requester (UK Art. 12A); ``message`` says what we need."""
    if not message.strip():
        raise InvalidInput("say what the requester must send", code="request.pause_invalid")
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        check_transition(request.state, State.PAUSED)
        spans = (*request.pauses, PauseSpan(_today(deps, request), None, reason.value))
        moved = _move(
            uow,
            request,
            State.PAUSED,
            actor,
            at,
            action="paused",
            note=message.strip(),
            details={"reason": reason.value},
            resume_state=request.state.value,
            pauses=pauses_json(spans),
        )
        details = open_details(deps, tenant_key, request)
        uow.commit()
    body = (
        f"To go on with your request {ref} we need: {message.strip()}\nThe time we have to answer "
        "is stopped until we hear from you."
    )
    send_messages(
        deps,
        tenant_key,
        ref,
        to_requester(details, f"Your request {ref}: we need something", body, "pause"),
    )
    return moved


def _resume_in(
    uow: UnitOfWork, request: RequestRecord, actor: str, at: datetime, deps: RequestDeps
) -> RequestRecord:
    if request.state is not State.PAUSED or request.resume_state is None:
        raise Conflict("the request is not paused", code="request.invalid_transition")
    today = _today(deps, request)
    spans = tuple(replace(p, end=today) if p.end is None else p for p in request.pauses)
    resumed = replace(request, pauses=spans)
    chosen = compute_deadline(resumed, today)
    current = chosen.winner
    moved = _move(
        uow,
        request,
        request.resume_state,
        actor,
        at,
        action="resumed",
        details={"due_on": current.due.isoformat()},
        pauses=pauses_json(spans),
        resume_state=None,
        **_deadline_columns(chosen),
    )
    return replace(moved, pauses=spans, due_on=current.due, resume_state=None)


def resume_request(deps: RequestDeps, tenant_key: str, ref: str, actor: str) -> RequestRecord:
    """Start the clock again; the due date moves by the days it stood still."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = _resume_in(uow, load_request(uow, tenant_key, ref), actor, at, deps)
        uow.commit()
    return request


def deny_request(
    deps: RequestDeps,
    tenant_key: str,
    ref: str,
    actor: str,
    code: DenialCode,
    text: str,
    *,
    only_if_unverified: bool = False,
) -> RequestRecord | None:
    """Refuse the request with a reason code; ``text`` is exactly what the requester is sent.

    ``only_if_unverified``: do nothing (None) if, under the lock, the request turns out to be
    verified or closed by now (the sweep's guard against a verification that just happened).
    """
    if not text.strip():
        raise InvalidInput(
            "write the text the requester will receive", code="request.denial_invalid"
        )
    at = deps.clock.now()
    view = tenant_view(deps.manifest, tenant_key)
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if only_if_unverified and (
            request.verified_at is not None
            or request.state in FINAL
            or request.verification != "pending"
        ):
            return None
        authority = JURISDICTIONS[request.jurisdiction].authority
        sent = f"{text.strip()}\nYou may complain to {authority}." if authority else text.strip()
        moved = _move(
            uow,
            request,
            State.DENIED,
            actor,
            at,
            action="denied",
            note=sent,
            details={"code": code.value},
            denial_code=code.value,
            denial_text=sent,
            response=f"denied: {code.value}",
            retain_until=_retain_until(deps, at),
        )
        details = open_details(deps, tenant_key, request)
        uow.commit()
    subject = f"{view.tenant.name}: your request {ref}"
    send_messages(deps, tenant_key, ref, to_requester(details, subject, sent, "denial"))
    return moved


def close_request(
    deps: RequestDeps,
    uow: UnitOfWork,
    tenant_key: str,
    request: RequestRecord,
    actor: str,
    *,
    complete: bool,
    response: str,
    result: dict[str, Any],
) -> RequestRecord:
    """Record the outcome of fulfilment: completed, or incomplete with what is missing."""
    at = deps.clock.now()
    state = State.COMPLETED if complete else State.INCOMPLETE
    if request.result:
        earlier = request.result.get("earlier", [])
        previous = {k: v for k, v in request.result.items() if k != "earlier"}
        result = {**result, "earlier": [previous, *earlier]}
    changes: dict[str, Any] = {"response": response, "result": json.dumps(result, sort_keys=True)}
    if complete:
        changes["retain_until"] = _retain_until(deps, at)
    moved = _move(
        uow,
        request,
        state,
        actor,
        at,
        action="completed" if complete else "incomplete",
        note=response,
        **changes,
    )
    return replace(moved, response=response, result=result)


# --- manual tasks --------------------------------------------------------------------------------


def add_task(
    deps: RequestDeps,
    tenant_key: str,
    ref: str,
    actor: str,
    system: str,
    description: str,
    assignee: str | None,
) -> int:
    """Open a manual task on an open request."""
    if not system.strip() or not description.strip():
        raise InvalidInput("a task names its system and what to do", code="request.task_invalid")
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if request.state in FINAL:
            raise Conflict(
                f"the request is {request.state.value}", code="request.invalid_transition"
            )
        task_id = uow.requests.add_task(
            request.id, system.strip(), description.strip(), assignee, at
        )
        uow.requests.add_event(request.id, at, actor, "task_opened", details={"task": task_id})
        _task_audit(uow, actor, ref, task_id, "opened", at)
        uow.commit()
    return task_id


def finish_task(
    deps: RequestDeps,
    tenant_key: str,
    ref: str,
    task_id: int,
    actor: str,
    note: str,
    *,
    cancelled: bool = False,
) -> None:
    """Mark a manual task done (or cancelled), with a note of what was done."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        task = next((t for t in uow.requests.tasks(request.id) if t.id == task_id), None)
        if task is None:
            raise NotFound(f"request {ref} has no task {task_id}", code="request.task_unknown")
        if task.state != "open":
            raise Conflict(f"task {task_id} is already {task.state}")
        state = "cancelled" if cancelled else "done"
        uow.requests.update_task(task_id, state=state, note=note.strip(), done_at=at, done_by=actor)
        uow.requests.add_event(
            request.id, at, actor, f"task_{state}", note=note.strip(), details={"task": task_id}
        )
        _task_audit(uow, actor, ref, task_id, state, at)
        uow.commit()


def _task_audit(
    uow: UnitOfWork, actor: str, ref: str, task_id: int, what: str, at: datetime
) -> None:
    record(
        uow,
        [
            Entry(
                actor,
                "request:task",
                None,
                None,
                "ok",
                {"ref": ref, "task": task_id, "state": what},
            )
        ],
        at,
    )


# --- reading -------------------------------------------------------------------------------------


def show_request(deps: RequestDeps, tenant_key: str, ref: str) -> RequestView:
    """A request with everything staff need to act on it."""
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref, lock=False)
        return _view(deps, uow, tenant_key, request)


def _view(
    deps: RequestDeps, uow: UnitOfWork, tenant_key: str, request: RequestRecord
) -> RequestView:
    codes = uow.requests.verifications(request.id)
    package = uow.requests.latest_package(request.id)
    today = _today(deps, request)
    return RequestView(
        request,
        open_details(deps, tenant_key, request),
        uow.requests.events(request.id),
        uow.requests.tasks(request.id),
        sum(1 for c in codes if c.verified_at is not None),
        len(codes),
        deadline_state(request, today),
        (request.due_on - today).days,
        {
            "expires_at": package.expires_at.isoformat(),
            "size": package.size,
            "downloads": package.downloads,
            "filename": package.filename,
        }
        if package
        else None,
    )


def deadline_state(request: RequestRecord, today: date) -> str:
    """closed, paused, on_time, due_soon, due_today or overdue."""
    if request.state in FINAL:
        return "closed"
    if request.state is State.PAUSED:
        return "paused"
    if today > request.due_on:
        return "overdue"
    if today == request.due_on:
        return "due_today"
    return "due_soon" if (request.due_on - today).days <= 7 else "on_time"


def list_requests(
    deps: RequestDeps,
    tenant_key: str,
    *,
    states: Sequence[str] = (),
    types: Sequence[str] = (),
    overdue: bool = False,
    open_only: bool = False,
    limit: int | None = None,
) -> list[tuple[RequestRecord, str, int]]:
    """Requests by due date with their deadline state and days left (``limit``: the first ones)."""
    for s in states:
        choice_of(State, s, "state")
    for t in types:
        choice_of(Right, t, "request type")
    wanted = list(states) or ([s.value for s in State if s not in FINAL] if open_only else [])
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        found = uow.requests.search(states=wanted, types=types, limit=None if overdue else limit)
    rows = []
    for request in found:
        today = _today(deps, request)
        state = deadline_state(request, today)
        if overdue and state != "overdue":
            continue
        rows.append((request, state, (request.due_on - today).days))
    return rows[:limit] if limit is not None else rows


@dataclass(frozen=True, slots=True)
class RequesterStatus:
    """What the requester sees on their status page (no identities, no staff notes)."""

    ref: str
    type: Right
    state: State
    received_on: date
    due_on: date
    extended: bool
    extension_reasons: str
    response: str
    denial_text: str | None
    identities: list[str]
    verified: list[bool]
    timeline: list[tuple[datetime, str]]
    download_url: str | None
    download_expires_at: datetime | None


_PUBLIC_ACTIONS = {
    "received": "Request received",
    "codes_sent": "Verification codes sent",
    "codes_resent": "New verification codes sent",
    "verified": "Identity verified",
    "started": "Work started",
    "paused": "Waiting for you",
    "resumed": "Work resumed",
    "extended": "Deadline extended",
    "incomplete": "Partly done: we are still working on it",
    "completed": "Completed",
    "denied": "Refused",
}


def requester_status(deps: RequestDeps, token: str) -> RequesterStatus:
    """The status page behind the requester's private link."""
    tenant_key, ref = ref_for_token(deps, token)
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref, lock=False)
        details = open_details(deps, tenant_key, request)
        codes = uow.requests.verifications(request.id)
        events = uow.requests.events(request.id)
        package = uow.requests.latest_package(request.id)
    now = deps.clock.now()
    live = package is not None and package.expires_at > now and request.state is State.COMPLETED
    expires = package.expires_at if live and package is not None else None
    identities = _identity_list(details)
    verified = {c.slot: c.verified_at is not None for c in codes}
    return RequesterStatus(
        ref,
        request.type,
        request.state,
        request.received_on,
        request.due_on,
        request.extended,
        request.extension_reasons,
        request.response,
        request.denial_text,
        [_mask(k, v) for k, v in identities],
        [verified.get(i, not codes) for i in range(len(identities))],
        [(e.at, _PUBLIC_ACTIONS[e.action]) for e in events if e.action in _PUBLIC_ACTIONS],
        f"{_status_url(deps, token)}/package" if expires else None,
        expires,
    )


# --- housekeeping --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Swept:
    """What one sweep did."""

    closed_unverified: int
    overdue: int
    due_soon: int
    purged: int
    packages_dropped: int


def sweep(deps: RequestDeps, tenant_key: str, actor: str = SYSTEM) -> Swept:
    """Close requests never verified, flag overdue and soon-due ones (once a day), delete packages
    whose link expired, and delete request records past their keeping period (CCPA §7101: 24 months)."""
    now = deps.clock.now()
    cutoff = now - timedelta(days=deps.settings.unverified_close_days)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        stale = [
            r.ref
            for r in uow.requests.unverified_before(cutoff)
            if r.verification == "pending" and r.verified_at is None
        ]
    text = (
        "We could not confirm your identity: the codes we sent were not entered in "
        f"{deps.settings.unverified_close_days} days, so we have closed this request. You may "
        "make a new request at any time."
    )
    closed = 0
    for ref in stale:
        denied = deny_request(
            deps,
            tenant_key,
            ref,
            actor,
            DenialCode.IDENTITY_NOT_VERIFIED,
            text,
            only_if_unverified=True,
        )
        closed += denied is not None
    overdue = due_soon = 0
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        for request in uow.requests.search(states=[s.value for s in State if s not in FINAL]):
            state = deadline_state(request, _today(deps, request))
            if state not in ("overdue", "due_soon", "due_today"):
                continue
            already = any(
                e.action == f"flag_{state}" and e.at.date() == now.date()
                for e in uow.requests.events(request.id)
            )
            if not already:
                uow.requests.add_event(
                    request.id,
                    now,
                    actor,
                    f"flag_{state}",
                    details={"due_on": request.due_on.isoformat()},
                )
                enqueue_event(
                    uow, f"request.{state}", _hook_body(request, request.state, now, None), now
                )
            overdue += state == "overdue"
            due_soon += state != "overdue"
        packages = uow.requests.drop_expired_packages(now)
        expired = uow.requests.expired_records(now.date())
        if expired:
            uow.requests.delete(expired)
            record(
                uow,
                [Entry(actor, "request:purge", None, None, "ok", {"requests": len(expired)})],
                now,
            )
        uow.commit()
    return Swept(closed, overdue, due_soon, len(expired), packages)


def allowed_rights(manifest: Manifest, tenant_key: str, jurisdiction: str | None) -> list[Right]:
    """The rights a person may exercise here (their residence's and the tenant's own law)."""
    view = tenant_view(manifest, tenant_key)
    keys = _applicable(view, jurisdiction)
    return [r for r in Right if any(r in JURISDICTIONS[k].rights for k in keys)]


def require_staff_role(admin: bool) -> None:
    """Staff actions need an admin (privacy office) role."""
    if not admin:
        raise Forbidden("request handling needs an admin role", code="access.denied")
