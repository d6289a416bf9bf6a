"""United States federal rules a contact centre meets: CAN-SPAM, TCPA, CPNI, COPPA."""

from __future__ import annotations

from privault.core.laws.model import Jurisdiction, LegalPeriod, PeriodUnit, Right

US = Jurisdiction(
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
    law="15 U.S.C. ch. 103 (CAN-SPAM); 47 U.S.C. § 222; 15 U.S.C. §§ 6501-6506 (COPPA)",
    citations=(
        ("rights", "15 U.S.C. § 7704(a)(3)-(4)"),
        ("response", "15 U.S.C. § 7704(a)(4)(A) (10 business days)"),
        ("child_consent_age", "16 CFR § 312.2 'child' (under 13)"),
        ("authority", "15 U.S.C. § 7706; 47 U.S.C. § 503"),
    ),
)
