"""The notice's elements that a law requires and the manifest implies: whether data is required,
profiling and automated decisions, transfers abroad and their safeguards (GDPR Art. 13/14), and the
CCPA categories of personal information (Cal. Civ. Code 1798.140(v), (ae); 11 CCR § 7011).

Pure data; ``core/notice.py`` assembles the notice from these.
"""

from __future__ import annotations

from typing import Any

from privault.core.manifest.model import LawfulBasis, Purpose, Recipient
from privault.core.manifest.resolve import TenantView, fides_lineage, known_categories
from privault.core.taxonomy import is_within
from privault.core.transfers import ADEQUATE, EEA

# --- GDPR Art. 13(2)(e): required by law or contract, and what happens if it is not given ---------

REQUIRED: dict[LawfulBasis, tuple[str, str]] = {
    LawfulBasis.CONTRACT: (
        "contract",
        "This data is needed to enter into or perform the contract: without it we cannot provide "
        "the service.",
    ),
    LawfulBasis.LEGAL_OBLIGATION: (
        "law",
        "The law requires us to process this data: without it we cannot meet that obligation or "
        "provide the service it concerns.",
    ),
}


def requirement(purpose: Purpose) -> dict[str, str] | None:
    """Whether providing the data is a legal or contractual requirement, and the consequence."""
    found = REQUIRED.get(purpose.lawful_basis) if purpose.lawful_basis else None
    if found is None:
        return None
    return {"by": found[0], "consequence": found[1]}


# --- GDPR Art. 13(2)(f), 22; CCPA 1798.185(a)(15): profiling and automated decisions -------------

PROFILING_USES = (
    "personalize.profiling",
    "personalize.content.profiling",
    "personalize.content.profiled",
    "marketing.advertising.profiling",
    "marketing.advertising.third_party.targeted",
)


def profiling(view: TenantView) -> list[dict[str, str]]:
    """The tenant's purposes whose data use profiles people (fideslang data uses)."""
    return [
        {"purpose": p.name, "data_use": p.data_use or ""}
        for p in view.purposes
        if p.data_use and any(is_within(p.data_use, use) for use in PROFILING_USES)
    ]


def automated_decisions_statement(view: TenantView) -> str:
    """One sentence for the notice and the access report, from the purposes' data uses."""
    found = profiling(view)
    none_solely = (
        "We make no decisions about you that produce legal or similarly significant effects based "
        "solely on automated processing."
    )
    decided = _decided(view)
    solely = decided or none_solely
    if not found:
        return "We do not profile you. " + solely
    names = ", ".join(item["purpose"] for item in found)
    return f"We use your data to build a profile of your interests for: {names}. " + solely


def _decided(view: TenantView) -> str:
    """The solely automated decisions the purposes declare (Art. 13(2)(f), 15(1)(h)), with the
    person's right to a human review (Art. 22(3), UK Art. 22C); '' where none is declared."""
    parts = [
        f"{p.automated_decision.name} ({p.name}): {p.automated_decision.logic} "
        f"{p.automated_decision.effects}"
        for p in view.purposes
        if p.automated_decision
    ]
    if not parts:
        return ""
    return (
        "We make these decisions about you solely by automated means: "
        + "; ".join(parts)
        + " You may ask for a person to review such a decision, give your view and contest it."
    )


# --- GDPR Art. 13(1)(f), 44-46: transfers and their safeguards -------------------------------------


def needs_safeguard(country: str) -> bool:
    """A transfer from the EEA or the UK to ``country`` needs an Art. 46 safeguard."""
    return country not in EEA and country not in ADEQUATE


def transfers(recipients: tuple[Recipient, ...]) -> list[dict[str, Any]]:
    """Per recipient and country outside the EEA: the adequacy decision or the stated safeguard."""
    rows = []
    for recipient in recipients:
        for country in recipient.countries:
            if country in EEA:
                continue
            if country in ADEQUATE:
                how = "an adequacy decision (GDPR Art. 45)"
            else:
                how = recipient.safeguards.get(country, "")
            rows.append({"recipient": recipient.name, "country": country, "safeguard": how})
    return rows


# --- CCPA: categories of personal information in the statute's terms ------------------------------

# Cal. Civ. Code 1798.140(v)(1)(A)-(K), by fideslang category; the first that covers a key wins.
CCPA_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("user.biometric", "Biometric information (1798.140(v)(1)(E))"),
    ("user.location", "Geolocation data (1798.140(v)(1)(G))"),
    ("user.behavior.purchase_history", "Commercial information (1798.140(v)(1)(D))"),
    ("user.behavior", "Internet or other electronic network activity (1798.140(v)(1)(F))"),
    ("user.device", "Internet or other electronic network activity (1798.140(v)(1)(F))"),
    ("user.content", "Audio, electronic or similar information (1798.140(v)(1)(H))"),
    ("user.workplace", "Professional or employment-related information (1798.140(v)(1)(I))"),
    ("user.job_title", "Professional or employment-related information (1798.140(v)(1)(I))"),
    ("user.demographic", "Characteristics of protected classifications (1798.140(v)(1)(C))"),
    ("user.health_and_medical", "Customer records: medical information (1798.140(v)(1)(B))"),
    ("user.financial", "Customer records: financial information (1798.140(v)(1)(B))"),
    ("user.payment", "Customer records: financial information (1798.140(v)(1)(B))"),
    ("user.government_id", "Identifiers (1798.140(v)(1)(A))"),
    ("user.name", "Identifiers (1798.140(v)(1)(A))"),
    ("user.contact", "Identifiers (1798.140(v)(1)(A))"),
    ("user.unique_id", "Identifiers (1798.140(v)(1)(A))"),
    ("user.account", "Identifiers (1798.140(v)(1)(A))"),
    ("user.authorization", "Identifiers (1798.140(v)(1)(A))"),
    ("user", "Personal information (1798.140(v)(1))"),
)

# Sensitive personal information, Cal. Civ. Code 1798.140(ae).
CCPA_SENSITIVE = (
    "user.government_id",
    "user.authorization",
    "user.location.precise",
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.sexual_orientation",
    "user.health_and_medical",
    "user.biometric",
)
_SENSITIVE_LABEL = "Sensitive personal information (1798.140(ae))"


def ccpa_category(view: TenantView, key: str) -> list[str]:
    """The statute's categories a manifest category falls in (its own, and SPI where it is)."""
    lineage = fides_lineage(view.manifest, key)
    covering = (
        label for prefix, label in CCPA_CATEGORIES if any(is_within(k, prefix) for k in lineage)
    )
    found = [next(covering, CCPA_CATEGORIES[-1][1])]
    if any(is_within(k, s) for k in lineage for s in CCPA_SENSITIVE):
        found.append(_SENSITIVE_LABEL)
    return found


def ccpa_categories(view: TenantView, keys: set[str]) -> list[dict[str, Any]]:
    """The statute's categories with the manifest's categories in each, in the statute's order."""
    names = known_categories(view.manifest)
    grouped: dict[str, set[str]] = {}
    for key in keys:
        for label in ccpa_category(view, key):
            grouped.setdefault(label, set()).add(names.get(key, key))
    return [
        {"category": label, "examples": sorted(grouped[label], key=str.lower)}
        for label in sorted(grouped, key=_statute_order)
    ]


def _statute_order(label: str) -> tuple[int, str]:
    """(v)(1)(A) to (K) in order, then the catch-all, then sensitive personal information."""
    if label == _SENSITIVE_LABEL:
        return (2, "")
    letter = label.rpartition("(v)(1)(")[2][:1]
    return (0, letter) if letter.isalpha() else (1, "")
