"""The two-step opt-in to sale or sharing (CCPA-OI-1; 11 CCR 7028(a), Cal. Civ. Code 1798.135(c)(4)).

Step one, :func:`request_sale_opt_in`, takes the consumer's request and answers with a signed
confirmation token (it names the tenant, the holder, the instant of the request and who started
it; no personal data). Within 12 months of an opt-out only a request the consumer starts is taken.
Step two, :func:`confirm_sale_opt_in`, is a separate act within 24 hours: it records the grant
with the request as evidence. A grant after an opt-out by any other path is refused
(``core/opt_in.py``). Both steps are audited.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime

from privault.core.audit import from_micros, to_micros
from privault.core.consent import Choice, Kind, check_visitor
from privault.core.opt_in import OPT_IN_CONFIRM_WITHIN, ask_after, check_request
from privault.crypto.keyring import Keyring
from privault.crypto.signed import sign, verify
from privault.errors import ConfigurationError, Conflict, Forbidden, InvalidInput
from privault.services.audit import Entry, record
from privault.services.consent import (
    Evidence,
    Holder,
    Recorded,
    append_choices,
    check_evidence,
    state_of,
    subject_by_ref,
)
from privault.services.deps import Deps

TOKEN_KIND = "token:opt-in"  # noqa: S105 - a key-derivation label, not a secret
_INVALID = "this opt-in confirmation is not valid"


@dataclass(frozen=True, slots=True)
class OptInRequest:
    """The token to confirm with, and until when it may be confirmed."""

    token: str
    expires_at: datetime
    ask_after: datetime | None  # within 12 months of an opt-out: the business may not ask before


def _key(keyring: Keyring, tenant_key: str) -> bytes:
    try:
        return keyring.index_key(tenant_key, TOKEN_KIND)
    except ConfigurationError as exc:
        raise Forbidden(_INVALID, code="consent.opt_in_invalid") from exc


def _holder_ref(holder: Holder) -> str:
    if (holder.subject is None) == (holder.visitor is None):
        raise InvalidInput("name either a subject or a visitor", code="consent.invalid")
    return f"s:{holder.subject}" if holder.subject else f"v:{check_visitor(holder.visitor or '')}"


def request_sale_opt_in(
    deps: Deps,
    tenant_key: str,
    actor: str,
    holder: Holder,
    evidence: Evidence,
    *,
    consumer_initiated: bool,
) -> OptInRequest:
    """Step one: take the request (refused if the business starts it within 12 months of an
    opt-out); audited as ``consent:opt_in:request``."""
    check_evidence(deps.decider.view(tenant_key), evidence)
    who, at = _holder_ref(holder), deps.clock.now()
    with deps.make_uow() as uow:
        state = state_of(uow, tenant_key, holder)
        check_request(state, at, consumer_initiated=consumer_initiated)
        claim = {"t": tenant_key, "h": who, "at": to_micros(at), "c": consumer_initiated}
        token = sign(_key(deps.keyring, tenant_key), json.dumps(claim, sort_keys=True).encode())
        details = {"kind": Kind.SALE_SHARING.value, "consumer_initiated": consumer_initiated}
        details |= {"via": evidence.via.value, "holder": "subject" if holder.subject else "visitor"}
        uid = subject_by_ref(uow, holder.subject).uid if holder.subject else None
        record(uow, [Entry(actor, "consent:opt_in:request", uid, None, "ok", details)], at)
        uow.commit()
    return OptInRequest(token, at + OPT_IN_CONFIRM_WITHIN, ask_after(state))


def _claim(keyring: Keyring, tenant_key: str, token: str) -> tuple[Holder, datetime, bool]:
    payload = verify(_key(keyring, tenant_key), token)
    try:
        claim = json.loads(payload or b"")
        who, requested = str(claim["h"]), from_micros(int(claim["at"]))
        ok = payload is not None and claim["t"] == tenant_key and who[:2] in ("s:", "v:")
    except (ValueError, KeyError, TypeError) as exc:
        raise Forbidden(_INVALID, code="consent.opt_in_invalid") from exc
    if not ok:
        raise Forbidden(_INVALID, code="consent.opt_in_invalid")
    holder = Holder(subject=who[2:]) if who[0] == "s" else Holder(visitor=who[2:])
    return holder, requested, bool(claim["c"])


def confirm_sale_opt_in(
    deps: Deps, tenant_key: str, actor: str, token: str, evidence: Evidence
) -> Recorded:
    """Step two: the separate confirmation, within 24 hours of the request: records the grant."""
    holder, requested, initiated = _claim(deps.keyring, tenant_key, token)
    at = deps.clock.now()
    if not requested < at <= requested + OPT_IN_CONFIRM_WITHIN:
        raise Conflict(
            "an opt-in is confirmed separately, within 24 hours of its request: ask again",
            code="consent.opt_in_expired",
        )
    extra = {
        **evidence.extra,
        "opt_in": "two_step",
        "opt_in_requested_at": requested.isoformat(),
        "opt_in_started_by": "consumer" if initiated else "business",
    }
    confirmed = dataclasses.replace(evidence, extra=extra)
    choice = Choice(Kind.SALE_SHARING, "*", True)
    with deps.make_uow() as uow:
        done = append_choices(
            uow, deps.decider, tenant_key, actor, holder, [choice], confirmed, at, two_step=True
        )
        uow.commit()
    return done
