"""Checks that the manifest's statements agree with each other, so the notice cannot contradict them.

The notice states the policy's promises ("We do not sell your personal data", "we delete your
customer data within 14 days of the contract end") beside what the purposes and retention rules do.
These checks refuse a manifest where the two disagree, at the line a change is needed. Each yields
``(path, message, hint)``; ``checks.py`` makes them findings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from privault.core.law_labels import gdpr_applies
from privault.core.manifest.model import (
    CookieCategoryKey,
    Manifest,
    Period,
    Purpose,
    RetentionEvent,
    RetentionRule,
)
from privault.core.manifest.positions import Path
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.notice_elements import needs_safeguard
from privault.core.taxonomy import is_within

# Cross-context behavioural advertising is "sharing" (Cal. Civ. Code 1798.140(ah)).
CROSS_CONTEXT_ADVERTISING = "marketing.advertising.third_party"

# The longest a period can run, in calendar days (a month of 31 days, a leap year, a week of
# business days stretched over two weekends).
_MAX_DAYS = {"hour": 1 / 24, "day": 1, "business day": 7 / 5, "week": 7, "month": 31, "year": 366}


def longest_days(period: Period) -> float:
    """The most calendar days ``period`` can span."""
    extra = 4 if period.unit == "business day" else 0  # weekends on either side
    return period.amount * _MAX_DAYS[period.unit] + extra


def sells_or_shares(view: TenantView) -> list[Purpose]:
    """The tenant's purposes that sell or share personal data (CCPA)."""
    return [p for p in view.purposes if p.sale_or_sharing]


def _views(manifest: Manifest) -> Iterator[tuple[int, TenantView]]:
    for index, tenant in enumerate(manifest.tenants):
        yield index, tenant_view(manifest, tenant.key)


def _where_tenant_uses(manifest: Manifest, index: int, section: str, key: str) -> Path | None:
    """The tenant's own reference to a library item, when it lists that section."""
    refs: Sequence[str] | None = getattr(manifest.tenants[index], section)
    if refs is None or key not in refs:
        return None
    return ("tenants", index, section, list(refs).index(key))


def undeclared_sharing(manifest: Manifest) -> Iterator[tuple[Path, str, str]]:
    """A purpose that serves cross-context advertising must say that it shares data."""
    for index, purpose in enumerate(manifest.purposes):
        use = purpose.data_use or ""
        if is_within(use, CROSS_CONTEXT_ADVERTISING) and not purpose.sale_or_sharing:
            yield (
                ("purposes", index, "data_use"),
                f"purpose '{purpose.key}' serves cross-context advertising ('{use}') but does not "
                "say it shares personal data",
                "set 'sale_or_sharing: true': targeted advertising across sites is sharing "
                "(Cal. Civ. Code 1798.140(ah)), and the notice must offer the opt-out",
            )


def no_sale_beside_sharing(manifest: Manifest) -> Iterator[tuple[Path, str, str]]:
    """A tenant that promises not to sell may not have a purpose that sells or shares."""
    positions = {p.key: i for i, p in enumerate(manifest.purposes)}
    for index, view in _views(manifest):
        if view.policy.sell_personal_data:
            continue
        for purpose in sells_or_shares(view):
            path = _where_tenant_uses(manifest, index, "purposes", purpose.key) or (
                "purposes",
                positions[purpose.key],
                "sale_or_sharing",
            )
            yield (
                path,
                f"tenant '{view.tenant.key}' promises not to sell personal data "
                f"('sell_personal_data' is false) but purpose '{purpose.key}' sells or shares it "
                "('sale_or_sharing: true'): the notice would say both",
                "drop the purpose from the tenant, or set the policy's 'sell_personal_data: true' "
                "(the notice then offers 'Do Not Sell or Share My Personal Information')",
            )


def advertising_cookies_beside_no_sale(manifest: Manifest) -> Iterator[tuple[Path, str, str]]:
    """A tenant that promises not to sell may not set third parties' advertising cookies: the
    CPPA treats them as sale or sharing (Cal. Civ. Code 1798.140(ad), (ah))."""
    positions = {c.key: i for i, c in enumerate(manifest.cookie_categories)}
    for index, view in _views(manifest):
        if view.policy.sell_personal_data:
            continue
        for category in view.cookie_categories:
            providers = sorted(
                {c.provider for c in category.cookies if c.provider != "first party"}
            )
            if category.key is not CookieCategoryKey.MARKETING or not providers:
                continue
            path = _where_tenant_uses(manifest, index, "cookie_categories", category.key) or (
                "cookie_categories",
                positions[category.key],
                "key",
            )
            yield (
                path,
                f"tenant '{view.tenant.key}' promises not to sell personal data but sets third "
                f"parties' advertising cookies ({', '.join(providers)}): the notice would say both",
                "drop the 'marketing' cookie category from the tenant's 'cookie_categories', or "
                "declare the sharing (a 'sale_or_sharing' purpose, 'sell_personal_data: true')",
            )


