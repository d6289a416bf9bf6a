"""Every jurisdiction's parameters, pinned: a changed figure, right or date makes a row fail.

The rows are the statutes' own figures (docs/laws/); each figure a law sets must carry its citation.
"""

from __future__ import annotations

from datetime import date

import pytest

from privault.core.deadlines import acknowledgement, deadline, extend
from privault.core.jurisdictions import JURISDICTIONS, Jurisdiction, PeriodUnit, Right

CD, BD, M = PeriodUnit.CALENDAR_DAYS, PeriodUnit.BUSINESS_DAYS, PeriodUnit.CALENDAR_MONTHS
A, E, R, RES, OBJ, P = (
    Right.ACCESS,
    Right.ERASURE,
    Right.RECTIFICATION,
    Right.RESTRICTION,
    Right.OBJECTION,
    Right.PORTABILITY,
)
SALE, SPI, ADS, PROF, APPEAL = (
    Right.OPT_OUT_SALE,
    Right.LIMIT_SENSITIVE,
    Right.OPT_OUT_TARGETED_ADS,
    Right.OPT_OUT_PROFILING,
    Right.APPEAL,
)
COMPLAINT, GRIEVANCE, REVIEW = Right.COMPLAINT, Right.GRIEVANCE, Right.HUMAN_REVIEW
GDPR = {A, E, R, RES, OBJ, P}
STATE = {A, R, E, P, SALE, ADS, PROF, APPEAL}
UTAH = {A, E, P, SALE, ADS}

# key: (response, extension, appeal, appeal extension, rights, GPC binding from, teen opt-in age,
#       child age, effective)
Figures = tuple[
    tuple[int, PeriodUnit],
    int | None,
    int | None,
    int | None,
    set[Right],
    date | None,
    int | None,
    int | None,
    date | None,
]
TABLE: dict[str, Figures] = {
    "eu": ((1, M), 2, None, None, GDPR | {REVIEW}, None, None, 16, date(2018, 5, 25)),
    "uk": ((1, M), 2, None, None, GDPR | {REVIEW, COMPLAINT}, None, None, 13, date(2021, 1, 1)),
    "us-ca": (
        (45, CD),
        45,
        None,
        None,
        {A, E, R, SALE, SPI},
        date(2020, 8, 14),
        16,
        16,
        date(2020, 1, 1),
    ),
    "ca": ((30, CD), 30, None, None, {A, R, E, OBJ}, None, None, None, date(2001, 1, 1)),
    "ca-qc": ((30, CD), None, None, None, {A, R, E, OBJ, P}, None, None, 14, date(2023, 9, 22)),
    "ca-ab": ((45, CD), 30, None, None, {A, R}, None, None, None, date(2004, 1, 1)),
    "ca-bc": ((30, BD), 30, None, None, {A, R}, None, None, None, date(2004, 1, 1)),
    "in": ((90, CD), None, None, None, {A, R, E, GRIEVANCE}, None, None, 18, None),
    "us": ((10, BD), None, None, None, {OBJ}, None, None, 13, None),
    "br": ((15, CD), None, None, None, {A, R, E, RES, P, OBJ}, None, None, 12, date(2020, 9, 18)),
    "us-va": ((45, CD), 45, 60, None, STATE, None, None, 13, date(2023, 1, 1)),
    "us-co": ((45, CD), 45, 45, 60, STATE, date(2024, 7, 1), 18, 13, date(2023, 7, 1)),
    "us-ct": ((45, CD), 45, 60, None, STATE, date(2025, 1, 1), 18, 13, date(2023, 7, 1)),
    "us-ut": ((45, CD), 45, None, None, UTAH, None, None, 13, date(2023, 12, 31)),
    "us-tx": ((45, CD), 45, 60, None, STATE, date(2025, 1, 1), None, 13, date(2024, 7, 1)),
    "us-or": ((45, CD), 45, 45, 60, STATE, date(2026, 1, 1), 16, 13, date(2024, 7, 1)),
    # SB 297 (2025): minors under 18 from 1 October 2025 (was 13 to 15); FPF, Covington summaries.
    "us-mt": ((45, CD), 45, 60, None, STATE, date(2025, 1, 1), 18, 13, date(2024, 10, 1)),
    "us-ia": ((90, CD), 45, 60, None, UTAH | {APPEAL}, None, None, 13, date(2025, 1, 1)),
    "us-de": ((45, CD), 45, 60, None, STATE, date(2026, 1, 1), 18, 13, date(2025, 1, 1)),
    "us-ne": ((45, CD), 45, 60, None, STATE, date(2025, 1, 1), None, 13, date(2025, 1, 1)),
    "us-nh": ((45, CD), 45, 60, None, STATE, date(2025, 1, 1), None, 13, date(2025, 1, 1)),
    "us-nj": ((45, CD), 45, 45, 45, STATE, date(2025, 7, 15), 18, 13, date(2025, 1, 15)),
    "us-tn": ((45, CD), 45, 60, None, STATE, None, None, 13, date(2025, 7, 1)),
    "us-mn": ((45, CD), 45, 45, 60, STATE, date(2025, 7, 31), 16, 13, date(2025, 7, 31)),
    "us-md": ((45, CD), 45, 60, None, STATE, date(2025, 10, 1), 18, 13, date(2025, 10, 1)),
    "us-in": ((45, CD), 45, 60, None, STATE, None, None, 13, date(2026, 1, 1)),
    "us-ky": ((45, CD), 45, 60, None, STATE, None, None, 13, date(2026, 1, 1)),
    "us-ri": ((45, CD), 45, 60, None, STATE, None, None, 13, date(2026, 1, 1)),
}


