"""Derived views of a manifest: known categories, sensitivities, a tenant's effective settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

from privault.core.children import consent_age, establishment_of, sale_opt_in
from privault.core.jurisdictions import JURISDICTIONS
from privault.core.manifest.model import (
    CookieCategory,
    Manifest,
    Policy,
    Purpose,
    Recipient,
    RetentionRule,
    Role,
    Tenant,
)
from privault.core.taxonomy import (
    Display,
    Sensitivity,
    default_sensitivity,
    fides_categories,
    fides_display,
    is_within,
    stricter,
    strictest,
)
from privault.errors import NotFound


def known_categories(manifest: Manifest) -> dict[str, str]:
    """Every category key usable in this manifest (fideslang and extensions) with its name."""
    names = dict(fides_categories())
    names.update({c.key: c.name for c in manifest.data_categories})
    return names


def category_sensitivity(manifest: Manifest, key: str, _depth: int = 0) -> Sensitivity:
    """The sensitivity of a category: the stricter of its own and its parent's, else the override
    on it or its nearest overridden ancestor, else the legal default."""
    for category in manifest.data_categories:
        if category.key == key:
            inherited = (
                category_sensitivity(manifest, category.parent, _depth + 1)
                if category.parent and _depth < 32
                else Sensitivity.ORDINARY
            )
            return stricter(category.sensitivity, inherited)
    overrides = [o for o in manifest.category_overrides if is_within(key, o.key)]
    if overrides:
        nearest = max(overrides, key=lambda o: len(o.key))
        return stricter(nearest.sensitivity, default_sensitivity(key))
    return default_sensitivity(key)


def fides_lineage(manifest: Manifest, key: str) -> list[str]:
    """The key and its ancestors through declared parents (extensions lead to fideslang keys)."""
    chain, seen = [key], {key}
    parents = {c.key: c.parent for c in manifest.data_categories}
    while (parent := parents.get(chain[-1])) and parent not in seen:
        chain.append(parent)
        seen.add(parent)
    return chain


def category_display(manifest: Manifest, key: str) -> Display:
    """How values of a category are shown (the rule of ``core/display.py``): withheld, or by their
    last four characters, when it or a category its ``parent`` chain leads to is within one of
    fideslang's listed in ``WITHHELD_CATEGORIES`` or ``LAST_FOUR_CATEGORIES``; else whole."""
    return strictest(fides_display(k) for k in fides_lineage(manifest, key))


def covered_special(manifest: Manifest, key: str) -> list[str]:
    """Special-category keys a (possibly broad) category reference covers, e.g. 'user.demographic'."""
    if category_sensitivity(manifest, key) is Sensitivity.SPECIAL:
        return [key]
    return [
        k
        for k in known_categories(manifest)
        if k != key
        and is_within(k, key)
        and category_sensitivity(manifest, k) is Sensitivity.SPECIAL
    ]


DEFAULT_MINOR_AGE = 18  # POL-MIN-1: minors are people under 18


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    """A tenant's policy after merging defaults, the manifest's and the tenant's own values."""

    minor_age: int = (
        DEFAULT_MINOR_AGE  # the strictest of the tenant's and its laws' (``core.children``)
    )
    contract_end_delete_days: int = 30
    vendors_may_market: bool = False
    sell_personal_data: bool = False
    uk_cookie_mode: str = "opt_in"
    cookie_reconsent_months: int = 13
    access_lookback_months: int = 12
    minor_age_rule: str = "POL-MIN-1"  # what set ``minor_age``: the policy or a law's child rule
    minor_age_law: str = "policy.minor_age"
    sale_opt_in_age: int | None = None  # below it, sale or sharing needs an opt-in (CCPA-MIN-1)


def _merge(*layers: Policy) -> EffectivePolicy:
    values: dict[str, object] = {}
    for layer in layers:
        values.update({k: v for k, v in layer.model_dump().items() if v is not None})
    return EffectivePolicy(**values)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TenantView:
    """Everything that applies to one tenant, resolved from the manifest."""

    manifest: Manifest
    tenant: Tenant
    policy: EffectivePolicy
    purposes: tuple[Purpose, ...]
    recipients: tuple[Recipient, ...]
    retention: tuple[RetentionRule, ...]
    cookie_categories: tuple[CookieCategory, ...]
    roles: tuple[Role, ...]

    def purpose(self, key: str) -> Purpose | None:
        """The tenant's purpose with this key."""
        return next((p for p in self.purposes if p.key == key), None)

    def role(self, key: str) -> Role | None:
        """The tenant's role with this key."""
        return next((r for r in self.roles if r.key == key), None)

    @property
    def phone_region(self) -> str | None:
        """Where phone numbers written without a country code are read (the default law's)."""
        default = self.tenant.default_jurisdiction
        return JURISDICTIONS[default].phone_region if default in JURISDICTIONS else None


def _with_laws(policy: EffectivePolicy, tenant: Tenant) -> EffectivePolicy:
    """Raise the minor age to the strictest child consent age of the tenant's laws (a manifest
    asking less is refused by ``privault check``; this keeps the rule when none ran)."""
    where = establishment_of(tenant)
    age = consent_age(policy.minor_age, tenant.jurisdictions, where)
    teen = sale_opt_in(tenant.jurisdictions)
    return replace(
        policy,
        minor_age=age.age,
        minor_age_rule=age.rule,
        minor_age_law=age.law,
        sale_opt_in_age=teen.age if teen is not None and teen.age > age.age else None,
    )


_Item = TypeVar("_Item", Purpose, Recipient, RetentionRule, Role)


def _pick(items: list[_Item], keys: list[str] | None) -> tuple[_Item, ...]:
    if keys is None:
        return tuple(items)
    wanted = set(keys)
    return tuple(item for item in items if item.key in wanted)


def tenant_view(manifest: Manifest, key: str) -> TenantView:
    """Resolve what applies to tenant ``key``; raise NotFound if the manifest has no such tenant."""
    tenant = manifest.tenant(key)
    if tenant is None:
        raise NotFound(f"no tenant '{key}' in the manifest", code="tenant.unknown")
    cookie_keys = None if tenant.cookie_categories is None else set(tenant.cookie_categories)
    return TenantView(
        manifest=manifest,
        tenant=tenant,
        policy=_with_laws(_merge(manifest.policy, tenant.policy), tenant),
        purposes=_pick(manifest.purposes, tenant.purposes),
        recipients=_pick(manifest.recipients, tenant.recipients),
        retention=_pick(manifest.retention, tenant.retention),
        cookie_categories=tuple(
            c for c in manifest.cookie_categories if cookie_keys is None or c.key in cookie_keys
        ),
        roles=_pick(manifest.roles, tenant.roles),
    )
