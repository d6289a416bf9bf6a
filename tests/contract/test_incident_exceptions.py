"""Exceptions to breach notices on SQLite and PostgreSQL (issue #14): a GDPR Art. 34(3) exception
and its public communication (GDPR-BR-3), a law-enforcement delay of FCC customer notice and its
lifting (FCC-BR-2), each stored with the incident and audited without its text."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.errors import Conflict, InvalidInput, NotFound, PolicyViolation
from privault.http.app import create_app
from privault.services import incident_exceptions, incidents
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.storage import tables as t

ACTOR = "staff:alice"


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied."""
    apply_manifest(container.deps)
    return container


def _open(c: Container, tenant: str, **values: Any) -> str:
    base: dict[str, Any] = {
        "title": "Exposed customer export",
        "aware_at": c.clock.now(),
        "risk": "high",
        "categories": ["user.name"],
        "subjects_affected": 4000,
    }
    base.update(values)
    shown = incidents.open_incident(c.deps, tenant, ACTOR, incidents.NewIncident(**base))
    return shown.incident.ref


def _details(c: Container, tenant: str) -> list[dict[str, Any]]:
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        rows = uow.session.scalars(select(t.AuditEvent.details).order_by(t.AuditEvent.id))
        return [json.loads(r) if isinstance(r, str) else r for r in rows]


def test_a_34_3_c_exception_is_stored_and_the_public_notice_is_due(c: Container) -> None:
    """The exception and its justification are kept with the clock; the audit has the code only;
    the public communication is rendered with the subjects' content and recorded as made."""
    ref = _open(c, "harbour", regimes=["gdpr"])
    shown = incident_exceptions.exempt_subjects(
        c.deps, "harbour", ACTOR, ref, "34(3)(c)", "no contact details for most people"
    )
    subjects = next(k for k in shown.clocks if k.notify == "subjects")
    assert (subjects.exception, subjects.waived) == (
        "34(3)(c)",
        "no contact details for most people",
    )
    stored = incidents.show_incident(c.deps, "harbour", ref)
    public = [i for i, k in enumerate(stored.clocks) if k.notify == "public"]
    assert len(public) == 1
    assert stored.states[public[0]].startswith("due now")
    audit = _details(c, "harbour")[-1]
    assert (audit["change"], audit["exception"]) == ("subjects_exempted", "34(3)(c)")
    assert "contact details" not in json.dumps(audit)
    text = incidents.render_notice(c.deps, "harbour", ref, "public")
    assert "a security incident involving your personal data" in text
    assert ref in text
    done = incidents.notify_incident(c.deps, "harbour", ACTOR, ref, "public")
    assert done.states[public[0]] == "done"


def test_a_bad_exception_changes_nothing(c: Container) -> None:
    """An unknown code is refused and the incident keeps its open subjects' clock."""
    ref = _open(c, "harbour", regimes=["gdpr"])
    with pytest.raises(InvalidInput):
        incident_exceptions.exempt_subjects(c.deps, "harbour", ACTOR, ref, "34(3)(z)", "x")
    shown = incidents.show_incident(c.deps, "harbour", ref)
    assert all(k.waived is None for k in shown.clocks)
    with pytest.raises(NotFound):
        incident_exceptions.exempt_subjects(c.deps, "harbour", ACTOR, "I-NOSUCH22", "34(3)(a)", "x")


def test_a_law_enforcement_delay_holds_fcc_customers_until_lifted(c: Container) -> None:
    """Told law enforcement, the USSS directs a delay; customer notice is refused until the agency
    lifts it; every step is audited."""
    clock = c.clock
    assert isinstance(clock, FixedClock)
    ref = _open(c, "bluewave", regimes=["fcc"])
    incidents.notify_incident(c.deps, "bluewave", ACTOR, ref, "law_enforcement")
    today = clock.now().date()
    delayed = incident_exceptions.delay_customer_notice(
        c.deps,
        "bluewave",
        ACTOR,
        ref,
        directed_on=today,
        until=today + timedelta(days=30),
        reference="USSS direction 2026-041",
    )
    customers = next(k for k in delayed.clocks if k.notify == "subjects")
    assert customers.delayed_until == today + timedelta(days=30)
    clock.at = clock.now() + timedelta(days=3)
    with pytest.raises(PolicyViolation):
        incidents.notify_incident(c.deps, "bluewave", ACTOR, ref, "subjects")
    incident_exceptions.lift_customer_delay(
        c.deps, "bluewave", ACTOR, ref, lifted_on=clock.now().date(), reference="USSS ok"
    )
    told = incidents.notify_incident(c.deps, "bluewave", ACTOR, ref, "subjects")
    assert "done" in told.states
    changes = [d.get("change") for d in _details(c, "bluewave")[-4:]]
    assert changes == ["notified", "customers_delayed", "delay_lifted", "notified"]


def test_a_closed_incident_takes_no_exception_or_delay(c: Container) -> None:
    """Closing ends the changes: both are refused with a conflict."""
    ref = _open(c, "bluewave", regimes=["fcc"])
    incidents.close_incident(c.deps, "bluewave", ACTOR, ref, waive_reason="test")
    with pytest.raises(Conflict):
        incident_exceptions.delay_customer_notice(
            c.deps,
            "bluewave",
            ACTOR,
            ref,
            directed_on=date(2026, 3, 2),
            until=date(2026, 3, 20),
            reference="FBI",
        )


def test_the_api_records_an_exemption_and_a_delay(c: Container) -> None:
    """POST .../exemption (bad codes are 422), the public notice as Markdown, POST .../delay and
    .../delay/lift on Bluewave's FCC incident."""
    app = create_app(c)
    harbour = create_api_key(c.deps, "harbour", "privacy-officer", name="h")
    blue = create_api_key(c.deps, "bluewave", "privacy-officer", name="b")
    ref = _open(c, "harbour", regimes=["gdpr"])
    with TestClient(app, raise_server_exceptions=False) as client:
        auth = {"Authorization": f"Bearer {harbour.token.reveal()}"}
        bad = client.post(f"/v1/incidents/{ref}/exemption", headers=auth,
                          json={"code": "34(3)(z)", "justification": "x"})  # fmt: skip
        assert bad.status_code == 422
        done = client.post(f"/v1/incidents/{ref}/exemption", headers=auth,
                           json={"code": "34(3)(c)", "justification": "no addresses"})  # fmt: skip
        assert done.status_code == 200, done.text
        assert any(k["notify"] == "public" for k in done.json()["clocks"])
        notice = client.get(f"/v1/incidents/{ref}?notice=public", headers=auth)
        assert notice.headers["content-type"].startswith("text/markdown")
        fcc = _open(c, "bluewave", regimes=["fcc"])
        auth = {"Authorization": f"Bearer {blue.token.reveal()}"}
        told = client.post(f"/v1/incidents/{fcc}/notifications", headers=auth,
                           json={"to": "law_enforcement"})  # fmt: skip
        assert told.status_code == 200, told.text
        until = (c.clock.now() + timedelta(days=20)).date().isoformat()
        delayed = client.post(f"/v1/incidents/{fcc}/delay", headers=auth,
                              json={"until": until, "reference": "USSS 9"})  # fmt: skip
        assert delayed.status_code == 200, delayed.text
        customers = next(k for k in delayed.json()["clocks"] if k["notify"] == "subjects")
        assert customers["delayed_until"] == until
        lifted = client.post(f"/v1/incidents/{fcc}/delay/lift", headers=auth,
                             json={"reference": "USSS ok"})  # fmt: skip
        assert lifted.status_code == 200, lifted.text
