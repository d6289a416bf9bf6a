"""The admin dashboard's figures on SQLite and PostgreSQL (issue #7): requests per type per ISO week,
the median days to close, the open requests overdue or due within a week, and the consent rates.

Requests and choices go through the services with the test's fixed clock moved between them; the
other tenant's requests and choices are there in every test, and never counted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.dashboard import Dashboard
from privault.core.jurisdictions import Right
from privault.core.requests import DenialCode, PauseReason
from privault.errors import InvalidInput
from privault.services.consent import Evidence, Holder, link_visitor, record_choices
from privault.services.dashboard import dashboard
from privault.services.fulfilment import apply_at_once
from privault.services.requests import deny_request, list_requests, open_request, pause_request
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject

STAFF = "staff:alice"
WEB = Evidence(Method.FORM, Via.WEB)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday: ISO week 2026-W10


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied."""
    apply_manifest(container.deps)
    return container


def _at(c: Container, when: datetime) -> None:
    """Move the test's fixed clock."""
    assert isinstance(c.clock, FixedClock)
    c.clock.at = when


def _open(c: Container, when: datetime, kind: str = "access", tenant: str = "bluewave") -> Any:
    """A request of ``kind`` received at ``when`` (California, by e-mail)."""
    _at(c, when)
    body = {"type": kind, "identities": {"email": ["ana@example.com"]}, "jurisdiction": "us-ca"}
    return open_request(c.deps, tenant, body)


def _deny(c: Container, ref: str, when: datetime, tenant: str = "bluewave") -> None:
    """Close a request (withdrawn by the requester) at ``when``."""
    _at(c, when)
    deny_request(c.deps, tenant, ref, STAFF, DenialCode.WITHDRAWN, "Withdrawn, as you asked.")


def _day(year: int, month: int, day: int, hour: int = 18) -> datetime:
    """An instant on that day, the same day in California and in UTC."""
    return datetime(year, month, day, hour, tzinfo=UTC)


def _figures(c: Container, tenant: str = "bluewave", weeks: int = 4) -> Dashboard:
    return dashboard(c.deps, tenant, NOW, weeks)


def _column(figures: Dashboard, right: Right) -> list[int]:
    return [w.counts[right] for w in figures.requests_per_week]


# --- requests per week ---------------------------------------------------------------------------


def test_requests_are_counted_per_type_per_iso_week_with_empty_weeks(c: Container) -> None:
    """Four weeks ending with the current one, oldest first: W08 had none and still shows, a request
    before the window is left out, and so is every request of another tenant."""
    _open(c, _day(2026, 2, 2))  # W06: before the window
    _open(c, _day(2026, 2, 10))
    _open(c, _day(2026, 2, 15))  # Sunday: still W07
    _open(c, _day(2026, 2, 11), "erasure")
    _open(c, _day(2026, 2, 24), "erasure")
    _open(c, _day(2026, 3, 2, 9))  # this week
    _open(c, _day(2026, 2, 17), tenant="northwind")  # another tenant's, in W08

    figures = _figures(c)

    assert (figures.since, figures.until) == (date(2026, 2, 9), date(2026, 3, 8))
    weeks = figures.requests_per_week
    assert [w.label for w in weeks] == ["2026-W07", "2026-W08", "2026-W09", "2026-W10"]
    assert [w.start for w in weeks] == [date(2026, 2, 9) + timedelta(weeks=n) for n in range(4)]
    assert _column(figures, Right.ACCESS) == [2, 0, 0, 1]
    assert _column(figures, Right.ERASURE) == [1, 0, 1, 0]
    assert all(set(w.counts) == set(Right) for w in weeks)
    assert figures.request_types == (Right.ACCESS, Right.ERASURE)
    assert [w.total for w in weeks] == [3, 0, 1, 1]
    assert figures.received == 5
    northwind = _figures(c, "northwind")
    assert [w.total for w in northwind.requests_per_week] == [0, 1, 0, 0]


def test_the_default_window_is_twelve_weeks_ending_with_the_current_one(c: Container) -> None:
    """weeks=12: twelve Mondays, the last one this week's; out of range is refused."""
    weeks = dashboard(c.deps, "bluewave", NOW).requests_per_week
    assert len(weeks) == 12
    assert weeks[-1].start == date(2026, 3, 2)
    assert weeks[0].start == date(2026, 3, 2) - timedelta(weeks=11)
    for bad in (0, 54):
        with pytest.raises(InvalidInput):
            dashboard(c.deps, "bluewave", NOW, bad)


# --- median days to close --------------------------------------------------------------------------


