"""Which law families apply to a tenant, and the rule labels and citations shown under them.

A tenant subject only to US law must not be told of GDPR articles: the processing decision's rule
ids, the notice's lawful-basis citations and other texts are those of the laws that apply. Rule ids
beginning ``POL-`` are the operator's own promises (``shared/RULES.md``), applied where no law sets
the rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from privault.core.manifest.model import LawfulBasis

GDPR_JURISDICTIONS = frozenset({"eu", "uk"})
CCPA_JURISDICTIONS = frozenset({"us-ca"})

_GDPR_ARTICLE: dict[LawfulBasis, str] = {
    LawfulBasis.CONSENT: "GDPR Art. 6(1)(a)",
    LawfulBasis.CONTRACT: "GDPR Art. 6(1)(b)",
    LawfulBasis.LEGAL_OBLIGATION: "GDPR Art. 6(1)(c)",
    LawfulBasis.VITAL_INTERESTS: "GDPR Art. 6(1)(d)",
    LawfulBasis.PUBLIC_TASK: "GDPR Art. 6(1)(e)",
    LawfulBasis.LEGITIMATE_INTERESTS: "GDPR Art. 6(1)(f)",
    LawfulBasis.RECOGNISED_LEGITIMATE_INTERESTS: "UK GDPR Art. 6(1)(ea)",
}

# The decision's GDPR rule ids and what they are called where no GDPR applies: the operator's
# policy (the manifest declares the purpose's ground, its consent, restriction and objection).
_WITHOUT_GDPR: dict[str, str] = {
    "GDPR-LB-1": "POL-LB-1",
    "GDPR-CONS-1": "POL-CONS-1",
    "GDPR-CONS-2": "POL-CONS-2",
    "GDPR-CONS-3": "POL-CONS-3",
    "GDPR-SPEC-1": "POL-SPEC-1",
    "GDPR-RES-1": "POL-RES-1",
    "GDPR-OBJ-1": "POL-OBJ-1",
    "GDPR-OBJ-21(1)": "POL-OBJ-2",
    "GDPR-CHILD-1": "POL-CHILD-1",
}


def gdpr_applies(jurisdictions: Iterable[str]) -> bool:
    """The EU GDPR or the UK GDPR is among the laws."""
    return not GDPR_JURISDICTIONS.isdisjoint(jurisdictions)


def ccpa_applies(jurisdictions: Iterable[str]) -> bool:
    """California's CCPA is among the laws."""
    return not CCPA_JURISDICTIONS.isdisjoint(jurisdictions)


def basis_citation(basis: LawfulBasis | None, jurisdictions: Iterable[str]) -> str | None:
    """The article a lawful basis rests on, where a GDPR applies; else none (there is no such
    article to cite). The UK's recognised legitimate interests exist under the UK GDPR only."""
    keys = set(jurisdictions)
    if basis is None or not gdpr_applies(keys):
        return None
    if basis is LawfulBasis.RECOGNISED_LEGITIMATE_INTERESTS and "uk" not in keys:
        return None
    return _GDPR_ARTICLE[basis]


def rule_labels(jurisdictions: Iterable[str]) -> dict[str, str]:
    """How the decision's GDPR rule ids are renamed for these laws (nothing to rename under GDPR)."""
    return {} if gdpr_applies(jurisdictions) else dict(_WITHOUT_GDPR)


def also_named(rules: Iterable[str]) -> frozenset[str]:
    """``rules`` and the names they go by where no GDPR applies."""
    wanted = set(rules)
    return frozenset(wanted | {_WITHOUT_GDPR[r] for r in wanted if r in _WITHOUT_GDPR})
