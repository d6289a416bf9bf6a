"""Verifying the requester: one-time codes (only their keyed hash is stored), resending them, staff
verification, and matching the vault subject.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from privault.core.jurisdictions import RIGHT_TITLES, Right
from privault.core.manifest.resolve import tenant_view
from privault.core.ports import UnitOfWork
from privault.core.request_ports import RequestChange, VerificationChange
from privault.core.requests import FINAL, RequestDetails, RequestRecord, State, VerificationRecord
from privault.core.verification import point_names
from privault.crypto.blind_index import blind_index
from privault.errors import Conflict, InvalidInput, NotFound, PolicyViolation
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.requests import levels
from privault.services.requests.deps import (
    _code_hash,
    _identity_list,
    hash_token,
    load_request,
    normalised_identities,
    open_details,
)
from privault.services.requests.messages import _code_message, send_on_commit
from privault.services.requests.workflow import _move, _resume_in
from privault.services.tenants import bind_tenant

DATA_RIGHTS = (Right.ACCESS, Right.PORTABILITY, Right.ERASURE, Right.RECTIFICATION)


RESEND_COOLDOWN = timedelta(seconds=60)  # between two sends of codes for one request


@dataclass(frozen=True, slots=True)
class Verified:
    """Where verification stands after codes were tried."""

    state: State
    verified: int
    identities: int
    attempts_left: int
    missing: str = ""  # what 11 CCR §7062 still asks for once every code is entered


def _tenant_of_token(deps: Deps, token: str) -> str:
    with deps.make_uow() as uow:
        tenant_id = uow.requests.tenant_of_token(hash_token(token))
        tenant = uow.tenants.get(tenant_id) if tenant_id is not None else None
    if tenant is None:
        raise NotFound("no request for this link", code="request.unknown")
    return tenant.key


def ref_for_token(deps: Deps, token: str) -> tuple[str, str]:
    """(tenant key, request ref) of a requester token."""
    tenant_key = _tenant_of_token(deps, token)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        request = uow.requests.by_token(hash_token(token))
    if request is None:
        raise NotFound("no request for this link", code="request.unknown")
    return tenant_key, request.ref


def verify_codes(
    deps: Deps, tenant_key: str, ref: str, codes: Sequence[str], actor: str = "requester"
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
                uow.requests.update_verification(v.id, VerificationChange(verified_at=at))
            elif tries[v.id] != v.attempts:
                uow.requests.update_verification(v.id, VerificationChange(attempts=tries[v.id]))
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
        missing = ""
        if not remaining:
            request, missing = verify_if_met(deps, uow, tenant_key, request, actor, at, "codes")
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
    return Verified(request.state, total - len(remaining), total, max(left, 0), missing)


def _require_unverified(request: RequestRecord) -> None:
    if request.state in FINAL or request.verified_at is not None:
        raise Conflict(
            f"the request is {request.state.value} and not awaiting verification",
            code="request.invalid_transition",
        )


def _check_codes(
    deps: Deps,
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


def verify_if_met(
    deps: Deps,
    uow: UnitOfWork,
    tenant_key: str,
    request: RequestRecord,
    actor: str,
    at: datetime,
    method: str,
    note: str = "",
) -> tuple[RequestRecord, str]:
    """Mark verified if the request has the level it needs (11 CCR §7062 for Californians), else
    note on its timeline what it still lacks; (the request, what is missing or "")."""
    subject_id, _ = match_subject(deps, uow, tenant_key, open_details(deps, tenant_key, request))
    short = levels.missing(deps, uow, tenant_key, request, subject_id)
    if short is None:
        return mark_verified(deps, uow, tenant_key, request, actor, at, method, note), ""
    uow.requests.add_event(request.id, at, actor, "awaiting_evidence", note=short)
    return request, short


def mark_verified(
    deps: Deps,
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
        request = _resume_in(uow, request, actor, at, deps, tenant_key)
    details = open_details(deps, tenant_key, request)
    subject_id, matches = match_subject(deps, uow, tenant_key, details)
    change = RequestChange(verified_at=at, verification=method, subject_id=subject_id)
    event = {"method": method, "vault_matches": matches}
    if request.state is State.RECEIVED:
        moved = _move(
            deps,
            uow,
            tenant_key,
            request,
            State.VERIFIED,
            actor,
            at,
            action="verified",
            note=note,
            details=event,
            change=change,
        )
    else:
        uow.requests.update(request.id, replace(change, updated_at=at))
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
    deps: Deps, uow: UnitOfWork, tenant_key: str, details: RequestDetails
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


def resend_codes(deps: Deps, tenant_key: str, ref: str, actor: str = "requester") -> int:
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
                VerificationChange(
                    code_hash=_code_hash(deps.keyring, tenant_key, request.id, v.slot, code),
                    expires_at=expires,
                    attempts=0,
                    sends=v.sends + 1,
                ),
            )
            kind, value = identities[v.slot]
            out.append(_code_message(request, kind, value, code, deps.settings.code_minutes))
        uow.requests.add_event(request.id, at, actor, "codes_resent", details={"sent": len(out)})
        send_on_commit(deps, uow, tenant_key, ref, out)
        uow.commit()
    return len(out)


def verify_manually(
    deps: Deps,
    tenant_key: str,
    ref: str,
    actor: str,
    note: str,
    *,
    points: Sequence[str] = (),
    account: bool = False,
) -> RequestRecord:
    """Staff confirmed the requester's identity another way (documents, a call back to the number
    of record); the note says how. Under the §7062 levels, ``points`` name the data points staff
    matched against the business's records and ``account`` says the requester re-authenticated
    through their account (§7061); they are kept, and the request is verified only once its level is
    met (else PolicyViolation ``verification.insufficient``, the evidence kept all the same)."""
    if not note.strip():
        raise InvalidInput("say how the identity was verified", code="verification.failed")
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        _require_unverified(request)
        if levels.applies(deps, request):
            _record_evidence(uow, request, actor, at, point_names(points), account)
        request, short = verify_if_met(
            deps, uow, tenant_key, request, actor, at, "staff", note.strip()
        )
        uow.commit()
    if short:
        raise PolicyViolation(
            f"evidence recorded, not verified yet: {short}", code="verification.insufficient"
        )
    return request


def _record_evidence(
    uow: UnitOfWork,
    request: RequestRecord,
    actor: str,
    at: datetime,
    points: frozenset[str],
    account: bool,
) -> None:
    """Keep the names of the data points staff matched (never their values) and the account
    re-authentication, on the timeline and in the audit trail."""
    facts = {"points": sorted(points), "account": account}
    uow.requests.add_event(request.id, at, actor, levels.EVIDENCE, details=facts)
    audit = {"ref": request.ref, "method": "staff", "points": len(points), "account": account}
    record(uow, [Entry(actor, "request:verify", None, None, "ok", audit)], at)
