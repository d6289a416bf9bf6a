"""The GDPR (EU) and the UK GDPR with the Data Protection Act 2018 (RULES.md GDPR-*, UK-*)."""

from __future__ import annotations

from datetime import date

from privault.core.laws.model import Jurisdiction, LegalPeriod, PeriodUnit, Right

GDPR_RIGHTS = (
    Right.ACCESS,
    Right.ERASURE,
    Right.RECTIFICATION,
    Right.RESTRICTION,
    Right.OBJECTION,
    Right.PORTABILITY,
)

EU = Jurisdiction(
    "eu",
    "European Union (GDPR)",
    GDPR_RIGHTS,
    LegalPeriod(1, PeriodUnit.CALENDAR_MONTHS, "GDPR-DSR-1"),
    LegalPeriod(2, PeriodUnit.CALENDAR_MONTHS, "GDPR-DSR-1"),
    holiday_country="NL",
    timezone="Europe/Amsterdam",
    stop_the_clock=True,
    child_consent_age=16,
    authority="your national data protection supervisory authority",
    law="Regulation (EU) 2016/679 (GDPR)",
    effective=date(2018, 5, 25),
    citations=(
        ("rights", "GDPR Arts. 15-18, 20, 21"),
        ("response", "GDPR Art. 12(3)"),
        ("extension", "GDPR Art. 12(3)"),
        ("stop_the_clock", "GDPR Art. 12(6) as read by EDPB Guidelines 01/2022"),
        ("child_consent_age", "GDPR Art. 8(1) (default 16; member states 13-16)"),
        ("authority", "GDPR Art. 77"),
        ("effective", "GDPR Art. 99(2)"),
    ),
)

UK = Jurisdiction(
    "uk",
    "United Kingdom (UK GDPR, DPA 2018)",
    GDPR_RIGHTS,
    LegalPeriod(1, PeriodUnit.CALENDAR_MONTHS, "GDPR-DSR-1"),
    LegalPeriod(2, PeriodUnit.CALENDAR_MONTHS, "GDPR-DSR-1"),
    holiday_country="GB",
    timezone="Europe/London",
    stop_the_clock=True,
    holiday_subdivision="ENG",
    child_consent_age=13,
    authority="the Information Commissioner's Office (ico.org.uk)",
    phone_region="GB",
    law="UK GDPR and Data Protection Act 2018",
    effective=date(2021, 1, 1),
    citations=(
        ("rights", "UK GDPR Arts. 15-18, 20, 21"),
        ("response", "UK GDPR Art. 12(3)"),
        ("extension", "UK GDPR Art. 12(3)"),
        ("stop_the_clock", "UK GDPR Art. 12A (Data (Use and Access) Act 2025)"),
        ("child_consent_age", "DPA 2018 s.9"),
        ("authority", "UK GDPR Art. 77; DPA 2018 s.165"),
        ("effective", "European Union (Withdrawal) Act 2018 (IP completion day)"),
    ),
)
