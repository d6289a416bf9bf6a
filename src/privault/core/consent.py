"""Consent and preferences: the ledger's vocabulary and the projection of current state. No I/O.

Every choice a person makes is one append-only :class:`ConsentEvent`. Each event says, for one
``(kind, scope)`` topic, whether the person *permits* something (``granted``): consent to a purpose,
a cookie category, marketing on a brand and channel, CPNI use, an explicit consent to special-category
data, sale/sharing, and also the absence of an objection or of a restriction (objecting is
``granted = False`` on ``objection``; lifting it is ``granted = True``).

The current state of a holder (a subject ``s:<id>`` or an anonymous visitor ``v:<id>``) is a
projection of the ledger: per topic, the event with the greatest ``(at_us, id)`` wins. Folding the
events in id order one at a time (what the services do) gives exactly what rebuilding from the whole
ledger gives (a property test checks it). A ``link`` event attaches a visitor to a subject: the
visitor's topics are merged into the subject's, and later events of the visitor also count for the
subject (the services write those with both holders).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from privault.core.manifest.model import Channel, CookieCategoryKey, LawfulBasis, PurposeKind
from privault.core.manifest.resolve import TenantView, category_sensitivity
from privault.core.taxonomy import Sensitivity, is_within
from privault.errors import InvalidInput, NotFound


class Kind(StrEnum):
    """What a consent event is about. Each kind's scope is documented in docs/consent.md."""

    PURPOSE = "purpose"  # scope: a purpose key (consent as a lawful basis, or an opt-out)
    COOKIE = "cookie"  # scope: preference | statistics | marketing
    MARKETING = "marketing"  # scope: "<brand|*>:<channel|*>"
    CPNI = "cpni"  # scope: "*" (approval); evidence: mode opt_in | opt_out
    SPECIAL = "special"  # scope: "<purpose>:<category>" explicit consent (GDPR Art. 9(2)(a))
    PARENTAL = "parental"  # scope: a purpose key; a parent's verified consent for a minor
    # scope: a purpose key; a parent's separate verified consent to disclose a child's data to
    # third parties for that purpose (COPPA 16 CFR 312.5(a)(2), from 2026-04-22)
    PARENTAL_DISCLOSURE = "parental_disclosure"
    SALE_SHARING = "sale_sharing"  # scope: "*"; False = opted out of sale/sharing (CCPA, GPC)
    LIMIT_SPI = "limit_spi"  # scope: "*"; False = limit use of sensitive data (CCPA §7027)
    TARGETED_ADS = (
        "targeted_ads"  # scope: "*"; False = opted out of targeted advertising (US states)
    )
    PROFILING = "profiling"  # scope: "*"; False = opted out of profiling (US states)
    OBJECTION = "objection"  # scope: a purpose key or "marketing"; False = objecting (Art. 21)
    RESTRICTION = "restriction"  # scope: "*" or a purpose key; False = restricted (Art. 18)
    LINK = "link"  # a visitor linked to a subject (no scope of its own)


class Method(StrEnum):
    """How the choice was made."""

    ACCEPT = "accept"
    REJECT = "reject"
    SAVE = "save"
    GPC = "gpc"
    UNSUBSCRIBE = "unsubscribe"
    AGENT = "agent"
    IVR = "ivr"
    IMPORT = "import"
    NOTICE = "notice"  # CPNI opt-out approval: notice sent, no opt-out within the waiting period
    NOTICE_MAIL = "notice_mail"  # the same, the notice mailed (the wait starts 3 days later)
    REQUEST = "request"  # a subject request (objection, restriction, opt-out, limit)
    FORM = "form"  # the privacy center's own forms
    CONSENT_MANAGER = (
        "consent_manager"  # a consent artefact from a registered consent manager (DPDP)
    )


class Via(StrEnum):
    """The channel the choice reached us through."""

    WEB = "web"
    EMAIL = "email"
    PHONE = "phone"
    IVR = "ivr"
    AGENT_DESKTOP = "agent_desktop"
    POST = "post"
    API = "api"


# Methods that can only say no: a reject button, a GPC signal or an unsubscribe link never grants.
WITHDRAW_ONLY = frozenset({Method.REJECT, Method.GPC, Method.UNSUBSCRIBE})
# Choices taken by a person on the phone must name the agent (or IVR) and the call.
VOICE_CHANNELS = frozenset({Via.PHONE, Via.IVR, Via.AGENT_DESKTOP})
CPNI_OPT_OUT_WAIT_DAYS = 30  # 47 CFR 64.2008(d)(1): opt-out approval only after 30 days' notice
CPNI_MAIL_DAYS = 3  # 47 CFR 64.2008(d)(1)(ii): a mailed notice's wait starts on the third day
# (unverified: the official text of (d)(1)(ii) was not retrieved; figure from RULES.md)
CPNI_NOTICE_METHODS = frozenset({"notice", "notice_mail"})


