"""US state breach-notification clocks, chosen by where the affected people live. Pure; no I/O.

Each state's law protects its own residents, wherever the business is: an incident affecting
Texans runs the Texas clock. Only the states with a fixed period for their residents are in the
table (22 of them, statute and amendment cited; figures checked against the sources named in
``docs/records.md``); every other state gets "without unreasonable delay", the general standard,
and staff are told to check it.

Periods are calendar days after the day of discovery (or determination, as the statute says),
that day excluded; the attorney general's clock is a period of its own (Vermont: 14 business days
in Vermont's calendar), counts from the day the residents were told (California, Louisiana), or
has no period of its own and is due no later than the residents' notice (New York, Maine,
Connecticut, Delaware, Rhode Island, Maryland, South Dakota).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from privault.core import deadlines
from privault.core.jurisdictions import PeriodUnit
from privault.errors import InvalidInput

REGIME = "us-states"
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
    "NY NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY"
)
US_STATES = frozenset(_STATE_CODES.split())


@dataclass(frozen=True, slots=True)
class StateBreachLaw:
    """One state's fixed breach periods.

    The attorney general (or the state's named authority) is told above ``authority_threshold``
    residents: ``authority_days`` calendar days after discovery (business days when
    ``authority_business_days``; counted from the residents' notice when
    ``authority_after_residents``), or, with no days (``None``), no later than the residents are
    told (the residents' date bounds it). ``authority`` None: the statute names no authority.
    """

    state: str
    name: str
    citation: str
    residents_days: int  # calendar days after discovery/determination
    authority: str | None = None
    authority_days: int | None = None
    authority_threshold: int = (
        1  # residents affected at which the authority must be told (at least)
    )
    authority_after_residents: bool = False  # the authority's days count from the residents' notice
    authority_business_days: bool = False  # the authority's days are the state's business days

    @property
    def rule(self) -> str:
        """The rule id, e.g. ``US-CA-BR``."""
        return f"US-{self.state}-BR"


def _ag(name: str) -> str:
    return f"the {name} Attorney General"


STATE_BREACH_LAWS: dict[str, StateBreachLaw] = {
    law.state: law
    for law in (
        # Cal. Civ. Code § 1798.82(a), (f) as amended by SB 446 (Stats. 2025), from 2026-01-01:
        # residents within 30 calendar days of discovery; a sample notice to the AG within 15
        # calendar days of notifying residents when more than 500 are affected.
        StateBreachLaw(
            "CA", "California", "Cal. Civ. Code § 1798.82(a)(2), (f)", 30,
            _ag("California"), 15, 501, authority_after_residents=True,
        ),
        # C.R.S. § 6-1-716(2), (2)(f): 30 days after determination; AG if 500 or more, 30 days.
        StateBreachLaw(
            "CO", "Colorado", "C.R.S. § 6-1-716(2)", 30, _ag("Colorado"), 30, 500,
        ),
        # Fla. Stat. § 501.171(3), (4): 30 days after determination; Department of Legal Affairs
        # if 500 or more, 30 days (15 more days with good cause given in writing, not modelled).
        StateBreachLaw(
            "FL", "Florida", "Fla. Stat. § 501.171(3)-(4)", 30,
            "the Florida Department of Legal Affairs", 30, 500,
        ),
        # RCW 19.255.010(7)-(8): 30 calendar days after discovery; AG if more than 500, 30 days.
        StateBreachLaw(
            "WA", "Washington", "RCW 19.255.010(7)-(8)", 30, _ag("Washington"), 30, 501,
        ),
        # Tex. Bus. & Com. Code § 521.053(b), (i) (SB 768, from 2023-09-01): individuals by the
        # 60th day after determination; AG if at least 250 Texans, by the 30th day.
        StateBreachLaw(
            "TX", "Texas", "Tex. Bus. & Com. Code § 521.053(b), (i)", 60, _ag("Texas"), 30, 250,
        ),
        # N.Y. Gen. Bus. Law § 899-aa(2) as amended by S2659-B (December 2024): within 30 days
        # after discovery; § 899-aa(8)(a): the AG (with the Department of State and the State
        # Police, and DFS) as to timing, content and distribution - no period of its own.
        StateBreachLaw("NY", "New York", "N.Y. Gen. Bus. Law § 899-aa(2), (8)", 30, _ag("New York")),
        # 10 M.R.S. § 1348(1): not later than 30 days after becoming aware of the breach and
        # identifying its scope; § 1348(5): the AG (or the state regulator) whenever residents
        # must be told - no period of its own.
        StateBreachLaw("ME", "Maine", "10 M.R.S. § 1348(1), (5)", 30, _ag("Maine")),
        # 9 V.S.A. § 2435(b)(1): not later than 45 days after discovery; (b)(3): a preliminary
        # notice to the AG within 14 business days of discovery (or when consumers are told, if
        # sooner). Business days in Vermont's calendar.
        StateBreachLaw(
            "VT", "Vermont", "9 V.S.A. § 2435(b)(1), (b)(3)", 45,
            _ag("Vermont"), 14, authority_business_days=True,
        ),
        # Conn. Gen. Stat. § 36a-701b(b)(1) (P.A. 21-59, from 2021-10-01): not later than 60 days
        # after discovery; (b)(2): the AG not later than the residents are told.
        StateBreachLaw("CT", "Connecticut", "Conn. Gen. Stat. § 36a-701b(b)", 60, _ag("Connecticut")),
        # 6 Del. C. § 12B-102(c): not later than 60 days after determination; (d): the AG when
        # more than 500 residents are told, not later than they are.
        StateBreachLaw(
            "DE", "Delaware", "6 Del. C. § 12B-102(c)-(d)", 60, _ag("Delaware"), None, 501,
        ),
        # R.I. Gen. Laws § 11-49.3-4(a)(2)(ii): not later than 45 calendar days after
        # confirmation; the AG when more than 500 residents are told, without delaying them.
        StateBreachLaw(
            "RI", "Rhode Island", "R.I. Gen. Laws § 11-49.3-4(a)(2)", 45,
            _ag("Rhode Island"), None, 501,
        ),
        # Ohio Rev. Code § 1349.19(B)(2): not later than 45 days after discovery; no AG notice.
        StateBreachLaw("OH", "Ohio", "Ohio Rev. Code § 1349.19(B)(2)", 45),
        # Tenn. Code Ann. § 47-18-2107(b): no later than 45 days from discovery; no AG notice.
        StateBreachLaw("TN", "Tennessee", "Tenn. Code Ann. § 47-18-2107(b)", 45),
        # Wis. Stat. § 134.98(3)(a): within a reasonable time, not to exceed 45 days after the
        # entity learns of the acquisition; no AG notice.
        StateBreachLaw("WI", "Wisconsin", "Wis. Stat. § 134.98(3)(a)", 45),
        # Ala. Code § 8-38-5(b): within 45 days of the determination; § 8-38-6(a): the AG within
        # 45 days when more than 1,000 residents are told.
        StateBreachLaw(
            "AL", "Alabama", "Ala. Code §§ 8-38-5(b), 8-38-6(a)", 45, _ag("Alabama"), 45, 1001,
        ),
        # A.R.S. § 18-552(B): within 45 days after the determination; the AG (and the Department
        # of Homeland Security) within the same 45 days when more than 1,000 residents are told.
        StateBreachLaw(
            "AZ", "Arizona", "A.R.S. § 18-552(B)", 45, _ag("Arizona"), 45, 1001,
        ),
        # Md. Code, Com. Law § 14-3504(b)(3): not later than 45 days after discovery or
        # notification; (h): the AG before the residents are told.
        StateBreachLaw(
            "MD", "Maryland", "Md. Code, Com. Law § 14-3504(b)(3), (h)", 45, _ag("Maryland"),
        ),
        # N.M. Stat. § 57-12C-6: not later than 45 calendar days after discovery; § 57-12C-10: the
        # AG within 45 calendar days when more than 1,000 residents are told.
        StateBreachLaw(
            "NM", "New Mexico", "N.M. Stat. §§ 57-12C-6, 57-12C-10", 45,
            _ag("New Mexico"), 45, 1001,
        ),
        # ORS 646A.604(1)(b), (3)(a): not later than 45 days after discovery; the AG when more
        # than 250 consumers are told, within the same 45 days.
        StateBreachLaw(
            "OR", "Oregon", "ORS 646A.604(1)(b), (3)(a)", 45, _ag("Oregon"), 45, 251,
        ),
        # SDCL § 22-40-20: not later than 60 days from discovery; the AG when more than 250
        # residents are affected (the statute sets the AG no period: bounded by the residents').
        StateBreachLaw(
            "SD", "South Dakota", "SDCL § 22-40-20", 60, _ag("South Dakota"), None, 251,
        ),
        # La. R.S. 51:3074(E): not later than 60 days from discovery; LAC 16:III.701(B): the AG's
        # notice is timely if received within 10 days of the residents' notice.
        StateBreachLaw(
            "LA", "Louisiana", "La. R.S. 51:3074(E); LAC 16:III.701", 60,
            _ag("Louisiana"), 10, authority_after_residents=True,
        ),
        # Ind. Code § 24-4.9-3-3(a) (HEA 1351, from 2022-07-01): not more than 45 days after
        # discovery, for every disclosure under the chapter, the AG's (§ 24-4.9-3-1(c)) included.
        StateBreachLaw(
            "IN", "Indiana", "Ind. Code §§ 24-4.9-3-1(c), 24-4.9-3-3(a)", 45, _ag("Indiana"), 45,
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
        if law.authority is not None and count >= law.authority_threshold:
            found.append(_authority(law, law.authority, aware_on, due))
    return found


def _authority(law: StateBreachLaw, whom: str, aware_on: date, residents_due: date) -> StateClock:
    rule, ag = law.rule, "attorney_general"
    if law.authority_days is None:
        text = f"no later than the residents are told ({law.citation})"
        return StateClock(rule, ag, whom, text, residents_due)
    if law.authority_after_residents:
        text = f"{law.authority_days} calendar days after the residents are told ({law.citation})"
        return StateClock(rule, ag, whom, text, None)
    if law.authority_business_days:
        calendar = deadlines.WorkingCalendar("US", law.state)
        due = deadlines.count(aware_on, law.authority_days, PeriodUnit.BUSINESS_DAYS, calendar)
        text = f"{law.authority_days} business days from discovery ({law.citation})"
        return StateClock(rule, ag, whom, text, due)
    text = f"{law.authority_days} calendar days from discovery ({law.citation})"
    return StateClock(rule, ag, whom, text, aware_on + timedelta(days=law.authority_days))


def authority_due_after_residents(rule: str, residents_told_on: date) -> date | None:
    """California, Louisiana: the authority's date once the residents have been told (None for
    other states)."""
    law = next((x for x in STATE_BREACH_LAWS.values() if x.rule == rule), None)
    if law is None or not law.authority_after_residents or law.authority_days is None:
        return None
    return residents_told_on + timedelta(days=law.authority_days)
