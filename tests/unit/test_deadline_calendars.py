"""Whose calendar a deadline counts in, how "N days after receipt" is counted, elapsed hours across
a change of clocks, and the team's working target (issue #14), table-driven with pinned figures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from privault.core.deadlines import (
    WorkingCalendar,
    acknowledgement,
    count_hours,
    deadline,
)
from privault.core.jurisdictions import Right
from privault.errors import InvalidInput

ESTABLISHED = [
    # (jurisdiction, establishment, received, due, why)
    ("eu", None, date(2026, 3, 27), date(2026, 4, 28), "no establishment: King's Day (NL)"),
    ("eu", "IE", date(2026, 3, 27), date(2026, 4, 27), "Ireland: 27 April is a working day"),
    ("eu", "IE", date(2026, 4, 14), date(2026, 5, 14), "Ireland: Ascension is a working day"),
    ("eu", "IE", date(2026, 4, 4), date(2026, 5, 5), "Ireland: May Bank Holiday 4 May"),
    ("eu", None, date(2026, 4, 4), date(2026, 5, 4), "no establishment: 4 May works in NL"),
    ("eu", "DE", date(2026, 4, 14), date(2026, 5, 15), "Germany: Ascension 14 May"),
    ("eu", "DE", date(2026, 4, 25), date(2026, 5, 26), "Germany: Whit Monday 25 May"),
    ("eu", "DE-BY", date(2026, 5, 4), date(2026, 6, 5), "Bavaria: Corpus Christi 4 June"),
    ("eu", "DE", date(2026, 5, 4), date(2026, 6, 4), "Germany without region: 4 June works"),
    ("uk", "GB-SCT", date(2026, 10, 30), date(2026, 12, 1), "Scotland: St Andrew's Day"),
    ("uk", None, date(2026, 10, 30), date(2026, 11, 30), "England: 30 November works"),
    ("uk", "IE", date(2026, 3, 27), date(2026, 4, 27), "UK law ignores an Irish seat"),
    ("us-ca", "DE", date(2026, 3, 1), date(2026, 4, 15), "CCPA ignores a German seat"),
]


@pytest.mark.parametrize(
    ("jurisdiction", "establishment", "received", "due", "why"),
    ESTABLISHED,
    ids=[r[4] for r in ESTABLISHED],
)
def test_eu_and_uk_deadlines_count_the_establishments_holidays(
    jurisdiction: str, establishment: str | None, received: date, due: date, why: str
) -> None:
    """Reg. 1182/71 art. 2(1): the holidays of the member state (and region) of the controller."""
    found = deadline(jurisdiction, Right.ACCESS, received, establishment=establishment)
    assert found.due == due, why


def test_an_unknown_establishment_is_refused() -> None:
    """A country or region the holidays package does not know is an error, not a silent default."""
    with pytest.raises(InvalidInput, match="no holiday calendar"):
        deadline("eu", Right.ACCESS, date(2026, 3, 2), establishment="XX")


AFTER_RECEIPT = [
    # (jurisdiction, received, due, why)
    ("us-ca", date(2026, 3, 1), date(2026, 4, 15), "CCPA 45 days: Civ. Code § 10"),
    ("ca", date(2026, 3, 1), date(2026, 3, 31), "PIPEDA 30 days: Interpretation Act s. 27(2)"),
    ("ca-qc", date(2026, 3, 1), date(2026, 3, 31), "Québec 30 days"),
    ("in", date(2026, 1, 1), date(2026, 4, 1), "DPDP 90 days: General Clauses Act s. 9"),
]


@pytest.mark.parametrize(
    ("jurisdiction", "received", "due", "why"), AFTER_RECEIPT, ids=[r[3] for r in AFTER_RECEIPT]
)
def test_n_days_after_receipt_exclude_the_day_of_receipt(
    jurisdiction: str, received: date, due: date, why: str
) -> None:
    """Received 1 March, 45 days: 15 April (the day of receipt is not day 1)."""
    assert deadline(jurisdiction, Right.ACCESS, received).due == due, why


CALIFORNIA_DAYS = [
    # (day, working, why)
    (date(2026, 11, 26), False, "Thanksgiving (Gov. Code § 6700(a))"),
    (date(2026, 11, 27), True, "day after Thanksgiving: not a § 6700 holiday"),
    (date(2026, 3, 31), False, "Cesar Chavez Day (§ 6700)"),
    (date(2027, 10, 29), False, "Diwali (§ 6700 since 2026)"),
    (date(2026, 12, 24), True, "Christmas Eve"),
]


@pytest.mark.parametrize(
    ("day", "working", "why"), CALIFORNIA_DAYS, ids=[r[2] for r in CALIFORNIA_DAYS]
)
def test_california_business_days_skip_only_the_laws_holidays(
    day: date, working: bool, why: str
) -> None:
    """The holidays package's extra days (state employees' days off) are working days."""
    assert WorkingCalendar("US", "CA").is_working_day(day) is working, why


def test_ccpa_acknowledgement_counts_the_day_after_thanksgiving() -> None:
    """Received Wednesday 25 Nov 2026: 27 Nov is business day 1, 10 Dec the tenth."""
    ack = acknowledgement("us-ca", date(2026, 11, 25))
    assert ack is not None
    assert ack.due == date(2026, 12, 10)


LONDON = ZoneInfo("Europe/London")
HOURS = [
    # (aware at, due, why)
    (
        datetime(2026, 3, 27, 12, 0, tzinfo=LONDON),
        datetime(2026, 3, 30, 13, 0, tzinfo=LONDON),
        "spring forward: 72 elapsed hours end at 13:00 BST",
    ),
    (
        datetime(2026, 10, 23, 12, 0, tzinfo=LONDON),
        datetime(2026, 10, 26, 11, 0, tzinfo=LONDON),
        "fall back: 72 elapsed hours end at 11:00 GMT",
    ),
    (
        datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        datetime(2026, 3, 5, 9, 30, tzinfo=UTC),
        "UTC: no change of clocks",
    ),
]


@pytest.mark.parametrize(("aware", "due", "why"), HOURS, ids=[r[2] for r in HOURS])
def test_hour_clocks_count_elapsed_hours_across_a_change_of_clocks(
    aware: datetime, due: datetime, why: str
) -> None:
    """GDPR's 72 hours are 72 hours of real time, shown in the instant's own zone."""
    found = count_hours(aware, 72)
    assert found == due, why
    assert found.utcoffset() == due.utcoffset(), why
    assert (found.astimezone(UTC) - aware.astimezone(UTC)).total_seconds() == 72 * 3600


TARGETS = [
    # (jurisdiction, received, days early, target, why)
    ("us-ca", date(2026, 3, 2), 5, date(2026, 4, 10), "Thu 16 Apr - 5 = Sat: back to Friday"),
    ("us-ca", date(2026, 3, 2), 0, date(2026, 4, 16), "no margin: the legal date"),
    ("uk", date(2026, 3, 2), 3, date(2026, 3, 30), "Thu 2 Apr - 3 = Mon 30 Mar"),
    ("uk", date(2026, 3, 2), 60, date(2026, 3, 2), "never before receipt"),
]


@pytest.mark.parametrize(
    ("jurisdiction", "received", "early", "target", "why"), TARGETS, ids=[r[4] for r in TARGETS]
)
def test_the_working_target_is_earlier_than_the_legal_date(
    jurisdiction: str, received: date, early: int, target: date, why: str
) -> None:
    """PRIVAULT_TARGET_DAYS_EARLY days before the legal date, on a working day."""
    assert deadline(jurisdiction, Right.ACCESS, received).target(early) == target, why
