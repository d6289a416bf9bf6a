"""Cross-reference and policy checks over a structurally valid manifest.

Each check returns :class:`Finding` values pointing at the path of the offending value; the loader
turns paths into file positions. Checks never stop at the first problem.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from privault.core.children import establishment_of, law_ages
from privault.core.jurisdictions import JURISDICTIONS
from privault.core.manifest.cookies import COOKIE_CHECKS
from privault.core.manifest.law_checks import LAW_CHECKS
from privault.core.manifest.model import (
    Action,
    CookieCategoryKey,
    Grant,
    LawfulBasis,
    Manifest,
    Purpose,
    PurposeKind,
    RecipientType,
    RetentionRule,
    SpecialCondition,
)
from privault.core.manifest.positions import Path
from privault.core.manifest.resolve import (
    DEFAULT_MINOR_AGE,
    category_display,
    covered_special,
    fides_lineage,
    known_categories,
)
from privault.core.manifest.statements import STATEMENT_CHECKS
from privault.core.taxonomy import (
    EXPLICIT_CONSENT_ONLY,
    Display,
    default_sensitivity,
    fides_categories,
    fides_data_subjects,
    fides_data_uses,
    is_within,
    may_override,
)


class Finding(NamedTuple):
    """A problem at a path inside the manifest."""

    path: Path
    message: str
    hint: str = ""
    at_key: bool = False
    ref: tuple[str, str] | None = None  # (section, key) of an unresolved reference


Check = Callable[[Manifest], Iterator[Finding]]

_MARKETING_BASES = {LawfulBasis.CONSENT, LawfulBasis.LEGITIMATE_INTERESTS}


def check_manifest(manifest: Manifest) -> list[Finding]:
    """Run every check; return all findings."""
    checks: Sequence[Check] = (
        _unique_keys,
        _extension_categories,
        _category_overrides,
        _purposes,
        _retention,
        _erasure_exceptions,
        _recipients,
        _cookies,
        _roles,
        _tenants,
        _tenant_policies,
        _child_ages,
        _vendor_promises,
        _statements,
        _laws,
    )
    return [finding for check in checks for finding in check(manifest)]


def _statements(manifest: Manifest) -> Iterator[Finding]:
    """Promises and what the purposes and retention rules do must agree (see ``statements.py``);
    the cookie rules hold (see ``cookies.py``)."""
    for check in (*STATEMENT_CHECKS, *COOKIE_CHECKS):
        for path, message, hint in check(manifest):
            yield Finding(path, message, hint)


def _laws(manifest: Manifest) -> Iterator[Finding]:
    """What a tenant's own laws require of the manifest (see ``law_checks.py``)."""
    for check in LAW_CHECKS:
        for path, message, hint in check(manifest):
            yield Finding(path, message, hint)


_SINGULAR = {
    "data_categories": "data category",
    "fideslang categories": "fideslang category",
    "category_overrides": "fideslang category",
    "fideslang data uses": "fideslang data use",
    "data_subjects": "data subject",
    "sources": "source",
    "purposes": "purpose",
    "recipients": "recipient",
    "retention": "retention rule",
    "roles": "role",
    "cookie_categories": "cookie category",
    "jurisdictions": "jurisdiction",
}


_NOT_DECLARABLE = {
    "category_overrides": "overrides apply to fideslang categories; declare new ones under 'data_categories'",
    "fideslang data uses": "use a fideslang data use key such as 'essential.service' or 'marketing'",
}


def _unknown(kind: str, value: str, known: Iterable[str]) -> tuple[str, str]:
    options = sorted(known)
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if close:
        hint = f"did you mean '{close[0]}'?"
    elif len(options) <= 12:
        hint = f"known: {', '.join(options) or 'none declared'}"
    elif kind in _NOT_DECLARABLE:
        hint = _NOT_DECLARABLE[kind]
    else:
        hint = f"declare it under '{kind}' first"
    return f"unknown {_SINGULAR.get(kind, kind)} '{value}'", hint


def _refs(
    path: Path, values: Iterable[str], known: set[str] | dict[str, str], kind: str
) -> Iterator[Finding]:
    for index, value in enumerate(values):
        if value not in known:
            yield Finding((*path, index), *_unknown(kind, value, known), ref=(kind, value))


