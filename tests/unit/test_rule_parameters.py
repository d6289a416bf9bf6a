"""Every legal figure privault encodes, pinned to the law (issue #14, item 8): change one and a row fails.

Each row names the RULES.md rule, where the figure lives, the value the law sets and the citation. The
response periods, extension amounts, appeals, rights, GPC dates, teen and child ages and effective
dates of each jurisdiction are pinned in ``tests/unit/test_laws.py``; this table pins the rest (rule
labels, extension units, stop-the-clock flags, time zones and calendars, the per-country GDPR Art. 8
ages, COPPA's 13, the FCC's 500 customers, the erasure exceptions of each law, the CPNI and breach
periods, record keeping and the policy defaults that stand in for a legal minimum). docs/rules.md
lists which test pins which rule.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from privault.api.routes import cookies as cookie_routes
from privault.config import Settings
from privault.core import (
    audit,
    breach_delays,
    breach_exemptions,
    child_retention,
    children,
    consent,
    cpni,
    deadlines,
    decisions,
    dormancy,
    incidents,
    notice_review,
    request_records,
    verification,
)
from privault.core.casl import CASL_EFFECT_BUSINESS_DAYS, CASL_MECHANISM_VALID_DAYS, effect_by
from privault.core.children import COPPA_DISCLOSURE_CONSENT_FROM, needs_disclosure_consent
from privault.core.consent import Entry as ConsentEntry
from privault.core.consent_managers import CONSENT_MANAGER_RECORD_YEARS, CONSENT_MANAGER_RULES_FROM
from privault.core.erasure import LAW_EXCEPTIONS
from privault.core.incidents import BreachClock, compute_clocks
from privault.core.jurisdictions import JURISDICTIONS, LegalPeriod, PeriodUnit, Right
from privault.core.manifest import Manifest
from privault.core.manifest import cookies as cookie_rules
from privault.core.manifest.model import ClientController, Policy
from privault.core.manifest.resolve import DEFAULT_MINOR_AGE, EffectivePolicy, tenant_view
from privault.core.opt_in import OPT_IN_REASK_MONTHS, ask_after
from privault.services.fulfilment import access

CD, BD, M = PeriodUnit.CALENDAR_DAYS, PeriodUnit.BUSINESS_DAYS, PeriodUnit.CALENDAR_MONTHS


def _bound(model: type[BaseModel], field: str, name: str) -> Any:
    """A pydantic field's ``ge``/``le`` constraint (None if it has none)."""
    found = [getattr(m, name) for m in model.model_fields[field].metadata if hasattr(m, name)]
    return found[0] if found else None


def _jurisdiction(key: str, name: str) -> Callable[[], object]:
    return lambda: getattr(JURISDICTIONS[key], name)


# GDPR Art. 8(1) as each member state set it.
EU_AGES = {
    "AT": 14, "BE": 13, "BG": 14, "CY": 14, "CZ": 15, "DE": 16, "DK": 13, "EE": 13, "ES": 14,
    "FI": 13, "FR": 15, "GR": 15, "HR": 16, "HU": 16, "IE": 16, "IT": 14, "LT": 14, "LU": 16,
    "LV": 13, "MT": 13, "NL": 16, "PL": 16, "PT": 13, "RO": 16, "SE": 13, "SI": 15, "SK": 16,
}  # fmt: skip


