"""GDPR-DPIA-1 in the processing decision, on SQLite and PostgreSQL: no assessment, no processing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.decisions import Decision
from privault.errors import Forbidden
from privault.services import dpias
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.decisions import decide
from privault.services.vault import SubjectView, show_subject, update_subject
from tests.fixtures.people import applied_with_person, officer

PURPOSE = "vulnerability-support"
ACTOR = "staff:alice"
HEALTH = "user.health_and_medical"


@pytest.fixture
def c(container: Container) -> Container:
    """The template applied, one bluewave subject who gave explicit consent to the purpose."""
    applied_with_person(container, "bluewave", "v-1", "customer-service")
    choices = [
        Choice(Kind.PURPOSE, PURPOSE, True),
        Choice(Kind.SPECIAL, f"{PURPOSE}:user.health_and_medical", True),
    ]
    record_choices(
        container.deps,
        "bluewave",
        "test",
        Holder(subject="v-1"),
        choices,
        Evidence(Method.FORM, Via.WEB),
        container.clock.now(),
    )
    return container


def _decide(c: Container) -> Decision:
    return decide(c.deps, "bluewave", "v-1", PURPOSE, at=c.clock.now())


def _approve(c: Container, review_on: date) -> None:
    item = dpias.NewDpia(PURPOSE, "Health notes", "disclosure", "need-to-know", "low")
    added = dpias.add_dpia(c.deps, "bluewave", ACTOR, item)
    dpias.decide_dpia(
        c.deps, "bluewave", ACTOR, added.dpia.id, "approved",
        reviewer="DPO", review_on=review_on,
    )  # fmt: skip


def test_a_purpose_needing_an_assessment_is_denied_until_one_is_approved(c: Container) -> None:
    """Consent alone does not allow it; an approval (seen by a warm cache) does."""
    before = _decide(c)
    assert not before.allowed
    assert [r.rule for r in before.reasons if not r.allowed] == ["GDPR-DPIA-1"]
    _approve(c, c.clock.now().date() + timedelta(days=30))
    after = _decide(c)
    assert after.allowed
    assert "GDPR-DPIA-1" not in {r.rule for r in after.reasons}


def test_processing_stops_again_once_the_assessment_review_date_passes(c: Container) -> None:
    """An approved assessment past its review date no longer counts (GDPR Art. 35(11))."""
    _approve(c, c.clock.now().date() + timedelta(days=2))
    assert _decide(c).allowed
    assert isinstance(c.clock, FixedClock)
    c.clock.at += timedelta(days=3)
    later = _decide(c)
    assert not later.allowed
    assert later.subject_wide_denial() is not None
    assert later.subject_wide_denial().rule == "GDPR-DPIA-1"  # type: ignore[union-attr]


def test_purposes_without_an_assessment_requirement_are_decided_as_before(c: Container) -> None:
    """customer-service needs no assessment: the rule adds nothing to its answer."""
    found = decide(c.deps, "bluewave", "v-1", "customer-service", at=c.clock.now())
    assert found.allowed
    assert "GDPR-DPIA-1" not in {r.rule for r in found.reasons}


def _read(c: Container) -> SubjectView:
    return show_subject(c.deps, officer(c, "bluewave", "agent"), "v-1", PURPOSE)


def test_a_vault_read_for_the_purpose_is_refused_until_the_assessment_is_approved(
    c: Container,
) -> None:
    """The vault asks the same rule: everything withheld (Forbidden, naming it), then readable."""
    note = {"data": {HEALTH: "hearing aid"}, "source": "agent-call", "purpose": PURPOSE}
    update_subject(c.deps, officer(c, "bluewave", "agent"), "v-1", note)
    with pytest.raises(Forbidden) as refused:
        _read(c)
    assert "GDPR-DPIA-1" in str(refused.value)
    _approve(c, c.clock.now().date() + timedelta(days=30))
    assert HEALTH in _read(c).data
