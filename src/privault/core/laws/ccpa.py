"""California: the CCPA as amended by the CPRA, and its regulations (RULES.md CCPA-*)."""

from __future__ import annotations

from datetime import date

from privault.core.laws.model import Jurisdiction, LegalPeriod, PeriodUnit, Right

CCPA_RIGHTS = (
    Right.ACCESS,
    Right.ERASURE,
    Right.RECTIFICATION,
    Right.OPT_OUT_SALE,
    Right.LIMIT_SENSITIVE,
)

US_CA = Jurisdiction(
    "us-ca",
    "California (CCPA/CPRA)",
    CCPA_RIGHTS,
    LegalPeriod(45, PeriodUnit.CALENDAR_DAYS, "CCPA-RESP-1"),
    LegalPeriod(45, PeriodUnit.CALENDAR_DAYS, "CCPA-RESP-1"),
    holiday_country="US",
    timezone="America/Los_Angeles",
    holiday_subdivision="CA",
    child_consent_age=16,
    authority="the California Privacy Protection Agency",
    phone_region="US",
    law="Cal. Civ. Code §§ 1798.100-1798.199.100; 11 CCR §§ 7000-7304",
    effective=date(2020, 1, 1),
    universal_opt_out_from=date(2020, 8, 14),
    teen_opt_in_age=16,
    citations=(
        ("rights", "Cal. Civ. Code §§ 1798.105, 1798.106, 1798.110, 1798.120, 1798.121"),
        ("response", "Cal. Civ. Code § 1798.130(a)(2)(A); 11 CCR § 7021(b)"),
        ("extension", "Cal. Civ. Code § 1798.130(a)(2)(A); 11 CCR § 7021(b)"),
        ("opt_out_sale", "11 CCR § 7026(f) (15 business days)"),
        ("limit_sensitive", "11 CCR § 7027(g) (15 business days)"),
        ("acknowledgement", "11 CCR § 7021(a) (10 business days)"),
        (
            "universal_opt_out_from",
            "Cal. Civ. Code § 1798.135(b); 11 CCR § 7025 (formerly § 999.315(c))",
        ),
        ("teen_opt_in_age", "Cal. Civ. Code § 1798.120(c) (opt-in under 16; parent under 13)"),
        ("child_consent_age", "Cal. Civ. Code § 1798.120(c)"),
        ("authority", "Cal. Civ. Code § 1798.199.10"),
        ("effective", "Cal. Civ. Code § 1798.198"),
    ),
)
