"""Canada: PIPEDA (federal), Québec's private-sector act (Law 25), Alberta's and British Columbia's PIPA."""

from __future__ import annotations

from datetime import date

from privault.core.laws.model import Jurisdiction, LegalPeriod, PeriodUnit, Right

CANADA_RIGHTS = (Right.ACCESS, Right.RECTIFICATION, Right.ERASURE, Right.OBJECTION)
_PROVINCIAL_PIPA_RIGHTS = (Right.ACCESS, Right.RECTIFICATION)

CA = Jurisdiction(
    "ca",
    "Canada (PIPEDA)",
    CANADA_RIGHTS,
    LegalPeriod(30, PeriodUnit.CALENDAR_DAYS, "PIPEDA-ACC-1"),
    LegalPeriod(30, PeriodUnit.CALENDAR_DAYS, "PIPEDA-ACC-1"),
    holiday_country="CA",
    timezone="America/Toronto",
    authority="the Office of the Privacy Commissioner of Canada",
    phone_region="CA",
    law="Personal Information Protection and Electronic Documents Act, S.C. 2000, c. 5",
    effective=date(2001, 1, 1),
    citations=(
        ("rights", "PIPEDA Sch. 1 principles 4.9, 4.9.5; s.8"),
        ("response", "PIPEDA s.8(3)"),
        ("extension", "PIPEDA s.8(4) (notice within the first 30 days)"),
        ("authority", "PIPEDA s.11"),
    ),
)

CA_QC = Jurisdiction(
    "ca-qc",
    "Québec (Law 25)",
    (*CANADA_RIGHTS, Right.PORTABILITY),
    LegalPeriod(30, PeriodUnit.CALENDAR_DAYS, "QC-ACC-1"),
    None,
    holiday_country="CA",
    timezone="America/Toronto",
    holiday_subdivision="QC",
    child_consent_age=14,
    authority="the Commission d'accès à l'information du Québec",
    phone_region="CA",
    law="Act respecting the protection of personal information in the private sector, CQLR c. P-39.1",
    effective=date(2023, 9, 22),
    citations=(
        ("rights", "CQLR c. P-39.1 ss.27, 28, 28.1"),
        ("response", "CQLR c. P-39.1 s.32"),
        ("child_consent_age", "CQLR c. P-39.1 s.4.1"),
        ("authority", "CQLR c. P-39.1 s.42"),
    ),
)

CA_AB = Jurisdiction(
    "ca-ab",
    "Alberta (PIPA)",
    _PROVINCIAL_PIPA_RIGHTS,
    LegalPeriod(45, PeriodUnit.CALENDAR_DAYS, "AB-PIPA-ACC-1"),
    LegalPeriod(30, PeriodUnit.CALENDAR_DAYS, "AB-PIPA-ACC-1"),
    holiday_country="CA",
    holiday_subdivision="AB",
    timezone="America/Edmonton",
    authority="the Office of the Information and Privacy Commissioner of Alberta",
    phone_region="CA",
    law="Personal Information Protection Act, SA 2003, c P-6.5",
    effective=date(2004, 1, 1),
    citations=(
        ("rights", "PIPA (AB) ss.24, 25"),
        ("response", "PIPA (AB) s.28(1) (45 days from receipt of the written request)"),
        ("extension", "PIPA (AB) s.31(1) (up to 30 more days; longer with the Commissioner)"),
        ("authority", "PIPA (AB) s.36, s.46"),
    ),
    unverified=("response", "extension"),
)

CA_BC = Jurisdiction(
    "ca-bc",
    "British Columbia (PIPA)",
    _PROVINCIAL_PIPA_RIGHTS,
    # s.1: a "day" does not include a Saturday or a holiday (Sunday is a holiday in BC law).
    LegalPeriod(30, PeriodUnit.BUSINESS_DAYS, "BC-PIPA-ACC-1"),
    LegalPeriod(30, PeriodUnit.BUSINESS_DAYS, "BC-PIPA-ACC-1"),
    holiday_country="CA",
    holiday_subdivision="BC",
    timezone="America/Vancouver",
    authority="the Office of the Information and Privacy Commissioner for British Columbia",
    phone_region="CA",
    law="Personal Information Protection Act, SBC 2003, c. 63",
    effective=date(2004, 1, 1),
    citations=(
        ("rights", "PIPA (BC) ss.23, 24"),
        ("response", "PIPA (BC) s.29(1) with s.1 'day' (no Saturdays or holidays)"),
        ("extension", "PIPA (BC) s.31(1) (up to 30 more days; longer with the Commissioner)"),
        ("authority", "PIPA (BC) s.46 (review asked within 30 days, s.47)"),
    ),
    unverified=("response", "extension"),
)
