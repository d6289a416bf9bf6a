"""The deadline engine: legal clocks counted in the law's own units. Pure; no I/O.

A deadline is computed from the day of receipt, never converted between units:

- **calendar months** (GDPR, UK), counted ICO-style: the day of receipt is day 1 and the deadline is
  the same date in the month the period ends in, or that month's last day if the date does not exist
  there (received 31 January: due 28 or 29 February); a deadline on a weekend or public holiday moves
  to the next working day;
- **calendar days** (CCPA 45, PIPEDA 30, Québec 30, India 90): "N days after receipt" excludes the
  day of receipt (Cal. Civ. Code § 10; Interpretation Act (Canada) s. 27(2); Québec Interpretation
  Act s. 52; General Clauses Act 1897 (India) s. 9), so 45 days from 1 March end on 15 April. No
  moving past a holiday (the stricter reading); the team works to an earlier target date
  (``Deadline.target``);
- **business days** (CCPA 10 and 15, CAN-SPAM 10): Mondays to Fridays that are not public holidays
  of the law's calendar (``holidays``, less the days the law does not count: ``NOT_LEGAL_HOLIDAYS``);
  counted from the day after receipt;
- **hours** (breach notices): elapsed hours from the instant of receipt (or awareness), across a
  change of clocks.

EU laws count in the calendar of the member state where the controller is established (Reg.
1182/71 art. 2(1)), the UK in its nation's (``establishment``: ``IE``, ``DE-BY``, ``GB-SCT``);
without one, the jurisdiction's default calendar.

While the controller waits for the requester (identity, clarification, a fee) the clock stops (UK
Art. 12A): each paused day moves the deadline one day later. One extension is allowed where the law
allows it, with reasons, and only if it is decided before the original deadline. Where several
jurisdictions apply, the earliest deadline wins and every candidate is kept, so the winner is named.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
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
# Countries whose calendar a law counts in when the controller is established there (Reg. 1182/71
# applies in the EU and, through the EEA Agreement, in Iceland, Liechtenstein and Norway).
EEA_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
ESTABLISHMENT_CALENDARS: dict[str, frozenset[str]] = {"eu": EEA_COUNTRIES, "uk": frozenset({"GB"})}
# Days the ``holidays`` package lists that the law's own calendar does not. California counts the
# holidays of Gov. Code § 6700 (Civ. Code §§ 7, 9; Diwali since 2026, Stats. 2025 ch. 358): the day
# after Thanksgiving is a state employees' day off, not a § 6700 holiday, and Susan B. Anthony Day a
# day of commemoration. The § 6700 days the package lacks (Lincoln Day, Lunar New Year, Genocide
# Remembrance Day, Admission Day, Native American Day, Columbus Day) count as working days: fewer
# holidays can only make a date earlier, never later than the law's.
NOT_LEGAL_HOLIDAYS: dict[tuple[str, str | None], frozenset[str]] = {
    ("US", "CA"): frozenset({"Day After Thanksgiving", "Susan B. Anthony Day"}),
}


@cache
def _holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


def _is_holiday(country: str, subdivision: str | None, day: date) -> bool:
    names = _holidays(country, subdivision).get_list(day)
    ignored = NOT_LEGAL_HOLIDAYS.get((country, subdivision), frozenset())
    return any(name not in ignored for name in names)


def parse_establishment(code: str) -> tuple[str, str | None]:
    """``IE`` or ``DE-BY`` as (country, region), refused if ``holidays`` has no such calendar."""
    country, _, region = code.strip().upper().partition("-")
    try:
        _holidays(country, region or None)
    except NotImplementedError:
        raise InvalidInput(
            f"no holiday calendar for establishment '{code}'", code="manifest.invalid"
        ) from None
    return country, region or None


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Weekends and the public holidays of one country (and subdivision)."""

    country: str
    subdivision: str | None = None

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, and not a public holiday."""
        return day.weekday() < 5 and not _is_holiday(self.country, self.subdivision, day)

    def next_working_day(self, day: date) -> date:
        """The day itself if it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    @classmethod
    def of(cls, jurisdiction: Jurisdiction, establishment: str | None = None) -> WorkingCalendar:
        """The calendar a jurisdiction counts in: the controller's establishment's where the law
        counts there (EU: Reg. 1182/71; UK: its nation's), else the jurisdiction's default."""
        if establishment:
            country, region = parse_establishment(establishment)
            if country in ESTABLISHMENT_CALENDARS.get(jurisdiction.key, frozenset()):
                return cls(country, region)
        return cls(jurisdiction.holiday_country, jurisdiction.holiday_subdivision)


