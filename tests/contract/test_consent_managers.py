"""DPDP-CM-1 on SQLite and PostgreSQL: consent artefacts and withdrawals through a consent manager."""

from __future__ import annotations

import json

import pytest

from privault.bootstrap import Container
from privault.core.consent_managers import Artefact
from privault.errors import InvalidInput, NotFound
from privault.services.consent import Holder, current_state, history
from privault.services.consent_managers import record_artefact
from privault.services.tenants import bind_tenant
from privault.services.vault import erase_subject
from tests.fixtures.people import applied_with_person, officer

TENANT = "harbour"  # under the DPDP Act (jurisdiction "in")
PERSON = Holder(subject="in-1")
GRANT = Artefact("CM-REG-0007", "art-42", ("marketing-email", "surveys"))


@pytest.fixture
def c(container: Container) -> Container:
    """The template applied and one harbour subject."""
    return applied_with_person(container, TENANT, "in-1", "fraud-prevention")


def _record(c: Container, artefact: Artefact, tenant: str = TENANT) -> None:
    record_artefact(c.deps, tenant, "api:cm", PERSON, artefact, c.clock.now())


def _granted(c: Container) -> dict[str, bool]:
    state = current_state(c.deps, TENANT, PERSON)
    return {k: e.granted for k, e in state.items()}


def test_an_artefact_is_recorded_per_purpose_naming_its_manager_and_id(c: Container) -> None:
    """One event per purpose, method consent_manager, the manager and the artefact id as evidence."""
    _record(c, GRANT)
    assert _granted(c) == {"purpose:marketing-email": True, "purpose:surveys": True}
    events = history(c.deps, TENANT, PERSON)
    assert {e.method for e in events} == {"consent_manager"}
    assert all(
        json.loads(e.evidence) == {"artefact_id": "art-42", "consent_manager": "CM-REG-0007"}
        for e in events
    )


def test_a_withdrawal_through_the_manager_withdraws_every_purpose_of_the_artefact(
    c: Container,
) -> None:
    """DPDP Act s.6(7): naming the artefact alone withdraws all it granted."""
    _record(c, GRANT)
    _record(c, Artefact("CM-REG-0007", "art-42", granted=False))
    assert _granted(c) == {"purpose:marketing-email": False, "purpose:surveys": False}


def test_a_withdrawal_of_an_artefact_never_given_is_refused_and_writes_nothing(
    c: Container,
) -> None:
    """Another manager's name, or an unknown id: NotFound, the ledger unchanged."""
    _record(c, GRANT)
    for wrong in (
        Artefact("CM-REG-0008", "art-42", granted=False),
        Artefact("CM-REG-0007", "art-43", granted=False),
    ):
        with pytest.raises(NotFound) as raised:
            _record(c, wrong)
        assert raised.value.code == "consent.artefact_unknown"
    assert len(history(c.deps, TENANT, PERSON)) == 2


def test_an_artefact_must_name_its_manager_id_and_purposes_and_fit_the_tenant(
    c: Container,
) -> None:
    """No manager, no id, no purposes, or a tenant outside the DPDP: InvalidInput."""
    for bad in (
        Artefact("", "art-1", ("surveys",)),
        Artefact("CM-1", "", ("surveys",)),
        Artefact("CM-1", "art-1", ()),
        Artefact("CM 1|x", "art-1", ("surveys",)),
    ):
        with pytest.raises(InvalidInput):
            _record(c, bad)
    with pytest.raises(InvalidInput):
        _record(c, GRANT, tenant="bluewave")


def test_the_artefact_events_outlive_the_person_s_erasure(c: Container) -> None:
    """The ledger keeps what the consent manager passed on (at least the Rules' seven years)."""
    _record(c, GRANT)
    erase_subject(c.deps, officer(c, TENANT), "in-1", "fraud-prevention", "request:1")
    with c.uow() as uow:
        bind_tenant(uow, TENANT)
        kept = uow.consent.events(after_id=0)
    assert sum(1 for e in kept if e.method == "consent_manager") == 2