# (rule, where the value lives, read it, expected, citation)
Row = tuple[str, str, Callable[[], object], object, str]
ROWS: list[Row] = [
    # --- the nine figures the issue found unpinned -------------------------------------------
    (
        "PIPEDA-ACC-1",
        "core/laws/canada.py CA.extension",
        _jurisdiction("ca", "extension"),
        LegalPeriod(30, CD, "PIPEDA-ACC-1"),
        "PIPEDA s.8(4)(a): extended by a maximum of thirty days, notice within the first 30",
    ),
    (
        "UK-DSR-4",
        "core/laws/gdpr_uk.py UK.stop_the_clock",
        _jurisdiction("uk", "stop_the_clock"),
        True,
        "UK GDPR Art. 12A (Data (Use and Access) Act 2025)",
    ),
    (
        "GDPR-CHILD-1",
        "core/children.py EU_CHILD_AGES",
        lambda: children.EU_CHILD_AGES,
        EU_AGES,
        "GDPR Art. 8(1) as each member state set it (RULES.md: to verify per national act)",
    ),
    (
        "COPPA-1",
        "core/children.py COPPA_AGE",
        lambda: children.COPPA_AGE,
        13,
        "16 CFR 312.2 ('child' means under 13)",
    ),
    (
        "COPPA-1",
        "core/children.py collection_age() with no law that sets a higher age",
        lambda: (children.collection_age([]).age, children.collection_age([]).rule),
        (13, "COPPA-1"),
        "16 CFR 312.5 (verifiable parental consent before collection)",
    ),
    (
        "CCPA-MIN-1",
        "core/children.py sale_opt_in(['us-ca'])",
        lambda: (children.sale_opt_in(["us-ca"]) or children.AgeRule(0, "", "")).age,
        16,
        "Cal. Civ. Code 1798.120(c) (opt-in under 16; a parent's under 13)",
    ),
    (
        "FCC-BR-2",
        "core/incidents.py FCC_SMALL_BREACH",
        lambda: incidents.FCC_SMALL_BREACH,
        500,
        "47 CFR 64.2011 (FCC 23-111): fewer than 500 customers and no harm -> annual summary",
    ),
    (
        "GDPR-ERA-1",
        "core/erasure.py LAW_EXCEPTIONS['uk']",
        lambda: LAW_EXCEPTIONS["uk"],
        {
            "freedom_of_expression": "UK GDPR Art. 17(3)(a)",
            "legal_obligation": "UK GDPR Art. 17(3)(b)",
            "public_health": "UK GDPR Art. 17(3)(c)",
            "archiving_research": "UK GDPR Art. 17(3)(d)",
            "legal_claims": "UK GDPR Art. 17(3)(e)",
            "legal_hold": "UK GDPR Art. 17(3)(e)",
        },
        "UK GDPR Art. 17(3)(a)-(e)",
    ),
    (
        "GDPR-ERA-1",
        "core/erasure.py LAW_EXCEPTIONS['eu']",
        lambda: LAW_EXCEPTIONS["eu"],
        {
            "freedom_of_expression": "GDPR Art. 17(3)(a)",
            "legal_obligation": "GDPR Art. 17(3)(b)",
            "public_health": "GDPR Art. 17(3)(c)",
            "archiving_research": "GDPR Art. 17(3)(d)",
            "legal_claims": "GDPR Art. 17(3)(e)",
            "legal_hold": "GDPR Art. 17(3)(e)",
        },
        "GDPR Art. 17(3)(a)-(e)",
    ),
    (
        "CCPA-DEL-1",
        "core/erasure.py LAW_EXCEPTIONS['us-ca']",
        lambda: LAW_EXCEPTIONS["us-ca"],
        {
            "complete_transaction": "CCPA 1798.105(d)(1)",
            "security_integrity": "CCPA 1798.105(d)(2)",
            "debug": "CCPA 1798.105(d)(3)",
            "freedom_of_expression": "CCPA 1798.105(d)(4)",
            "calecpa": "CCPA 1798.105(d)(5)",
            "archiving_research": "CCPA 1798.105(d)(6)",
            "internal_uses": "CCPA 1798.105(d)(7)",
            "legal_obligation": "CCPA 1798.105(d)(8)",
            "legal_claims": "CCPA 1798.145(a)(1)(E)",
            "legal_hold": "CCPA 1798.145(a)(1)(E)",
        },
        "Cal. Civ. Code 1798.105(d)(1)-(8); 1798.145(a)(1)(E)",
    ),
    (
        "PIPEDA-ACC-1",
        "core/erasure.py LAW_EXCEPTIONS['ca']",
        lambda: set(LAW_EXCEPTIONS["ca"]),
        {"legal_obligation", "legal_claims", "legal_hold", "freedom_of_expression"},
        "PIPEDA Sch. 1 cl. 4.5; s. 8(8); s. 4(2)(c)",
    ),
    (
        "QC-ANON-1",
        "core/erasure.py LAW_EXCEPTIONS['ca-qc']",
        lambda: set(LAW_EXCEPTIONS["ca-qc"]),
        {"legal_obligation", "legal_claims", "legal_hold"},
        "CQLR c. P-39.1 s. 23",
    ),
    (
        "DPDP-ERA-1",
        "core/erasure.py LAW_EXCEPTIONS['in']",
        lambda: set(LAW_EXCEPTIONS["in"]),
        {"legal_obligation", "legal_claims", "legal_hold", "archiving_research"},
        "DPDP Act s. 8(7)(b), 12(3), 17(1)(a), 17(2)(b)",
    ),
    # --- response clocks: labels and units the jurisdiction table does not pin -------------------
    (
        "GDPR-DSR-1",
        "core/laws/gdpr_uk.py EU.response/extension",
        lambda: (JURISDICTIONS["eu"].response, JURISDICTIONS["eu"].extension),
        (LegalPeriod(1, M, "GDPR-DSR-1"), LegalPeriod(2, M, "GDPR-DSR-1")),
        "GDPR Art. 12(3): one month, extendable by two further months",
    ),
    (
        "GDPR-DSR-1",
        "core/laws/gdpr_uk.py UK.response/extension",
        lambda: (JURISDICTIONS["uk"].response, JURISDICTIONS["uk"].extension),
        (LegalPeriod(1, M, "GDPR-DSR-1"), LegalPeriod(2, M, "GDPR-DSR-1")),
        "UK GDPR Art. 12(3)",
    ),
    (
        "CCPA-RESP-1",
        "core/laws/ccpa.py US_CA.response/extension",
        lambda: (JURISDICTIONS["us-ca"].response, JURISDICTIONS["us-ca"].extension),
        (LegalPeriod(45, CD, "CCPA-RESP-1"), LegalPeriod(45, CD, "CCPA-RESP-1")),
        "11 CCR 7021(b): 45 calendar days, up to 45 more (90 in all) with notice",
    ),
    (
        "PIPEDA-ACC-1",
        "core/laws/canada.py CA.response",
        _jurisdiction("ca", "response"),
        LegalPeriod(30, CD, "PIPEDA-ACC-1"),
        "PIPEDA s.8(3)",
    ),
    (
        "QC-ACC-1",
        "core/laws/canada.py CA_QC.response/extension",
        lambda: (JURISDICTIONS["ca-qc"].response, JURISDICTIONS["ca-qc"].extension),
        (LegalPeriod(30, CD, "QC-ACC-1"), None),
        "CQLR c. P-39.1 s.32 (30 days; no extension)",
    ),
    (
        "DPDP-GRV-1",
        "core/laws/india.py IN.response",
        _jurisdiction("in", "response"),
        LegalPeriod(90, CD, "DPDP-GRV-1"),
        "DPDP Act s.13; DPDP Rules 2025 (90 days)",
    ),
    (
        "CANSPAM-1",
        "core/laws/us_federal.py US.response",
        _jurisdiction("us", "response"),
        LegalPeriod(10, BD, "CANSPAM-1"),
        "15 U.S.C. 7704(a)(4)(A): opt-out honoured within 10 business days",
    ),
    (
        "CCPA-ACK-1",
        "core/deadlines.py ACKNOWLEDGEMENTS['us-ca']",
        lambda: deadlines.ACKNOWLEDGEMENTS,
        {"us-ca": LegalPeriod(10, BD, "CCPA-ACK-1")},
        "11 CCR 7021(a): confirm receipt within 10 business days",
    ),
    (
        "CCPA-OO-1",
        "core/deadlines.py RIGHT_PERIODS[('us-ca', opt_out_sale)]",
        lambda: deadlines.RIGHT_PERIODS[("us-ca", Right.OPT_OUT_SALE)],
        (LegalPeriod(15, BD, "CCPA-OO-1"), None),
        "11 CCR 7026(f): no later than 15 business days",
    ),
    (
        "CCPA-LIM-1",
        "core/deadlines.py RIGHT_PERIODS[('us-ca', limit_sensitive)]",
        lambda: deadlines.RIGHT_PERIODS[("us-ca", Right.LIMIT_SENSITIVE)],
        (LegalPeriod(15, BD, "CCPA-LIM-1"), None),
        "11 CCR 7027(g): no later than 15 business days",
    ),
    (
        "GDPR-DSR-1",
        "core/deadlines.py ESTABLISHMENT_CALENDARS",
        lambda: {k: len(v) for k, v in deadlines.ESTABLISHMENT_CALENDARS.items()},
        {"eu": 30, "uk": 1},
        "Reg. 1182/71 art. 2(1): the member state's holidays (EU 27 + EEA 3); UK: its nation's",
    ),
    (
        "CCPA-ACK-1",
        "core/deadlines.py NOT_LEGAL_HOLIDAYS",
        lambda: deadlines.NOT_LEGAL_HOLIDAYS,
        {("US", "CA"): frozenset({"Day After Thanksgiving", "Susan B. Anthony Day"})},
        "Cal. Civ. Code 7, 9; Gov. Code 6700 (business days skip only the statute's holidays)",
    ),
    # --- consent and CPNI --------------------------------------------------------------------
    (
        "FCC-NOT-1",
        "core/consent.py CPNI_OPT_OUT_WAIT_DAYS",
        lambda: consent.CPNI_OPT_OUT_WAIT_DAYS,
        30,
        "47 CFR 64.2008(d)(1): opt-out approval only after a 30-day wait",
    ),
    (
        "FCC-NOT-1",
        "core/decisions.py CPNI_OPT_OUT_RENEW_DAYS",
        lambda: decisions.CPNI_OPT_OUT_RENEW_DAYS,
        730,
        "47 CFR 64.2008(d)(2): opt-out notice renewed every two years (the shorter reading)",
    ),
    (
        "FCC-NOT-1",
        "core/consent.py CPNI_MAIL_DAYS",
        lambda: consent.CPNI_MAIL_DAYS,
        3,
        "47 CFR 64.2008(d)(1)(ii): a mailed notice's wait begins on the third day after mailing",
    ),
    (
        "FCC-NOT-1",
        "core/cpni.py RECORD_YEARS",
        lambda: cpni.RECORD_YEARS,
        1,
        "47 CFR 64.2008(a)(2) notices, 64.2009(c) campaigns, 64.2009(d) compliance: >= one year",
    ),
    (
        "FCC-SAFE-1",
        "core/cpni.py CERTIFICATE_DUE",
        lambda: cpni.CERTIFICATE_DUE,
        (3, 1),
        "47 CFR 64.2009(e): the annual certificate filed on or before 1 March (prior year)",
    ),
    # --- breach clocks and registers -----------------------------------------------------------
    (
        "FCC-BR-1",
        "core/incidents.py FCC_LEGACY_WAIT_DAYS",
        lambda: incidents.FCC_LEGACY_WAIT_DAYS,
        7,
        "47 CFR 64.2011(b) (2007 rule): customers after 7 full business days",
    ),
    (
        "FCC-BR-2",
        "core/incidents.py FCC_RULES",
        lambda: incidents.FCC_RULES,
        ("fcc_23_111", "legacy"),
        "FCC 23-111 (2023) or FCC 07-22 (2007), a setting (Settings.fcc_breach_rule)",
    ),
    (
        "GDPR-BR-2",
        "core/manifest/model.py ClientController.breach_notice_hours (default)",
        lambda: ClientController(name="Client").breach_notice_hours,
        24,
        "GDPR Art. 33(2) 'without undue delay'; 24 h is the contractual default (RULES.md)",
    ),
    (
        "GDPR-BR-2",
        "core/manifest/model.py ClientController.breach_notice_hours (bounds)",
        lambda: (
            _bound(ClientController, "breach_notice_hours", "ge"),
            _bound(ClientController, "breach_notice_hours", "le"),
        ),
        (1, 72),
        "GDPR Art. 33(2) per contract, never beyond the controller's own 72 h (Art. 33(1))",
    ),
    (
        "GDPR-BR-3",
        "core/breach_exemptions.py EXCEPTIONS",
        lambda: (tuple(breach_exemptions.EXCEPTIONS), breach_exemptions.PUBLIC_FALLBACK),
        (("34(3)(a)", "34(3)(b)", "34(3)(c)"), "34(3)(c)"),
        "GDPR Art. 34(3)(a)-(c); under (c) a public communication instead",
    ),
    (
        "FCC-BR-2",
        "core/breach_delays.py INITIAL_DELAY_DAYS",
        lambda: breach_delays.INITIAL_DELAY_DAYS,
        30,
        "47 CFR 64.2011(a)(2) (FCC 23-111): an initial period of up to 30 days, extendable",
    ),
    (
        "PIPEDA-BR-1",
        "core/incidents.py KEEP_MONTHS",
        lambda: incidents.KEEP_MONTHS,
        {"gdpr": 60, "fcc": 24, "pipeda": 24, "quebec": 60, "dpdp": 60, "us-states": 60},
        "PIPEDA Regs s.6 (24 months); Québec incident reg. (5 years); 47 CFR 64.2011 (2 years); "
        "GDPR 33(5), DPDP and the states set none: 5 years by policy",
    ),
    (
        "QC-INC-1",
        "core/incidents.py DEFAULT_KEEP_MONTHS",
        lambda: incidents.DEFAULT_KEEP_MONTHS,
        60,
        "Québec Regulation respecting confidentiality incidents s.7 (5 years), the longest",
    ),
    # --- record keeping ------------------------------------------------------------------------
    (
        "CCPA-REC-1",
        "config.py Settings.request_record_months (default, minimum)",
        lambda: (
            Settings.model_fields["request_record_months"].default,
            _bound(Settings, "request_record_months", "ge"),
        ),
        (24, 24),
        "11 CCR 7101(a): request records kept at least 24 months",
    ),
    (
        "CCPA-REC-1",
        "core/request_records.py RECORD_MONTHS, RECORD_FIELDS",
        lambda: (request_records.RECORD_MONTHS, request_records.RECORD_FIELDS),
        (
            24,
            ("requested_on", "nature", "manner", "responded_on", "response", "denial_basis"),
        ),
        "11 CCR 7101(a) 24 months; 7101(b) date of request, nature of request, manner in which "
        "made, date of the response, nature of the response, basis for denial in whole or in part",
    ),
    (
        "CCPA-MET-1",
        "core/request_records.py METRICS_THRESHOLD, DISCLOSE_MONTH/DAY",
        lambda: (
            request_records.METRICS_THRESHOLD,
            (request_records.DISCLOSE_MONTH, request_records.DISCLOSE_DAY),
        ),
        (10_000_000, (7, 1)),
        "11 CCR 7102(a): 10,000,000 or more consumers in a calendar year; (a)(2) by July 1",
    ),
    (
        "CCPA-VER-1",
        "core/verification.py CATEGORIES, PIECES, DELETE_ORDINARY, DELETE_SENSITIVE",
        lambda: tuple(
            (r.points, r.declaration)
            for r in (
                verification.CATEGORIES,
                verification.PIECES,
                verification.DELETE_ORDINARY,
                verification.DELETE_SENSITIVE,
            )
        ),
        ((2, False), (3, True), (2, False), (3, False)),
        "11 CCR 7062(b) two data points; (c) three pieces and a signed declaration under penalty "
        "of perjury; (d) deletion or correction by sensitivity",
    ),
    (
        "CCPA-LB-1",
        "services/fulfilment/access.py CCPA_EARLIEST_LOOKBACK",
        lambda: access.CCPA_EARLIEST_LOOKBACK,
        date(2022, 1, 1),
        "Cal. Civ. Code 1798.130(a)(2)(B): back to 1 January 2022 on request",
    ),
    (
        "CCPA-LB-1",
        "core/manifest: EffectivePolicy.access_lookback_months default, Policy minimum",
        lambda: (
            EffectivePolicy().access_lookback_months,
            _bound(Policy, "access_lookback_months", "ge"),
        ),
        (12, 12),
        "Cal. Civ. Code 1798.130(a)(2)(B): the preceding 12 months by default",
    ),
    # --- policy defaults standing in for a legal minimum ------------------------------------------
    (
        "POL-MIN-1",
        "core/manifest/resolve.py DEFAULT_MINOR_AGE; Policy.minor_age minimum",
        lambda: (DEFAULT_MINOR_AGE, _bound(Policy, "minor_age", "ge")),
        (18, 13),
        "Policy: minors are under 18; never below COPPA's 13 (16 CFR 312.2)",
    ),
    (
        "GDPR-PROC-1",
        "core/manifest/resolve.py EffectivePolicy.contract_end_delete_days",
        lambda: EffectivePolicy().contract_end_delete_days,
        30,
        "Policy: delete within 30 CD / 1 M of contract end (GDPR Art. 28(3)(g))",
    ),
    (
        "TCF-1",
        "core/manifest: EffectivePolicy.cookie_reconsent_months default, Policy maximum",
        lambda: (
            EffectivePolicy().cookie_reconsent_months,
            _bound(Policy, "cookie_reconsent_months", "le"),
        ),
        (13, 13),
        "IAB TCF policy: re-ask after 13 months at most",
    ),
    (
        "UK-CK-1",
        "core/manifest/resolve.py EffectivePolicy.uk_cookie_mode",
        lambda: EffectivePolicy().uk_cookie_mode,
        "opt_in",
        "PECR reg. 6 + Sch. A1; the policy default is opt-in (RULES.md UK-CK-1)",
    ),
    (
        "UK-CK-1",
        "core/manifest/cookies.py UK_EXEMPT",
        lambda: sorted(c.value for c in cookie_rules.UK_EXEMPT),
        ["preference", "statistics"],
        "PECR reg. 6, Sch. A1 (Data (Use and Access) Act 2025): statistics and appearance exemptions",
    ),
    (
        "GCM-1",
        "core/manifest/cookies.py CONSENT_TYPES, WAIT_FOR_UPDATE_MS",
        lambda: ([t.value for t in cookie_rules.CONSENT_TYPES], cookie_rules.WAIT_FOR_UPDATE_MS),
        (
            [
                "ad_storage",
                "ad_user_data",
                "ad_personalization",
                "analytics_storage",
                "functionality_storage",
                "personalization_storage",
                "security_storage",
            ],
            500,
        ),
        "Google consent mode v2: seven consent types, all 'denied' by default",
    ),
    (
        "CCPA-GPC-1",
        "api/routes/cookies.py HONOURED (and web/banner.js)",
        lambda: cookie_routes.HONOURED,
        "Opt-Out Request Honored",
        "11 CCR 7025(c)(6) (from 2026-01-01)",
    ),
    (
        "VEND-1",
        "core/manifest/resolve.py EffectivePolicy.vendors_may_market",
        lambda: EffectivePolicy().vendors_may_market,
        False,
        "Policy: vendors never use data for their own marketing (11 CCR 7051)",
    ),
]


