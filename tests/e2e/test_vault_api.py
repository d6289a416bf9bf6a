"""The vault over HTTP (both engines)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from privault.api.app import create_app
from privault.bootstrap import Container
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """An app with the manifest applied."""
    apply_manifest(container.uow, container.manifest, container.keyring, container.clock)
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


def _auth(container: Container, role: str) -> dict[str, str]:
    with container.uow() as uow:
        created = create_api_key(
            uow, container.manifest, "bluewave", role, name=role, clock=container.clock
        )
    return {"Authorization": f"Bearer {created.token.reveal()}"}


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
    assert erased.status_code == 200
    assert erased.json()["fields"] == 3
    gone = client.get("/v1/subjects/cust-1", params={"purpose": "billing"}, headers=officer)
    assert gone.status_code == 404
    assert gone.json()["code"] == "subject.unknown"


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
