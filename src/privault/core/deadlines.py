"""The deadline engine: legal clocks counted in the law's own units. Pure; no I/O.

A deadline is computed from the day of receipt, never converted between units:

- **calendar months** (GDPR, UK), counted ICO-style: the day of receipt is day 1 and the deadline is
  the same date in the month the period ends in, or that month's last day if the date does not exist
  there (received 31 January: due 28 or 29 February); a deadline on a weekend or public holiday moves
  to the next working day;
- **calendar days** (CCPA 45, PIPEDA 30, Québec 30, India 90): the day of receipt is day 1, so 45
  days from 1 March end on 14 April. No moving: the law does not provide for it, and this is the
  stricter reading;
- **business days** (CCPA 10 and 15, CAN-SPAM 10): Mondays to Fridays that are not public holidays
  of the jurisdiction's calendar (``holidays``); the day of receipt is day 1 when it is one;
- **hours** (breach notices): from the instant of receipt (or awareness).

While the controller waits for the requester (identity, clarification, a fee) the clock stops (UK
Art. 12A): each paused day moves the deadline one day later. One extension is allowed where the law
allows it, with reasons, and only if it is decided before the original deadline. Where several
jurisdictions apply, the earliest deadline wins and every candidate is kept, so the winner is named.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from privault.core.jurisdictions import JURISDICTIONS, Jurisdiction, LegalPeriod, PeriodUnit, Right
from privault.errors import InvalidInput, NotFound, PolicyViolation

# Periods that differ from a jurisdiction's general response period, by right (RULES.md).
RIGHT_PERIODS: dict[tuple[str, Right], tuple[LegalPeriod, LegalPeriod | None]] = {
    ("us-ca", Right.OPT_OUT_SALE): (LegalPeriod(15, PeriodUnit.BUSINESS_DAYS, "CCPA-OO-1"), None),
    ("us-ca", Right.LIMIT_SENSITIVE): (
        LegalPeriod(15, PeriodUnit.BUSINESS_DAYS, "CCPA-LIM-1"),
        None,
    ),
}
# Acknowledgement of receipt, where the law sets one (CCPA §7021(a): 10 business days).
ACKNOWLEDGEMENTS: dict[str, LegalPeriod] = {
    "us-ca": LegalPeriod(10, PeriodUnit.BUSINESS_DAYS, "CCPA-ACK-1"),
}
DUE_SOON_DAYS = 7


@cache
def _holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Weekends and the public holidays of one country (and subdivision)."""

    country: str
    subdivision: str | None = None

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, and not a public holiday."""
        return day.weekday() < 5 and day not in _holidays(self.country, self.subdivision)

    def next_working_day(self, day: date) -> date:
        """The day itself if it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    @classmethod
    def of(cls, jurisdiction: Jurisdiction) -> WorkingCalendar:
        """The calendar a jurisdiction counts in."""
        return cls(jurisdiction.holiday_country, jurisdiction.holiday_subdivision)