# Retention, notice and log figures (issue #14: DPDP-ERA-1, DPDP-LOG-1, COPPA-2, CCPA-PP-1).
ROWS += [
    (
        "DPDP-ERA-1",
        "core/dormancy.py DORMANCY",
        lambda: str(dormancy.DORMANCY),
        "3 years",
        "DPDP Rules 2025 r. 8(1), Third Schedule col. (4): three years from the last approach",
    ),
    (
        "DPDP-ERA-1",
        "core/dormancy.py NOTICE_HOURS",
        lambda: dormancy.NOTICE_HOURS,
        48,
        "DPDP Rules 2025 r. 8(2): informed at least forty-eight hours before erasure",
    ),
    (
        "DPDP-ERA-1",
        "core/dormancy.py PLATFORM_USERS",
        lambda: dormancy.PLATFORM_USERS,
        {"e_commerce": 20_000_000, "online_gaming": 5_000_000, "social_media": 20_000_000},
        "Third Schedule items 1-3: two crore, fifty lakh, two crore registered users in India",
    ),
    (
        "DPDP-ERA-1",
        "core/dormancy.py RULES_COMMENCED",
        lambda: dormancy.RULES_COMMENCED,
        date(2025, 11, 13),
        "DPDP Rules 2025 published 13 November 2025 (Schedule: or three years from commencement)",
    ),
    (
        "DPDP-LOG-1",
        "core/audit.py ACCESS_LOG_KEEP_YEARS",
        lambda: audit.ACCESS_LOG_KEEP_YEARS,
        1,
        "DPDP Rules 2025 r. 6(1)(e): retain such logs for a period of one year",
    ),
    (
        "DPDP-LOG-1",
        "config.py Settings.audit_keep_years (floor)",
        lambda: _bound(Settings, "audit_keep_years", "ge"),
        1,
        "DPDP Rules 2025 r. 6(1)(e): no keeping period shorter than one year",
    ),
    (
        "COPPA-2",
        "core/child_retention.py CITATION",
        lambda: child_retention.CITATION,
        "16 CFR 312.10",
        "16 CFR 312.10 (2025 amendments): written data-retention policy, no indefinite retention",
    ),
    (
        "CCPA-PP-1",
        "core/notice_review.py REVIEW_MONTHS",
        lambda: notice_review.REVIEW_MONTHS,
        12,
        "Cal. Civ. Code 1798.130(a)(5): updated at least once every 12 months",
    ),
    (
        "CCPA-PP-1",
        "core/notice_review.py ALERT_MONTHS",
        lambda: notice_review.ALERT_MONTHS,
        11,
        "RULES.md CCPA-PP-1: alert at 11 months",
    ),
]


