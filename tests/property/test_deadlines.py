"""Invariants of the deadline engine."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from privault.core.deadlines import Pause, deadline, extend
from privault.core.jurisdictions import JURISDICTIONS, Right

PAIRS = [(key, right) for key, j in JURISDICTIONS.items() for right in j.rights]
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


def _in_force(pair: tuple[str, Right], day: date) -> date:
    """The day, or the first day the law grants the right if later (a UK complaint: 2026-06-19)."""
    own = JURISDICTIONS[pair[0]].own_period(pair[1])
    return max(day, own.since) if own and own.since else day


@settings(max_examples=300, deadline=None)
@given(pair=st.sampled_from(PAIRS), received=days)
def test_a_deadline_is_never_before_receipt(pair: tuple[str, Right], received: date) -> None:
    """Whatever the rule and the calendar."""
    received = _in_force(pair, received)
    assert deadline(*pair, received).due >= received


@settings(max_examples=300, deadline=None)
@given(pair=st.sampled_from(PAIRS), first=days, gap=st.integers(min_value=0, max_value=400))
def test_a_later_request_is_never_due_earlier(
    pair: tuple[str, Right], first: date, gap: int
) -> None:
    """Deadlines never go backwards as receipt moves forward."""
    first = _in_force(pair, first)
    later = first + timedelta(days=gap)
    assert deadline(*pair, later).due >= deadline(*pair, first).due


@settings(max_examples=200, deadline=None)
@given(pair=st.sampled_from(PAIRS), received=days, stopped=st.integers(min_value=0, max_value=60))
def test_pausing_never_brings_a_deadline_forward(
    pair: tuple[str, Right], received: date, stopped: int
) -> None:
    """A pause of any length moves the deadline later or leaves it."""
    received = _in_force(pair, received)
    start = received + timedelta(days=1)
    pause = Pause(start, start + timedelta(days=stopped), "waiting")
    assert deadline(*pair, received, [pause]).due >= deadline(*pair, received).due


@settings(max_examples=200, deadline=None)
@given(pair=st.sampled_from(PAIRS), received=days)
def test_an_extension_never_shortens(pair: tuple[str, Right], received: date) -> None:
    """Where the law allows one, the extended deadline is later than the original."""
    received = _in_force(pair, received)
    current = deadline(*pair, received)
    if current.extension is None:
        return
    assert extend(current, received, "complex").due > current.due


SEATS = st.sampled_from([None, "IE", "DE", "DE-BY", "FR", "NL", "GB-SCT", "GB-NIR", "PL"])


@settings(max_examples=300, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    received=days,
    seat=SEATS,
    early=st.integers(min_value=0, max_value=30),
)
def test_an_establishments_deadline_and_target_bracket_receipt(
    pair: tuple[str, Right], received: date, seat: str | None, early: int
) -> None:
    """In any establishment's calendar: receipt <= target <= due, and the target is a working day
    unless it is the day of receipt or the legal date itself."""
    received = _in_force(pair, received)
    found = deadline(*pair, received, establishment=seat)
    target = found.target(early)
    assert received <= target <= found.due
    assert found.calendar is not None
    assert target in (received, found.due) or found.calendar.is_working_day(target)
