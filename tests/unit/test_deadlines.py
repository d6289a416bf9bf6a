"""The deadline engine, table-driven: each rule counted in the law's own unit, with its calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privault.core.deadlines import (
    Pause,
    WorkingCalendar,
    acknowledgement,
    count_hours,
    deadline,
    extend,
    strictest,
)
from privault.core.jurisdictions import Right
from privault.errors import InvalidInput, NotFound, PolicyViolation

RESPONSE = [
    # (jurisdiction, right, received, due, why)
    ("uk", Right.ACCESS, date(2025, 1, 31), date(2025, 2, 28), "31 Jan: last day of February"),
    ("uk", Right.ACCESS, date(2024, 1, 31), date(2024, 2, 29), "leap year: 29 February"),
    ("uk", Right.ACCESS, date(2026, 1, 31), date(2026, 3, 2), "28 Feb 2026 is a Saturday: Monday"),
    ("uk", Right.ACCESS, date(2026, 11, 25), date(2026, 12, 29), "Christmas and Boxing Day moved"),
    ("uk", Right.ERASURE, date(2026, 3, 2), date(2026, 4, 2), "same date next month"),
    ("eu", Right.PORTABILITY, date(2026, 4, 30), date(2026, 6, 1), "30 May 2026 is a Saturday"),
    ("us-ca", Right.ACCESS, date(2026, 3, 1), date(2026, 4, 15), "45 days after receipt"),
    ("us-ca", Right.ERASURE, date(2026, 12, 1), date(2027, 1, 15), "calendar days: no moving"),
    ("us-ca", Right.OPT_OUT_SALE, date(2026, 11, 25), date(2026, 12, 17), "15 business days"),
    ("us-ca", Right.LIMIT_SENSITIVE, date(2026, 11, 25), date(2026, 12, 17), "15 business days"),
    ("ca", Right.ACCESS, date(2026, 3, 1), date(2026, 3, 31), "PIPEDA 30 days"),
    ("ca-qc", Right.RECTIFICATION, date(2026, 3, 1), date(2026, 3, 31), "Québec 30 days"),
    ("in", Right.ERASURE, date(2026, 1, 1), date(2026, 4, 1), "DPDP 90 days"),
]


@pytest.mark.parametrize(
    ("jurisdiction", "right", "received", "due", "why"), RESPONSE, ids=[r[4] for r in RESPONSE]
)
def test_response_deadline(
    jurisdiction: str, right: Right, received: date, due: date, why: str
) -> None:
    """Each rule's deadline, as the law counts it."""
    assert deadline(jurisdiction, right, received).due == due, why


def test_the_rule_that_set_the_deadline_is_named() -> None:
    """GDPR's month under GDPR-DSR-1, CCPA's opt-out under CCPA-OO-1."""
    assert deadline("uk", Right.ACCESS, date(2026, 3, 2)).rule == "GDPR-DSR-1"
    assert deadline("us-ca", Right.OPT_OUT_SALE, date(2026, 3, 2)).rule == "CCPA-OO-1"


def test_ccpa_acknowledgement_is_ten_business_days_past_thanksgiving() -> None:
    """25 Nov 2026 (a Wednesday): counting starts on 26 Nov, Thanksgiving (Gov. Code § 6700);
    the day after is a working day (not in § 6700), so the tenth is 10 December."""
    ack = acknowledgement("us-ca", date(2026, 11, 25))
    assert ack is not None
    assert (ack.rule, ack.due) == ("CCPA-ACK-1", date(2026, 12, 10))
    assert acknowledgement("uk", date(2026, 11, 25)) is None


def test_ccpa_extension_adds_45_days() -> None:
    """45 + 45: 90 days after receipt, with the reasons kept."""
    extended = extend(deadline("us-ca", Right.ACCESS, date(2026, 3, 1)), date(2026, 4, 1), "volume")
    assert (extended.due, extended.extended, extended.extension_reasons) == (
        date(2026, 5, 30),
        True,
        "volume",
    )


def test_gdpr_extension_makes_three_months() -> None:
    """One month plus two further months, counted from receipt."""
    extended = extend(deadline("uk", Right.ACCESS, date(2026, 3, 2)), date(2026, 3, 20), "complex")
    assert extended.due == date(2026, 6, 2)