@pytest.mark.parametrize(
    ("rule", "where", "read", "expected", "citation"),
    ROWS,
    ids=[f"{row[0]} {row[1]}" for row in ROWS],
)
def test_each_legal_parameter_is_the_laws(
    rule: str, where: str, read: Callable[[], object], expected: object, citation: str
) -> None:
    """The value in the code is the one the law (or the stricter policy) sets."""
    assert read() == expected, f"{rule}: {where} differs from {citation}"


# Time zone (where the day of receipt is counted) and calendar (country, subdivision) per
# jurisdiction: the day a request arrives and the holidays its deadline skips.
CLOCKS: dict[str, tuple[str, str, str | None]] = {
    "eu": ("Europe/Amsterdam", "NL", None),
    "uk": ("Europe/London", "GB", "ENG"),
    "us-ca": ("America/Los_Angeles", "US", "CA"),
    "ca": ("America/Toronto", "CA", None),
    "ca-qc": ("America/Toronto", "CA", "QC"),
    "ca-ab": ("America/Edmonton", "CA", "AB"),
    "ca-bc": ("America/Vancouver", "CA", "BC"),
    "in": ("Asia/Kolkata", "IN", None),
    "us": ("America/New_York", "US", None),
    "br": ("America/Sao_Paulo", "BR", None),
    "us-va": ("America/New_York", "US", "VA"),
    "us-co": ("America/Denver", "US", "CO"),
    "us-ct": ("America/New_York", "US", "CT"),
    "us-ut": ("America/Denver", "US", "UT"),
    "us-tx": ("America/Chicago", "US", "TX"),
    "us-or": ("America/Los_Angeles", "US", "OR"),
    "us-mt": ("America/Denver", "US", "MT"),
    "us-ia": ("America/Chicago", "US", "IA"),
    "us-de": ("America/New_York", "US", "DE"),
    "us-ne": ("America/Chicago", "US", "NE"),
    "us-nh": ("America/New_York", "US", "NH"),
    "us-nj": ("America/New_York", "US", "NJ"),
    "us-tn": ("America/Chicago", "US", "TN"),
    "us-mn": ("America/Chicago", "US", "MN"),
    "us-md": ("America/New_York", "US", "MD"),
    "us-in": ("America/Indiana/Indianapolis", "US", "IN"),
    "us-ky": ("America/New_York", "US", "KY"),
    "us-ri": ("America/New_York", "US", "RI"),
}