def test_the_table_names_every_jurisdiction() -> None:
    """No jurisdiction is added or dropped without a row here."""
    assert set(TABLE) == set(JURISDICTIONS)


def _figures(j: Jurisdiction) -> Figures:
    appeal = j.appeal
    return (
        (j.response.amount, j.response.unit),
        j.extension.amount if j.extension else None,
        appeal.period.amount if appeal else None,
        appeal.extension.amount if appeal and appeal.extension else None,
        set(j.rights),
        j.universal_opt_out_from,
        j.teen_opt_in_age,
        j.child_consent_age,
        j.effective,
    )


@pytest.mark.parametrize("key", sorted(TABLE))
def test_each_jurisdictions_figures_are_the_statutes(key: str) -> None:
    """Response, extension, appeal, rights, GPC, ages and effective date, exactly."""
    assert _figures(JURISDICTIONS[key]) == TABLE[key]


@pytest.mark.parametrize("key", sorted(TABLE))
def test_each_figure_a_law_sets_cites_its_section(key: str) -> None:
    """A figure without a statute section is not data but a guess."""
    j = JURISDICTIONS[key]
    wanted = ["rights", "response", "authority"]
    wanted += ["extension"] if j.extension else []
    wanted += ["appeal"] if j.appeal else []
    wanted += ["universal_opt_out_from"] if j.universal_opt_out_from else []
    wanted += ["teen_opt_in_age"] if j.teen_opt_in_age else []
    wanted += ["child_consent_age"] if j.child_consent_age and key != "us" else []
    assert [w for w in wanted if not j.cite(w)] == []
    citations = dict(j.citations)
    assert set(j.unverified) <= set(citations), "an unverified figure names a cited parameter"


@pytest.mark.parametrize("key", [k for k in sorted(TABLE) if k.startswith("us-") and k != "us-ca"])
def test_every_us_state_law_is_enforced_by_its_attorney_general(key: str) -> None:
    """The appeal's denial points to the state Attorney General."""
    assert "Attorney General" in JURISDICTIONS[key].authority


def test_a_virginia_request_is_due_in_45_days_and_extendable_once_by_45() -> None:
    """Va. Code § 59.1-577(B): received 1 March, 45 days after is 15 April; extended, 30 May."""
    first = deadline("us-va", Right.ACCESS, date(2026, 3, 1))
    assert (first.due, first.rule) == (date(2026, 4, 15), "VCDPA-RESP-1")
    extended = extend(first, date(2026, 4, 1), "many systems to search")
    assert extended.due == date(2026, 5, 30)
    with pytest.raises(Exception, match="already extended"):
        extend(extended, date(2026, 4, 2), "again")