def add_months(day: date, months: int) -> date:
    """The same date ``months`` later, or the last day of that month if the date does not exist."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def count(received: date, amount: int, unit: PeriodUnit, calendar: WorkingCalendar) -> date:
    """The last day of a period of ``amount`` ``unit`` starting on the day of receipt (see module)."""
    if amount < 1:
        raise InvalidInput("a legal period is at least one unit long")
    if unit is PeriodUnit.CALENDAR_MONTHS:
        return calendar.next_working_day(add_months(received, amount))
    if unit is PeriodUnit.CALENDAR_DAYS:
        return received + timedelta(days=amount - 1)
    if unit is PeriodUnit.BUSINESS_DAYS:
        day, counted = received, 0
        while True:
            if calendar.is_working_day(day):
                counted += 1
                if counted == amount:
                    return day
            day += timedelta(days=1)
    raise InvalidInput(f"'{unit.value}' periods end at an instant: use count_hours")


def count_hours(received: datetime, amount: int) -> datetime:
    """The instant ``amount`` hours after ``received`` (breach clocks)."""
    if received.tzinfo is None:
        raise InvalidInput("an instant needs its time zone")
    return received + timedelta(hours=amount)


@dataclass(frozen=True, slots=True)
class Pause:
    """The clock stopped from ``start`` until ``end`` (None: still stopped), waiting for the requester."""

    start: date
    end: date | None
    reason: str

    def days(self, today: date) -> int:
        """Whole days the clock stood still (a pause begun and ended on one day costs none)."""
        return max(0, ((self.end or today) - self.start).days)


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a request must be answered under one rule, and how that date came about."""

    jurisdiction: str
    rule: str
    period: LegalPeriod
    received: date
    due: date
    extension: LegalPeriod | None
    extended: bool = False
    extension_reasons: str = ""
    paused_days: int = 0

    def state(self, today: date) -> str:
        """``on_time``, ``due_soon`` (within DUE_SOON_DAYS), ``due_today`` or ``overdue``."""
        if today > self.due:
            return "overdue"
        if today == self.due:
            return "due_today"
        return "due_soon" if (self.due - today).days <= DUE_SOON_DAYS else "on_time"


def _period(jurisdiction: Jurisdiction, right: Right) -> tuple[LegalPeriod, LegalPeriod | None]:
    return RIGHT_PERIODS.get(
        (jurisdiction.key, right), (jurisdiction.response, jurisdiction.extension)
    )


def _compute(
    jurisdiction: Jurisdiction,
    period: LegalPeriod,
    received: date,
    paused_days: int,
) -> date:
    """The period's end, moved by the paused days (before a month's end is moved to a working day)."""
    calendar = WorkingCalendar.of(jurisdiction)
    pause = timedelta(days=paused_days)
    if period.unit is PeriodUnit.CALENDAR_MONTHS:
        return calendar.next_working_day(add_months(received, period.amount) + pause)
    due = count(received, period.amount, period.unit, calendar) + pause
    return calendar.next_working_day(due) if period.unit is PeriodUnit.BUSINESS_DAYS else due


def deadline(
    jurisdiction_key: str,
    right: Right,
    received: date,
    pauses: Iterable[Pause] = (),
    today: date | None = None,
) -> Deadline:
    """The response deadline of one jurisdiction for a request exercising ``right``."""
    jurisdiction = JURISDICTIONS.get(jurisdiction_key)
    if jurisdiction is None:
        raise NotFound(f"no jurisdiction '{jurisdiction_key}'", code="jurisdiction.unknown")
    if right not in jurisdiction.rights:
        raise PolicyViolation(
            f"{jurisdiction.name} grants no right '{right.value}'", code="request.right_unavailable"
        )
    period, extension = _period(jurisdiction, right)
    paused = sum(p.days(today or received) for p in pauses)
    due = _compute(jurisdiction, period, received, paused)
    return Deadline(
        jurisdiction.key, period.rule, period, received, due, extension, paused_days=paused
    )


def acknowledgement(jurisdiction_key: str, received: date) -> Deadline | None:
    """When receipt must be confirmed, where the jurisdiction sets such a deadline."""
    period = ACKNOWLEDGEMENTS.get(jurisdiction_key)
    if period is None:
        return None
    jurisdiction = JURISDICTIONS[jurisdiction_key]
    due = count(received, period.amount, period.unit, WorkingCalendar.of(jurisdiction))
    return Deadline(jurisdiction_key, period.rule, period, received, due, None)