def cpni_wait_days(method: str) -> int:
    """Days from a CPNI opt-out notice to assumed approval: 30, counted from the third day after
    mailing for a mailed notice (47 CFR 64.2008(d)(1))."""
    return CPNI_OPT_OUT_WAIT_DAYS + (CPNI_MAIL_DAYS if method == Method.NOTICE_MAIL else 0)


_VISITOR = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
_TEXT = re.compile(r"^[^\x00-\x1f]{0,500}$")
_REF = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Entry:
    """The state of one topic: the winning event."""

    granted: bool
    at_us: int
    event_id: int
    method: str

    def newer_than(self, other: Entry | None) -> bool:
        """True if this entry wins over ``other`` (greater (at, id))."""
        return other is None or (self.at_us, self.event_id) > (other.at_us, other.event_id)


State = dict[str, Entry]  # "kind:scope" -> Entry


def topic(kind: str, scope: str) -> str:
    """The state key of a topic."""
    return f"{kind}:{scope}"


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One row of the ledger, as the projection sees it."""

    id: int
    at_us: int
    subject_id: int | None
    visitor: str | None
    kind: str
    scope: str
    granted: bool
    method: str


def holders(event: ConsentEvent) -> list[str]:
    """Whose state the event changes."""
    found = []
    if event.subject_id is not None:
        found.append(f"s:{event.subject_id}")
    if event.visitor is not None:
        found.append(f"v:{event.visitor}")
    return found


def apply(states: dict[str, State], event: ConsentEvent) -> None:
    """Fold one event into the holders' states (in place)."""
    if event.kind == Kind.LINK:
        if event.subject_id is None or event.visitor is None:
            return
        subject = states.setdefault(f"s:{event.subject_id}", {})
        for key, entry in states.setdefault(f"v:{event.visitor}", {}).items():
            if entry.newer_than(subject.get(key)):
                subject[key] = entry
        return
    entry = Entry(event.granted, event.at_us, event.id, event.method)
    key = topic(event.kind, event.scope)
    for holder in holders(event):
        state = states.setdefault(holder, {})
        if entry.newer_than(state.get(key)):
            state[key] = entry


def project(events: Iterable[ConsentEvent]) -> dict[str, State]:
    """Rebuild every holder's state from the ledger (events in id order)."""
    states: dict[str, State] = {}
    for event in sorted(events, key=lambda e: e.id):
        apply(states, event)
    return states


def dump_state(state: State) -> str:
    """Compact, canonical JSON of a state (what storage keeps)."""
    return json.dumps(
        {k: [int(e.granted), e.at_us, e.event_id, e.method] for k, e in sorted(state.items())},
        separators=(",", ":"),
    )


def load_state(text: str | None) -> State:
    """Inverse of :func:`dump_state`."""
    if not text:
        return {}
    raw: dict[str, list[object]] = json.loads(text)
    return {
        k: Entry(bool(v[0]), int(v[1]), int(v[2]), str(v[3]))  # type: ignore[call-overload]
        for k, v in raw.items()
    }


# --- validating choices against the tenant's manifest ------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    """One topic and whether it is permitted."""

    kind: Kind
    scope: str
    granted: bool


def check_visitor(visitor: str) -> str:
    """Visitor ids are opaque random strings (16-64 URL-safe characters), never personal data."""
    if not _VISITOR.match(visitor):
        raise InvalidInput(
            "a visitor id is 16-64 letters, digits, '_' or '-' (a random value, not personal data)",
            code="consent.invalid",
        )
    return visitor


def check_text(name: str, value: str | None, limit: int = 500) -> str | None:
    """Short free-text evidence (UI element, agent id): one line, at most ``limit`` characters."""
    if value is not None and (not _TEXT.match(value) or len(value) > limit):
        raise InvalidInput(
            f"{name} is one line of at most {limit} characters", code="consent.invalid"
        )
    return value


def check_reference(name: str, value: str | None) -> str | None:
    """References such as call ids and billing runs: short codes."""
    if value is not None and not _REF.match(value):
        raise InvalidInput(
            f"{name} is a short code (letters, digits, _.:-, at most 64)", code="consent.invalid"
        )
    return value


def check_choice(view: TenantView, choice: Choice, method: Method) -> None:
    """Refuse a choice the tenant cannot take, or one a method cannot express."""
    if choice.granted and method in WITHDRAW_ONLY:
        raise InvalidInput(
            f"method '{method.value}' can only withdraw or opt out, never grant",
            code="consent.invalid",
        )
    if choice.kind is Kind.LINK:
        raise InvalidInput("links are made with link_visitor", code="consent.invalid")
    if method in (Method.NOTICE, Method.NOTICE_MAIL) and choice.kind is not Kind.CPNI:
        raise InvalidInput(
            "method 'notice' records CPNI opt-out approval only (47 CFR 64.2007)",
            code="consent.invalid",
        )
    _check_scope(view, choice)


