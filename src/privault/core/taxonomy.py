"""The fideslang taxonomy privault builds on, and the sensitivity each category carries by law."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import cache

from fideslang.default_taxonomy import DEFAULT_TAXONOMY


class Sensitivity(StrEnum):
    """How carefully a data category must be handled."""

    ORDINARY = "ordinary"
    PAYMENT = "payment"
    SPECIAL = "special"  # GDPR Art. 9 special category
    CHILDREN = "children"
    CPNI = "cpni"  # US telecom customer proprietary network information (47 U.S.C. 222)


# The special categories of GDPR Art. 9(1), payment data (PCI DSS) and children's data, by prefix.
_SENSITIVE_PREFIXES: tuple[tuple[str, Sensitivity], ...] = (
    ("user.demographic.race_ethnicity", Sensitivity.SPECIAL),
    ("user.demographic.religious_belief", Sensitivity.SPECIAL),
    ("user.demographic.political_opinion", Sensitivity.SPECIAL),
    ("user.demographic.sexual_orientation", Sensitivity.SPECIAL),
    ("user.health_and_medical", Sensitivity.SPECIAL),
    ("user.biometric", Sensitivity.SPECIAL),
    ("user.criminal_history", Sensitivity.SPECIAL),
    ("user.financial", Sensitivity.PAYMENT),
    ("user.payment", Sensitivity.PAYMENT),
    ("user.childrens", Sensitivity.CHILDREN),
)


class Display(StrEnum):
    """How a value of a category is shown when it leaves privault (core/display.py)."""

    WHOLE = "whole"
    LAST_FOUR = "last_four"  # ****1001
    WITHHELD = "withheld"  # never shown, not even in part: [withheld]


# Shown by their last four characters only (core/display.py): financial account numbers, government
# identifiers and health insurance or medical identification numbers (11 CCR §7024(d): never
# disclosed in answer to a request to know; PCI DSS 3.4.1).
LAST_FOUR_CATEGORIES: tuple[str, ...] = (
    "user.financial.bank_account",
    "user.financial.credit_card",
    "user.government_id",
    "user.health_and_medical.insurance_beneficiary_id",
    "user.health_and_medical.record_id",
)

# Never shown, not even by their last four (core/display.py): account passwords, credentials,
# security questions and answers, and unique biometric data (11 CCR §7024(d)).
WITHHELD_CATEGORIES: tuple[str, ...] = (
    "user.authorization.password",
    "user.authorization.credentials",
    "user.authorization.biometric",
    "user.biometric",
)

# Categories for which the seeds' policy allows only explicit consent, GDPR Art. 9(2)(a).
EXPLICIT_CONSENT_ONLY: tuple[str, ...] = (
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.political_opinion",
)


@cache
def fides_categories() -> dict[str, str]:
    """fideslang data category keys mapped to their names."""
    return {c.fides_key: c.name or c.fides_key for c in DEFAULT_TAXONOMY.data_category}


@cache
def fides_data_uses() -> dict[str, str]:
    """fideslang data use keys mapped to their names."""
    return {u.fides_key: u.name or u.fides_key for u in DEFAULT_TAXONOMY.data_use}


@cache
def fides_data_subjects() -> dict[str, str]:
    """fideslang data subject keys mapped to their names."""
    return {s.fides_key: s.name or s.fides_key for s in DEFAULT_TAXONOMY.data_subject}


def default_sensitivity(key: str) -> Sensitivity:
    """The sensitivity the law gives a fideslang category (ordinary unless listed)."""
    for prefix, sensitivity in _SENSITIVE_PREFIXES:
        if key == prefix or key.startswith(prefix + "."):
            return sensitivity
    return Sensitivity.ORDINARY


def fides_display(key: str) -> Display:
    """How a fideslang category is shown: withheld or by its last four when it or an ancestor is
    listed (withheld first), else whole."""
    if any(is_within(key, root) for root in WITHHELD_CATEGORIES):
        return Display.WITHHELD
    if any(is_within(key, root) for root in LAST_FOUR_CATEGORIES):
        return Display.LAST_FOUR
    return Display.WHOLE


def strictest(displays: Iterable[Display]) -> Display:
    """The strictest of several displays: withheld beats last four beats whole (whole if none)."""
    order = (Display.WHOLE, Display.LAST_FOUR, Display.WITHHELD)
    return max(displays, key=order.index, default=Display.WHOLE)


def is_within(key: str, ancestor: str) -> bool:
    """True if ``key`` is ``ancestor`` or one of its descendants (dotted keys)."""
    return key == ancestor or key.startswith(ancestor + ".")


def covers(parent: str, category: str) -> bool:
    """``parent`` is ``category`` or one of its ancestors (``user.contact`` covers
    ``user.contact.email``): :func:`is_within` read from the other side."""
    return is_within(category, parent)


def stricter(a: Sensitivity, b: Sensitivity) -> Sensitivity:
    """The stricter of two sensitivities (special beats everything; ordinary loses to anything)."""
    order = (
        Sensitivity.ORDINARY,
        Sensitivity.CPNI,
        Sensitivity.PAYMENT,
        Sensitivity.CHILDREN,
        Sensitivity.SPECIAL,
    )
    return a if order.index(a) >= order.index(b) else b


def may_override(legal: Sensitivity, wanted: Sensitivity) -> bool:
    """An override may keep the legal sensitivity, raise ordinary data to any, or raise any to special."""
    return wanted in (legal, Sensitivity.SPECIAL) or legal is Sensitivity.ORDINARY
