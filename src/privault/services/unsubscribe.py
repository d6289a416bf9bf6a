"""One-click unsubscribe (RFC 8058): signed links that opt a subject out of a brand's channel.

A token is ``base64url(payload) "." base64url(HMAC-SHA256)``; the payload names the tenant, the subject
(id and its random uid), the brand and the channel, so a token cannot be altered, forged, or replayed
for another subject, brand, channel or tenant, and (``v2``) the day the message was sent. The key is
derived from the tenant's key root in the keyring (never stored in the database). POST unsubscribes
at once without a login; GET only shows a confirmation page. Links never expire (CASL s.11(2) asks
60 days at least); under Canadian law the event records CASL's 10-business-day limit (CASL-1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from privault.core.casl import casl_applies, effect_by
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.manifest.model import Channel
from privault.core.ports import UnitOfWork
from privault.crypto.keyring import Keyring
from privault.crypto.signed import sign, unb64, verify
from privault.errors import ConfigurationError, Forbidden, NotFound
from privault.services.consent import Evidence, Holder, append_choices
from privault.services.decisions import Decider
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

TOKEN_KIND = "token:unsubscribe"  # noqa: S105 - a key-derivation label, not a secret
_INVALID = "this unsubscribe link is not valid"


@dataclass(frozen=True, slots=True)
class Target:
    """Who and what a token unsubscribes."""

    tenant: str
    subject_id: int
    uid: str
    brand: str
    channel: str
    sent_on: date | None = None  # the day the message carrying the link was sent (v2 tokens)


def make_token(keyring: Keyring, target: Target) -> str:
    """Sign a target (``v2`` when it carries the day the message was sent)."""
    parts = [target.tenant, str(target.subject_id), target.uid, target.brand, target.channel]
    sent = [target.sent_on.isoformat()] if target.sent_on is not None else []
    parts = ["v2" if sent else "v1", *parts, *sent]
    payload = "|".join(parts).encode()
    return sign(keyring.index_key(target.tenant, TOKEN_KIND), payload)


def read_token(keyring: Keyring, token: str) -> Target:
    """Verify a token; any alteration, forgery or malformation is Forbidden."""
    try:
        version, tenant, subject_id, uid, brand, channel, *rest = (
            _unb64_payload(token).decode().split("|")
        )
        if (version, len(rest)) not in (("v1", 0), ("v2", 1)):
            raise ValueError(version)
        sent_on = date.fromisoformat(rest[0]) if rest else None
        target = Target(tenant, int(subject_id), uid, brand, channel, sent_on)
        ok = verify(keyring.index_key(tenant, TOKEN_KIND), token) is not None
    except (ValueError, UnicodeDecodeError, ConfigurationError) as exc:
        raise Forbidden(_INVALID, code="unsubscribe.invalid") from exc
    if not ok:
        raise Forbidden(_INVALID, code="unsubscribe.invalid")
    return target


def _unb64_payload(token: str) -> bytes:
    """The unverified payload (to learn the tenant whose key verifies it)."""
    body, _ = token.split(".")
    return unb64(body)


@dataclass(frozen=True, slots=True)
class Link:
    """The link and the headers to put on a marketing message."""

    url: str
    headers: dict[str, str]


def unsubscribe_link(
    deps: Deps,
    tenant_key: str,
    subject_ref: str,
    brand: str,
    channel: str,
    sent_on: date | None = None,
) -> Link:
    """A signed link (under ``deps.settings.public_url``) and the RFC 8058 headers
    (``List-Unsubscribe``, ``List-Unsubscribe-Post``); ``sent_on``: the day the message goes out
    (kept in the link, CASL-1)."""
    view = deps.decider.view(tenant_key)
    if brand != "*" and brand not in {b.key for b in view.tenant.brands}:
        raise NotFound(f"tenant has no brand '{brand}'", code="brand.unknown")
    if channel not in {c.value for c in Channel} | {"*"}:
        raise NotFound(f"no marketing channel '{channel}'", code="consent.unknown_scope")
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        subject = uow.subjects.get_by_ref(subject_ref)
    if subject is None or subject.wrapped_key is None:
        raise NotFound(f"no subject '{subject_ref}'", code="subject.unknown")
    target = Target(tenant_key, subject.id, subject.uid, brand, channel, sent_on)
    token = make_token(deps.keyring, target)
    url = f"{deps.settings.public_url.rstrip('/')}/u/{token}"
    return Link(
        url, {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    )


def describe(deps: Deps, token: str) -> tuple[Target, str, str]:
    """For the confirmation page: the target, the brand's name and the tenant's name."""
    target = read_token(deps.keyring, token)
    view = deps.decider.view(target.tenant)
    brand = next((b.name for b in view.tenant.brands if b.key == target.brand), "all our brands")
    return target, brand, view.tenant.name


def unsubscribe(
    deps: Deps, token: str, *, ip: str | None = None, user_agent: str | None = None
) -> Target:
    """Opt the token's subject out of the brand's channel, now (idempotent: a repeat adds an event)."""
    target = read_token(deps.keyring, token)
    with deps.make_uow() as uow:
        _opt_out(uow, deps.decider, target, deps.clock.now(), ip, user_agent)
        uow.commit()
    return target


def _opt_out(
    uow: UnitOfWork,
    decider: Decider,
    target: Target,
    at: datetime,
    ip: str | None,
    user_agent: str | None,
) -> None:
    bind_tenant(uow, target.tenant)
    found = uow.subjects.get_many([target.subject_id])
    if (
        not found
        or found[0].uid != target.uid
        or found[0].wrapped_key is None
        or found[0].ref is None
    ):
        raise NotFound("this person is no longer on our lists", code="subject.unknown")
    evidence = Evidence(
        Method.UNSUBSCRIBE,
        Via.EMAIL if target.channel in ("email", "*") else Via.WEB,
        brand=None if target.brand == "*" else target.brand,
        shown="List-Unsubscribe one-click",
        ip=ip,
        user_agent=user_agent,
        extra=_casl_evidence(decider, target, at),
    )
    choice = Choice(Kind.MARKETING, f"{target.brand}:{target.channel}", False)
    append_choices(
        uow,
        decider,
        target.tenant,
        f"unsubscribe:{target.uid[:8]}",
        Holder(subject=found[0].ref),
        [choice],
        evidence,
        at,
    )


def _casl_evidence(decider: Decider, target: Target, at: datetime) -> dict[str, str]:
    """Under Canadian law: the latest day the unsubscribe could take effect (s.11(3)), and the day
    the message was sent. The event itself takes effect at once."""
    if not casl_applies(decider.view(target.tenant).tenant.jurisdictions):
        return {}
    found = {"casl_effect_by": effect_by(at.date()).isoformat()}
    if target.sent_on is not None:
        found["link_sent_on"] = target.sent_on.isoformat()
    return found
