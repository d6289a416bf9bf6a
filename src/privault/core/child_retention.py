"""How long children's data is kept, as the notice publishes it (RULES.md COPPA-2). No I/O.

16 CFR 312.10 (as amended in 2025): an operator keeps a child's personal information only as long as
reasonably necessary for the purpose it was collected for, never indefinitely, and publishes a
written data-retention policy for it in its notice. privault's policy follows from the manifest:
a person found to be under the tenant's minor age (POL-MIN-1; at least COPPA's 13) is suppressed at
once and erased; only what a law keeps stays, for the period of the retention rule naming that law,
and what an erasure exception keeps stays as long as the retention rules covering it say.

A category an erasure exception keeps that no vault retention rule of the tenant covers would be kept
without end: ``privault check`` refuses it for a tenant under COPPA
(``core/manifest/law_checks.py`` ``kept_indefinitely``).
"""

from __future__ import annotations

from typing import Any

from privault.core.children import COPPA_AGE
from privault.core.manifest.resolve import TenantView, known_categories
from privault.core.retention import covers_category, legal_rules, vault_rules, why

RULE = "COPPA-2"
CITATION = "16 CFR 312.10"


def _excepted(view: TenantView, categories: list[str], names: dict[str, str]) -> dict[str, Any]:
    """An erasure exception's categories and the periods of the retention rules covering them."""
    periods = {
        why(r) for r in vault_rules(view.retention) for c in categories if covers_category(r, c)
    }
    return {"categories": [names.get(c, c) for c in categories], "periods": sorted(periods)}


def child_retention(view: TenantView) -> dict[str, Any]:
    """The notice's children's data retention policy (312.10: the purposes, the business need for
    keeping and the timeframe for deletion): the purposes, the minor age, and what the law keeps."""
    names = known_categories(view.manifest)
    kept = [
        {
            "categories": [names.get(c, c) for c in r.categories] or ["all personal data"],
            "period": why(r),
            "law": r.law,
        }
        for r in legal_rules(view.retention)
    ]
    excepted = [_excepted(view, e.categories, names) for e in view.manifest.erasure_exceptions]
    return {
        "rule": CITATION,
        "coppa_age": COPPA_AGE,
        "minor_age": view.policy.minor_age,
        "purposes": [p.name for p in view.purposes],
        "kept_by_law": kept,
        "exceptions": excepted,
    }
