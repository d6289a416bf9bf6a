"""The GDPR (EU) and the UK GDPR with the Data Protection Act 2018 (RULES.md GDPR-*, UK-*)."""

from __future__ import annotations

from datetime import date

from privault.core.laws.model import Jurisdiction, LegalPeriod, PeriodUnit, Right, RightPeriod

GDPR_RIGHTS = (
    Right.ACCESS,
    Right.ERASURE,
    Right.RECTIFICATION,
    Right.RESTRICTION,
    Right.OBJECTION,
    Right.PORTABILITY,
)

# Art. 22(3) / UK Art. 22C(2): human intervention, the person's view, contesting a solely automated
# decision; answered on the Art. 12(3) clock (one month, extendable by two).
HUMAN_REVIEW = RightPeriod(
    Right.HUMAN_REVIEW,
    LegalPeriod(1, PeriodUnit.CALENDAR_MONTHS, "GDPR-ADM-1"),
    LegalPeriod(2, PeriodUnit.CALENDAR_MONTHS, "GDPR-ADM-1"),
)
# DPA 2018 s.164A (inserted by the Data (Use and Access) Act 2025 s.103, in force 19 June 2026):
# receipt acknowledged "within the period of 30 days beginning when the complaint is received"
# (s.164A(3)), the outcome told "without undue delay" (s.164A(4)); the law sets no figure for the
# outcome, so privault holds it to the same 30 days (the complaint is overdue after them).
COMPLAINT_DAYS = LegalPeriod(30, PeriodUnit.CALENDAR_DAYS, "UK-CMPL-1", inclusive=True)
COMPLAINT = RightPeriod(
    Right.COMPLAINT, COMPLAINT_DAYS, acknowledge=COMPLAINT_DAYS, since=date(2026, 6, 19)
)

EU = Jurisdiction(
    "eu",
    "European Union (GDPR)",
    (*GDPR_RIGHTS, Right.HUMAN_REVIEW),
    LegalPeriod(1, PeriodUnit.CALENDAR_MONTHS, "GDPR-DSR-1"),
    LegalPeriod(2, PeriodUnit.CALENDAR_MONTHS, "GDPR-DSR-1"),
    holiday_country="NL",
    timezone="Europe/Amsterdam",
    stop_the_clock=True,
    child_consent_age=16,
    authority="your national data protection supervisory authority",
    law="Regulation (EU) 2016/679 (GDPR)",
    effective=date(2018, 5, 25),
    right_periods=(HUMAN_REVIEW,),
    citations=(
        ("rights", "GDPR Arts. 15-18, 20, 21, 22(3)"),
        ("human_review", "GDPR Art. 22(3); Art. 12(3)"),
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
    (*GDPR_RIGHTS, Right.HUMAN_REVIEW, Right.COMPLAINT),
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
    right_periods=(HUMAN_REVIEW, COMPLAINT),
    citations=(
        ("rights", "UK GDPR Arts. 15-18, 20, 21, 22C; DPA 2018 s.164A"),
        ("human_review", "UK GDPR Art. 22C(2)(b)-(d) (Data (Use and Access) Act 2025); Art. 12(3)"),
        ("complaint", "DPA 2018 s.164A(3), (4) (Data (Use and Access) Act 2025 s.103)"),
        ("complaint_since", "Data (Use and Access) Act 2025 commencement: 19 June 2026"),
        ("response", "UK GDPR Art. 12(3)"),
        ("extension", "UK GDPR Art. 12(3)"),
        ("stop_the_clock", "UK GDPR Art. 12A (Data (Use and Access) Act 2025)"),
        ("child_consent_age", "DPA 2018 s.9"),
        ("authority", "UK GDPR Art. 77; DPA 2018 s.165"),
        ("effective", "European Union (Withdrawal) Act 2018 (IP completion day)"),
    ),
    unverified=("human_review",),  # Art. 22C(2) letters not checked against the enacted text
)
