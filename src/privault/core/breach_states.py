"""US state breach-notification clocks, chosen by where the affected people live. Pure; no I/O.

Each state's law protects its own residents, wherever the business is: an incident affecting
Texans runs the Texas clock. Only the states with a fixed period are in the table (statute and
amendment cited; figures checked against the sources named in ``docs/records.md``); every other
state gets "without unreasonable delay", the general standard, and staff are told to check it.

Periods are calendar days after the day of discovery (or determination, as the statute says),
that day excluded; the attorney general's clock is a period of its own, or (California) counts
from the day the residents were told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from privault.errors import InvalidInput

REGIME = "us-states"
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
    "NY NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY"
)
US_STATES = frozenset(_STATE_CODES.split())


@dataclass(frozen=True, slots=True)
class StateBreachLaw:
    """One state's fixed breach periods."""

    state: str
    name: str
    citation: str
    residents_days: int  # calendar days after discovery/determination
    authority: str
    authority_days: int
    authority_threshold: int  # residents affected at which the authority must be told (at least)
    authority_after_residents: bool = False  # the authority's days count from the residents' notice

    @property
    def rule(self) -> str:
        """The rule id, e.g. ``US-CA-BR``."""
        return f"US-{self.state}-BR"


STATE_BREACH_LAWS: dict[str, StateBreachLaw] = {
    law.state: law
    for law in (
        # Cal. Civ. Code § 1798.82(a), (f) as amended by SB 446 (Stats. 2025), from 2026-01-01:
        # residents within 30 calendar days of discovery; a sample notice to the AG within 15
        # calendar days of notifying residents when more than 500 are affected.
        StateBreachLaw(
            "CA", "California", "Cal. Civ. Code § 1798.82(a)(2), (f)", 30,
            "the California Attorney General", 15, 501, authority_after_residents=True,
        ),
        # C.R.S. § 6-1-716(2), (2)(f): 30 days after determination; AG if 500 or more, 30 days.
        StateBreachLaw(
            "CO", "Colorado", "C.R.S. § 6-1-716(2)", 30,
            "the Colorado Attorney General", 30, 500,
        ),
        # Fla. Stat. § 501.171(3), (4): 30 days after determination; Department of Legal Affairs
        # if 500 or more, 30 days (15 more days with good cause given in writing, not modelled).
        StateBreachLaw(
            "FL", "Florida", "Fla. Stat. § 501.171(3)-(4)", 30,
            "the Florida Department of Legal Affairs", 30, 500,
        ),
        # RCW 19.255.010(7)-(8): 30 calendar days after discovery; AG if more than 500, 30 days.
        StateBreachLaw(
            "WA", "Washington", "RCW 19.255.010(7)-(8)", 30,
            "the Washington Attorney General", 30, 501,
        ),
        # Tex. Bus. & Com. Code § 521.053(b), (i) (SB 768, from 2023-09-01): individuals by the
        # 60th day after determination; AG if at least 250 Texans, by the 30th day.
        StateBreachLaw(
            "TX", "Texas", "Tex. Bus. & Com. Code § 521.053(b), (i)", 60,
            "the Texas Attorney General", 30, 250,
        ),
    )
}  # fmt: skip


def check_residents(residents: Mapping[str, int]) -> dict[str, int]:
    """``{"CA": 1200, "TX": 300}``: two-letter states, counts of 1 or more."""
    cleaned = {k.strip().upper(): v for k, v in residents.items()}
    wrong = sorted(k for k, v in cleaned.items() if k not in US_STATES or v < 1)
    if wrong:
        raise InvalidInput(
            f"affected residents need a US state code and a count of 1 or more: {', '.join(wrong)}",
            code="incident.invalid",
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class StateClock:
    """What one state's law asks (turned into a ``BreachClock`` by ``core.incidents``)."""

    rule: str
    notify: str  # "subjects" or "attorney_general"
    whom: str
    due_text: str
    due_on: date | None


def state_clocks(aware_on: date, residents: Mapping[str, int]) -> list[StateClock]:
    """Every clock the affected residents' states set, counted from ``aware_on``."""
    found: list[StateClock] = []
    for state, count in sorted(residents.items()):
        law = STATE_BREACH_LAWS.get(state)
        if law is None:
            text = "without unreasonable delay (no fixed period in privault's table; check the statute)"
            found.append(
                StateClock("US-STATE-BR", "subjects", f"affected residents of {state}", text, None)
            )
            continue
        days = f"{law.residents_days} calendar days from discovery ({law.citation})"
        due = aware_on + timedelta(days=law.residents_days)
        found.append(StateClock(law.rule, "subjects", f"affected {law.name} residents", days, due))
        if count >= law.authority_threshold:
            found.append(_authority(law, aware_on))
    return found


def _authority(law: StateBreachLaw, aware_on: date) -> StateClock:
    if law.authority_after_residents:
        text = f"{law.authority_days} calendar days after the residents are told ({law.citation})"
        return StateClock(law.rule, "attorney_general", law.authority, text, None)
    text = f"{law.authority_days} calendar days from discovery ({law.citation})"
    return StateClock(
        law.rule,
        "attorney_general",
        law.authority,
        text,
        aware_on + timedelta(days=law.authority_days),
    )


def authority_due_after_residents(rule: str, residents_told_on: date) -> date | None:
    """California: the AG's date once the residents have been told (None for other states)."""
    law = next((x for x in STATE_BREACH_LAWS.values() if x.rule == rule), None)
    if law is None or not law.authority_after_residents:
        return None
    return residents_told_on + timedelta(days=law.authority_days)
