"""Rules of disclosure to recipients: who may get which categories, for what, in what form. No I/O.

- the register: a recipient is one of the tenant's (manifest ``recipients``), for one of its purposes;
- VEND-1 / CCPA-SP-1: a processor or partner gets identifiable data (``identity`` or ``pseudonymise``)
  only under a DPA or service-provider terms that also forbid its own marketing; otherwise only
  ``aggregate`` or ``anonymise``;
- minimisation: the recipient's categories that the purpose also uses (prefix match: ``user.contact``
  covers ``user.contact.email``), and of those only what the subject holds;
- LAW-DISC-1 / PIPEDA-LAW-1: a disclosure to an authority records its legal basis and the document
  (order, subpoena, warrant); withholding notice from the subject needs a gag or delay order reference
  and the date it expires.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from privault.core.manifest.model import Purpose, PurposeKind, Recipient, RecipientType
from privault.core.manifest.resolve import TenantView
from privault.core.ropa import home_region, safeguard
from privault.core.taxonomy import covers
from privault.errors import InvalidInput, NotFound, PolicyViolation

TRANSFORMS = ("identity", "pseudonymise", "aggregate", "anonymise")
IDENTIFIABLE = frozenset({"identity", "pseudonymise"})
VENDOR_TYPES = frozenset({RecipientType.PROCESSOR, RecipientType.PARTNER})
LAW_TYPES = frozenset({RecipientType.AUTHORITY})
MAX_TEXT = 200
ANONYMITY_THRESHOLD = 5
"""``anonymise`` reports a count below this as ``"<5"`` (small cells could single a person out)."""


def refused(reason: str) -> PolicyViolation:
    """The error for a disclosure the rules do not allow, saying why."""
    return PolicyViolation(reason, code="disclosure.refused")


def invalid(reason: str) -> InvalidInput:
    """The error for a disclosure missing what the law requires it to record."""
    return InvalidInput(reason, code="disclosure.invalid")


@dataclass(frozen=True, slots=True)
class LegalFields:
    """What a disclosure records about its footing in law (LAW-DISC-1)."""

    legal_basis: str | None = None
    document_ref: str | None = None
    notice_withheld_until: date | None = None
    withhold_reference: str | None = None


@dataclass(frozen=True, slots=True)
class DisclosurePlan:
    """A disclosure the register allows: to whom, for what, in what form, which categories at most."""

    recipient: Recipient
    purpose: Purpose
    transform: str
    allowed: tuple[str, ...]
    legal: LegalFields


def find_recipient(view: TenantView, key: str) -> Recipient:
    """The tenant's recipient with this key, or ``recipient.unknown``."""
    found = next((r for r in view.recipients if r.key == key), None)
    if found is None:
        raise NotFound(
            f"tenant '{view.tenant.key}' has no recipient '{key}'", code="recipient.unknown"
        )
    return found


def find_purpose(view: TenantView, key: str) -> Purpose:
    """The tenant's purpose with this key, or ``purpose.unknown``."""
    found = view.purpose(key)
    if found is None:
        raise NotFound(f"tenant '{view.tenant.key}' has no purpose '{key}'", code="purpose.unknown")
    return found


def check_purpose(recipient: Recipient, purpose: Purpose) -> None:
    """The recipient receives data for this purpose only if the register says so."""
    if purpose.key not in recipient.purposes:
        allowed = ", ".join(recipient.purposes) or "none"
        raise refused(
            f"recipient '{recipient.key}' is registered for purposes {allowed}, not '{purpose.key}'"
        )


def identifiable_allowed(recipient: Recipient, vendors_may_market: bool) -> str | None:
    """None if the recipient may get identifiable data; otherwise the rule that forbids it."""
    if recipient.type not in VENDOR_TYPES:
        return None
    terms = recipient.contract
    if not (terms.dpa or terms.service_provider_terms):
        return (
            f"VEND-1/CCPA-SP-1: {recipient.type.value} '{recipient.key}' has no DPA or "
            "service-provider terms, so it may get aggregated or anonymised data only"
        )
    if not vendors_may_market and not terms.no_own_marketing:
        return (
            f"VEND-1/CCPA-SP-1: the contract of '{recipient.key}' does not forbid its own "
            "marketing use, so it may get aggregated or anonymised data only"
        )
    return None


def choose_transform(
    recipient: Recipient, requested: str | None, vendors_may_market: bool = False
) -> str:
    """The transform to apply: the one asked for, or the recipient's first one its contract allows."""
    if requested is not None and requested not in TRANSFORMS:
        raise invalid(f"unknown transform '{requested}' (known: {', '.join(TRANSFORMS)})")
    barred = identifiable_allowed(recipient, vendors_may_market)
    if requested is None:
        usable = [t for t in recipient.transforms if t not in IDENTIFIABLE or barred is None]
        if not usable:
            raise refused(barred or f"recipient '{recipient.key}' accepts no transform")
        return usable[0]
    if requested not in recipient.transforms:
        raise refused(
            f"recipient '{recipient.key}' accepts only {', '.join(recipient.transforms)} data, "
            f"not {requested}"
        )
    if requested in IDENTIFIABLE and barred is not None:
        raise refused(barred)
    return requested


def allowed_categories(recipient: Recipient, purpose: Purpose) -> tuple[str, ...]:
    """The recipient's categories that the purpose also uses (the narrower key of each pair)."""
    found: set[str] = set()
    for mine in recipient.categories:
        for used in purpose.categories:
            if covers(used, mine):
                found.add(mine)
            elif covers(mine, used):
                found.add(used)
    return tuple(sorted(found))