def add_months(day: date, months: int) -> date:
    """The same date ``months`` later, or the last day of that month if the date does not exist."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def count(received: date, amount: int, unit: PeriodUnit, calendar: WorkingCalendar) -> date:
    """The last day of a period of ``amount`` ``unit`` after the day of receipt (see module)."""
    if amount < 1:
        raise InvalidInput("a legal period is at least one unit long")
    if unit is PeriodUnit.CALENDAR_MONTHS:
        return calendar.next_working_day(add_months(received, amount))
    if unit is PeriodUnit.CALENDAR_DAYS:
        return received + timedelta(days=amount)
    if unit is PeriodUnit.BUSINESS_DAYS:
        day, counted = received + timedelta(days=1), 0
        while True:
            if calendar.is_working_day(day):
                counted += 1
                if counted == amount:
                    return day
            day += timedelta(days=1)
    raise InvalidInput(f"'{unit.value}' periods end at an instant: use count_hours")


def count_hours(received: datetime, amount: int) -> datetime:
    """The instant ``amount`` elapsed hours after ``received`` (breach clocks), in its time zone:
    across a change of clocks, 72 hours are 72 hours, not the same wall-clock time 3 days later."""
    if received.tzinfo is None:
        raise InvalidInput("an instant needs its time zone")
    return (received.astimezone(UTC) + timedelta(hours=amount)).astimezone(received.tzinfo)


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
    calendar: WorkingCalendar | None = None

    def target(self, days_early: int) -> date:
        """The team's working target: ``days_early`` days before the legal date, then back to a
        working day (never before receipt)."""
        day = self.due - timedelta(days=days_early)
        while day > self.received and self.calendar and not self.calendar.is_working_day(day):
            day -= timedelta(days=1)
        return max(self.received, day)

    def state(self, today: date) -> str:
        """``on_time``, ``due_soon`` (within DUE_SOON_DAYS), ``due_today`` or ``overdue``."""
        if today > self.due:
            return "overdue"
        if today == self.due:
            return "due_today"
        return "due_soon" if (self.due - today).days <= DUE_SOON_DAYS else "on_time"


def _period(jurisdiction: Jurisdiction, right: Right) -> tuple[LegalPeriod, LegalPeriod | None]:
    return RIGHT_PERIODS.get((jurisdiction.key, right)) or jurisdiction.period_for(right)


def counted_from(received: date, period: LegalPeriod) -> date:
    """The day "N days after" which the period ends: the day before receipt where the law counts
    "N days beginning with" receipt (DPA 2018 s.164A(3): receipt is day 1 of 30)."""
    return received - timedelta(days=1) if period.inclusive else received


def check_in_force(jurisdiction: Jurisdiction, right: Right, received: date) -> None:
    """Refuse a right received before the day the law started to grant it (its ``since``)."""
    own = jurisdiction.own_period(right)
    if own is not None and own.since is not None and received < own.since:
        raise PolicyViolation(
            f"{jurisdiction.name} grants the right '{right.value}' only from "
            f"{own.since.isoformat()}",
            code="request.right_unavailable",
        )


def _compute(
    calendar: WorkingCalendar,
    period: LegalPeriod,
    received: date,
    paused_days: int,
) -> date:
    """The period's end, moved by the paused days (before a month's end is moved to a working day)."""
    received = counted_from(received, period)
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
    establishment: str | None = None,
) -> Deadline:
    """The response deadline of one jurisdiction for a request exercising ``right``, in the
    calendar of the controller's ``establishment`` where the law counts there."""
    jurisdiction = JURISDICTIONS.get(jurisdiction_key)
    if jurisdiction is None:
        raise NotFound(f"no jurisdiction '{jurisdiction_key}'", code="jurisdiction.unknown")
    if right not in jurisdiction.rights:
        raise PolicyViolation(
            f"{jurisdiction.name} grants no right '{right.value}'", code="request.right_unavailable"
        )
    check_in_force(jurisdiction, right, received)
    period, extension = _period(jurisdiction, right)
    paused = sum(p.days(today or received) for p in pauses)
    calendar = WorkingCalendar.of(jurisdiction, establishment)
    due = _compute(calendar, period, received, paused)
    return Deadline(
        jurisdiction.key,
        period.rule,
        period,
        received,
        due,
        extension,
        paused_days=paused,
        calendar=calendar,
    )


def acknowledgement(
    jurisdiction_key: str,
    received: date,
    establishment: str | None = None,
    right: Right | None = None,
) -> Deadline | None:
    """When receipt must be confirmed, where the jurisdiction sets such a deadline (for ``right``:
    its own, e.g. a UK complaint's 30 days, else the law's general one)."""
    jurisdiction = JURISDICTIONS[jurisdiction_key]
    own = jurisdiction.own_period(right) if right is not None else None
    if right is not None and right not in jurisdiction.rights:
        return None
    period = own.acknowledge if own and own.acknowledge else ACKNOWLEDGEMENTS.get(jurisdiction_key)
    if period is None:
        return None
    calendar = WorkingCalendar.of(jurisdiction, establishment)
    due = count(counted_from(received, period), period.amount, period.unit, calendar)
    return Deadline(jurisdiction_key, period.rule, period, received, due, None, calendar=calendar)


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
    total = replace(current.period, amount=current.period.amount + current.extension.amount)
    if current.extension.unit is not current.period.unit:  # not in the table today; kept honest
        raise PolicyViolation(
            "the extension is not in the period's unit", code="request.extension_refused"
        )
    calendar = current.calendar or WorkingCalendar.of(JURISDICTIONS[current.jurisdiction])
    due = _compute(calendar, total, current.received, current.paused_days)
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
    establishment: str | None = None,
) -> Strictest:
    """The earliest deadline among the jurisdictions that grant ``right`` (ties: the first given)."""
    stopped = tuple(pauses)
    candidates = tuple(
        deadline(key, right, received, stopped, today, establishment)
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
    establishment: str | None = None,
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
        found = deadline(key, right, local_day(key, received_at), own, today, establishment)
        if extension_reasons is not None and found.extension is not None:
            found = extend(found, found.received, extension_reasons)
        candidates.append(found)
    if not candidates:
        raise _no_right(jurisdictions, right)
    return Strictest(min(candidates, key=lambda c: c.due), tuple(candidates))
