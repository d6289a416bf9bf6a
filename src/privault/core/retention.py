"""Retention rules: when a value falls due, what a legal hold keeps, when a whole subject goes. No I/O.

Dates are UTC calendar days and a period counts from the day of its event: a value collected on
2 March under ``90 days`` is due on 31 May and is swept on that day, not the day before. Months and
years are calendar months (``add_months``: 31 January + 1 month = 28 or 29 February); business days
are Mondays to Fridays; hours count from the instant and fall due on the day the last hour ends.

A value several rules cover is kept until the last of them is due (the one whose due date is latest
names it in the report); a value a rule covers whose event has not happened (no contract end yet) or
is not vault data (``request_closed``) is not due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from privault.core.children import collection_age, establishment_of
from privault.core.deadlines import add_months
from privault.core.manifest.model import (
    LawfulBasis,
    Period,
    Purpose,
    RetentionEvent,
    RetentionRule,
)
from privault.core.manifest.resolve import EffectivePolicy, TenantView
from privault.core.taxonomy import is_within
from privault.core.vault import DATE_OF_BIRTH, adult_on
from privault.errors import PolicyViolation

HANDLED_BY_REQUESTS = "handled by request records"
VAULT_EVENTS = (
    RetentionEvent.COLLECTED,
    RetentionEvent.LAST_ACTIVITY,
    RetentionEvent.CONTRACT_END,
)
_SEARCH_DAYS = 400 * 366  # far enough back for any period a manifest can hold


# --- periods -------------------------------------------------------------------------------------


def _add_business_days(day: date, amount: int) -> date:
    """``amount`` Mondays-to-Fridays after ``day`` (weekends do not count)."""
    while amount > 0:
        day += timedelta(days=1)
        amount -= day.weekday() < 5
    return day


def _adders() -> dict[str, Callable[[date, int], date]]:
    return {
        "day": lambda d, n: d + timedelta(days=n),
        "week": lambda d, n: d + timedelta(weeks=n),
        "month": add_months,
        "year": lambda d, n: add_months(d, 12 * n),
        "business day": _add_business_days,
    }


_ADD = _adders()


def midnight(day: date) -> datetime:
    """The first instant of a UTC day."""
    return datetime.combine(day, time(), tzinfo=UTC)


def due_on(period: Period, event: date | datetime) -> date:
    """The day a value whose event happened at ``event`` falls due under ``period``."""
    if period.unit == "hour":
        instant = event if isinstance(event, datetime) else midnight(event)
        try:
            return (instant + timedelta(hours=period.amount)).astimezone(UTC).date()
        except OverflowError:
            return date.max
    day = event.astimezone(UTC).date() if isinstance(event, datetime) else event
    try:
        return _ADD[period.unit](day, period.amount)
    except (OverflowError, ValueError):  # past the calendar's end: never
        return date.max


def _bounded(due: Callable[[date], date]) -> Callable[[date], date]:
    """``due``, with dates past the calendar's end read as never."""

    def safe(day: date) -> date:
        try:
            return due(day)
        except (OverflowError, ValueError):
            return date.max

    return safe