def narrow(allowed: Sequence[str], requested: Sequence[str], recipient: str) -> tuple[str, ...]:
    """Only the categories asked for, each of which must be allowed (refused naming the first not)."""
    if not requested:
        return tuple(allowed)
    for category in requested:
        if not any(covers(a, category) for a in allowed):
            raise refused(
                f"recipient '{recipient}' may not receive '{category}' for this purpose "
                f"(allowed: {', '.join(allowed) or 'none'})"
            )
    return tuple(sorted(set(requested)))


def minimise(allowed: Iterable[str], held: Iterable[str]) -> list[str]:
    """The held categories that one of ``allowed`` covers."""
    patterns = tuple(allowed)
    return sorted({h for h in held if any(covers(a, h) for a in patterns)})


def _text(name: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value.strip()) > MAX_TEXT:
        raise invalid(f"{name} is at most {MAX_TEXT} characters")
    return value.strip()


def check_legal(recipient: Recipient, legal: LegalFields, today: date) -> LegalFields:
    """LAW-DISC-1: what a disclosure to an authority, or one withheld from the subject, must record."""
    basis = _text("legal_basis", legal.legal_basis)
    document = _text("document_ref", legal.document_ref)
    withhold = _text("withhold_reference", legal.withhold_reference)
    until = legal.notice_withheld_until
    if recipient.type in LAW_TYPES and not (basis and document):
        raise invalid(
            f"a disclosure to {recipient.type.value} '{recipient.key}' needs its legal basis and "
            "the document reference (order, subpoena, warrant) (LAW-DISC-1, PIPEDA-LAW-1)"
        )
    if withhold is not None or until is not None:
        if withhold is None or until is None:
            raise invalid(
                "withholding notice from the subject needs the gag or delay order reference and "
                "the date it expires (LAW-DISC-1)"
            )
        if until <= today:
            raise invalid("notice can be withheld only until a date after today (LAW-DISC-1)")
        if not (basis and document):
            raise invalid(
                "notice is withheld only when the law requires it: give the legal basis and the "
                "document reference (LAW-DISC-1)"
            )
    return LegalFields(basis, document, until, withhold)


def plan_disclosure(
    view: TenantView,
    recipient_key: str,
    purpose_key: str,
    *,
    categories: Sequence[str] = (),
    transform: str | None = None,
    legal: LegalFields | None = None,
    today: date,
) -> DisclosurePlan:
    """Check a disclosure against the register and the law; what may go, in what form."""
    recipient = find_recipient(view, recipient_key)
    purpose = find_purpose(view, purpose_key)
    check_purpose(recipient, purpose)
    chosen = choose_transform(recipient, transform, view.policy.vendors_may_market)
    allowed = narrow(allowed_categories(recipient, purpose), categories, recipient.key)
    if not allowed:
        raise refused(
            f"recipient '{recipient.key}' and purpose '{purpose.key}' share no data category"
        )
    fields = check_legal(recipient, legal or LegalFields(), today)
    check_transfer(view, recipient, chosen)
    return DisclosurePlan(recipient, purpose, chosen, allowed, fields)


def check_transfer(view: TenantView, recipient: Recipient, transform: str) -> None:
    """Identifiable data leaves the tenant's home region (for EU/UK tenants: the EEA, the UK and
    the adequate countries) only with a safeguard recorded in the recipient's contract (SCCs, a DPA
    reference, GDPR Art. 46); authorities are governed by their legal basis instead."""
    if transform not in IDENTIFIABLE or recipient.type in LAW_TYPES:
        return
    region, home = home_region(view)
    outside = sorted(c for c in recipient.countries if c not in home)
    if outside and safeguard(recipient) is None:
        raise refused(
            f"recipient '{recipient.key}' is in {', '.join(outside)}, outside {region}, and its "
            "contract records no transfer safeguard (a DPA or standard clauses)"
        )


def notice_withheld(until: date | None, today: date) -> bool:
    """Whether the subject is not told of a disclosure yet (a gag or delay order still runs)."""
    return until is not None and today < until


def count_cell(count: int, transform: str) -> int | str:
    """An aggregate count as reported: exact, or ``"<5"`` for a small cell when anonymised."""
    if transform == "anonymise" and 0 < count < ANONYMITY_THRESHOLD:
        return f"<{ANONYMITY_THRESHOLD}"
    return count


# --- partner offers --------------------------------------------------------------------------------

CHANNEL_IDENTITY = {"email": "email", "sms": "phone"}


def check_offer(view: TenantView, partner_key: str, purpose_key: str, channel: str) -> Purpose:
    """A partner's offer goes through the tenant, for a marketing purpose on that channel."""
    if channel not in CHANNEL_IDENTITY:
        raise InvalidInput(
            f"offers go by {' or '.join(CHANNEL_IDENTITY)}, not '{channel}'", code="offer.invalid"
        )
    partner = find_recipient(view, partner_key)
    if partner.type is not RecipientType.PARTNER:
        raise InvalidInput(
            f"recipient '{partner.key}' is a {partner.type.value}, not a partner",
            code="offer.invalid",
        )
    purpose = find_purpose(view, purpose_key)
    if purpose.kind is not PurposeKind.MARKETING or purpose.channel is None:
        raise InvalidInput(
            f"purpose '{purpose.key}' is not a marketing purpose with a channel",
            code="offer.invalid",
        )
    if purpose.channel.value != channel:
        raise InvalidInput(
            f"purpose '{purpose.key}' markets by {purpose.channel.value}, not {channel}",
            code="offer.invalid",
        )
    return purpose