def test_the_median_days_to_close_counts_requests_closed_in_the_window(c: Container) -> None:
    """Access closed after 2, 4 and 9 days, erasure after 3, an opt-out completed after 1: medians
    4, 3 and 1, overall 3. Closed before the window, still open, or another tenant's: left out."""
    for days, start in ((2, 10), (4, 11), (9, 12)):
        opened = _open(c, _day(2026, 2, start))
        _deny(c, opened.ref, _day(2026, 2, start) + timedelta(days=days))
    erasure = _open(c, _day(2026, 2, 16), "erasure")
    _deny(c, erasure.ref, _day(2026, 2, 19))
    opt_out = _open(c, _day(2026, 2, 20), "opt_out_sale")
    _at(c, _day(2026, 2, 21))
    apply_at_once(c.deps, "bluewave", opt_out.ref)  # completed, not denied
    early = _open(c, _day(2026, 1, 5))
    _deny(c, early.ref, _day(2026, 2, 1))  # closed before the window
    _open(c, _day(2026, 2, 10))  # still open
    other = _open(c, _day(2026, 2, 10), tenant="northwind")
    _deny(c, other.ref, _day(2026, 2, 28), "northwind")

    figures = _figures(c)

    assert figures.closed == 5
    assert figures.median_days_to_close == 3.0
    assert figures.median_days_by_type[Right.ACCESS] == 4.0
    assert figures.median_days_by_type[Right.ERASURE] == 3.0
    assert figures.median_days_by_type[Right.OPT_OUT_SALE] == 1.0
    assert figures.median_days_by_type[Right.PORTABILITY] is None
    assert set(figures.median_days_by_type) == set(Right)
    assert _figures(c, "northwind").median_days_to_close == 18.0


def test_an_even_number_of_closures_takes_the_mean_of_the_middle_two(c: Container) -> None:
    """Closed after 2 and 5 days and 12 hours: the median is 3.75 days."""
    for start, taken in ((10, timedelta(days=2)), (11, timedelta(days=5, hours=12))):
        opened = _open(c, _day(2026, 2, start))
        _deny(c, opened.ref, _day(2026, 2, start) + taken)
    assert _figures(c).median_days_to_close == 3.75


# --- deadlines -----------------------------------------------------------------------------------


def test_overdue_and_due_within_a_week_use_the_request_deadlines(c: Container) -> None:
    """At the day after A's due date: A is overdue, B (due tomorrow) is due within 7 days; a closed
    request past its date, a paused one, one due in 11 days and another tenant's overdue one are not
    counted. The queue's own overdue list agrees."""
    start = _day(2026, 1, 10)
    a = _open(c, start)
    b = _open(c, start + timedelta(days=2))
    later = _open(c, start + timedelta(days=12))
    closed = _open(c, start - timedelta(days=3))
    _deny(c, closed.ref, start)
    paused = _open(c, start - timedelta(days=1))
    _at(c, start)
    pause_request(
        c.deps, "bluewave", paused.ref, STAFF, PauseReason.AWAITING_CLARIFICATION, "Which?"
    )
    _open(c, start - timedelta(days=60), tenant="northwind")
    assert b.due_on == a.due_on + timedelta(days=2)  # 45 calendar days each (CCPA)

    now = datetime.combine(a.due_on + timedelta(days=1), datetime.min.time(), UTC) + timedelta(
        hours=20
    )  # midday in California
    figures = dashboard(c.deps, "bluewave", now)

    assert figures.overdue == 1
    assert figures.due_within_7_days == 1
    _at(c, now)
    assert [r.ref for r, _, _ in list_requests(c.deps, "bluewave", overdue=True)] == [a.ref]
    assert later.due_on - (a.due_on + timedelta(days=1)) == timedelta(days=11)
    assert dashboard(c.deps, "northwind", now).overdue == 1


def test_a_request_due_today_is_due_within_a_week_and_not_overdue(c: Container) -> None:
    """On the due date itself: due within 7 days, not overdue; the day after: overdue."""
    opened = _open(c, _day(2026, 1, 10))
    on_the_day = datetime.combine(opened.due_on, datetime.min.time(), UTC) + timedelta(hours=20)
    figures = dashboard(c.deps, "bluewave", on_the_day)
    assert (figures.overdue, figures.due_within_7_days) == (0, 1)
    figures = dashboard(c.deps, "bluewave", on_the_day + timedelta(days=1))
    assert (figures.overdue, figures.due_within_7_days) == (1, 0)


# --- consent rates -------------------------------------------------------------------------------


def _subjects(c: Container, tenant: str, count: int) -> None:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    officer = Principal(tenant_id, tenant, "privacy-officer", "cli", "test")
    for n in range(1, count + 1):
        create_subject(
            c.deps,
            officer,
            {
                "subject": f"s-{n}",
                "identities": {"email": f"s{n}@example.com"},
                "data": {"user.name": f"S{n}"},
                "source": "direct",
                "purpose": "customer-service",
            },
        )


def _choose(
    c: Container, holder: Holder, kind: Kind, scope: str, granted: bool, tenant: str = "bluewave"
) -> None:
    """One choice, a minute after the previous one."""
    _at(c, c.clock.now() + timedelta(minutes=1))
    choice = [Choice(kind, scope, granted)]
    record_choices(c.deps, tenant, "test", holder, choice, WEB, c.clock.now())