@pytest.mark.parametrize("key", sorted(CLOCKS))
def test_each_jurisdiction_counts_in_its_own_zone_and_calendar(key: str) -> None:
    """A request's day of receipt and its holidays are the law's, not the server's."""
    j = JURISDICTIONS[key]
    assert (j.timezone, j.holiday_country, j.holiday_subdivision) == CLOCKS[key]


def test_only_the_gdpr_and_uk_gdpr_stop_the_clock() -> None:
    """UK Art. 12A and the EDPB's reading of GDPR Art. 12(6) (Guidelines 01/2022); no other law
    in the table lets the clock stop while waiting for the requester."""
    assert {k for k, j in JURISDICTIONS.items() if j.stop_the_clock} == {"eu", "uk"}


def test_each_response_period_is_labelled_with_its_own_rule() -> None:
    """A response period and its extension carry the same RULES.md id (the one docs/rules.md lists)."""
    for key, j in JURISDICTIONS.items():
        assert j.extension is None or j.extension.rule == j.response.rule, key
        assert j.extension is None or j.extension.unit is j.response.unit, key


def _fcc_clocks(manifest: Manifest, subjects: int) -> list[BreachClock]:
    aware = datetime(2026, 5, 18, 15, 0, tzinfo=UTC)
    view = tenant_view(manifest, "bluewave")
    return [c for c in compute_clocks(view, ["fcc"], aware, "none", subjects) if c.regime == "fcc"]


