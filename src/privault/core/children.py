"""Children and consent ages: the strictest age of every law a tenant operates under.

Below a law's child consent age a person cannot consent alone: a parent consents, with verification
(GDPR Art. 8, member-state ages 13-16; UK DPA 2018 s. 9: 13; Québec s. 4.1: 14; India DPDP s. 9:
18; COPPA: 13). Where a tenant is under several laws the highest age wins, and the tenant's own
``minor_age`` (POL-MIN-1) may only raise it; the answer names the rule that decided. Some laws also
refuse collection itself without a parent (COPPA §312.5, Québec s. 4.1, DPDP s. 9(1)); GDPR Art. 8
concerns consent only. The CCPA adds an opt-in for sale or sharing below 16 (1798.120(c)): the
person's own from 13, a parent's below 13. Several US state laws set such an opt-in age for sale
and targeted advertising (``teen_opt_in_age`` in ``core/laws/us_states.py``: Connecticut,
Colorado and Montana 18, Oregon 16, ...); each names its rule ``<ACT>-MIN-1`` (``CTDPA-MIN-1``).

Where the tenant's ``establishment`` is an EU member state, ``eu`` uses that state's Art. 8(1) age
(a jurisdiction key ``eu-<country>`` does the same).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from privault.core.jurisdictions import JURISDICTIONS
from privault.core.laws.us_states import LAWS as STATE_LAWS

COPPA_AGE = 13  # 16 CFR 312.2: a child is under 13

# GDPR Art. 8(1) as each member state set it (13-16; 16 where the state set none). To verify
# against each national act before relying on it (RULES.md lists the per-country ages as such).
EU_CHILD_AGES: dict[str, int] = {
    "AT": 14, "BE": 13, "BG": 14, "CY": 14, "CZ": 15, "DE": 16, "DK": 13, "EE": 13, "ES": 14,
    "FI": 13, "FR": 15, "GR": 15, "HR": 16, "HU": 16, "IE": 16, "IT": 14, "LT": 14, "LU": 16,
    "LV": 13, "MT": 13, "NL": 16, "PL": 16, "PT": 13, "RO": 16, "SE": 13, "SI": 15, "SK": 16,
}  # fmt: skip

# The RULES.md row of each law's child rule, and whether it governs collection (else consent only).
_RULES: dict[str, tuple[str, bool]] = {
    "eu": ("GDPR-CHILD-1", False),
    "uk": ("GDPR-CHILD-1", False),
    "ca-qc": ("QC-MIN-1", True),
    "in": ("DPDP-CHILD-1", True),
    "us": ("COPPA-1", True),
    "us-ca": ("COPPA-1", True),
}
_TEEN_OPT_IN = {"us-ca": 16}  # until every table entry carries ``teen_opt_in_age``
# The state laws' short names (rule ids); their opt-in covers targeted advertising as well as sale.
_STATE_ACTS = {f"us-{s.code.lower()}": s.act for s in STATE_LAWS}
# Laws that forbid sale and targeted advertising below their age outright: no opt-in lifts it
# (Md. Code, Com. Law § 14-4607(a)(4)).
_NO_OPT_IN = frozenset({"us-md"})


@dataclass(frozen=True, slots=True)
class AgeRule:
    """An age below which a rule applies, the rule's RULES.md id and the law that sets it."""

    age: int
    rule: str
    law: str
    collection: bool = True  # the law refuses collection itself without a parent
    opt_in: bool = True  # (teen rules) the person's own opt-in lifts it; else a ban


def _citation(j: Any, name: str) -> str:
    cited = dict(getattr(j, "citations", ()) or ()).get(name)
    return str(cited) if cited else str(j.name)


def _eu_country(key: str, establishment: str | None) -> str | None:
    if key.startswith("eu-"):
        return key[3:].upper()
    if key == "eu" and establishment in EU_CHILD_AGES:
        return establishment
    return None


def _law_age(key: str, establishment: str | None) -> AgeRule | None:
    j = JURISDICTIONS.get(key)
    country = _eu_country(key, establishment)
    if country in EU_CHILD_AGES:
        law = f"GDPR Art. 8(1) as set by {country}"
        return AgeRule(EU_CHILD_AGES[country], "GDPR-CHILD-1", law, collection=False)
    if j is None or j.child_consent_age is None:
        return None
    rule, collection = _RULES.get(key, (f"{key.upper()}-CHILD", True))
    age = j.child_consent_age
    if teen_opt_in_age(key) is not None and age >= (teen_opt_in_age(key) or 0):
        age = COPPA_AGE  # the law regulates 13-15 through the sale opt-in only; COPPA below 13
        return AgeRule(age, rule, "COPPA 16 CFR 312.2, 312.5", collection)
    return AgeRule(age, rule, _citation(j, "child_consent_age"), collection)


def teen_opt_in_age(key: str) -> int | None:
    """Below this age a law lets data be sold or shared only on an opt-in (CCPA 1798.120(c))."""
    j = JURISDICTIONS.get(key)
    declared = getattr(j, "teen_opt_in_age", None) if j is not None else None
    return int(declared) if declared is not None else _TEEN_OPT_IN.get(key)


def _teen_age(key: str, age: int) -> AgeRule:
    return AgeRule(age, *_teen_rule(key), opt_in=key not in _NO_OPT_IN)


