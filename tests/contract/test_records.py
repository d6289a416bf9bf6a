"""Records on SQLite and PostgreSQL (issue #6): the ROPA with what the vault actually holds and what
was disclosed, the DPIA register, the incident register with its clocks, notices, and the HTTP API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from privault.api.routes.records import router
from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.errors import Conflict, InvalidInput, NotFound, PolicyViolation
from privault.http.app import create_app
from privault.services import dpias, incidents
from privault.services.api_keys import create_api_key
from privault.services.ropa import export_ropa
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject
from privault.storage import tables as t

ACTOR = "staff:alice"


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied."""
    apply_manifest(container.deps)
    return container


def _clock(c: Container) -> FixedClock:
    assert isinstance(c.clock, FixedClock)
    return c.clock


def _subject(c: Container, tenant: str, ref: str, purpose: str, data: dict[str, str]) -> None:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    officer = Principal(tenant_id, tenant, "privacy-officer", "cli", "test")
    raw = {
        "subject": ref,
        "identities": {"email": f"{ref}@example.com"},
        "data": data,
        "source": "direct",
        "purpose": purpose,
    }
    create_subject(c.deps, officer, raw)


def _export(c: Container, tenant: str, fmt: str = "json") -> Any:
    text = export_ropa(c.deps, tenant, ACTOR, fmt)
    return json.loads(text) if fmt == "json" else text


def _actions(c: Container, tenant: str) -> list[str]:
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        return list(uow.session.scalars(select(t.AuditEvent.action).order_by(t.AuditEvent.id)))


# --- ROPA ---------------------------------------------------------------------------------------


def test_ropa_counts_what_the_vault_holds_per_purpose_and_category(c: Container) -> None:
    """Three billing subjects and one customer-service subject; another tenant's data never counts."""
    for n in range(3):
        _subject(
            c, "bluewave", f"b{n}", "billing", {"user.name": f"N{n}", "cc.account.number": f"{n}"}
        )
    _subject(c, "bluewave", "s0", "customer-service", {"user.name": "S"})
    _subject(c, "northwind", "x0", "billing", {"user.name": "X"})
    data = _export(c, "bluewave")
    purposes = {p["key"]: p for p in data["purposes"]}
    billing = purposes["billing"]
    assert (billing["subjects_held"], billing["values_held"]) == (3, 6)
    assert {h["category"]: (h["subjects"], h["values"]) for h in billing["held"]} == {
        "user.name": (3, 3),
        "cc.account.number": (3, 3),
    }
    assert purposes["customer-service"]["subjects_held"] == 1
    assert purposes["surveys"]["subjects_held"] == 0
    assert data["subjects_held"] == 4
    assert _export(c, "northwind")["subjects_held"] == 1


def test_ropa_reports_disclosures_per_recipient_and_zero_otherwise(c: Container) -> None:
    """Rows of the disclosure register are counted per recipient (another part writes them)."""
    _subject(c, "bluewave", "b0", "billing", {"user.name": "N"})
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        subject_id = uow.session.scalar(select(t.Subject.id))
        assert subject_id is not None
        for batch in ("d1", "d2"):
            uow.session.add(
                t.Disclosure(
                    tenant_id=uow.tenant_id,
                    batch=batch,
                    recipient="payment-processor",
                    subject_id=subject_id,
                    purpose="billing",
                    categories="user.name",
                    actor=ACTOR,
                    at=c.clock.now(),
                )
            )
        uow.commit()
    recipients = {r["key"]: r for r in _export(c, "bluewave")["recipients"]}
    assert (
        recipients["payment-processor"]["disclosures"],
        recipients["payment-processor"]["subjects_disclosed"],
    ) == (2, 1)
    assert recipients["carrier-partner"]["disclosures"] == 0
    csv_text = _export(c, "bluewave", "csv")
    assert csv_text.count("\n") == 1 + 12  # header + one row per bluewave purpose
    assert "<td>2</td>" in _export(c, "bluewave", "html")


def test_ropa_export_is_audited(c: Container) -> None:
    """records:export, with the format, in the tenant's chain."""
    _export(c, "harbour", "csv")
    assert _actions(c, "harbour")[-1] == "records:export"
    with pytest.raises(InvalidInput):
        _export(c, "harbour", "pdf")


# --- DPIAs --------------------------------------------------------------------------------------