def test_fcc_annual_summary_stops_at_500_customers(manifest: Manifest) -> None:
    """FCC 23-111 (47 CFR 64.2011): 499 customers and no harm -> annual summary; 500 -> notify the
    FCC and law enforcement within 7 business days (Thursday 28 May 2026, Memorial Day skipped)."""
    assert [(c.notify, c.due_on) for c in _fcc_clocks(manifest, 499)] == [("fcc", date(2027, 2, 1))]
    assert [(c.notify, c.due_on) for c in _fcc_clocks(manifest, 500)] == [
        ("fcc", date(2026, 5, 28)),
        ("law_enforcement", date(2026, 5, 28)),
    ]


def test_ccpa_opt_in_is_not_asked_for_12_months_after_an_opt_out() -> None:
    """Cal. Civ. Code 1798.135(c)(4): 12 months, counted as calendar months from the opt-out."""
    assert OPT_IN_REASK_MONTHS == 12
    out = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    state = {"sale_sharing:*": ConsentEntry(False, int(out.timestamp() * 1_000_000), 1, "gpc")}
    assert ask_after(state) == datetime(2027, 3, 2, 9, 30, tzinfo=UTC)


def test_coppa_separate_disclosure_consent_binds_from_22_april_2026_below_13() -> None:
    """16 CFR 312.5(a)(2) as amended: compliance date 2026-04-22; under 13; not for processors."""
    assert date(2026, 4, 22) == COPPA_DISCLOSURE_CONSENT_FROM
    adult_on = date(2034, 1, 1)  # 18 on that day: 13 on 2029-01-01
    assert needs_disclosure_consent(["us"], "partner", adult_on, 18, date(2026, 4, 22))
    assert not needs_disclosure_consent(["us"], "partner", adult_on, 18, date(2026, 4, 21))
    assert not needs_disclosure_consent(["us"], "processor", adult_on, 18, date(2027, 1, 1))
    assert not needs_disclosure_consent(["us"], "partner", adult_on, 18, date(2029, 1, 1))


def test_dpdp_consent_manager_records_are_kept_seven_years_from_13_november_2026() -> None:
    """DPDP Rules 2025 (rule 4, First Schedule): seven years; rule 4 in force a year after 13 Nov 2025."""
    assert CONSENT_MANAGER_RECORD_YEARS == 7
    assert date(2026, 11, 13) == CONSENT_MANAGER_RULES_FROM


def test_casl_unsubscribe_within_10_business_days_and_links_valid_60_days() -> None:
    """CASL s.11(3): 10 business days (Canada Day skipped); s.11(2): 60 days."""
    assert (CASL_EFFECT_BUSINESS_DAYS, CASL_MECHANISM_VALID_DAYS) == (10, 60)
    assert effect_by(date(2026, 6, 26)) == date(2026, 7, 13)
