"""Jurisdictions privault knows, the rights each grants and the deadline each sets, as the law states it.

Deadlines are kept in the law's own unit (calendar months, calendar days, business days, hours) and
never converted; the deadline engine counts them. Sources: ``shared/RULES.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
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


RIGHT_TITLES: dict[Right, str] = {
    Right.ACCESS: "Know and access the personal data we hold about you",
    Right.ERASURE: "Have your personal data deleted",
    Right.RECTIFICATION: "Have inaccurate personal data corrected",
    Right.RESTRICTION: "Restrict how we process your personal data",
    Right.OBJECTION: "Object to processing, including direct marketing at any time",
    Right.PORTABILITY: "Receive your data in a machine-readable format to take elsewhere",
    Right.OPT_OUT_SALE: "Opt out of the sale or sharing of your personal information",
    Right.LIMIT_SENSITIVE: "Limit the use of your sensitive personal information",
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

    def describe(self) -> str:
        """Human wording, e.g. '1 calendar month'."""
        unit = self.unit.value.replace("_", " ")
        if self.amount == 1:
            unit = unit.rstrip("s")
        return f"{self.amount} {unit}"


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """A legal regime a tenant operates under."""

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


_GDPR_RIGHTS = (
    Right.ACCESS,
    Right.ERASURE,
    Right.RECTIFICATION,
    Right.RESTRICTION,
    Right.OBJECTION,
    Right.PORTABILITY,
)
_CCPA_RIGHTS = (
    Right.ACCESS,
    Right.ERASURE,
    Right.RECTIFICATION,
    Right.OPT_OUT_SALE,
    Right.LIMIT_SENSITIVE,
)
_CANADA_RIGHTS = (Right.ACCESS, Right.RECTIFICATION, Right.ERASURE, Right.OBJECTION)

JURISDICTIONS: dict[str, Jurisdiction] = {
    j.key: j
    for j in (
        Jurisdiction(
            "eu",
            "European Union (GDPR)",
            _GDPR_RIGHTS,
            LegalPeriod(1, PeriodUnit.CALENDAR_MONTHS, "GDPR-DSR-1"),
            LegalPeriod(2, PeriodUnit.CALENDAR_MONTHS, "GDPR-DSR-1"),
            holiday_country="NL",
            timezone="Europe/Amsterdam",
            stop_the_clock=True,
            child_consent_age=16,
            authority="your national data protection supervisory authority",
        ),
        Jurisdiction(
            "uk",
            "United Kingdom (UK GDPR, DPA 2018)",
            _GDPR_RIGHTS,
            LegalPeriod(1, PeriodUnit.CALENDAR_MONTHS, "GDPR-DSR-1"),
            LegalPeriod(2, PeriodUnit.CALENDAR_MONTHS, "GDPR-DSR-1"),
            holiday_country="GB",
            timezone="Europe/London",
            stop_the_clock=True,
            holiday_subdivision="ENG",
            child_consent_age=13,
            authority="the Information Commissioner's Office (ico.org.uk)",
            phone_region="GB",
        ),
        Jurisdiction(
            "us-ca",
            "California (CCPA/CPRA)",
            _CCPA_RIGHTS,
            LegalPeriod(45, PeriodUnit.CALENDAR_DAYS, "CCPA-RESP-1"),
            LegalPeriod(45, PeriodUnit.CALENDAR_DAYS, "CCPA-RESP-1"),
            holiday_country="US",
            timezone="America/Los_Angeles",
            holiday_subdivision="CA",
            child_consent_age=16,
            authority="the California Privacy Protection Agency",
            phone_region="US",
        ),
        Jurisdiction(
            "ca",
            "Canada (PIPEDA)",
            _CANADA_RIGHTS,
            LegalPeriod(30, PeriodUnit.CALENDAR_DAYS, "PIPEDA-ACC-1"),
            LegalPeriod(30, PeriodUnit.CALENDAR_DAYS, "PIPEDA-ACC-1"),
            holiday_country="CA",
            timezone="America/Toronto",
            authority="the Office of the Privacy Commissioner of Canada",
            phone_region="CA",
        ),
        Jurisdiction(
            "ca-qc",
            "Québec (Law 25)",
            (*_CANADA_RIGHTS, Right.PORTABILITY),
            LegalPeriod(30, PeriodUnit.CALENDAR_DAYS, "QC-ACC-1"),
            None,
            holiday_country="CA",
            timezone="America/Toronto",
            holiday_subdivision="QC",
            child_consent_age=14,
            authority="the Commission d'accès à l'information du Québec",
            phone_region="CA",
        ),
        Jurisdiction(
            "in",
            "India (DPDP Act 2023)",
            (Right.ACCESS, Right.RECTIFICATION, Right.ERASURE),
            LegalPeriod(90, PeriodUnit.CALENDAR_DAYS, "DPDP-GRV-1"),
            None,
            holiday_country="IN",
            timezone="Asia/Kolkata",
            child_consent_age=18,
            authority="the Data Protection Board of India",
            phone_region="IN",
        ),
        Jurisdiction(
            "us",
            "United States (federal: CAN-SPAM, TCPA, CPNI)",
            (Right.OBJECTION,),
            LegalPeriod(10, PeriodUnit.BUSINESS_DAYS, "CANSPAM-1"),
            None,
            holiday_country="US",
            timezone="America/New_York",
            child_consent_age=13,
            authority="the Federal Trade Commission or the FCC",
            phone_region="US",
        ),
    )
}