def test_dpia_register_flags_until_an_approved_unexpired_dpia(c: Container) -> None:
    """vulnerability-support requires a DPIA: missing, drafted, approved, then expired."""
    assert dpias.missing(c.deps, "bluewave") == [("vulnerability-support", "missing")]
    item = dpias.NewDpia(
        "vulnerability-support", "Health notes", "disclosure", "need-to-know", "low"
    )
    added = dpias.add_dpia(c.deps, "bluewave", ACTOR, item)
    assert added.state == "draft"
    with pytest.raises(InvalidInput):
        dpias.decide_dpia(c.deps, "bluewave", ACTOR, added.dpia.id, "approved", reviewer="DPO")
    with pytest.raises(InvalidInput):
        dpias.decide_dpia(
            c.deps,
            "bluewave",
            ACTOR,
            added.dpia.id,
            "approved",
            reviewer="DPO",
            review_on=date(2027, 3, 1),
            residual_risk="high",
        )
    decided = dpias.decide_dpia(
        c.deps,
        "bluewave",
        ACTOR,
        added.dpia.id,
        "approved",
        reviewer="DPO",
        review_on=date(2027, 3, 1),
    )
    assert decided.state == "approved"
    assert decided.dpia.decided_at == c.clock.now()
    assert dpias.missing(c.deps, "bluewave") == []
    assert _export(c, "bluewave")["dpia_missing"] == []
    _clock(c).at = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
    assert dpias.list_dpias(c.deps, "bluewave")[0].state == "expired"
    assert dpias.missing(c.deps, "bluewave")[0][0] == "vulnerability-support"
    assert _actions(c, "bluewave").count("records:dpia") == 2


def test_dpia_needs_a_purpose_of_the_tenant(c: Container) -> None:
    """recruitment is harbour's, not bluewave's; an unknown id is dpia.unknown."""
    with pytest.raises(NotFound) as caught:
        dpias.add_dpia(c.deps, "bluewave", ACTOR, dpias.NewDpia("recruitment", "x"))
    assert caught.value.code == "purpose.unknown"
    with pytest.raises(NotFound) as unknown:
        dpias.decide_dpia(c.deps, "bluewave", ACTOR, 999, "rejected", reviewer="DPO")
    assert unknown.value.code == "dpia.unknown"


# --- incidents ----------------------------------------------------------------------------------


def _open(c: Container, tenant: str = "harbour", **values: Any) -> incidents.IncidentView:
    base: dict[str, Any] = {
        "title": "Misdirected export of applicant files",
        "aware_at": c.clock.now(),
        "risk": "high",
        "categories": ["user.name", "user.contact.email"],
        "subjects_affected": 40,
        "regimes": ["gdpr", "quebec"],
    }
    base.update(values)
    return incidents.open_incident(c.deps, tenant, ACTOR, incidents.NewIncident(**base))


def test_incident_clocks_are_stored_and_a_late_notice_needs_its_reason(c: Container) -> None:
    """The authority's 72 hours pass; notifying then without a reason is refused, with one recorded."""
    opened = _open(c)
    assert opened.incident.retain_until == date(2031, 3, 2)
    assert [s for s in opened.states if s.startswith("due in")] == ["due in 3d 0h"]
    _clock(c).at = c.clock.now() + timedelta(hours=80)
    ref = opened.incident.ref
    listed = incidents.list_incidents(c.deps, "harbour")
    assert listed[0].overdue
    assert "overdue by 8h" in listed[0].states
    with pytest.raises(PolicyViolation) as caught:
        incidents.notify_incident(c.deps, "harbour", ACTOR, ref, "authority")
    assert caught.value.code == "incident.invalid"
    done = incidents.notify_incident(
        c.deps, "harbour", ACTOR, ref, "authority", late_reason="scope unclear for days"
    )
    gdpr = next(k for k in done.clocks if k.rule == "GDPR-BR-1")
    assert gdpr.late_reason == "scope unclear for days"
    assert gdpr.done_at == c.clock.now()
    shown = incidents.show_incident(c.deps, "harbour", ref)
    assert shown.incident.notifications[0]["late_reason"] == "scope unclear for days"
    assert "done (late)" in shown.states
    assert _actions(c, "harbour")[-2:] == ["incident:change", "incident:change"]


def test_closing_needs_every_notice_made_or_waived(c: Container) -> None:
    """Open clocks block closing until made, or waived with the reason (e.g. GDPR 34(3))."""
    ref = _open(c).incident.ref
    with pytest.raises(Conflict):
        incidents.close_incident(c.deps, "harbour", ACTOR, ref)
    closed = incidents.close_incident(
        c.deps, "harbour", ACTOR, ref, waive_reason="data encrypted: 34(3)(a)"
    )
    assert closed.incident.status == "closed"
    assert set(closed.states) == {"waived"}
    assert incidents.list_incidents(c.deps, "harbour", open_only=True) == []


