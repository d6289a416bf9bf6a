"""Brazil: the Lei Geral de Proteção de Dados (Lei nº 13.709/2018)."""

from __future__ import annotations

from datetime import date

from privault.core.laws.model import Jurisdiction, LegalPeriod, PeriodUnit, Right

BR = Jurisdiction(
    "br",
    "Brazil (LGPD)",
    (
        Right.ACCESS,
        Right.RECTIFICATION,
        Right.ERASURE,
        Right.RESTRICTION,
        Right.PORTABILITY,
        Right.OBJECTION,
    ),
    # Art. 19, II: a clear and complete declaration within 15 days of the request. The LGPD sets no
    # period for the other rights (Art. 18 §5: "as regulated"); the same 15 days are applied to them.
    LegalPeriod(15, PeriodUnit.CALENDAR_DAYS, "LGPD-ACC-1"),
    None,
    holiday_country="BR",
    timezone="America/Sao_Paulo",
    child_consent_age=12,
    authority="the Autoridade Nacional de Proteção de Dados (ANPD, gov.br/anpd)",
    phone_region="BR",
    law="Lei nº 13.709/2018 (LGPD)",
    effective=date(2020, 9, 18),
    citations=(
        ("rights", "LGPD Art. 18, I-IX and §2 (opposition)"),
        ("response", "LGPD Art. 19, II (15 days from the request, complete declaration)"),
        ("child_consent_age", "LGPD Art. 14 §1 with Lei nº 8.069/1990 Art. 2 (child: under 12)"),
        ("authority", "LGPD Arts. 18 §1, 55-J"),
        ("effective", "LGPD Art. 65, II"),
    ),
)
