"""COPPA-1 at disclosure, on SQLite and PostgreSQL: a separate parental consent for third parties."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.disclosures import Disclosed, disclose
from privault.services.restrictions import restrict_processing
from privault.services.vault_import import create_subject
from tests.fixtures.people import applied_with_person, officer

DOB = "user.demographic.date_of_birth"
PURPOSE = "customer-service"
PARENT = Evidence(Method.FORM, Via.POST, shown="signed parental consent form")


@pytest.fixture
def c(container: Container) -> Container:
    """The template applied, on a day the amended rule is in force, with a child and an adult."""
    assert isinstance(container.clock, FixedClock)
    container.clock.at = datetime(2026, 5, 4, 10, tzinfo=UTC)
    consent = {"method": "signed_form", "reference": "f-1"}  # to collection only
    applied_with_person(  # fraud-prevention collects the date of birth
        container, "bluewave", "kid-1", "fraud-prevention", data=_data(date(2016, 1, 1)),
        parental_consent=consent,
    )  # fmt: skip
    raw = {
        "subject": "adult-1",
        "identities": {"email": "adult-1@example.com"},
        "data": _data(date(1990, 1, 1)),
        "source": "direct",
        "purpose": "fraud-prevention",
    }
    create_subject(container.deps, officer(container, "bluewave"), raw)
    return container


def _data(born: date) -> dict[str, str]:
    return {"user.name": "P", "cc.account.number": "ACC-1", DOB: born.isoformat()}


def _disclose(c: Container, recipient: str = "carrier-partner") -> Disclosed:
    principal = officer(c, "bluewave")
    return disclose(c.deps, principal, recipient, ["kid-1", "adult-1"], PURPOSE)


def test_a_child_is_not_disclosed_to_a_third_party_on_the_collection_consent_alone(
    c: Container,
) -> None:
    """16 CFR 312.5(a)(2): the parent consented to collection only: the child is refused, named."""
    done = _disclose(c)
    assert done.subjects == ("adult-1",)
    [refusal] = done.refused
    assert refusal.subject == "kid-1"
    assert refusal.rule.startswith("COPPA-1:")


def test_the_parent_s_separate_consent_to_disclosure_lets_the_child_s_data_go(c: Container) -> None:
    """A ``parental_disclosure`` grant for the purpose: the child is disclosed too (the
    tenant's own suppression of minors lifted for the test)."""
    choices = [Choice(Kind.PARENTAL_DISCLOSURE, PURPOSE, True)]
    kid, at = Holder(subject="kid-1"), c.clock.now()
    record_choices(c.deps, "bluewave", "t", kid, choices, PARENT, at)
    restrict_processing(
        c.deps, "bluewave", "t", ["kid-1"], None, restricted=False, reference=None,
        evidence=PARENT, informed_otherwise="told the parent by post",
    )  # fmt: skip
    done = _disclose(c)
    assert "COPPA-1" not in " ".join(r.rule for r in done.refused)
    assert "kid-1" in done.subjects


def test_before_the_compliance_date_the_collection_consent_sufficed(c: Container) -> None:
    """Until 2026-04-22 the amended rule did not bind: no COPPA-1 refusal."""
    assert isinstance(c.clock, FixedClock)
    c.clock.at = datetime(2026, 4, 21, 10, tzinfo=UTC)
    done = _disclose(c)
    assert "COPPA-1" not in " ".join(r.rule for r in done.refused)
