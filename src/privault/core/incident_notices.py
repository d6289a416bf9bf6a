"""What a breach notice says about the data: the categories' names and the likely consequences
(GDPR 33(3)(c), 34(2)). Pure; no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from privault.core.manifest.resolve import TenantView, category_sensitivity, known_categories
from privault.core.taxonomy import is_within

_CONSEQUENCES: tuple[tuple[str, str], ...] = (
    ("payment", "financial loss or fraud using payment or bank details"),
    ("special", "distress, discrimination or other harm from disclosure of sensitive information"),
    (
        "cpni",
        "disclosure of call records and service details, and the risk of pretexting or SIM swaps",
    ),
    ("children", "harm to children whose data was exposed"),
)
_PREFIX_CONSEQUENCES: tuple[tuple[str, str], ...] = (
    ("user.contact", "phishing, spam or impersonation using contact details"),
    ("user.government_id", "identity theft"),
    ("user.authorization", "takeover of accounts"),
    ("cc.account.security_pin", "takeover of accounts"),
)


def likely_consequences(view: TenantView, categories: Sequence[str]) -> list[str]:
    """What the affected categories may lead to (GDPR 33(3)(c)), strictest first."""
    found: list[str] = []
    sensitivities = {category_sensitivity(view.manifest, c).value for c in categories}
    found += [text for key, text in _CONSEQUENCES if key in sensitivities]
    found += [
        text
        for prefix, text in _PREFIX_CONSEQUENCES
        if any(is_within(c, prefix) for c in categories)
    ]
    return list(dict.fromkeys(found)) or ["loss of confidentiality of the personal data concerned"]


def category_names(view: TenantView, categories: Sequence[str]) -> list[str]:
    """Human names of the categories."""
    names = known_categories(view.manifest)
    return [names.get(c, c) for c in categories]
