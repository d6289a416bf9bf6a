"""The admin dashboard's figures, computed from grouped counts (pure: no I/O).

Storage answers three set-based questions (requests received per type and day, requests closed with
their two instants, and the people whose current consent answer on a topic is yes or no); this module
turns the answers into what the dashboard shows: one count per ISO week and request type (empty weeks
and types included), the median days from receipt to closing, and per consent topic the share of
people who granted it among those who answered.

Weeks are ISO weeks (Monday to Sunday). A request counts in the week of ``received_on``, the day of
receipt its legal clock counts from; a request counts as closed in the window when its ``closed_at``
(completed or denied) falls between the first Monday and the Monday after the last week, in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

from privault.core.consent import Kind, topic
from privault.core.jurisdictions import Right
from privault.core.manifest.model import CookieCategoryKey, LawfulBasis
from privault.core.manifest.resolve import TenantView
from privault.errors import InvalidInput

WEEKS_MAX = 53
_DAY_SECONDS = 86_400


# --- what storage answers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeDayCount:
    """Requests of one type received on one day."""

    type: str
    day: date
    requests: int


@dataclass(frozen=True, slots=True)
class Closure:
    """A request closed (completed or denied): its type, when it arrived and when it was closed."""

    type: str
    received_at: datetime
    closed_at: datetime


@dataclass(frozen=True, slots=True)
class TopicCount:
    """How many people's current answer on a topic ("kind:scope") is ``granted``."""

    topic: str
    granted: bool
    people: int


# --- what the dashboard shows --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Week:
    """Requests received in one ISO week, per type (every type, zero included)."""

    start: date  # the Monday
    counts: dict[Right, int]

    @property
    def label(self) -> str:
        """The ISO week, e.g. ``2026-W10``."""
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def total(self) -> int:
        """Requests of every type."""
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class ConsentTopic:
    """A consent topic the dashboard reports: a cookie category or a consent-based purpose."""

    kind: Kind
    key: str
    name: str

    @property
    def topic(self) -> str:
        """The state key (``cookie:statistics``, ``purpose:surveys``)."""
        return topic(self.kind, self.key)


@dataclass(frozen=True, slots=True)
class ConsentRate:
    """Among the people with a current answer on a topic, how many granted and how many refused or
    withdrew (the latest choice counts; people who never answered are not counted)."""

    kind: Kind
    key: str
    name: str
    granted: int
    refused: int

    @property
    def decided(self) -> int:
        """People with a current answer."""
        return self.granted + self.refused

    @property
    def rate(self) -> float | None:
        """The share that granted, 0 to 1 (None: nobody answered)."""
        return granted_share(self.granted, self.refused)


def granted_share(granted: int, refused: int) -> float | None:
    """granted / (granted + refused), 0 to 1; None when nobody answered."""
    decided = granted + refused
    return granted / decided if decided else None


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The admin dashboard's figures for one tenant at one instant (counts only: nobody is named)."""

    since: date  # the Monday of the first week
    until: date  # the Sunday of the last week (the current one)
    requests_per_week: tuple[Week, ...]  # oldest first
    median_days_to_close: float | None  # over every request closed in the window
    median_days_by_type: dict[Right, float | None]  # every type; None: none closed
    closed: int  # requests closed in the window
    overdue: int  # open requests past their due date now
    due_within_7_days: int  # open requests due today or within the next 7 days
    consent_rates: tuple[ConsentRate, ...]
    # CCPA-PP-1: the privacy notice's review (current, review_soon, overdue or unpublished), the day
    # the next version is due, and the purposes marked for re-consent (purpose -> marking version).
    notice_state: str = "unpublished"
    notice_review_due: date | None = None
    reconsent: tuple[tuple[str, str], ...] = ()

    @property
    def request_types(self) -> tuple[Right, ...]:
        """The types received at least once in the window (in the order of ``Right``)."""
        return tuple(r for r in Right if any(w.counts[r] for w in self.requests_per_week))

    @property
    def received(self) -> int:
        """Requests received in the window."""
        return sum(w.total for w in self.requests_per_week)


# --- the rules ------------------------------------------------------------------------------------


def check_weeks(weeks: int) -> int:
    """The dashboard shows 1 to 53 weeks."""
    if not 1 <= weeks <= WEEKS_MAX:
        raise InvalidInput(f"weeks is 1 to {WEEKS_MAX}")
    return weeks


def week_window(now: datetime, weeks: int) -> tuple[date, date]:
    """The Monday of the first of the last ``weeks`` ISO weeks (the current one included, by the UTC
    date of ``now``) and the Monday after the current week (excluded)."""
    today = now.astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=check_weeks(weeks) - 1), monday + timedelta(weeks=1)


def midnight(day: date) -> datetime:
    """The instant a UTC day starts."""
    return datetime.combine(day, time(), UTC)


def per_week(since: date, weeks: int, found: Iterable[TypeDayCount]) -> tuple[Week, ...]:
    """One count per week and type, oldest first; empty weeks and types count zero (a type storage
    holds that is not a known right is left out)."""
    counts = [dict.fromkeys(Right, 0) for _ in range(weeks)]
    known = {r.value: r for r in Right}
    for row in found:
        index = (row.day - since).days // 7
        if row.type in known and 0 <= index < weeks:
            counts[index][known[row.type]] += row.requests
    return tuple(Week(since + timedelta(weeks=i), c) for i, c in enumerate(counts))


def days_to_close(closure: Closure) -> float:
    """Days (with their fraction) from receipt to closing."""
    return (closure.closed_at - closure.received_at).total_seconds() / _DAY_SECONDS


def _median(values: Sequence[float]) -> float | None:
    return float(median(values)) if values else None


def medians(closures: Sequence[Closure]) -> tuple[float | None, dict[Right, float | None]]:
    """The median days to close over every closure, and per type (None where none closed)."""
    by_type: dict[Right, list[float]] = {r: [] for r in Right}
    for closure in closures:
        if closure.type in by_type:
            by_type[Right(closure.type)].append(days_to_close(closure))
    overall = _median([days_to_close(c) for c in closures])
    return overall, {r: _median(v) for r, v in by_type.items()}


def consent_topics(view: TenantView) -> tuple[ConsentTopic, ...]:
    """What the consent rates cover: each cookie category the tenant offers (strictly necessary
    cookies need no consent), then each purpose resting on consent whose consent is its own
    ``purpose:`` choice (a purpose tied to a cookie category is answered by that category's choice)."""
    cookies = [
        ConsentTopic(Kind.COOKIE, c.key.value, c.name)
        for c in view.cookie_categories
        if c.key is not CookieCategoryKey.NECESSARY
    ]
    purposes = [
        ConsentTopic(Kind.PURPOSE, p.key, p.name)
        for p in view.purposes
        if p.lawful_basis is LawfulBasis.CONSENT and p.cookie_category is None
    ]
    return (*cookies, *purposes)


def rates(topics: Sequence[ConsentTopic], found: Iterable[TopicCount]) -> tuple[ConsentRate, ...]:
    """Granted and refused counts per topic, in the order of ``topics`` (zero where none)."""
    counts = {(c.topic, c.granted): c.people for c in found}
    return tuple(
        ConsentRate(
            t.kind, t.key, t.name, counts.get((t.topic, True), 0), counts.get((t.topic, False), 0)
        )
        for t in topics
    )