def _visitor(letter: str) -> Holder:
    return Holder(visitor=f"visitor-{letter * 16}")


def test_consent_rates_count_each_persons_latest_choice(c: Container) -> None:
    """Purpose marketing-sms: s-1 granted then withdrew, s-2 granted, s-3 refused then granted:
    2 granted, 1 refused. Preference cookies: visitor a granted, b granted then withdrew, c granted
    and was linked to s-1 (one person, counted once): 2 of 3. Surveys: s-2 refused: 0 of 1. Nobody
    chose the rest: no rate. Northwind's visitor is not counted."""
    _subjects(c, "bluewave", 3)
    sms = (Kind.PURPOSE, "marketing-sms")
    _choose(c, Holder(subject="s-1"), *sms, True)
    _choose(c, Holder(subject="s-2"), *sms, True)
    _choose(c, Holder(subject="s-3"), *sms, False)
    _choose(c, Holder(subject="s-1"), *sms, False)
    _choose(c, Holder(subject="s-3"), *sms, True)
    cookie = (Kind.COOKIE, "preference")
    _choose(c, _visitor("a"), *cookie, True)
    _choose(c, _visitor("b"), *cookie, True)
    _choose(c, _visitor("b"), *cookie, False)
    _choose(c, _visitor("c"), *cookie, True)
    visitor = _visitor("c").visitor
    assert visitor is not None
    link_visitor(c.deps, "bluewave", "test", visitor, "s-1", WEB, c.clock.now())
    _choose(c, Holder(subject="s-2"), Kind.PURPOSE, "surveys", False)
    _choose(c, Holder(subject="s-2"), Kind.MARKETING, "*:*", False)  # not a reported topic
    _choose(c, _visitor("d"), *cookie, True, "northwind")

    rates = {(r.kind, r.key): r for r in _figures(c).consent_rates}

    assert set(rates) == {
        (Kind.COOKIE, "preference"),
        (Kind.PURPOSE, "marketing-sms"),
        (Kind.PURPOSE, "marketing-phone"),
        (Kind.PURPOSE, "cpni-marketing"),
        (Kind.PURPOSE, "surveys"),
        (Kind.PURPOSE, "vulnerability-support"),
    }
    sms_rate = rates[(Kind.PURPOSE, "marketing-sms")]
    assert (sms_rate.granted, sms_rate.refused, sms_rate.decided) == (2, 1, 3)
    assert sms_rate.rate == pytest.approx(2 / 3)
    preference = rates[(Kind.COOKIE, "preference")]
    assert (preference.granted, preference.refused) == (2, 1)
    assert preference.name == "Preferences"
    surveys = rates[(Kind.PURPOSE, "surveys")]
    assert (surveys.granted, surveys.refused, surveys.rate) == (0, 1, 0.0)
    phone = rates[(Kind.PURPOSE, "marketing-phone")]
    assert (phone.granted, phone.refused, phone.rate) == (0, 0, None)


def test_cookie_categories_of_purposes_are_reported_once_as_cookies(c: Container) -> None:
    """Northwind offers every category: statistics and marketing cookies are reported as cookie
    categories, and the purposes that rest on them (web-analytics, targeted-ads) are not repeated;
    strictly necessary cookies need no consent and are not reported."""
    _choose(c, _visitor("e"), Kind.COOKIE, "statistics", True, "northwind")
    _choose(c, _visitor("f"), Kind.COOKIE, "statistics", False, "northwind")
    rates = _figures(c, "northwind").consent_rates
    keys = [(r.kind, r.key) for r in rates]
    assert keys[:3] == [
        (Kind.COOKIE, "preference"),
        (Kind.COOKIE, "statistics"),
        (Kind.COOKIE, "marketing"),
    ]
    assert (Kind.PURPOSE, "web-analytics") not in keys
    assert (Kind.PURPOSE, "targeted-ads") not in keys
    statistics = next(r for r in rates if r.key == "statistics")
    assert (statistics.granted, statistics.refused, statistics.rate) == (1, 1, 0.5)


# --- nothing yet ---------------------------------------------------------------------------------


def test_a_tenant_with_nothing_yet_has_zeros_and_no_medians_or_rates(c: Container) -> None:
    """No requests, no choices: every week zero, no median, nothing overdue, no rate."""
    figures = _figures(c)
    assert [w.total for w in figures.requests_per_week] == [0, 0, 0, 0]
    assert figures.request_types == ()
    assert figures.median_days_to_close is None
    assert all(v is None for v in figures.median_days_by_type.values())
    assert (figures.closed, figures.overdue, figures.due_within_7_days) == (0, 0, 0)
    assert figures.consent_rates
    assert all(r.rate is None and r.decided == 0 for r in figures.consent_rates)
