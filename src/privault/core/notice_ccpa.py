"""The California section of the notice (Cal. Civ. Code 1798.100, 1798.110, 1798.115, 1798.120,
1798.121, 1798.125, 1798.130(a)(5), 1798.135; 11 CCR §§ 7011, 7013, 7014, 7025), derived from the
manifest and from what privault does with requests and opt-out preference signals.
"""

from __future__ import annotations

from typing import Any

from privault.core.manifest.model import Purpose, PurposeKind, RecipientType
from privault.core.manifest.resolve import TenantView, category_sensitivity
from privault.core.notice_elements import ccpa_categories
from privault.core.taxonomy import Sensitivity

# The sensitivities the decision's limit rule (CCPA-LIM-1) restricts (``core/plans.py``).
LIMITED = frozenset(
    {Sensitivity.SPECIAL, Sensitivity.PAYMENT, Sensitivity.CPNI, Sensitivity.CHILDREN}
)

DO_NOT_SELL = "Do Not Sell or Share My Personal Information"
LIMIT_USE = "Limit the Use of My Sensitive Personal Information"

_RECIPIENT_KIND = {
    RecipientType.PROCESSOR: "service providers",
    RecipientType.PARTNER: "third parties (business partners)",
    RecipientType.AFFILIATE: "affiliates",
    RecipientType.GROUP_COMPANY: "companies of our group",
    RecipientType.AUTHORITY: "government authorities, when the law requires it",
    RecipientType.ACQUIRER: "a buyer of the business",
}

STATEMENTS = {
    "non_discrimination": (
        "We will not discriminate against you for exercising any of these rights: we will not deny "
        "you goods or services, charge a different price or give a different quality of service "
        "(Cal. Civ. Code 1798.125)."
    ),
    "verification": (
        "To answer a request to know, delete or correct, we verify that it comes from you: we send "
        "a one-time code to each e-mail address and phone number you give, and match them with the "
        "data we hold; staff may verify you by other means we hold on file (11 CCR §§ 7060-7062). "
        "A request to opt out of sale or sharing, or to limit the use of sensitive personal "
        "information, needs no verification (§§ 7026, 7027)."
    ),
    "agents": (
        "An authorised agent may make a request for you. We ask for your signed permission (or a "
        "power of attorney) and may ask you to confirm your identity with us directly "
        "(11 CCR § 7063)."
    ),
    "gpc": (
        "We treat an opt-out preference signal such as Global Privacy Control (the browser sends "
        "'Sec-GPC: 1') as a request to opt out of the sale and sharing of your personal "
        "information, for that browser and for any profile we know it belongs to, and show "
        "'Opt-Out Request Honored' (11 CCR § 7025)."
    ),
}


def ccpa_section(view: TenantView) -> dict[str, Any]:
    """Everything §7011 asks the notice to say to Californians, from the manifest."""
    tenant = view.tenant.key
    used = {c for p in view.purposes for c in p.categories}
    selling = [p for p in view.purposes if p.sale_or_sharing]
    limited = [p for p in view.purposes if _uses_limited(view, p)]
    return {
        "categories": ccpa_categories(view, used),
        "sources": sorted({s.name for s in view.manifest.sources if _source_used(view, s.key)}),
        "purposes": [p.name for p in view.purposes],
        "sold_or_shared": ccpa_categories(view, {c for p in selling for c in p.categories}),
        "sold_or_shared_to": _sold_to(view, selling),
        "disclosed_to": sorted({_RECIPIENT_KIND[r.type] for r in view.recipients}),
        "do_not_sell_link": _link(DO_NOT_SELL, tenant) if selling else None,
        "limit_link": _link(LIMIT_USE, tenant) if limited else None,
        "request_methods": _methods(view),
        "lookback": "the preceding 12 months",  # 1798.130(a)(5)(B)
        **STATEMENTS,
    }


def _link(text: str, tenant: str) -> dict[str, str]:
    return {"text": text, "href": f"/p/{tenant}/request?jurisdiction=us-ca"}


def _source_used(view: TenantView, key: str) -> bool:
    return any(key in p.sources for p in view.purposes)


def _uses_limited(view: TenantView, purpose: Purpose) -> bool:
    """A marketing purpose that uses sensitive data: the limit right can stop it (CCPA-LIM-1)."""
    if purpose.kind is not PurposeKind.MARKETING:
        return False
    return any(category_sensitivity(view.manifest, c) in LIMITED for c in purpose.categories)


def _sold_to(view: TenantView, selling: list[Purpose]) -> list[str]:
    """Who receives what is sold or shared: recipients named for those purposes, and the
    third-party providers of the cookies those purposes rely on."""
    keys = {p.key for p in selling}
    names = {r.name for r in view.recipients if keys & set(r.purposes)}
    cookies = {p.cookie_category for p in selling if p.cookie_category is not None}
    for category in view.cookie_categories:
        if category.key in cookies:
            names |= {c.provider for c in category.cookies if c.provider != "first party"}
    return sorted(names)


def _methods(view: TenantView) -> list[str]:
    """How to submit a request (1798.130(a)(1); 11 CCR § 7020)."""
    contact = view.tenant.contact
    methods = [f"the online form at /p/{view.tenant.key}/request", f"e-mail to {contact.email}"]
    if contact.phone:
        methods.append(f"telephone: {contact.phone}")
    return methods
