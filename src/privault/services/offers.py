"""Partner offers without transfer: the tenant sends a partner's offer itself, to the subjects whose
processing decision allows that marketing purpose on that channel. The partner receives counts only.

Every live subject with an identity for the channel (an e-mail address, or a phone number for SMS) is
asked about; the allowed ones get the message with a one-click unsubscribe link. The audit entry
(``offer:send``, counts only) is committed before anything is sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from privault.core.decisions import Decision
from privault.core.disclosures import CHANNEL_IDENTITY, check_offer
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records import IdentityRecord, SubjectRecord
from privault.core.secrets import Secret
from privault.crypto.subjects import subject_cipher
from privault.errors import InvalidInput, NotFound, PrivaultError
from privault.outbound.messenger import Message
from privault.services.audit import Entry, record
from privault.services.decisions import Question, answer_many
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant
from privault.services.unsubscribe import Target, make_token

PAGE = 1_000
MAX_SUBJECT_LINE = 200
MAX_BODY = 10_000
KIND = "partner_offer"
_CHANNELS: dict[str, Literal["email", "sms"]] = {"email": "email", "sms": "sms"}


@dataclass(frozen=True, slots=True)
class OfferSent:
    """What an offer did, in counts only: this is all the partner is told."""

    partner: str
    purpose: str
    channel: str
    eligible: int
    sent: int
    failed: int
    suppressed: dict[str, int] = field(default_factory=dict)  # rule -> subjects

    def counts(self) -> dict[str, object]:
        """The counts as plain values (for the partner's report, the API and the CLI)."""
        return {
            "partner": self.partner,
            "purpose": self.purpose,
            "channel": self.channel,
            "eligible": self.eligible,
            "sent": self.sent,
            "failed": self.failed,
            "suppressed": dict(self.suppressed),
        }


@dataclass(frozen=True, slots=True)
class _Outgoing:
    subject: SubjectRecord
    to: Secret[str]


def _check_text(subject_line: str, body: str) -> None:
    if not subject_line.strip() or "\n" in subject_line or "\r" in subject_line:
        raise InvalidInput("an offer needs a one-line subject", code="offer.invalid")
    if len(subject_line) > MAX_SUBJECT_LINE:
        raise InvalidInput(
            f"an offer's subject is at most {MAX_SUBJECT_LINE} characters", code="offer.invalid"
        )
    if not body.strip() or len(body) > MAX_BODY:
        raise InvalidInput(
            f"an offer needs a body of at most {MAX_BODY} characters", code="offer.invalid"
        )


def _check_brand(view: TenantView, brand: str | None) -> None:
    if brand is not None and brand not in {b.key for b in view.tenant.brands}:
        raise NotFound(f"tenant has no brand '{brand}'", code="brand.unknown")


def send_offer(
    deps: Deps,
    tenant: str,
    partner_key: str,
    purpose: str,
    channel: str,
    subject_line: str,
    body: str,
    brand: str | None = None,
    *,
    actor: str = "system",
) -> OfferSent:
    """Send ``partner_key``'s offer to every subject allowed ``purpose`` on ``channel``; counts only."""
    view = tenant_view(deps.manifest, tenant)
    check_offer(view, partner_key, purpose, channel)
    _check_brand(view, brand)
    _check_text(subject_line, body)
    suppressed: Counter[str] = Counter()
    outgoing: list[_Outgoing] = []
    kind, after = CHANNEL_IDENTITY[channel], 0
    while True:  # one short transaction per page: SQLite's write lock is never held for long
        with deps.make_uow() as uow:
            tenant_id = bind_tenant(uow, tenant).id
            ids = uow.disclosures.holders(kind, after, PAGE)
            if not ids:
                break
            asked = _Asked(tenant, tenant_id, purpose, brand, kind)
            outgoing += _allowed(deps, uow, asked, uow.subjects.get_many(ids), suppressed)
        after = ids[-1]
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant)
        eligible = len(outgoing) + sum(suppressed.values())
        details = {
            "partner": partner_key,
            "channel": channel,
            "brand": brand,
            "eligible": eligible,
            "to_send": len(outgoing),
            "suppressed": dict(sorted(suppressed.items())),
        }
        record(uow, [Entry(actor, "offer:send", None, purpose, "ok", details)], deps.clock.now())
        uow.commit()
    sent, failed = _send(deps, tenant, channel, brand, subject_line, body, outgoing)
    return OfferSent(partner_key, purpose, channel, eligible, sent, failed, dict(suppressed))


@dataclass(frozen=True, slots=True)
class _Asked:
    """The question an offer asks about every holder."""

    tenant: str
    tenant_id: int
    purpose: str
    brand: str | None
    kind: str  # the identity the channel reaches


def _allowed(
    deps: Deps,
    uow: UnitOfWork,
    asked: _Asked,
    subjects: list[SubjectRecord],
    suppressed: Counter[str],
) -> list[_Outgoing]:
    """Ask the decision for each subject; decrypt the identity of those allowed, count the others."""
    questions = [Question(asked.purpose, s.ref or "", brand=asked.brand) for s in subjects]
    decider = deps.decider
    at = deps.clock.now()
    answers = answer_many(uow, decider, asked.tenant, asked.tenant_id, questions, at)
    first: dict[int, IdentityRecord] = {}
    for identity in uow.subjects.identities([s.id for s in subjects]):
        if identity.kind == asked.kind:
            first.setdefault(identity.subject_id, identity)
    out: list[_Outgoing] = []
    for subject, answer in zip(subjects, answers, strict=True):
        if not answer.allowed:
            suppressed[_rule(answer)] += 1
        elif subject.id in first:
            to = _open(deps, asked.tenant, asked.tenant_id, subject, first[subject.id])
            out.append(_Outgoing(subject, to))
    return out


def _rule(answer: Decision) -> str:
    """The rule that suppressed a subject (the first subject-wide denial, else the first denial)."""
    denial = answer.subject_wide_denial() or next(r for r in answer.reasons if not r.allowed)
    return denial.rule


def _open(
    deps: Deps, tenant: str, tenant_id: int, subject: SubjectRecord, identity: IdentityRecord
) -> Secret[str]:
    cipher = subject_cipher(deps.keyring, tenant, tenant_id, subject)
    value: Secret[str] = cipher.open_value(f"identity:{identity.kind}", identity.ciphertext)
    return value


def _send(
    deps: Deps,
    tenant: str,
    channel: str,
    brand: str | None,
    subject_line: str,
    body: str,
    outgoing: list[_Outgoing],
) -> tuple[int, int]:
    """Send each message with its unsubscribe link; (sent, failed)."""
    sent = failed = 0
    for item in outgoing:
        sent_on = deps.clock.now().date()  # kept in the link (CASL-1)
        target = Target(tenant, item.subject.id, item.subject.uid, brand or "*", channel, sent_on)
        link = f"{deps.settings.public_url.rstrip('/')}/u/{make_token(deps.keyring, target)}"
        text = f"{body.rstrip()}\n\nTo stop these messages: {link}\n"
        message = Message(_CHANNELS[channel], item.to.reveal(), subject_line, text, tenant, KIND)
        try:
            deps.messenger.send(message)
        except PrivaultError:
            failed += 1
        else:
            sent += 1
    return sent, failed