@pytest.mark.parametrize(
    ("jurisdiction", "decided_on", "reasons", "message"),
    [
        ("us-ca", date(2026, 4, 16), "volume", "too late"),
        ("ca-qc", date(2026, 3, 5), "volume", "allows no extension"),
        ("us-ca", date(2026, 3, 5), "  ", "reasons"),
    ],
    ids=["after-the-due-date", "no-extension-in-law", "no-reasons"],
)
def test_extension_is_refused(
    jurisdiction: str, decided_on: date, reasons: str, message: str
) -> None:
    """After the deadline, where the law has none, or without reasons: refused, and said why."""
    current = deadline(jurisdiction, Right.ACCESS, date(2026, 3, 1))
    with pytest.raises((PolicyViolation, InvalidInput), match=message):
        extend(current, decided_on, reasons)


def test_a_second_extension_is_refused() -> None:
    """The law allows one."""
    once = extend(deadline("uk", Right.ACCESS, date(2026, 3, 2)), date(2026, 3, 3), "complex")
    with pytest.raises(PolicyViolation, match="already extended"):
        extend(once, date(2026, 3, 4), "still complex")


def test_a_pause_moves_the_deadline_by_the_days_stopped() -> None:
    """UK stop-the-clock: 5 days waiting for ID; 7 April (6 April 2026 is Easter Monday)."""
    pauses = [Pause(date(2026, 3, 10), date(2026, 3, 15), "waiting for identification")]
    moved = deadline("uk", Right.ACCESS, date(2026, 3, 2), pauses)
    assert (moved.due, moved.paused_days) == (date(2026, 4, 7), 5)


def test_an_open_pause_counts_until_today() -> None:
    """Still waiting: the days so far count."""
    pauses = [Pause(date(2026, 3, 10), None, "waiting for clarification")]
    moved = deadline("us-ca", Right.ACCESS, date(2026, 3, 1), pauses, today=date(2026, 3, 13))
    assert moved.due == date(2026, 4, 18)


def test_the_strictest_of_gdpr_and_ccpa_wins_and_is_named() -> None:
    """A Californian resident of the UK: one month beats 45 days, and the rest are kept."""
    found = strictest(["us-ca", "uk"], Right.ACCESS, date(2026, 3, 2))
    assert (found.winner.rule, found.winner.jurisdiction, found.winner.due) == (
        "GDPR-DSR-1",
        "uk",
        date(2026, 4, 2),
    )
    assert [c.jurisdiction for c in found.candidates] == ["us-ca", "uk"]
    assert "CCPA-RESP-1 (us-ca) 2026-04-16" in found.explanation


def test_only_jurisdictions_granting_the_right_count() -> None:
    """Opting out of sale is Californian: the UK sets no deadline for it."""
    found = strictest(["uk", "us-ca"], Right.OPT_OUT_SALE, date(2026, 3, 2))
    assert [c.jurisdiction for c in found.candidates] == ["us-ca"]
    with pytest.raises(PolicyViolation, match="not granted"):
        strictest(["uk"], Right.OPT_OUT_SALE, date(2026, 3, 2))


def test_unknown_jurisdictions_and_missing_rights_are_errors() -> None:
    """Clear errors, with stable codes."""
    with pytest.raises(NotFound) as unknown:
        deadline("mars", Right.ACCESS, date(2026, 3, 2))
    assert unknown.value.code == "jurisdiction.unknown"
    with pytest.raises(PolicyViolation) as missing:
        deadline("in", Right.PORTABILITY, date(2026, 3, 2))
    assert missing.value.code == "request.right_unavailable"


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2026, 3, 20), "on_time"),
        (date(2026, 3, 27), "due_soon"),
        (date(2026, 4, 2), "due_today"),
        (date(2026, 4, 3), "overdue"),
    ],
)
def test_reminder_states(today: date, state: str) -> None:
    """A week before: due soon; after the day: overdue."""
    assert deadline("uk", Right.ACCESS, date(2026, 3, 2)).state(today) == state


def test_hours_count_from_the_instant() -> None:
    """72 hours (breach notices), from an instant with its zone."""
    aware = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert count_hours(aware, 72) == datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        count_hours(datetime(2026, 3, 2, 9, 30), 72)  # noqa: DTZ001 - the point of the test


def test_working_days_follow_the_subdivision() -> None:
    """Québec's Fête nationale (24 June) is no working day there, but is in Ontario's calendar."""
    assert not WorkingCalendar("CA", "QC").is_working_day(date(2026, 6, 24))
    assert WorkingCalendar("CA", "ON").is_working_day(date(2026, 6, 24))
