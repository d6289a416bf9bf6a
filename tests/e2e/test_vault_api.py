"""The vault over HTTP (both engines)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.core.audit import AuditEvent
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from tests.fixtures.grants import OFFICER_CATEGORIES, grant_full_values


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """An app with the manifest applied."""
    apply_manifest(container.deps)
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


def _auth(container: Container, role: str) -> dict[str, str]:
    created = create_api_key(container.deps, "bluewave", role, name=role)
    return {"Authorization": f"Bearer {created.token.reveal()}"}


NATIONAL_ID = "user.government_id.national_identification_number"
BODY = {
    "subject": "cust-1",
    "identities": {"email": "ana@example.com", "phone": "+14155550101"},
    "data": {
        "user.name": "Ana",
        "cc.account.number": "ACC-1",
        "cc.payment.card": "4111111111111111",
    },
    "source": "direct",
    "purpose": "billing",
}


def test_create_lookup_read_update_erase(client: TestClient, container: Container) -> None:
    """The whole life of a subject over HTTP."""
    officer = _auth(container, "privacy-officer")
    created = client.post("/v1/subjects", json=BODY, headers=officer)
    assert created.status_code == 201, created.text
    assert created.json() == {"subject": "cust-1"}
    found = client.post(
        "/v1/subjects/lookup",
        json={"kind": "email", "values": ["ANA@example.com"], "purpose": "billing"},
        headers=officer,
    )
    assert found.status_code == 200
    [subject] = found.json()["subjects"]
    assert subject["data"]["user.name"]["value"] == "Ana"
    patched = client.patch(
        "/v1/subjects/cust-1",
        json={"data": {"user.name": "Ana B"}, "source": "agent-call", "purpose": "billing"},
        headers=officer,
    )
    assert patched.json() == {"fields": ["user.name"]}
    read = client.get("/v1/subjects/cust-1", params={"purpose": "billing"}, headers=officer)
    assert read.json()["data"]["user.name"]["value"] == "Ana B"
    erased = client.delete(
        "/v1/subjects/cust-1",
        params={"purpose": "privacy-requests", "reason": "request:7"},
        headers=officer,
    )
    assert erased.status_code == 422  # her name and account number are a bill's: tax law keeps them
    assert erased.json()["code"] == "retention.kept_by_law"
    kept = client.get("/v1/subjects/cust-1", params={"purpose": "billing"}, headers=officer)
    assert kept.json()["data"]["user.name"]["value"] == "Ana B"


def test_billing_role_sees_billing_fields_only(client: TestClient, container: Container) -> None:
    """Least privilege over HTTP, with the withholding rules listed."""
    client.post("/v1/subjects", json=BODY, headers=_auth(container, "privacy-officer"))
    read = client.get(
        "/v1/subjects/cust-1",
        params={"purpose": "billing"},
        headers=_auth(container, "billing-agent"),
    )
    body = read.json()
    assert set(body["data"]) == {"cc.account.number", "cc.payment.card"}
    assert {w["field"] for w in body["withheld"]} == {
        "user.name",
        "identity:email",
        "identity:phone",
    }
    assert "Ana" not in read.text


def _whole_reads(container: Container) -> list[AuditEvent]:
    """The tenant's vault:field:read events, newest first."""
    with container.uow() as uow:
        bind_tenant(uow, "bluewave")
        return uow.audit.recent(50, action="vault:field:read")


def _with_national_id(client: TestClient, officer: dict[str, str]) -> None:
    """Ana with her card (for billing) and a national ID (for fraud prevention)."""
    assert client.post("/v1/subjects", json=BODY, headers=officer).status_code == 201
    patched = client.patch(
        "/v1/subjects/cust-1",
        json={
            "data": {NATIONAL_ID: "123-45-6789"},
            "source": "direct",
            "purpose": "fraud-prevention",
        },
        headers=officer,
    )
    assert patched.status_code == 200, patched.text


def test_a_read_shows_a_card_and_a_government_id_by_their_last_four(
    client: TestClient, container: Container
) -> None:
    """GET and lookup answer ****1111 and ****6789 marked last_four; nothing is read whole."""
    officer = _auth(container, "privacy-officer")
    _with_national_id(client, officer)
    read = client.get("/v1/subjects/cust-1", params={"purpose": "billing"}, headers=officer)
    card = read.json()["data"]["cc.payment.card"]
    assert (card["value"], card["last_four"]) == ("****1111", True)
    account = read.json()["data"]["cc.account.number"]
    assert (account["value"], account["last_four"]) == ("ACC-1", False)
    found = client.post(
        "/v1/subjects/lookup",
        json={"kind": "email", "values": ["ana@example.com"], "purpose": "fraud-prevention"},
        headers=officer,
    )
    [subject] = found.json()["subjects"]
    assert subject["data"][NATIONAL_ID]["value"] == "****6789"
    assert "4111111111111111" not in read.text + found.text
    assert "123-45-6789" not in found.text
    assert _whole_reads(container) == []


