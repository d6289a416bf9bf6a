"""India: the Digital Personal Data Protection Act 2023 and Rules 2025 (RULES.md DPDP-*)."""

from __future__ import annotations

from privault.core.laws.model import Jurisdiction, LegalPeriod, PeriodUnit, Right

IN = Jurisdiction(
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
    law="Digital Personal Data Protection Act, 2023 (No. 22 of 2023)",
    citations=(
        ("rights", "DPDP Act ss.11, 12"),
        ("response", "DPDP Act s.13; DPDP Rules 2025 (grievance period; rule number not verified)"),
        ("child_consent_age", "DPDP Act s.2(f), s.9"),
        ("authority", "DPDP Act s.18"),
    ),
    unverified=("response",),
)
