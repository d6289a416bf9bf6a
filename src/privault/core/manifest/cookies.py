"""Cookie rules and their manifest checks (pure, no I/O): the Google Consent Mode v2 signals the
banner sends, and the cookie categories UK law lets a site set without consent.

GCM-1 (Google, "Set up consent mode on websites",
developers.google.com/tag-platform/security/guides/consent; the seven types as Google Analytics Help
12334711 lists them): before any tag loads, the banner sets
the seven consent types to ``denied`` with ``gtag('consent', 'default', ...)`` and ``wait_for_update``;
on every choice and withdrawal ``gtag('consent', 'update', ...)`` grants exactly the types of the
categories the visitor allows. Each cookie category grants the types it declares in the manifest
(``consent_types``), or :data:`DEFAULT_CONSENT_TYPES`.

UK-CK-1: PECR reg. 6 needs consent to store or read information on a device, save for the exceptions
of Sch. A1 (inserted by the Data (Use and Access) Act 2025): storage whose sole purpose is statistics
about how the service or website is used, to improve it, and storage that adapts the website's
appearance or functions to the user's preferences, each only where the user is given clear and
comprehensive information and a simple and free means of objecting. ePrivacy Art. 5(3) (EU) has no
such exception, and the banner cannot tell a UK visitor from an EU one, so a tenant under EU law
never uses it. (The Sch. A1 paragraph numbers and the 2026-02-05 start date are RULES.md's,
unverified here.)

``consent_mode_mapping`` and ``duaa_beside_eu_law`` check the manifest against both rules; each
yields ``(path, message, hint)`` and ``checks.py`` makes them findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from privault.core.manifest.model import (
    ConsentType,
    CookieCategory,
    CookieCategoryKey,
    Manifest,
    Tenant,
)
from privault.core.manifest.positions import Path

_C, _K = ConsentType, CookieCategoryKey

CONSENT_TYPES: tuple[ConsentType, ...] = tuple(ConsentType)  # GCM-1: the seven, all denied first
WAIT_FOR_UPDATE_MS = 500  # how long Google tags wait for the banner's update (GCM-1)

DEFAULT_CONSENT_TYPES: dict[CookieCategoryKey, tuple[ConsentType, ...]] = {
    _K.NECESSARY: (_C.SECURITY_STORAGE,),
    _K.PREFERENCE: (_C.FUNCTIONALITY_STORAGE, _C.PERSONALIZATION_STORAGE),
    _K.STATISTICS: (_C.ANALYTICS_STORAGE,),
    _K.MARKETING: (_C.AD_STORAGE, _C.AD_USER_DATA, _C.AD_PERSONALIZATION),
}
ADVERTISING_TYPES = frozenset({_C.AD_STORAGE, _C.AD_USER_DATA, _C.AD_PERSONALIZATION})
NEEDS_NO_CONSENT_TYPES = frozenset({_C.SECURITY_STORAGE, _C.FUNCTIONALITY_STORAGE})

UK_OPT_IN = "opt_in"
UK_DUAA = "duaa_exemptions"
UK_EXEMPT = frozenset({_K.STATISTICS, _K.PREFERENCE})  # PECR Sch. A1: statistics, appearance
EU_LAWS = frozenset({"eu"})  # ePrivacy Art. 5(3): no exemption beyond strictly necessary


def consent_types(category: CookieCategory) -> tuple[ConsentType, ...]:
    """The Consent Mode types the category grants: declared, or the default mapping."""
    if category.consent_types is None:
        return DEFAULT_CONSENT_TYPES[category.key]
    return tuple(category.consent_types)


def consent_mode_map(categories: Iterable[CookieCategory]) -> dict[str, list[str]]:
    """Category key -> the Consent Mode types it grants (what the banner script is given)."""
    return {c.key.value: [t.value for t in consent_types(c)] for c in categories}


def uk_exempt(mode: str, jurisdictions: Sequence[str]) -> frozenset[CookieCategoryKey]:
    """The categories set without consent (on until the visitor objects): the Sch. A1 ones when the
    tenant chose ``duaa_exemptions``, is under UK law and under no EU law; otherwise none."""
    laws = set(jurisdictions)
    if mode != UK_DUAA or "uk" not in laws or laws & EU_LAWS:
        return frozenset()
    return UK_EXEMPT


def consent_mode_mapping(manifest: Manifest) -> Iterator[tuple[Path, str, str]]:
    """Each Consent Mode type comes from one category; advertising types only from ``marketing``;
    ``necessary`` grants only types that need no consent."""
    granted_by: dict[ConsentType, str] = {}
    for index, category in enumerate(manifest.cookie_categories):
        path: Path = ("cookie_categories", index, "consent_types")
        for kind in consent_types(category):
            if kind in granted_by:
                yield (
                    path,
                    f"consent type '{kind.value}' is granted by both '{granted_by[kind]}' and "
                    f"'{category.key.value}'",
                    "map each Google Consent Mode type from one cookie category",
                )
            granted_by.setdefault(kind, category.key.value)
            yield from _misplaced(path, category, kind)


def _misplaced(
    path: Path, category: CookieCategory, kind: ConsentType
) -> Iterator[tuple[Path, str, str]]:
    key = category.key
    if key is CookieCategoryKey.NECESSARY and kind not in NEEDS_NO_CONSENT_TYPES:
        yield (
            path,
            f"strictly necessary cookies would grant '{kind.value}' without consent",
            "'necessary' may grant only security_storage or functionality_storage",
        )
    elif kind in ADVERTISING_TYPES and key is not CookieCategoryKey.MARKETING:
        yield (
            path,
            f"cookie category '{key.value}' would grant the advertising type '{kind.value}'",
            "ad_storage, ad_user_data and ad_personalization come only from 'marketing'",
        )


def _uk_mode(manifest: Manifest, tenant: Tenant) -> str | None:
    return tenant.policy.uk_cookie_mode or manifest.policy.uk_cookie_mode


def duaa_beside_eu_law(manifest: Manifest) -> Iterator[tuple[Path, str, str]]:
    """A tenant under EU law cannot use the UK's Sch. A1 exemptions (UK-CK-1, EU-CK-1)."""
    for index, tenant in enumerate(manifest.tenants):
        if _uk_mode(manifest, tenant) != UK_DUAA or not EU_LAWS & set(tenant.jurisdictions):
            continue
        own = tenant.policy.uk_cookie_mode is not None
        path: Path = (
            ("tenants", index, "policy", "uk_cookie_mode") if own else ("policy", "uk_cookie_mode")
        )
        yield (
            path,
            f"tenant '{tenant.key}' is under EU law too, where analytics and preference cookies need "
            "consent (ePrivacy Art. 5(3)), and the banner cannot tell a UK visitor from an EU one",
            f"give tenant '{tenant.key}' 'uk_cookie_mode: opt_in', or drop 'eu' from its jurisdictions",
        )


COOKIE_CHECKS = (consent_mode_mapping, duaa_beside_eu_law)