def _unique_keys(manifest: Manifest) -> Iterator[Finding]:
    sections: dict[str, Sequence[object]] = {
        "data_categories": manifest.data_categories,
        "category_overrides": manifest.category_overrides,
        "data_subjects": manifest.data_subjects,
        "sources": manifest.sources,
        "purposes": manifest.purposes,
        "retention": manifest.retention,
        "erasure_exceptions": manifest.erasure_exceptions,
        "recipients": manifest.recipients,
        "cookie_categories": manifest.cookie_categories,
        "roles": manifest.roles,
        "tenants": manifest.tenants,
    }
    for name, items in sections.items():
        yield from _duplicates((name,), [str(getattr(item, "key", "")) for item in items])
    for t_index, tenant in enumerate(manifest.tenants):
        yield from _duplicates(("tenants", t_index, "brands"), [b.key for b in tenant.brands])


def _duplicates(path: Path, keys: list[str]) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key in seen:
            yield Finding((*path, index, "key"), f"duplicate key '{key}'", "keys must be unique")
        seen.add(key)


def _extension_categories(manifest: Manifest) -> Iterator[Finding]:
    fides = fides_categories()
    declared = {c.key for c in manifest.data_categories}
    for index, category in enumerate(manifest.data_categories):
        path: Path = ("data_categories", index)
        if category.key in fides:
            yield Finding(
                (*path, "key"),
                f"'{category.key}' is already a fideslang category",
                "use it as it is, or change its sensitivity under 'category_overrides'",
            )
        if category.parent and category.parent not in fides and category.parent not in declared:
            yield Finding((*path, "parent"), *_unknown("data_categories", category.parent, fides))


def _category_overrides(manifest: Manifest) -> Iterator[Finding]:
    fides = fides_categories()
    for index, override in enumerate(manifest.category_overrides):
        path: Path = ("category_overrides", index)
        if override.key not in fides:
            yield Finding((*path, "key"), *_unknown("category_overrides", override.key, fides))
            continue
        legal = default_sensitivity(override.key)
        if not may_override(legal, override.sensitivity):
            yield Finding(
                (*path, "sensitivity"),
                f"'{override.key}' is {legal.value} data by law and cannot be made {override.sensitivity.value}",
                "overrides may only make a category stricter (ordinary to any, any to special)",
            )


def _purposes(manifest: Manifest) -> Iterator[Finding]:
    categories = known_categories(manifest)
    subjects = set(fides_data_subjects()) | {s.key for s in manifest.data_subjects}
    sources = {s.key for s in manifest.sources}
    uses = fides_data_uses()
    for index, purpose in enumerate(manifest.purposes):
        path: Path = ("purposes", index)
        yield from _purpose_basis(path, purpose)
        if (
            purpose.lawful_basis is LawfulBasis.LEGITIMATE_INTERESTS
            and not purpose.legitimate_interest
        ):
            yield Finding(
                path,
                f"purpose '{purpose.key}' relies on legitimate interests without naming them",
                "add 'legitimate_interest:' saying what the interest is (GDPR Art. 13(1)(d))",
            )
        if purpose.data_use and purpose.data_use not in uses:
            yield Finding(
                (*path, "data_use"), *_unknown("fideslang data uses", purpose.data_use, uses)
            )
        if not purpose.categories:
            yield Finding(
                path, f"purpose '{purpose.key}' uses no data categories", "list its 'categories'"
            )
        yield from _refs((*path, "categories"), purpose.categories, categories, "data_categories")
        yield from _refs((*path, "data_subjects"), purpose.data_subjects, subjects, "data_subjects")
        yield from _refs((*path, "sources"), purpose.sources, sources, "sources")
        yield from _special(path, purpose, manifest)
        yield from _purpose_consent_fields(path, purpose)


def _purpose_basis(path: Path, purpose: Purpose) -> Iterator[Finding]:
    bases = ", ".join(b.value for b in LawfulBasis)
    if purpose.lawful_basis is None:
        yield Finding(
            path,
            f"purpose '{purpose.key}' has no lawful basis (GDPR Art. 6)",
            f"add 'lawful_basis:' with one of {bases}",
        )
    if purpose.kind is PurposeKind.MARKETING:
        if not purpose.opt_out:
            yield Finding(
                (*path, "opt_out"),
                f"marketing purpose '{purpose.key}' cannot be opted out of",
                "direct-marketing objection is absolute (GDPR Art. 21(2), CAN-SPAM, CASL): set 'opt_out: true'",
            )
        if purpose.lawful_basis is not None and purpose.lawful_basis not in _MARKETING_BASES:
            yield Finding(
                (*path, "lawful_basis"),
                f"marketing purpose '{purpose.key}' cannot rest on '{purpose.lawful_basis.value}'",
                "marketing rests on consent or legitimate_interests",
            )


