"""Compiling a question's manifest side once: the plan that :func:`evaluate` checks holders against.

A plan resolves the purpose, its lawful basis, the categories asked and their sensitivities, the topics
of the consent state its rules read, and the answer for a holder who chose nothing it reads (the fast
path, property-tested against the full rules).
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from privault.core.children import sale_opt_in, targeted_ads_opt_in
from privault.core.consent import Kind, topic
from privault.core.decisions import Facts, Plan, Reason, evaluate, manifest_record
from privault.core.law_labels import rule_labels
from privault.core.manifest.model import Purpose, PurposeKind
from privault.core.manifest.resolve import (
    TenantView,
    category_sensitivity,
    fides_lineage,
    known_categories,
)
from privault.core.taxonomy import Sensitivity, is_within
from privault.errors import InvalidInput, NotFound

_SENSITIVE = frozenset(
    {Sensitivity.SPECIAL, Sensitivity.PAYMENT, Sensitivity.CPNI, Sensitivity.CHILDREN}
)
_SERIALS = itertools.count(1)


def compile_plan(
    view: TenantView, purpose_key: str, categories: tuple[str, ...] = (), brand: str | None = None
) -> Plan:
    """Resolve a question's manifest side. Unknown purposes, categories or brands are errors."""
    purpose = view.purpose(purpose_key)
    if purpose is None:
        raise NotFound(
            f"tenant '{view.tenant.key}' has no purpose '{purpose_key}'", code="purpose.unknown"
        )
    if brand is not None and brand not in {b.key for b in view.tenant.brands}:
        raise NotFound(f"tenant '{view.tenant.key}' has no brand '{brand}'", code="brand.unknown")
    known = known_categories(view.manifest)
    asked = categories or tuple(purpose.categories)
    for category in asked:
        if category not in known:
            raise InvalidInput(f"unknown data category '{category}'", code="category.unknown")
    static = [_basis_reason(purpose), *_declared(view, purpose, asked)]
    labels = rule_labels(view.tenant.jurisdictions)
    sensitivity = {c: category_sensitivity(view.manifest, c) for c in asked}
    plan = Plan(
        purpose=purpose,
        categories=asked,
        brand=brand,
        static=tuple(static),
        labels=labels,
        consent_topics=_consent_topics(purpose, brand),
        parental_topic=topic(Kind.PARENTAL, purpose.key),
        marketing_optouts=_marketing_topics(purpose, brand) if purpose.channel else (),
        special=tuple(
            (c, topic(Kind.SPECIAL, f"{purpose.key}:{c}"))
            for c in asked
            if sensitivity[c] is Sensitivity.SPECIAL
        ),
        cpni=tuple(c for c in asked if sensitivity[c] is Sensitivity.CPNI),
        sensitive=tuple(c for c in asked if sensitivity[c] in _SENSITIVE),
        restriction_topics=(topic(Kind.RESTRICTION, "*"), topic(Kind.RESTRICTION, purpose.key)),
        objection_topics=(topic(Kind.OBJECTION, purpose.key),)
        + ((topic(Kind.OBJECTION, "marketing"),) if purpose.kind is PurposeKind.MARKETING else ()),
    )
    return _with_default(_children(view, plan))


def _children(view: TenantView, plan: Plan) -> Plan:
    """Name the child rules that decide for this tenant: the law that set its minor age (else the
    policy), the law setting a sale/sharing opt-in age and the US state law setting a targeted
    advertising opt-in age (``core.children``)."""
    policy = view.policy
    if policy.minor_age_rule != "POL-MIN-1":
        plan = replace(
            plan, minor_record=f"law:{policy.minor_age_law}", child_rule=policy.minor_age_rule
        )
    teen = sale_opt_in(view.tenant.jurisdictions)
    if teen is not None:
        plan = replace(plan, teen_rule=teen.rule, teen_law=teen.law, teen_opt_in=teen.opt_in)
    ads = targeted_ads_opt_in(view.tenant.jurisdictions)
    if ads is not None:
        plan = replace(
            plan, teen_ads_rule=ads.rule, teen_ads_law=ads.law, teen_ads_opt_in=ads.opt_in
        )
    return plan


def _with_default(plan: Plan) -> Plan:
    """Add what the rules read and the answer for a holder who never chose anything (the fast path)."""
    fixed = (
        topic(Kind.CPNI, "*"),
        topic(Kind.SALE_SHARING, "*"),
        topic(Kind.LIMIT_SPI, "*"),
        topic(Kind.TARGETED_ADS, "*"),
        topic(Kind.PROFILING, "*"),
        plan.parental_topic,
    )
    topics = frozenset(
        (
            *plan.consent_topics,
            *plan.marketing_optouts,
            *plan.restriction_topics,
            *plan.objection_topics,
            *(key for _, key in plan.special),
            *fixed,
        )
    )
    plan = replace(
        plan,
        serial=next(_SERIALS),
        topics=topics,
        any_brand=plan.brand is None and plan.purpose.channel is not None,
    )
    return replace(plan, default=evaluate(plan, Facts(), 0))


def _basis_reason(purpose: Purpose) -> Reason:
    basis = purpose.lawful_basis
    if basis is None:
        return Reason(
            "GDPR-LB-1",
            False,
            f"purpose '{purpose.key}' has no lawful basis",
            manifest_record(purpose),
        )
    return Reason(
        "GDPR-LB-1",
        True,
        f"lawful basis: {basis.value}",
        manifest_record(purpose, "lawful_basis"),
    )


def _declared(view: TenantView, purpose: Purpose, asked: tuple[str, ...]) -> list[Reason]:
    """Categories the purpose does not declare are outside it (purpose limitation at the source)."""
    reasons = []
    for category in asked:
        lineage = fides_lineage(view.manifest, category)
        if not any(is_within(k, c) for k in lineage for c in purpose.categories):
            reasons.append(
                Reason(
                    "PURPOSE-LIMIT",
                    False,
                    f"purpose '{purpose.key}' does not use '{category}'",
                    manifest_record(purpose, "categories"),
                    category,
                )
            )
    return reasons


def _consent_topics(purpose: Purpose, brand: str | None) -> tuple[str, ...]:
    topics = [topic(Kind.PURPOSE, purpose.key)]
    if purpose.cookie_category is not None:
        topics.append(topic(Kind.COOKIE, purpose.cookie_category.value))
    if purpose.channel is not None and brand is not None:
        channel = purpose.channel.value
        topics += [topic(Kind.MARKETING, f"{b}:{c}") for b in (brand, "*") for c in (channel, "*")]
    return tuple(topics)


def _marketing_topics(purpose: Purpose, brand: str | None) -> tuple[str, ...]:
    channel = purpose.channel.value if purpose.channel else "*"
    brands = (brand, "*") if brand else ("*",)
    return tuple(topic(Kind.MARKETING, f"{b}:{c}") for b in brands for c in (channel, "*"))
