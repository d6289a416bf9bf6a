"""The signed declaration under penalty of perjury a Californian request to know specific pieces of
information needs (11 CCR §7062(c)), kept with the request's record for as long as it is kept (§7101).

The requester signs by typing their full name under the statement (``core.verification``); staff
record a declaration signed on paper the same way. The timeline keeps the name, the statement's
version and its SHA-256; the audit trail keeps the version only.
"""

from __future__ import annotations

from privault.core.verification import DECLARATION_SHA256, DECLARATION_VERSION, KNOW
from privault.errors import Conflict, InvalidInput
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.requests import levels
from privault.services.requests.deps import load_request
from privault.services.requests.verification import Verified, _require_unverified, verify_if_met


def sign_declaration(
    deps: Deps, tenant_key: str, ref: str, name: str, actor: str = "requester"
) -> Verified:
    """Store the requester's signed declaration; if every code is entered and the level is then met,
    the request is verified."""
    signed = " ".join(name.split())
    if not signed or len(signed) > 200:
        raise InvalidInput(
            "sign with your full name (at most 200 characters)", code="verification.failed"
        )
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        _require_unverified(request)
        if not levels.applies(deps, request) or request.type not in KNOW:
            raise Conflict(
                "this request needs no signed declaration", code="request.invalid_transition"
            )
        facts = {"statement": DECLARATION_VERSION, "statement_sha256": DECLARATION_SHA256}
        uow.requests.add_event(request.id, at, actor, levels.DECLARED, note=signed, details=facts)
        audit = {"ref": ref, "statement": DECLARATION_VERSION}
        record(uow, [Entry(actor, "request:declare", None, None, "ok", audit)], at)
        codes = uow.requests.verifications(request.id)
        done = sum(1 for v in codes if v.verified_at is not None)
        missing = "the one-time codes still to enter"
        if done == len(codes):
            request, missing = verify_if_met(deps, uow, tenant_key, request, actor, at, "codes")
        uow.commit()
    return Verified(request.state, done, len(codes), deps.settings.max_attempts, missing)