def _purpose_consent_fields(path: Path, purpose: Purpose) -> Iterator[Finding]:
    """The fields the processing decision reads must make sense together."""
    if purpose.channel is not None and purpose.kind is not PurposeKind.MARKETING:
        yield Finding(
            (*path, "channel"),
            f"purpose '{purpose.key}' names a marketing channel but is not marketing",
            "set 'kind: marketing', or remove 'channel'",
        )
    if purpose.cookie_category is CookieCategoryKey.NECESSARY:
        yield Finding(
            (*path, "cookie_category"),
            f"purpose '{purpose.key}' relies on strictly necessary cookies, which need no consent",
            "name the preference, statistics or marketing category it relies on, or remove it",
        )
    if purpose.cookie_category is not None and purpose.lawful_basis is not LawfulBasis.CONSENT:
        yield Finding(
            (*path, "cookie_category"),
            f"purpose '{purpose.key}' relies on cookies but not on consent",
            "non-necessary cookies need consent (ePrivacy Art. 5(3)): set 'lawful_basis: consent'",
        )


def _special(path: Path, purpose: Purpose, manifest: Manifest) -> Iterator[Finding]:
    condition = purpose.special_category_condition
    for c_index, key in enumerate(purpose.categories):
        special = covered_special(manifest, key)
        if not special:
            continue
        shown = f"'{key}'" if special == [key] else f"'{key}' (covering '{special[0]}')"
        if condition is None:
            yield Finding(
                (*path, "categories", c_index),
                f"purpose '{purpose.key}' uses special-category data {shown} without an Art. 9(2) condition",
                "add 'special_category_condition:' (for example explicit_consent)",
            )
        elif condition is not SpecialCondition.EXPLICIT_CONSENT and _explicit_only(
            manifest, special
        ):
            yield Finding(
                (*path, "special_category_condition"),
                f"'{key}' may be used only with explicit consent (policy: race, religion, politics)",
                "set 'special_category_condition: explicit_consent'",
            )


def _explicit_only(manifest: Manifest, keys: list[str]) -> bool:
    return any(
        is_within(ancestor, p)
        for key in keys
        for ancestor in fides_lineage(manifest, key)
        for p in EXPLICIT_CONSENT_ONLY
    )


def _retention(manifest: Manifest) -> Iterator[Finding]:
    categories = known_categories(manifest)
    purposes = {p.key for p in manifest.purposes}
    for index, rule in enumerate(manifest.retention):
        path: Path = ("retention", index)
        yield from _refs((*path, "categories"), rule.categories, categories, "data_categories")
        yield from _refs((*path, "purposes"), rule.purposes, purposes, "purposes")
        if rule.period.amount == 0 and rule.period.unit != "day":
            yield Finding((*path, "period"), "a zero period must be written '0 days'", "")
        if rule.law is not None:
            yield from _legal_obligation(manifest, path, rule)


def _legal_obligation(manifest: Manifest, path: Path, rule: RetentionRule) -> Iterator[Finding]:
    """A rule naming a law keeps data from erasure for its legal-obligation purposes, and only for
    them: it needs one, and the restriction of the kept data must let that purpose go on."""
    declared = {p.key: p for p in manifest.purposes}
    legal = [
        declared[k]
        for k in rule.purposes
        if k in declared and declared[k].lawful_basis is LawfulBasis.LEGAL_OBLIGATION
    ]
    if not legal:
        yield Finding(
            (*path, "law"),
            f"retention rule '{rule.key}' names a law but none of its purposes has "
            "'lawful_basis: legal_obligation'",
            "list the legal-obligation purpose the kept data is used for under 'purposes'",
        )
    for purpose in legal:
        if not purpose.allowed_while_restricted:
            yield Finding(
                (*path, "law"),
                f"purpose '{purpose.key}' must set 'allowed_while_restricted: true': data an "
                f"erasure keeps under retention rule '{rule.key}' is restricted to it",
                "GDPR Art. 18(2) lets a legal obligation go on while processing is restricted",
            )


def _erasure_exceptions(manifest: Manifest) -> Iterator[Finding]:
    categories = known_categories(manifest)
    for index, rule in enumerate(manifest.erasure_exceptions):
        path: Path = ("erasure_exceptions", index, "categories")
        yield from _refs(path, rule.categories, categories, "data_categories")


