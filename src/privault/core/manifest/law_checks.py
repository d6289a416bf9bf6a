"""Per-tenant checks that follow from a law the tenant declares (``checks.py`` makes them findings).

- QC-DEF-1 (Québec Law 25 s. 9.1, s. 8.1): a Québec tenant's settings are the most private by default
  (no cookie exemptions), and a purpose that identifies, locates or profiles people stays off until
  the person activates it: its lawful basis is the person's consent, never on by default.
- QC-ANON-1 (s. 23 and the anonymisation Regulation): a Québec tenant's ``anonymise`` rule records
  its purpose, its supervisor and its re-identification risk analysis.
- COPPA-2 (16 CFR 312.10): a tenant under COPPA keeps no child data indefinitely.
- DPDP-ERA-1: only a tenant under India's DPDP Act can declare itself a DPDP platform.

Each yields ``(path, message, hint)``.
"""

from __future__ import annotations

from collections.abc import Iterator

from privault.core.children import coppa_applies
from privault.core.manifest.model import CookieCategoryKey, LawfulBasis, Manifest, Purpose
from privault.core.manifest.positions import Path
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.notice_elements import PROFILING_USES
from privault.core.retention import covers_category, vault_rules
from privault.core.taxonomy import is_within

QUEBEC, INDIA = "ca-qc", "in"

LawFinding = tuple[Path, str, str]


def tracks(purpose: Purpose) -> tuple[str, ...]:
    """What a purpose does that s. 8.1 holds off until activated: ``identify``, ``locate`` or
    ``profile`` (declared in ``functions``, or ``profile`` from a profiling data use)."""
    found = set(purpose.functions)
    if purpose.data_use and any(is_within(purpose.data_use, use) for use in PROFILING_USES):
        found.add("profile")
    return tuple(sorted(found))


def _views(manifest: Manifest) -> Iterator[tuple[int, TenantView]]:
    for index, tenant in enumerate(manifest.tenants):
        yield index, tenant_view(manifest, tenant.key)


def quebec_defaults(manifest: Manifest) -> Iterator[LawFinding]:
    """QC-DEF-1: the most private defaults, and tracking off until the person turns it on."""
    positions = {p.key: i for i, p in enumerate(manifest.purposes)}
    for index, view in _views(manifest):
        if QUEBEC not in view.tenant.jurisdictions:
            continue
        if view.policy.uk_cookie_mode == "duaa_exemptions":
            yield (
                ("tenants", index, "policy", "uk_cookie_mode"),
                f"tenant '{view.tenant.key}' is under Québec law: cookie exemptions are not the "
                "most private default (Law 25 s. 9.1, QC-DEF-1)",
                "use uk_cookie_mode: opt_in",
            )
        for purpose in view.purposes:
            yield from _off_until_activated(view, purpose, positions[purpose.key])


def _off_until_activated(view: TenantView, purpose: Purpose, at: int) -> Iterator[LawFinding]:
    consent = purpose.lawful_basis is LawfulBasis.CONSENT
    cookie = purpose.cookie_category not in (None, CookieCategoryKey.NECESSARY)
    functions = tracks(purpose)
    if functions and not consent:
        yield (
            ("purposes", at, "lawful_basis"),
            f"purpose '{purpose.key}' would {'/'.join(functions)} people of Québec tenant "
            f"'{view.tenant.key}' without their activation (Law 25 s. 8.1, QC-DEF-1)",
            "make its lawful_basis consent: it stays off until the person turns it on",
        )
    elif cookie and not consent:
        yield (
            ("purposes", at, "lawful_basis"),
            f"purpose '{purpose.key}' relies on non-necessary cookies without consent for Québec "
            f"tenant '{view.tenant.key}' (Law 25 s. 9.1, QC-DEF-1)",
            "make its lawful_basis consent",
        )


def quebec_anonymisation(manifest: Manifest) -> Iterator[LawFinding]:
    """QC-ANON-1: each anonymise rule of a Québec tenant keeps the Regulation's record."""
    positions = {r.key: i for i, r in enumerate(manifest.retention)}
    for _index, view in _views(manifest):
        if QUEBEC not in view.tenant.jurisdictions:
            continue
        for rule in view.retention:
            if rule.action == "anonymise" and rule.anonymisation is None:
                yield (
                    ("retention", positions[rule.key], "action"),
                    f"rule '{rule.key}' anonymises data of Québec tenant '{view.tenant.key}' "
                    "without recording its purpose, supervisor and re-identification risk "
                    "analysis (s. 23 and the anonymisation Regulation, QC-ANON-1)",
                    "add anonymisation: {purpose: ..., supervisor: ..., risk_analysis: ...}",
                )


def kept_indefinitely(view: TenantView) -> list[tuple[str, str]]:
    """(exception key, category) pairs an erasure exception keeps that no vault retention rule of
    the tenant ever deletes."""
    rules = vault_rules(view.retention)
    return [
        (exception.key, category)
        for exception in view.manifest.erasure_exceptions
        for category in exception.categories
        if not any(covers_category(r, category) for r in rules)
    ]


def child_data_kept_indefinitely(manifest: Manifest) -> Iterator[LawFinding]:
    """COPPA-2: no erasure exception keeps a category that no retention rule of a COPPA tenant
    ever deletes."""
    positions = {e.key: i for i, e in enumerate(manifest.erasure_exceptions)}
    for index, view in _views(manifest):
        if not coppa_applies(view.tenant.jurisdictions):
            continue
        for key, category in kept_indefinitely(view):
            yield (
                ("erasure_exceptions", positions[key], "categories"),
                f"exception '{key}' would keep a child's '{category}' indefinitely for COPPA "
                f"tenant '{view.tenant.key}' (16 CFR 312.10, COPPA-2)",
                f"add a retention rule covering '{category}' to tenants[{index}].retention",
            )


def dpdp_platform(manifest: Manifest) -> Iterator[LawFinding]:
    """DPDP-ERA-1: the declaration needs India among the tenant's laws."""
    for index, tenant in enumerate(manifest.tenants):
        if tenant.dpdp_platform is not None and INDIA not in tenant.jurisdictions:
            yield (
                ("tenants", index, "dpdp_platform"),
                f"tenant '{tenant.key}' declares a DPDP platform but not the jurisdiction 'in'",
                "add 'in' to its jurisdictions, or remove dpdp_platform",
            )


LAW_CHECKS = (quebec_defaults, quebec_anonymisation, child_data_kept_indefinitely, dpdp_platform)