def last_event_day(due: Callable[[date], date], today: date) -> date:
    """The latest event day whose due date (``due``, monotone) is ``today`` or earlier (a day
    before the search window if there is none)."""
    due = _bounded(due)
    low, high = today - timedelta(days=_SEARCH_DAYS), today
    if due(high) <= today:
        return high
    if due(low) > today:
        return low - timedelta(days=1)
    while (high - low).days > 1:
        middle = low + timedelta(days=(high - low).days // 2)
        low, high = (middle, high) if due(middle) <= today else (low, middle)
    return low


def due_before(period: Period, today: date) -> datetime:
    """The instant before which an event makes a value due on ``today``: due iff event < it."""
    tomorrow = midnight(today + timedelta(days=1))
    if period.unit == "hour":
        return tomorrow - timedelta(hours=period.amount)
    return midnight(last_event_day(lambda d: due_on(period, d), today) + timedelta(days=1))


class DataState(StrEnum):
    """What is left of personal information (Québec Law 25, QC-ANON-1). De-identified information no
    longer identifies the person directly but is still personal information (s. 12, para. 4; GDPR
    pseudonymised data, Recital 26); anonymised information irreversibly allows no identification,
    directly or indirectly (s. 23), so it leaves the law's scope; destroyed information is gone."""

    IDENTIFIED = "identified"
    DEIDENTIFIED = "deidentified"
    ANONYMISED = "anonymised"
    DESTROYED = "destroyed"


# What a recipient's transform leaves of the data it receives: pseudonymised data is de-identified.
TRANSFORM_STATES: dict[str, DataState] = {
    "identity": DataState.IDENTIFIED,
    "pseudonymise": DataState.DEIDENTIFIED,
    "aggregate": DataState.ANONYMISED,
    "anonymise": DataState.ANONYMISED,
}


def end_state(rule: RetentionRule) -> DataState:
    """What a rule's action leaves in privault: ``delete`` destroys the value; ``anonymise`` also
    deletes it from the vault (no copy kept from which anyone could be re-identified) and is counted
    as anonymised. De-identification never ends a retention period: the data would still be
    personal information."""
    return DataState.ANONYMISED if rule.action == "anonymise" else DataState.DESTROYED


def anonymisation_record(rule: RetentionRule) -> dict[str, str] | None:
    """The purpose, supervisor and risk analysis an ``anonymise`` rule records (QC-ANON-1)."""
    found = rule.anonymisation
    return (
        found.model_dump(mode="json") if found is not None and rule.action == "anonymise" else None
    )


def why(rule: RetentionRule) -> str:
    """``<period> after <event>``, as the report says it."""
    return f"{rule.period} after {rule.after.value.replace('_', ' ')}"


# --- which rules cover a value -------------------------------------------------------------------


def covers_category(rule: RetentionRule, category: str) -> bool:
    """Whether ``rule`` applies to values of ``category`` for some purpose (an empty list of
    categories covers every one; categories match their descendants)."""
    return not rule.categories or any(is_within(category, c) for c in rule.categories)


def covers(rule: RetentionRule, category: str, purpose: str) -> bool:
    """Whether ``rule`` applies to a value of ``category`` collected for ``purpose`` (an empty list
    of purposes covers every one)."""
    return covers_category(rule, category) and (not rule.purposes or purpose in rule.purposes)


def vault_rules(rules: Iterable[RetentionRule]) -> tuple[RetentionRule, ...]:
    """The rules the vault sweep applies (request records are purged by the requests sweep)."""
    return tuple(r for r in rules if r.after in VAULT_EVENTS)


@dataclass(frozen=True, slots=True)
class Events:
    """What a value's retention counts from."""

    collected: datetime
    last_activity: datetime
    contract_end: date | None

    def of(self, event: RetentionEvent) -> date | datetime | None:
        """The event's date or instant (None: not happened, or not vault data)."""
        return {
            RetentionEvent.COLLECTED: self.collected,
            RetentionEvent.LAST_ACTIVITY: self.last_activity,
            RetentionEvent.CONTRACT_END: self.contract_end,
        }.get(event)


@dataclass(frozen=True, slots=True)
class Due:
    """A value that is due: the rule that names it and the day it fell due."""

    rule: RetentionRule
    on: date


def governing(rules: Sequence[RetentionRule], events: Events) -> Due | None:
    """The rule that decides when a value goes (the latest due date of all rules covering it), or
    None if one of them never falls due for it."""
    found: Due | None = None
    for rule in rules:
        event = events.of(rule.after)
        if event is None:
            return None
        day = due_on(rule.period, event)
        if found is None or day > found.on:
            found = Due(rule, day)
    return found


def due_value(
    rules: Sequence[RetentionRule], category: str, purpose: str, events: Events, today: date
) -> Due | None:
    """The Due of a value on ``today``, or None if it is kept."""
    found = governing([r for r in rules if covers(r, category, purpose)], events)
    return found if found is not None and found.on <= today else None


# --- legal obligations: what an erasure request keeps ---------------------------------------------


def legal_rules(rules: Iterable[RetentionRule]) -> tuple[RetentionRule, ...]:
    """The rules naming the law that requires keeping the data (``law``), for the data the vault and
    the datastores hold (request records, ``request_closed``, are never erased by a request)."""
    return tuple(r for r in rules if r.law and r.after is not RetentionEvent.REQUEST_CLOSED)


def obligation_purposes(rule: RetentionRule, purposes: Iterable[Purpose]) -> tuple[str, ...]:
    """The rule's purposes whose lawful basis is a legal obligation: all that data kept under the
    rule may still be used for (``purposes``: the tenant's)."""
    legal = {p.key for p in purposes if p.lawful_basis is LawfulBasis.LEGAL_OBLIGATION}
    return tuple(k for k in rule.purposes if k in legal)


@dataclass(frozen=True, slots=True)
class Kept:
    """A value a legal obligation keeps from erasure: the rule, and the day its period runs out
    (None: the event it counts from has not happened yet, e.g. the contract has not ended)."""

    rule: RetentionRule
    until: date | None


def kept_by_law(
    rules: Sequence[RetentionRule], category: str, purpose: str, events: Events, today: date
) -> Kept | None:
    """The legal-obligation rule keeping a value from erasure on ``today`` (of several, the one whose
    period runs out last), or None: no such rule covers it, or every period has run. A value
    without a purpose (an identity: ``""``) is kept only by rules naming no purpose."""
    found: Kept | None = None
    for rule in legal_rules(rules):
        if not covers(rule, category, purpose):
            continue
        event = events.of(rule.after)
        if event is None:
            return Kept(rule, None)
        day = due_on(rule.period, event)
        if day > today and (found is None or (found.until is not None and day > found.until)):
            found = Kept(rule, day)
    return found


# --- legal holds ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hold:
    """A legal hold as the rules need it."""

    id: int
    scope: str  # subject | tenant | category
    subject_id: int | None
    category: str | None
    reference: str
    expires_on: date | None
    released_at: datetime | None


HOLD_SCOPES = ("subject", "tenant", "category")


def hold_active(hold: Hold, today: date) -> bool:
    """A hold keeps data until it is released or its expiry day comes."""
    return hold.released_at is None and (hold.expires_on is None or today < hold.expires_on)


def holding(holds: Sequence[Hold], subject_id: int, category: str | None) -> Hold | None:
    """The first active hold that keeps this subject's value of ``category`` (None: whole
    subject, i.e. subject and tenant holds only)."""
    for hold in holds:
        if hold.scope == "tenant" or (hold.scope == "subject" and hold.subject_id == subject_id):
            return hold
        if _category_held(hold, category):
            return hold
    return None


def _category_held(hold: Hold, category: str | None) -> bool:
    if hold.scope != "category" or category is None or hold.category is None:
        return False
    return is_within(category, hold.category)


def held_categories(holds: Sequence[Hold]) -> tuple[str, ...]:
    """The categories category holds keep."""
    return tuple(sorted({h.category for h in holds if h.scope == "category" and h.category}))


# --- whole subjects: contract end and minors ------------------------------------------------------


def contract_end_deletion(contract_end: date, policy: EffectivePolicy) -> date:
    """When a former customer is deleted: ``contract_end_delete_days`` after the contract ends, but
    never later than one calendar month after (the seeds promise both; 31 January -> 28/29 Feb)."""
    month = add_months(contract_end, 1)
    days = policy.contract_end_delete_days
    return min(contract_end + timedelta(days=days), month) if days else month


def contract_ends_due_by(policy: EffectivePolicy, today: date) -> date:
    """The latest contract end whose deletion day is ``today`` or earlier."""
    return last_event_day(lambda d: contract_end_deletion(d, policy), today)


def check_child_collection(
    view: TenantView, data: dict[str, Any], parental: bool, today: date
) -> None:
    """Refuse data about a child without verified parental consent: under 13 (COPPA §312.5), or
    under the age of a law of the tenant's that governs collection itself (Québec s. 4.1: 14; India
    DPDP s. 9(1): 18). The age is the law's, not the manifest's minor age; ``view`` names the tenant
    in the message."""
    born = data.get(DATE_OF_BIRTH)
    if born is None or parental:
        return
    law = collection_age(view.tenant.jurisdictions, establishment_of(view.tenant))
    if today < adult_on(born, law.age):
        raise PolicyViolation(
            f"tenant '{view.tenant.key}' may not collect data about a child under {law.age} "
            f"without verified parental consent: parental consent is needed first ({law.rule}: "
            f"{law.law})",
            code="collection.child_without_consent",
        )