def _purposes(view: TenantView) -> set[str]:
    return {p.key for p in view.purposes}


def _unknown(what: str, value: str, known: Iterable[str]) -> NotFound:
    listed = ", ".join(sorted(known)) or "none"
    return NotFound(
        f"tenant has no {what} '{value}' (known: {listed})", code="consent.unknown_scope"
    )


def _check_scope(view: TenantView, choice: Choice) -> None:
    kind, scope = choice.kind, choice.scope
    if kind in (Kind.PURPOSE, Kind.PARENTAL, Kind.PARENTAL_DISCLOSURE) and scope not in _purposes(
        view
    ):
        raise _unknown("purpose", scope, _purposes(view))
    if kind is Kind.OBJECTION and scope != "marketing":
        _check_objection(view, scope, lifting=choice.granted)
    if kind is Kind.RESTRICTION and scope != "*" and scope not in _purposes(view):
        raise _unknown("purpose (or '*')", scope, _purposes(view))
    if kind in _STAR_ONLY and scope != "*":
        raise InvalidInput(f"the scope of '{kind.value}' is '*'", code="consent.invalid")
    if kind is Kind.COOKIE:
        _check_cookie(view, scope)
    if kind is Kind.MARKETING:
        _check_marketing(view, scope)
    if kind is Kind.SPECIAL:
        _check_special(view, scope)


_STAR_ONLY = frozenset(
    {Kind.CPNI, Kind.SALE_SHARING, Kind.LIMIT_SPI, Kind.TARGETED_ADS, Kind.PROFILING}
)
_OBJECTABLE = frozenset(
    {
        LawfulBasis.LEGITIMATE_INTERESTS,
        LawfulBasis.PUBLIC_TASK,
        LawfulBasis.RECOGNISED_LEGITIMATE_INTERESTS,
    }
)


def _check_objection(view: TenantView, scope: str, *, lifting: bool) -> None:
    """Art. 21: a right to object to direct marketing, and to processing on (e) or (f) grounds.
    Lifting an objection is always possible."""
    purpose = view.purpose(scope)
    if purpose is None:
        raise _unknown("purpose (or 'marketing')", scope, _purposes(view))
    if (
        not lifting
        and purpose.kind is not PurposeKind.MARKETING
        and purpose.lawful_basis not in _OBJECTABLE
    ):
        basis = purpose.lawful_basis.value if purpose.lawful_basis else "no basis"
        raise InvalidInput(
            f"purpose '{scope}' rests on {basis}: Art. 21(1) objections apply to public-task and "
            "legitimate-interests processing (use a restriction or an erasure request instead)",
            code="consent.invalid",
        )


def _check_cookie(view: TenantView, scope: str) -> None:
    if scope == CookieCategoryKey.NECESSARY:
        raise InvalidInput(
            "strictly necessary cookies need no consent and cannot be refused",
            code="consent.invalid",
        )
    offered = {c.key.value for c in view.cookie_categories} - {CookieCategoryKey.NECESSARY.value}
    if scope not in offered:
        raise _unknown("cookie category", scope, offered)


def _check_marketing(view: TenantView, scope: str) -> None:
    brand, _, channel = scope.partition(":")
    brands = {b.key for b in view.tenant.brands}
    if brand != "*" and brand not in brands:
        raise _unknown("brand", brand, brands)
    channels = {c.value for c in Channel}
    if channel != "*" and channel not in channels:
        raise _unknown("marketing channel", channel, channels)


def _check_special(view: TenantView, scope: str) -> None:
    purpose, _, category = scope.partition(":")
    declared = view.purpose(purpose)
    if declared is None:
        raise _unknown("purpose", purpose, _purposes(view))
    if declared.special_category_condition is None or not category:
        raise InvalidInput(
            f"purpose '{purpose}' processes no special-category data "
            "(scope is '<purpose>:<category>')",
            code="consent.invalid",
        )
    if category_sensitivity(view.manifest, category) is not Sensitivity.SPECIAL or not any(
        is_within(category, c) for c in declared.categories
    ):
        raise InvalidInput(
            f"'{category}' is not a special category that purpose '{purpose}' uses",
            code="consent.invalid",
        )


def marketing_purposes(view: TenantView, channel: str) -> list[str]:
    """The tenant's marketing purposes on a channel."""
    return [
        p.key
        for p in view.purposes
        if p.kind is PurposeKind.MARKETING and p.channel is not None and p.channel.value == channel
    ]


def truncate_ip(address: str | None) -> str | None:
    """Keep the network only: IPv4 to /24, IPv6 to /48 (never the full address)."""
    if not address:
        return None
    try:
        parsed: IPv4Address | IPv6Address = ip_address(address)
    except ValueError:
        return None
    prefix = 24 if parsed.version == 4 else 48
    return str(ip_network(f"{parsed}/{prefix}", strict=False))