def _recipients(manifest: Manifest) -> Iterator[Finding]:
    categories = known_categories(manifest)
    purposes = {p.key for p in manifest.purposes}
    for index, recipient in enumerate(manifest.recipients):
        path: Path = ("recipients", index)
        yield from _refs((*path, "purposes"), recipient.purposes, purposes, "purposes")
        yield from _refs((*path, "categories"), recipient.categories, categories, "data_categories")
        terms = recipient.contract
        if recipient.type is RecipientType.PROCESSOR and not terms.dpa:
            yield Finding(
                (*path, "contract"),
                f"processor '{recipient.key}' has no data processing agreement (GDPR Art. 28)",
                "set 'contract: {dpa: true, ...}' or change its type",
            )
        identifiable = "identity" in recipient.transforms or "pseudonymise" in recipient.transforms
        if (
            identifiable
            and not (terms.dpa or terms.service_provider_terms)
            and recipient.type
            in (
                RecipientType.PROCESSOR,
                RecipientType.PARTNER,
            )
        ):
            yield Finding(
                (*path, "transforms"),
                f"'{recipient.key}' would receive identifiable data without a DPA or §7051 contract",
                "policy VEND-1: allow only 'aggregate' or 'anonymise', or record the contract",
            )


def _cookies(manifest: Manifest) -> Iterator[Finding]:
    keys = {c.key for c in manifest.cookie_categories}
    if manifest.cookie_categories and CookieCategoryKey.NECESSARY not in keys:
        yield Finding(("cookie_categories",), "cookie categories must include 'necessary'", "")
    for index, category in enumerate(manifest.cookie_categories):
        if category.default and category.key is not CookieCategoryKey.NECESSARY:
            yield Finding(
                ("cookie_categories", index, "default"),
                f"cookie category '{category.key.value}' is pre-ticked",
                "only 'necessary' may default to on; consent must be an opt-in (GDPR Recital 32)",
            )


def _roles(manifest: Manifest) -> Iterator[Finding]:
    categories = known_categories(manifest)
    purposes = {p.key for p in manifest.purposes}
    for index, role in enumerate(manifest.roles):
        for g_index, grant in enumerate(role.grants):
            path: Path = ("roles", index, "grants", g_index)
            yield from _refs((*path, "purposes"), grant.purposes, purposes, "purposes")
            yield from _refs((*path, "categories"), grant.categories, categories, "data_categories")
            yield from _full_values(manifest, path, grant, categories)


def _full_values(
    manifest: Manifest, path: Path, grant: Grant, known: dict[str, str]
) -> Iterator[Finding]:
    """A grant's ``full_values`` are categories shown by their last four or withheld (not whole)
    that the grant reads."""
    if grant.full_values and Action.READ not in grant.actions:
        yield Finding(
            (*path, "full_values"),
            "'full_values' is given by a grant that does not read",
            "add 'read' to the grant's 'actions', or remove 'full_values'",
        )
    for index, key in enumerate(grant.full_values):
        where: Path = (*path, "full_values", index)
        if key not in known:
            yield Finding(
                where, *_unknown("data_categories", key, known), ref=("data_categories", key)
            )
        elif category_display(manifest, key) is Display.WHOLE:
            yield Finding(
                where,
                f"'{key}' is always shown in full",
                "only card, bank-account, government ID and medical ID categories are shown by their "
                "last four, and passwords, credentials, security answers and biometric data withheld",
            )
        elif not any(
            is_within(k, g) for k in fides_lineage(manifest, key) for g in grant.categories
        ):
            yield Finding(
                where,
                f"'{key}' is not among the grant's categories",
                "a grant gives the full value of what it reads only: add it to 'categories'",
            )