def contract_end_periods(manifest: Manifest) -> Iterator[tuple[Path, str, str]]:
    """A retention rule counted from the contract end may not outlast the promised deletion."""
    positions = {r.key: i for i, r in enumerate(manifest.retention)}
    for index, view in _views(manifest):
        days = view.policy.contract_end_delete_days
        for rule in _outlasting(view.retention, days):
            promised_here = manifest.tenants[index].policy.contract_end_delete_days is not None
            path: Path = (
                ("tenants", index, "policy", "contract_end_delete_days")
                if promised_here
                else ("retention", positions[rule.key], "period")
            )
            yield (
                path,
                f"tenant '{view.tenant.key}' promises deletion within {days} days of the contract "
                f"end, but retention rule '{rule.key}' keeps data {rule.period} after it",
                f"shorten the rule's period to at most {days} days, give the tenant its own rule, "
                "or name the law that requires keeping the data ('law:')",
            )


def _outlasting(rules: Sequence[RetentionRule], days: int) -> Iterator[RetentionRule]:
    for rule in rules:
        counted = rule.after is RetentionEvent.CONTRACT_END and rule.law is None
        if counted and longest_days(rule.period) > days:
            yield rule


def two_periods(manifest: Manifest) -> Iterator[tuple[Path, str, str]]:
    """Two rules (neither required by law) may not give the same data, for the same purpose and
    from the same event, different periods."""
    positions = {r.key: i for i, r in enumerate(manifest.retention)}
    reported: set[tuple[str, str]] = set()
    for _, view in _views(manifest):
        rules = [r for r in view.retention if r.law is None]
        for later_index, later in enumerate(rules):
            for earlier in rules[:later_index]:
                pair = (earlier.key, later.key)
                if pair in reported or not _same_data(earlier, later):
                    continue
                reported.add(pair)
                yield (
                    ("retention", positions[later.key], "period"),
                    f"retention rules '{earlier.key}' ({earlier.period}) and '{later.key}' "
                    f"({later.period}) give the same data two periods after "
                    f"{later.after.value.replace('_', ' ')}",
                    "keep one period per category and purpose: change one rule's categories, "
                    "purposes or period",
                )


def _same_data(a: RetentionRule, b: RetentionRule) -> bool:
    if a.after is not b.after or a.period == b.period:
        return False
    return _overlap(a.categories, b.categories) and _overlap(a.purposes, b.purposes, nested=False)


def _overlap(a: list[str], b: list[str], nested: bool = True) -> bool:
    if not a or not b:  # no list: every category, or every purpose
        return True
    if not nested:
        return bool(set(a) & set(b))
    return any(is_within(x, y) or is_within(y, x) for x in a for y in b)


def unsafeguarded_transfers(manifest: Manifest) -> Iterator[tuple[Path, str, str]]:
    """A GDPR tenant's recipient in a country without an adequacy decision states its safeguard
    (the notice names it per country: GDPR Art. 13(1)(f))."""
    positions = {r.key: i for i, r in enumerate(manifest.recipients)}
    reported: set[tuple[str, str]] = set()
    for _, view in _views(manifest):
        if not gdpr_applies(view.tenant.jurisdictions):
            continue
        for recipient in view.recipients:
            for c_index, country in enumerate(recipient.countries):
                if (recipient.key, country) in reported or country in recipient.safeguards:
                    continue
                if needs_safeguard(country):
                    reported.add((recipient.key, country))
                    yield (
                        ("recipients", positions[recipient.key], "countries", c_index),
                        f"recipient '{recipient.key}' receives data of tenant "
                        f"'{view.tenant.key}' (GDPR) in {country}, which has no adequacy "
                        "decision, and names no safeguard",
                        f"add 'safeguards: {{{country}: ...}}', e.g. 'Standard contractual "
                        "clauses (GDPR Art. 46(2)(c))'",
                    )


STATEMENT_CHECKS = (
    undeclared_sharing,
    no_sale_beside_sharing,
    advertising_cookies_beside_no_sale,
    contract_end_periods,
    two_periods,
    unsafeguarded_transfers,
)
