"""Retention rules without a database: due dates, the cutoff the sweep queries with, holds, the
contract-end deletion day and the COPPA refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privault.core.deadlines import add_months
from privault.core.manifest import Manifest
from privault.core.manifest.model import Period, RetentionRule
from privault.core.manifest.resolve import EffectivePolicy, tenant_view
from privault.core.retention import (
    Events,
    Hold,
    check_child_collection,
    contract_end_deletion,
    contract_ends_due_by,
    covers,
    due_before,
    due_on,
    due_value,
    holding,
    midnight,
)
from privault.errors import PolicyViolation

UNITS = ("hour", "day", "business day", "week", "month", "year")
periods = st.builds(Period, amount=st.integers(0, 40), unit=st.sampled_from(UNITS))
days = st.dates(date(2000, 1, 1), date(2060, 12, 31))
# Hypothesis takes naive bounds and adds the zone itself.
instants = st.datetimes(
    datetime(2000, 1, 1),  # noqa: DTZ001
    datetime(2060, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=400, deadline=None)
@given(periods, instants, days)
def test_the_cutoff_agrees_with_the_due_date(period: Period, event: datetime, today: date) -> None:
    """The sweep's query (event < cutoff) selects exactly the values due on or before today."""
    assert (event < due_before(period, today)) == (due_on(period, event) <= today)


@settings(max_examples=200, deadline=None)
@given(days, days, st.integers(1, 60))
def test_contract_end_deletion_is_within_the_days_and_the_month(
    end: date, today: date, days_: int
) -> None:
    """Deletion comes no later than the policy's days nor one calendar month; the due query agrees."""
    policy = EffectivePolicy(contract_end_delete_days=days_)
    deletion = contract_end_deletion(end, policy)
    assert end < deletion <= end + timedelta(days=days_)
    assert deletion <= add_months(end, 1)
    assert (end <= contract_ends_due_by(policy, today)) == (deletion <= today)


def test_due_on_examples() -> None:
    """Calendar months clamp; business days skip weekends; hours fall due on the day they end."""
    assert due_on(Period.parse("1 month"), date(2027, 1, 31)) == date(2027, 2, 28)
    assert due_on(Period.parse("1 month"), date(2028, 1, 31)) == date(2028, 2, 29)
    assert due_on(Period.parse("90 days"), datetime(2026, 3, 2, 9, tzinfo=UTC)) == date(2026, 5, 31)
    assert due_on(Period.parse("2 business days"), date(2026, 11, 27)) == date(2026, 12, 1)
    assert due_on(Period.parse("20 hours"), datetime(2026, 3, 2, 9, tzinfo=UTC)) == date(2026, 3, 3)
    assert due_on(Period.parse("7 years"), date(2026, 2, 28)) == date(2033, 2, 28)
    assert due_on(Period(amount=10**6, unit="year"), date(2026, 1, 1)) == date.max


def test_contract_end_on_31_january_is_deleted_on_28_february() -> None:
    """30 days would be 2 March; the month (the seeds' promise) comes first."""
    assert contract_end_deletion(date(2027, 1, 31), EffectivePolicy()) == date(2027, 2, 28)
    assert contract_end_deletion(
        date(2027, 1, 31), EffectivePolicy(contract_end_delete_days=14)
    ) == (date(2027, 2, 14))


def _rule(
    key: str, after: str, period: str, categories: list[str], purposes: list[str]
) -> RetentionRule:
    return RetentionRule.model_validate(
        {
            "key": key,
            "after": after,
            "period": period,
            "categories": categories,
            "purposes": purposes,
        }
    )


def test_a_value_several_rules_cover_waits_for_the_last() -> None:
    """The latest due date wins; an event that has not happened keeps the value."""
    short = _rule("short", "collected", "30 days", ["user.contact"], ["p"])
    long = _rule("long", "collected", "1 year", ["user"], [])
    ended = _rule("ended", "contract_end", "1 month", ["user.contact.email"], ["p"])
    at = datetime(2026, 1, 1, tzinfo=UTC)
    events = Events(at, at, None)
    assert covers(short, "user.contact.email", "p")
    assert not covers(short, "user.contacts", "p")
    assert due_value([short, long], "user.contact.email", "p", events, date(2026, 6, 1)) is None
    found = due_value([short, long], "user.contact.email", "p", events, date(2027, 1, 1))
    assert found is not None
    assert found.rule.key == "long"
    assert due_value([short, ended], "user.contact.email", "p", events, date(2030, 1, 1)) is None
    later = Events(at, at, date(2026, 2, 1))
    assert due_value([short, ended], "user.contact.email", "p", later, date(2026, 3, 1)) is not None


def test_holds_keep_by_subject_tenant_and_category() -> None:
    """Subject holds keep one subject, tenant holds everyone, category holds that category."""
    subject = Hold(1, "subject", 7, None, "A", None, None)
    category = Hold(2, "category", None, "cc.call", "B", None, None)
    assert holding([subject], 7, "user.name") is subject
    assert holding([subject], 8, "user.name") is None
    assert holding([category], 8, "cc.call.transcript") is category
    assert holding([category], 8, None) is None  # a whole subject is not kept by a category hold
    assert holding([Hold(3, "tenant", None, None, "C", None, None)], 8, None) is not None


def test_under_13_without_parental_consent_is_refused(manifest: Manifest) -> None:
    """COPPA §312.5: a child's data needs verified parental consent first; 13 and over is fine."""
    view = tenant_view(manifest, "bluewave")
    today = date(2026, 3, 2)
    child = {"user.demographic.date_of_birth": "2014-03-03"}
    with pytest.raises(PolicyViolation) as refused:
        check_child_collection(view, child, False, today)
    assert refused.value.code == "collection.child_without_consent"
    assert "parental consent" in refused.value.message
    assert "COPPA" in refused.value.message
    check_child_collection(view, child, True, today)
    check_child_collection(view, {"user.demographic.date_of_birth": "2013-03-02"}, False, today)
    check_child_collection(view, {"user.name": "x"}, False, today)


def test_midnight_is_utc() -> None:
    """Days begin at 00:00 UTC."""
    assert midnight(date(2026, 3, 2)) == datetime(2026, 3, 2, tzinfo=UTC)