def extend(current: Deadline, decided_on: date, reasons: str) -> Deadline:
    """The deadline after the one extension the law allows: reasons required, decided (and told to
    the requester) no later than the original deadline."""
    if current.extension is None:
        raise PolicyViolation(
            f"{current.rule} allows no extension", code="request.extension_refused"
        )
    if current.extended:
        raise PolicyViolation(
            "the deadline was already extended once", code="request.extension_refused"
        )
    if not reasons.strip():
        raise InvalidInput(
            "an extension needs its reasons, told to the requester",
            code="request.extension_refused",
        )
    if decided_on > current.due:
        raise PolicyViolation(
            f"too late to extend: the deadline was {current.due.isoformat()}",
            code="request.extension_refused",
        )
    total = LegalPeriod(
        current.period.amount + current.extension.amount, current.period.unit, current.period.rule
    )
    if current.extension.unit is not current.period.unit:  # not in the table today; kept honest
        raise PolicyViolation(
            "the extension is not in the period's unit", code="request.extension_refused"
        )
    due = _compute(
        JURISDICTIONS[current.jurisdiction], total, current.received, current.paused_days
    )
    return replace(current, due=due, extended=True, extension_reasons=reasons.strip())


def _no_right(jurisdictions: Sequence[str], right: Right) -> PolicyViolation:
    names = [JURISDICTIONS[k].name if k in JURISDICTIONS else k for k in jurisdictions]
    return PolicyViolation(
        f"the right '{right.value}' is not granted under {' or '.join(names) or 'any jurisdiction'}",
        code="request.right_unavailable",
    )


@dataclass(frozen=True, slots=True)
class Strictest:
    """The deadline that applies (the earliest), and every candidate it was chosen from."""

    winner: Deadline
    candidates: tuple[Deadline, ...]

    @property
    def explanation(self) -> str:
        """Which rule won, over which others."""
        others = ", ".join(
            f"{c.rule} ({c.jurisdiction}) {c.due.isoformat()}"
            for c in self.candidates
            if c is not self.winner
        )
        won = f"{self.winner.rule} ({self.winner.jurisdiction}) {self.winner.due.isoformat()}"
        return f"{won} is the earliest" + (f"; also considered: {others}" if others else "")


def strictest(
    jurisdictions: Sequence[str],
    right: Right,
    received: date,
    pauses: Iterable[Pause] = (),
    today: date | None = None,
) -> Strictest:
    """The earliest deadline among the jurisdictions that grant ``right`` (ties: the first given)."""
    stopped = tuple(pauses)
    candidates = tuple(
        deadline(key, right, received, stopped, today)
        for key in jurisdictions
        if key in JURISDICTIONS and right in JURISDICTIONS[key].rights
    )
    if not candidates:
        raise _no_right(jurisdictions, right)
    winner = min(candidates, key=lambda c: c.due)
    return Strictest(winner, candidates)


def local_day(jurisdiction_key: str, instant: datetime) -> date:
    """The date an instant falls on where the jurisdiction counts (a request sent at 23:30 in
    California on 1 March arrives on 1 March there, though it is 2 March in UTC)."""
    if instant.tzinfo is None:
        raise InvalidInput("an instant needs its time zone")
    jurisdiction = JURISDICTIONS.get(jurisdiction_key)
    zone = ZoneInfo(jurisdiction.timezone if jurisdiction else "UTC")
    return instant.astimezone(zone).date()


def applicable(
    jurisdictions: Sequence[str],
    right: Right,
    received_at: datetime,
    pauses: Iterable[Pause] = (),
    today: date | None = None,
    extension_reasons: str | None = None,
) -> Strictest:
    """The deadline that applies now: every jurisdiction counts from its own day of receipt, pauses
    stop only the clocks of laws that allow it (UK Art. 12A; the EU follows the EDPB's reading),
    an extension (``extension_reasons`` given) lengthens only the periods whose law allows one, and
    the earliest resulting date wins."""
    stopped = tuple(pauses)
    candidates = []
    for key in jurisdictions:
        jurisdiction = JURISDICTIONS.get(key)
        if jurisdiction is None or right not in jurisdiction.rights:
            continue
        own = stopped if jurisdiction.stop_the_clock else ()
        found = deadline(key, right, local_day(key, received_at), own, today)
        if extension_reasons is not None and found.extension is not None:
            found = extend(found, found.received, extension_reasons)
        candidates.append(found)
    if not candidates:
        raise _no_right(jurisdictions, right)
    return Strictest(min(candidates, key=lambda c: c.due), tuple(candidates))