def _tenants(manifest: Manifest) -> Iterator[Finding]:
    if not manifest.tenants:
        yield Finding(("tenants",), "the manifest declares no tenants", "add at least one tenant")
    libraries: dict[str, set[str]] = {
        "purposes": {p.key for p in manifest.purposes},
        "recipients": {r.key for r in manifest.recipients},
        "retention": {r.key for r in manifest.retention},
        "roles": {r.key for r in manifest.roles},
        "cookie_categories": {c.key.value for c in manifest.cookie_categories},
    }
    for index, tenant in enumerate(manifest.tenants):
        path: Path = ("tenants", index)
        yield from _refs(
            (*path, "jurisdictions"), tenant.jurisdictions, set(JURISDICTIONS), "jurisdictions"
        )
        default = tenant.default_jurisdiction
        if default is not None and default not in tenant.jurisdictions:
            yield Finding(
                (*path, "default_jurisdiction"),
                f"default jurisdiction '{default}' is not among the tenant's jurisdictions",
                f"add it to 'jurisdictions' ({', '.join(tenant.jurisdictions) or 'none listed'})",
            )
        if tenant.role == "processor" and tenant.client is None:
            yield Finding(
                path,
                f"processor tenant '{tenant.key}' names no client controller",
                "add 'client: {name: ...}'",
            )
        if tenant.role == "controller" and tenant.client is not None:
            yield Finding(
                (*path, "client"), "a controller tenant has no client", "set 'role: processor'"
            )
        for section, known in libraries.items():
            refs = getattr(tenant, section)
            if refs is not None:
                values = [getattr(r, "value", r) for r in refs]
                yield from _refs((*path, section), values, known, section)


# For each policy field: True if a larger value is stricter, False if a smaller one is.
_LARGER_IS_STRICTER = {
    "minor_age": True,
    "contract_end_delete_days": False,
    "cookie_reconsent_months": False,
    "access_lookback_months": True,
}
_FORBIDDEN_IF_PROMISED = {
    "vendors_may_market": (False, True),
    "sell_personal_data": (False, True),
    "uk_cookie_mode": ("opt_in", "duaa_exemptions"),
}


def _tenant_policies(manifest: Manifest) -> Iterator[Finding]:
    """A tenant's policy may make the organisation's promises stricter, never looser."""
    top = manifest.policy.model_dump()
    for index, tenant in enumerate(manifest.tenants):
        mine = tenant.policy.model_dump()
        for name, larger in _LARGER_IS_STRICTER.items():
            if top[name] is None or mine[name] is None:
                continue
            if (mine[name] < top[name]) if larger else (mine[name] > top[name]):
                yield _looser(index, name, top[name])
        for name, (promised, loose) in _FORBIDDEN_IF_PROMISED.items():
            if top[name] == promised and mine[name] == loose:
                yield _looser(index, name, top[name])


def _child_ages(manifest: Manifest) -> Iterator[Finding]:
    """A tenant's minor age may not be below a child consent age of its laws (``core.children``):
    below it nobody may consent alone, whatever the policy says."""
    top = manifest.policy.minor_age
    for index, tenant in enumerate(manifest.tenants):
        own = tenant.policy.minor_age
        minor_age = own if own is not None else top if top is not None else DEFAULT_MINOR_AGE
        ages = law_ages(tenant.jurisdictions, establishment_of(tenant))
        if ages and ages[0].age > minor_age:
            law = ages[0]
            yield Finding(
                _minor_age_path(index, own, top),
                f"tenant '{tenant.key}' lets a {minor_age}-year-old consent alone (minor_age "
                f"{minor_age}), but {law.rule} ({law.law}) needs a parent's consent under {law.age}",
                f"set the tenant's 'policy: {{minor_age: {law.age}}}' or higher",
            )


def _minor_age_path(index: int, own: int | None, top: int | None) -> Path:
    """Where the weak minor age is written: the tenant's policy, else the top-level one."""
    if own is not None:
        return ("tenants", index, "policy", "minor_age")
    if top is not None:
        return ("policy", "minor_age")
    return ("tenants", index, "jurisdictions")


def _looser(index: int, name: str, value: object) -> Finding:
    return Finding(
        ("tenants", index, "policy", name),
        f"the tenant's '{name}' is looser than the organisation's promise ({value})",
        "a tenant policy may only be stricter; change the top-level 'policy' if the promise changed",
    )


def _vendor_promises(manifest: Manifest) -> Iterator[Finding]:
    """Processors must be bound to the promises the policy makes about vendors (seeds; CCPA §7051)."""
    policy = manifest.policy
    for index, recipient in enumerate(manifest.recipients):
        if recipient.type is not RecipientType.PROCESSOR:
            continue
        terms = recipient.contract
        path: Path = ("recipients", index, "contract")
        if policy.vendors_may_market is not True and not terms.no_own_marketing:
            yield Finding(
                path,
                f"processor '{recipient.key}' is not bound against its own marketing",
                "the policy promises vendors never market with the data: set 'no_own_marketing: true'",
            )
        if policy.sell_personal_data is not True and not terms.no_sale:
            yield Finding(
                path,
                f"processor '{recipient.key}' is not bound against selling the data",
                "the policy promises the data is never sold: set 'no_sale: true'",
            )