def test_incident_input_is_checked(c: Container) -> None:
    """Unknown category, future awareness, unknown incident, a regime the tenant lacks."""
    with pytest.raises(InvalidInput) as unknown_category:
        _open(c, categories=["user.nonsense"])
    assert unknown_category.value.code == "category.unknown"
    with pytest.raises(InvalidInput):
        _open(c, aware_at=c.clock.now() + timedelta(hours=1))
    with pytest.raises(InvalidInput):
        _open(c, regimes=["fcc"])
    with pytest.raises(NotFound) as missing:
        incidents.show_incident(c.deps, "harbour", "I-NOPE")
    assert missing.value.code == "incident.unknown"


def test_notices_render_with_the_dpo_contact_and_33_3_content(c: Container) -> None:
    """Northwind's authority notice names its DPO, the categories, numbers, consequences, measures."""
    ref = _open(
        c,
        "northwind",
        regimes=["gdpr"],
        categories=["cc.payment.card", "user.contact.email"],
        measures="Cards cancelled; export link revoked.",
    ).incident.ref
    notice = incidents.render_notice(c.deps, "northwind", ref, "authority")
    assert "dpo@northwind.example" in notice
    assert "Northwind DPO" in notice
    assert "Payment card" in notice
    assert "40" in notice
    assert "financial loss" in notice
    assert "Cards cancelled; export link revoked." in notice
    assert "Art. 33(3)(d)" in notice
    letter = incidents.render_notice(c.deps, "northwind", ref, "subjects")
    assert "dpo@northwind.example" in letter
    assert "Northwind Outfitters Ltd." in letter


def test_tenants_cannot_see_each_others_incidents(c: Container) -> None:
    """The register is tenant-scoped."""
    ref = _open(c).incident.ref
    with pytest.raises(NotFound):
        incidents.show_incident(c.deps, "bluewave", ref)


# --- HTTP ---------------------------------------------------------------------------------------


@pytest.fixture
def api(c: Container) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The API with the records router, and an admin key of northwind."""
    app = create_app(c)
    if not any(getattr(r, "path", "") == "/v1/ropa" for r in app.routes):
        app.include_router(router)
    created = create_api_key(c.deps, "northwind", "privacy-officer", name="t")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {created.token.reveal()}"}


def test_api_records(api: tuple[TestClient, dict[str, str]], c: Container) -> None:
    """ROPA in three formats, a DPIA added and decided, an incident opened, notified and closed."""
    client, auth = api
    assert client.get("/v1/ropa", headers=auth).json()["tenant"] == "northwind"
    assert (
        client.get("/v1/ropa?format=csv", headers=auth)
        .headers["content-type"]
        .startswith("text/csv")
    )
    assert "<!doctype html>" in client.get("/v1/ropa?format=html", headers=auth).text
    assert client.get("/v1/ropa").status_code == 401
    added = client.post(
        "/v1/dpias", headers=auth, json={"purpose": "vulnerability-support", "title": "Health"}
    )
    assert added.status_code == 201, added.text
    decision = {
        "decision": "approved",
        "reviewer": "DPO",
        "review_on": "2027-01-01",
        "residual_risk": "low",
    }
    decided = client.post(f"/v1/dpias/{added.json()['id']}/decision", headers=auth, json=decision)
    assert decided.json()["state"] == "approved", decided.text
    assert client.get("/v1/dpias?missing=true", headers=auth).json() == []
    opened = client.post(
        "/v1/incidents",
        headers=auth,
        json={
            "title": "Lost laptop",
            "risk": "low",
            "categories": ["user.name"],
            "subjects_affected": 3,
        },
    )
    assert opened.status_code == 201, opened.text
    ref = opened.json()["ref"]
    assert [k["notify"] for k in opened.json()["clocks"]] == [
        "controller",
        "authority",
        "fcc",
        "law_enforcement",
        "subjects",
    ]
    late = (c.clock.now() + timedelta(hours=30)).isoformat()
    _clock(c).at = c.clock.now() + timedelta(hours=31)
    refused = client.post(
        f"/v1/incidents/{ref}/notifications", headers=auth, json={"to": "controller", "at": late}
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "incident.invalid"
    told = client.post(
        f"/v1/incidents/{ref}/notifications",
        headers=auth,
        json={"to": "controller", "at": late, "late_reason": "weekend"},
    )
    assert told.json()["clocks"][0]["state"] == "done (late)"
    notice = client.get(f"/v1/incidents/{ref}?notice=controller", headers=auth)
    assert "dpo@northwind.example" in notice.text
    assert client.get("/v1/incidents", headers=auth).json()[0]["ref"] == ref
    closed = client.post(
        f"/v1/incidents/{ref}/close", headers=auth, json={"waive_reason": "controller files"}
    )
    assert closed.json()["status"] == "closed"
    assert client.get("/v1/incidents/I-NOPE", headers=auth).status_code == 404