def _strictest(ages: list[AgeRule]) -> AgeRule | None:
    """The highest age; at the same age a ban before an opt-in."""
    return max(ages, key=lambda a: (a.age, not a.opt_in), default=None)


def _teen_rule(key: str) -> tuple[str, str]:
    if key == "us-ca":
        return "CCPA-MIN-1", "Cal. Civ. Code 1798.120(c)"
    act = _STATE_ACTS.get(key)
    rule = f"{act}-MIN-1" if act else f"{key.upper()}-MIN"
    return rule, _citation(JURISDICTIONS[key], "teen_opt_in_age")


def establishment_of(tenant: Any) -> str | None:
    """The tenant's country of establishment, where the manifest names it."""
    establishment = getattr(tenant, "establishment", None)
    return str(establishment.country) if establishment is not None else None


def law_ages(jurisdictions: Iterable[str], establishment: str | None = None) -> list[AgeRule]:
    """Each law's child consent age, the strictest (highest) first."""
    found = [a for k in dict.fromkeys(jurisdictions) if (a := _law_age(k, establishment))]
    return sorted(found, key=lambda a: -a.age)


def consent_age(
    minor_age: int, jurisdictions: Iterable[str], establishment: str | None = None
) -> AgeRule:
    """The age below which a person cannot consent alone: the highest of the laws' ages and the
    tenant's ``minor_age`` (a law wins a tie: the tenant could not promise less)."""
    ages = law_ages(jurisdictions, establishment)
    if ages and ages[0].age >= minor_age:
        return ages[0]
    return AgeRule(minor_age, "POL-MIN-1", "policy.minor_age")


def collection_age(jurisdictions: Iterable[str], establishment: str | None = None) -> AgeRule:
    """The age below which data may not be collected without a parent's verified consent: COPPA's
    13 at least, or a law's that governs collection itself (Québec 14, India 18)."""
    ages = [a for a in law_ages(jurisdictions, establishment) if a.collection]
    if ages and ages[0].age > COPPA_AGE:
        return ages[0]
    return AgeRule(COPPA_AGE, "COPPA-1", "COPPA 16 CFR 312.5")


def sale_opt_in(jurisdictions: Iterable[str]) -> AgeRule | None:
    """The highest age below which sale or sharing needs an opt-in, if any law sets one."""
    ages = [
        _teen_age(k, age)
        for k in dict.fromkeys(jurisdictions)
        if (age := teen_opt_in_age(k)) is not None
    ]
    return _strictest(ages)


def targeted_ads_opt_in(jurisdictions: Iterable[str]) -> AgeRule | None:
    """The highest age below which targeted advertising needs an opt-in: the US state laws'
    (CCPA's covers sale and sharing only), if any applicable one sets it."""
    ages = [
        _teen_age(k, age)
        for k in dict.fromkeys(jurisdictions)
        if k in _STATE_ACTS and (age := teen_opt_in_age(k)) is not None
    ]
    return _strictest(ages)


def years_after(day: date, years: int) -> date:
    """The same date ``years`` later (29 Feb becomes 1 Mar), as ``vault.adult_on`` counts."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def teen_years(minor_age: int, sale_opt_in_age: int | None) -> int:
    """How many years after reaching the minor age a person stays under the opt-in age."""
    return max(0, (sale_opt_in_age or 0) - minor_age)


def is_teen(adult_on: date | None, today: date, years: int) -> bool:
    """Past the minor age (``adult_on``, as the vault stores it) but under the sale/sharing opt-in
    age, ``years`` later."""
    if not years or adult_on is None or today < adult_on:
        return False
    return today < years_after(adult_on, years)


# COPPA as amended (16 CFR 312.5(a)(2); published 22 April 2025, compliance from 22 April 2026):
# disclosing a child's data to third parties needs the parent's separate verified consent, apart
# from the consent to collection. Not third parties: a processor (support for internal operations,
# 312.2) and an authority the law requires disclosure to (312.5(c)).
COPPA_DISCLOSURE_CONSENT_FROM = date(2026, 4, 22)
COPPA_NOT_THIRD_PARTIES = frozenset({"processor", "authority"})


def coppa_applies(jurisdictions: Iterable[str]) -> bool:
    """COPPA binds a tenant under US law (federal, or any state's)."""
    return any(k == "us" or k.startswith("us-") for k in jurisdictions)


def is_coppa_child(adult_on: date | None, minor_age: int, today: date) -> bool:
    """Under 13 today, from ``adult_on`` (the day the person reaches ``minor_age``, as the vault
    stores it)."""
    if adult_on is None:
        return False
    return today < years_after(adult_on, COPPA_AGE - minor_age)


def needs_disclosure_consent(
    jurisdictions: Iterable[str], recipient_type: str, adult_on: date | None, minor_age: int,
    today: date,
) -> bool:  # fmt: skip
    """Does disclosing this person's data to this recipient need the parent's separate consent
    (COPPA-1, 16 CFR 312.5(a)(2), from 2026-04-22)?"""
    return (
        today >= COPPA_DISCLOSURE_CONSENT_FROM
        and recipient_type not in COPPA_NOT_THIRD_PARTIES
        and coppa_applies(jurisdictions)
        and is_coppa_child(adult_on, minor_age, today)
    )