@pytest.mark.parametrize(
    ("key", "due", "extended"),
    [
        ("us-va", date(2026, 4, 30), None),  # Va. Code § 59.1-577(C): 60 days
        ("us-co", date(2026, 4, 15), date(2026, 6, 14)),  # C.R.S. § 6-1-1306(3): 45 + 60
        ("us-mn", date(2026, 4, 15), date(2026, 6, 14)),  # Minn. Stat. § 325M.14 subd. 5
    ],
)
def test_an_appeal_has_its_own_clock(key: str, due: date, extended: date | None) -> None:
    """The appeal period, not the response period, counts from the appeal's receipt."""
    found = deadline(key, Right.APPEAL, date(2026, 3, 1))
    assert found.due == due
    assert found.rule.endswith("-APPEAL-1")
    if extended is None:
        with pytest.raises(Exception, match="allows no extension"):
            extend(found, date(2026, 3, 2), "complex")
    else:
        assert extend(found, date(2026, 3, 2), "complex").due == extended


def test_utah_grants_no_appeal_and_no_profiling_opt_out() -> None:
    """Utah Code § 13-61-201: neither right exists, so neither has a deadline."""
    for right in (Right.APPEAL, Right.OPT_OUT_PROFILING, Right.RECTIFICATION):
        with pytest.raises(Exception, match="grants no right"):
            deadline("us-ut", right, date(2026, 3, 1))


def test_gpc_binds_only_from_the_day_the_law_says() -> None:
    """Oregon: a universal opt-out is binding from 1 January 2026 (ORS 646A.576), not before."""
    oregon = JURISDICTIONS["us-or"]
    assert not oregon.universal_opt_out_binding(date(2025, 12, 31))
    assert oregon.universal_opt_out_binding(date(2026, 1, 1))
    assert not JURISDICTIONS["us-va"].universal_opt_out_binding(date(2030, 1, 1))


def test_a_uk_complaint_is_acknowledged_within_30_days_beginning_with_its_receipt() -> None:
    """DPA 2018 s.164A(3): received 1 July 2026 (day 1), acknowledged by 30 July; no extension."""
    found = deadline("uk", COMPLAINT, date(2026, 7, 1))
    assert (found.due, found.rule, found.extension) == (date(2026, 7, 30), "UK-CMPL-1", None)
    ack = acknowledgement("uk", date(2026, 7, 1), right=COMPLAINT)
    assert ack is not None
    assert (ack.due, ack.rule) == (date(2026, 7, 30), "UK-CMPL-1")


def test_a_uk_complaint_is_granted_only_from_19_june_2026() -> None:
    """Data (Use and Access) Act 2025 s.103 inserts s.164A in force on 19 June 2026, not before."""
    assert deadline("uk", COMPLAINT, date(2026, 6, 19)).due == date(2026, 7, 18)
    with pytest.raises(Exception, match="only from 2026-06-19"):
        deadline("uk", COMPLAINT, date(2026, 6, 18))


def test_only_the_uk_grants_a_complaint_and_only_india_a_grievance() -> None:
    """s.164A is UK law; DPDP s.13 is Indian law; no other table grants either right."""
    assert {k for k, j in JURISDICTIONS.items() if COMPLAINT in j.rights} == {"uk"}
    assert {k for k, j in JURISDICTIONS.items() if GRIEVANCE in j.rights} == {"in"}
    assert {k for k, j in JURISDICTIONS.items() if REVIEW in j.rights} == {"eu", "uk"}


def test_an_indian_grievance_is_answered_within_90_days() -> None:
    """DPDP Act s.13(2) with the DPDP Rules 2025: 90 days after receipt, no extension."""
    found = deadline("in", GRIEVANCE, date(2026, 3, 1))
    assert (found.due, found.rule, found.extension) == (date(2026, 5, 30), "DPDP-GRV-1", None)
    assert JURISDICTIONS["in"].cite("grievance_first") == "DPDP Act s.13(3)"


@pytest.mark.parametrize("key", ["eu", "uk"])
def test_a_human_review_runs_on_the_one_month_clock_extendable_by_two(key: str) -> None:
    """Art. 22(3) / UK Art. 22C answered under Art. 12(3): received 31 January 2025, due 28 February
    (a Friday), extended to 30 April (a Wednesday)."""
    found = deadline(key, REVIEW, date(2025, 1, 31))
    assert (found.due, found.rule) == (date(2025, 2, 28), "GDPR-ADM-1")
    assert extend(found, date(2025, 2, 1), "complex model").due == date(2025, 4, 30)
    assert JURISDICTIONS[key].cite("human_review")
