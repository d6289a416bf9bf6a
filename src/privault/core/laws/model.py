"""The shape of a law's parameters: rights, periods in the law's own unit, and where each figure comes from.

Pure data. Each law family has its own module (``gdpr_uk``, ``ccpa``, ``us_states``, ``canada``,
``brazil``, ``india``, ``us_federal``); ``privault.core.jurisdictions`` gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Right(StrEnum):
    """The rights a data subject can exercise through privault."""

    ACCESS = "access"
    ERASURE = "erasure"
    RECTIFICATION = "rectification"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    PORTABILITY = "portability"
    OPT_OUT_SALE = "opt_out_sale"
    LIMIT_SENSITIVE = "limit_sensitive"
    OPT_OUT_TARGETED_ADS = "opt_out_targeted_ads"
    OPT_OUT_PROFILING = "opt_out_profiling"
    APPEAL = "appeal"
    COMPLAINT = "complaint"
    GRIEVANCE = "grievance"
    HUMAN_REVIEW = "human_review"


RIGHT_TITLES: dict[Right, str] = {
    Right.ACCESS: "Know and access the personal data we hold about you",
    Right.ERASURE: "Have your personal data deleted",
    Right.RECTIFICATION: "Have inaccurate personal data corrected",
    Right.RESTRICTION: "Restrict how we process your personal data",
    Right.OBJECTION: "Object to processing, including direct marketing at any time",
    Right.PORTABILITY: "Receive your data in a machine-readable format to take elsewhere",
    Right.OPT_OUT_SALE: "Opt out of the sale or sharing of your personal information",
    Right.LIMIT_SENSITIVE: "Limit the use of your sensitive personal information",
    Right.OPT_OUT_TARGETED_ADS: "Opt out of targeted advertising",
    Right.OPT_OUT_PROFILING: "Opt out of profiling that produces legal or similarly significant effects",
    Right.APPEAL: "Appeal our refusal to act on your request",
    Right.COMPLAINT: "Complain to us about how we use your personal data",
    Right.GRIEVANCE: "Raise a grievance about how we handle your personal data",
    Right.HUMAN_REVIEW: "Have a person review a decision made about you by automated means",
}


class PeriodUnit(StrEnum):
    """Units a legal period is stated in."""

    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"
    CALENDAR_MONTHS = "calendar_months"


@dataclass(frozen=True, slots=True)
class LegalPeriod:
    """A period as a rule states it, with the rule's identifier."""

    amount: int
    unit: PeriodUnit
    rule: str
    inclusive: bool = False  # "N days beginning with" receipt: the day of receipt is day 1

    def describe(self) -> str:
        """Human wording, e.g. '1 calendar month'."""
        unit = self.unit.value.replace("_", " ")
        if self.amount == 1:
            unit = unit.rstrip("s")
        return f"{self.amount} {unit}"


@dataclass(frozen=True, slots=True)
class RightPeriod:
    """A period that differs from the law's general response period for one right (an appeal)."""

    right: Right
    period: LegalPeriod
    extension: LegalPeriod | None = None
    acknowledge: LegalPeriod | None = None  # receipt confirmed within it (DPA 2018 s.164A(3))
    since: date | None = None  # the day the law started to grant the right


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """A legal regime a tenant operates under, as data: each figure with its statute citation."""

    key: str
    name: str
    rights: tuple[Right, ...]
    response: LegalPeriod
    extension: LegalPeriod | None
    holiday_country: str
    holiday_subdivision: str | None = None
    child_consent_age: int | None = None
    authority: str = ""
    phone_region: str | None = None  # region for phone numbers written without a country code
    timezone: str = "UTC"  # where the day of receipt is counted
    stop_the_clock: bool = False  # the clock may stop while waiting for the requester (UK Art. 12A)
    law: str = ""  # the statute, as cited
    effective: date | None = None  # the day the law started to apply
    right_periods: tuple[RightPeriod, ...] = ()  # appeals and other right-specific clocks
    universal_opt_out_from: date | None = None  # GPC binding (an opt-out) from this day
    teen_opt_in_age: int | None = None  # below it, sale/targeted ads need the minor's opt-in
    citations: tuple[tuple[str, str], ...] = ()  # parameter -> statute section
    unverified: tuple[str, ...] = ()  # parameters not checked against the statute text

    def own_period(self, right: Right) -> RightPeriod | None:
        """The right's own clock (with its acknowledgement and start), where the law sets one."""
        return next((p for p in self.right_periods if p.right is right), None)

    def period_for(self, right: Right) -> tuple[LegalPeriod, LegalPeriod | None]:
        """The period (and extension) for one right: its own clock, else the general one."""
        for found in self.right_periods:
            if found.right is right:
                return found.period, found.extension
        return self.response, self.extension

    @property
    def appeal(self) -> RightPeriod | None:
        """The appeal of a refusal, with its own clock, where the law grants one."""
        return next((p for p in self.right_periods if p.right is Right.APPEAL), None)

    def cite(self, parameter: str) -> str:
        """The section a parameter comes from ('' if the table has none)."""
        return dict(self.citations).get(parameter, "")

    def universal_opt_out_binding(self, on: date) -> bool:
        """A universal opt-out signal (GPC) is a binding opt-out under this law on that day."""
        return self.universal_opt_out_from is not None and on >= self.universal_opt_out_from
