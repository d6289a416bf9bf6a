"""India: the Digital Personal Data Protection Act 2023 and Rules 2025 (RULES.md DPDP-*)."""

from __future__ import annotations

from privault.core.laws.model import Jurisdiction, LegalPeriod, PeriodUnit, Right, RightPeriod

# DPDP Act s.13(2): the fiduciary answers a grievance within the period the Rules prescribe (90 days,
# DPDP Rules 2025; rule number unverified); s.13(3): the person must exhaust it before the Board.
# Secondary sources put ss.11-13 in force 18 months after the Rules' publication (13 November 2025);
# like the other rights here, the grievance is offered now, not gated by a date (unverified).
GRIEVANCE_DAYS = LegalPeriod(90, PeriodUnit.CALENDAR_DAYS, "DPDP-GRV-1")

IN = Jurisdiction(
    "in",
    "India (DPDP Act 2023)",
    (Right.ACCESS, Right.RECTIFICATION, Right.ERASURE, Right.GRIEVANCE),
    GRIEVANCE_DAYS,
    None,
    holiday_country="IN",
    timezone="Asia/Kolkata",
    child_consent_age=18,
    authority="the Data Protection Board of India",
    phone_region="IN",
    law="Digital Personal Data Protection Act, 2023 (No. 22 of 2023)",
    right_periods=(RightPeriod(Right.GRIEVANCE, GRIEVANCE_DAYS),),
    citations=(
        ("rights", "DPDP Act ss.11, 12, 13"),
        ("grievance", "DPDP Act s.13(2); DPDP Rules 2025 (90 days; rule number not verified)"),
        ("grievance_first", "DPDP Act s.13(3)"),
        ("response", "DPDP Act s.13; DPDP Rules 2025 (grievance period; rule number not verified)"),
        ("child_consent_age", "DPDP Act s.2(f), s.9"),
        ("authority", "DPDP Act s.18"),
    ),
    unverified=("response",),
)
