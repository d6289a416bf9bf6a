"""CCPA-OI-1 on SQLite and PostgreSQL: no re-ask within 12 months of an opt-out, and a two-step opt-in."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from privault.bootstrap import Container
from privault.core.consent import Choice, Kind, Method, Via
from privault.errors import Conflict, Forbidden, PolicyViolation
from privault.services.consent import Evidence, Holder, current_state, history, record_choices
from privault.services.cookies import cookie_status
from privault.services.opt_in import confirm_sale_opt_in, request_sale_opt_in
from tests.fixtures.people import applied_with_person

WEB = Evidence(Method.FORM, Via.WEB)
SUBJECT = Holder(subject="oi-1")
VISITOR = Holder(visitor="visitor-oioioioioioioioi")
OPT_OUT = [Choice(Kind.SALE_SHARING, "*", False)]
OPT_IN = [Choice(Kind.SALE_SHARING, "*", True)]


@pytest.fixture
def c(container: Container) -> Container:
    """The template applied and one bluewave subject (a CCPA tenant)."""
    return applied_with_person(container, "bluewave", "oi-1", "customer-service")


def _record(c: Container, holder: Holder, choices: list[Choice]) -> None:
    record_choices(c.deps, "bluewave", "test", holder, choices, WEB, c.clock.now())


def _request(c: Container, holder: Holder, *, consumer: bool) -> str:
    return request_sale_opt_in(
        c.deps, "bluewave", "test", holder, WEB, consumer_initiated=consumer
    ).token


def _confirm(c: Container, token: str) -> None:
    confirm_sale_opt_in(c.deps, "bluewave", "test", token, WEB)


def _sale(c: Container, holder: Holder) -> bool | None:
    entry = current_state(c.deps, "bluewave", holder).get("sale_sharing:*")
    return None if entry is None else entry.granted


def test_a_one_step_opt_in_after_an_opt_out_is_refused_and_writes_nothing(c: Container) -> None:
    """11 CCR 7028(a): a plain grant after an opt-out is refused; the opt-out stands."""
    _record(c, SUBJECT, OPT_OUT)
    with pytest.raises(PolicyViolation) as raised:
        _record(c, SUBJECT, OPT_IN)
    assert raised.value.code == "consent.opt_in_two_step"
    assert _sale(c, SUBJECT) is False
    assert len(history(c.deps, "bluewave", SUBJECT)) == 1


def test_a_consumer_request_then_a_separate_confirmation_opts_back_in(c: Container) -> None:
    """The consumer starts it within the 12 months, confirms later: the grant carries its request."""
    _record(c, SUBJECT, OPT_OUT)
    c.clock.at += timedelta(days=3)  # type: ignore[attr-defined]
    token = _request(c, SUBJECT, consumer=True)
    assert _sale(c, SUBJECT) is False  # a request alone changes nothing
    c.clock.at += timedelta(minutes=5)  # type: ignore[attr-defined]
    _confirm(c, token)
    assert _sale(c, SUBJECT) is True
    last = history(c.deps, "bluewave", SUBJECT)[-1]
    evidence = json.loads(last.evidence)
    assert evidence["opt_in"] == "two_step"
    assert evidence["opt_in_started_by"] == "consumer"


def test_the_business_may_not_ask_within_12_months_of_the_opt_out(c: Container) -> None:
    """Cal. Civ. Code 1798.135(c)(4): refused a day before the 12 months end, taken once they do."""
    start = c.clock.now()
    _record(c, SUBJECT, OPT_OUT)
    c.clock.at = start.replace(year=start.year + 1) - timedelta(days=1)  # type: ignore[attr-defined]
    with pytest.raises(PolicyViolation) as raised:
        _request(c, SUBJECT, consumer=False)
    assert raised.value.code == "consent.opt_in_too_soon"
    c.clock.at = start.replace(year=start.year + 1)  # type: ignore[attr-defined]
    _confirm_later(c, _request(c, SUBJECT, consumer=False))
    assert _sale(c, SUBJECT) is True


def _confirm_later(c: Container, token: str) -> None:
    c.clock.at += timedelta(seconds=30)  # type: ignore[attr-defined]
    _confirm(c, token)


def test_a_confirmation_is_separate_timely_and_unforgeable(c: Container) -> None:
    """Same instant or after 24 hours: expired; altered token: forbidden; nothing is written."""
    _record(c, SUBJECT, OPT_OUT)
    token = _request(c, SUBJECT, consumer=True)
    with pytest.raises(Conflict):
        _confirm(c, token)
    c.clock.at += timedelta(hours=24, seconds=1)  # type: ignore[attr-defined]
    with pytest.raises(Conflict):
        _confirm(c, token)
    with pytest.raises(Forbidden):
        _confirm(c, token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    assert _sale(c, SUBJECT) is False


def test_the_banner_data_says_not_to_ask_for_12_months(c: Container) -> None:
    """The cookie status carries the instant before which the visitor is not asked to opt in."""
    start = c.clock.now()
    _record(c, VISITOR, OPT_OUT)
    held = cookie_status(c.deps, "bluewave", VISITOR.visitor or "", start)
    assert held.sale_opt_in_ask_after == start.replace(year=start.year + 1)
    later = start.replace(year=start.year + 1)
    free = cookie_status(c.deps, "bluewave", VISITOR.visitor or "", later)
    assert free.sale_opt_in_ask_after is None


def test_a_first_opt_in_without_an_earlier_opt_out_needs_no_second_step(c: Container) -> None:
    """Only an opt-back-in is held to two steps: a first grant is recorded as before."""
    _record(c, SUBJECT, OPT_IN)
    assert _sale(c, SUBJECT) is True