def _with_security_pin(client: TestClient, officer: dict[str, str]) -> None:
    """Ana with her card (for billing) and a security PIN (for fraud prevention)."""
    assert client.post("/v1/subjects", json=BODY, headers=officer).status_code == 201
    patched = client.patch(
        "/v1/subjects/cust-1",
        json={
            "data": {"cc.account.security_pin": "839201"},
            "source": "direct",
            "purpose": "fraud-prevention",
        },
        headers=officer,
    )
    assert patched.status_code == 200, patched.text


def test_a_read_withholds_a_security_pin(client: TestClient, container: Container) -> None:
    """GET and lookup answer [withheld] marked withheld (not last_four); nothing is read whole."""
    officer = _auth(container, "privacy-officer")
    _with_security_pin(client, officer)
    read = client.get(
        "/v1/subjects/cust-1", params={"purpose": "fraud-prevention"}, headers=officer
    )
    pin = read.json()["data"]["cc.account.security_pin"]
    assert (pin["value"], pin["withheld"], pin["last_four"]) == ("[withheld]", True, False)
    name = read.json()["data"]["user.name"]
    assert (name["value"], name["withheld"]) == ("Ana", False)
    found = client.post(
        "/v1/subjects/lookup",
        json={"kind": "email", "values": ["ana@example.com"], "purpose": "fraud-prevention"},
        headers=officer,
    )
    [subject] = found.json()["subjects"]
    assert subject["data"]["cc.account.security_pin"]["value"] == "[withheld]"
    assert "839201" not in read.text + found.text
    assert "****9201" not in read.text + found.text
    assert _whole_reads(container) == []


def test_a_role_granted_whole_pins_reads_the_pin_audited(
    client: TestClient, container: Container
) -> None:
    """The officer with full_values: [cc.account.security_pin] reads it whole; vault:field:read
    records the field and the grant, never the PIN."""
    grant_full_values(container, "[cc.account.security_pin]", OFFICER_CATEGORIES)
    officer = _auth(container, "privacy-officer")
    _with_security_pin(client, officer)
    read = client.get(
        "/v1/subjects/cust-1", params={"purpose": "fraud-prevention"}, headers=officer
    )
    pin = read.json()["data"]["cc.account.security_pin"]
    assert (pin["value"], pin["withheld"]) == ("839201", False)
    [event] = _whole_reads(container)
    assert json.loads(event.details) == {
        "fields": ["cc.account.security_pin"],
        "grants": ["roles.privacy-officer.grants[0].full_values"],
    }
    assert "839201" not in event.details


def test_a_role_granted_the_full_value_reads_the_whole_card_audited(
    client: TestClient, container: Container
) -> None:
    """billing-agent with full_values: [cc.payment.card] reads it whole; vault:field:read records
    the field and the grant, never the number."""
    grant_full_values(container, "[cc.payment.card]")
    client.post("/v1/subjects", json=BODY, headers=_auth(container, "privacy-officer"))
    read = client.get(
        "/v1/subjects/cust-1",
        params={"purpose": "billing"},
        headers=_auth(container, "billing-agent"),
    )
    card = read.json()["data"]["cc.payment.card"]
    assert (card["value"], card["last_four"]) == ("4111111111111111", False)
    [event] = _whole_reads(container)
    assert event.actor.startswith("api_key:")
    assert (event.purpose, event.outcome) == ("billing", "ok")
    assert json.loads(event.details) == {
        "fields": ["cc.payment.card"],
        "grants": ["roles.billing-agent.grants[0].full_values"],
    }
    assert "4111" not in event.details


def test_a_denied_read_is_a_403_that_reveals_nothing(
    client: TestClient, container: Container
) -> None:
    """The problem names the rule, not the data."""
    client.post("/v1/subjects", json=BODY, headers=_auth(container, "privacy-officer"))
    denied = client.get(
        "/v1/subjects/cust-1", params={"purpose": "billing"}, headers=_auth(container, "agent")
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "access.denied"
    assert "no grant" in denied.json()["detail"]
    assert "Ana" not in denied.text
    assert "4111" not in denied.text


def test_a_read_needs_a_purpose(client: TestClient, container: Container) -> None:
    """No purpose, no read."""
    response = client.get("/v1/subjects/cust-1", headers=_auth(container, "privacy-officer"))
    assert response.status_code == 422


def test_invalid_identities_are_refused_without_echo(
    client: TestClient, container: Container
) -> None:
    """A malformed email is refused and not repeated back."""
    body = {**BODY, "identities": {"email": "ana-at-example"}}
    response = client.post("/v1/subjects", json=body, headers=_auth(container, "privacy-officer"))
    assert response.status_code == 422
    assert response.json()["code"] == "identity.invalid"
    assert "ana-at-example" not in response.text


def test_audit_verify_is_for_admins(client: TestClient, container: Container) -> None:
    """The officer can verify the chain; an agent cannot."""
    client.post("/v1/subjects", json=BODY, headers=_auth(container, "privacy-officer"))
    ok = client.get("/v1/audit/verify", headers=_auth(container, "privacy-officer"))
    assert ok.status_code == 200
    assert ok.json()["ok"] is True
    assert client.get("/v1/audit/verify", headers=_auth(container, "agent")).status_code == 403
    point = client.post("/v1/audit/checkpoint", headers=_auth(container, "privacy-officer"))
    assert point.status_code == 200
