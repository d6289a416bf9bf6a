"""Authorised agents (CCPA, 11 CCR §7063): the agent gets the status link only after the person
confirms the agent, or staff record that they checked the signed permission. Both engines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from privault.bootstrap import Container
from privault.http.app import create_app
from privault.outbound.messenger import read_outbox
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.storage import tables as t

PERSON = "ana@example.com"
AGENT = "agent@agency.example"
STATUS_LINK = re.compile(r"/v1/requests/status/(rq_[A-Za-z0-9_-]+)")
CONFIRM_LINK = re.compile(r"/p/bluewave/agent/(rq_[A-Za-z0-9_-]+)")


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The app with the manifest applied."""
    apply_manifest(container.deps)
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


REQUEST = {
    "tenant": "bluewave",
    "type": "access",
    "identities": {"email": [PERSON]},
    "jurisdiction": "us-ca",
}
AGENCY = {"name": "Agency", "email": AGENT, "authorisation": "signed permission"}


def _open(client: TestClient) -> dict[str, Any]:
    """A request made through the public API by someone naming themselves the person's agent."""
    answer = client.post("/v1/requests", json={**REQUEST, "agent": AGENCY})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _to(container: Container, who: str) -> list[dict[str, Any]]:
    return [m for m in read_outbox(container.settings.outbox_path) if m["to"] == who]


def _links(messages: list[dict[str, Any]]) -> list[str]:
    return [t for m in messages for t in STATUS_LINK.findall(m["body"])]


def test_the_agent_gets_no_status_link_before_confirmation(
    client: TestClient, container: Container
) -> None:
    """Neither the answer to the submission nor any message to the agent carries the link; the
    person's receipt carries it and the confirm link."""
    opened = _open(client)
    assert opened["token"] == ""
    assert opened["status_url"] == ""
    to_agent = _to(container, AGENT)
    assert [m["kind"] for m in to_agent] == ["agent_received"]
    assert "once the person confirms" in to_agent[0]["body"]
    assert _links(to_agent) == []
    receipt = next(m for m in _to(container, PERSON) if m["kind"] == "receipt")
    assert len(_links([receipt])) == 1
    assert CONFIRM_LINK.search(receipt["body"])


def test_the_agent_gets_the_link_after_the_person_confirms(
    client: TestClient, container: Container
) -> None:
    """The person opens the confirm page (GET changes nothing), confirms; the agent is sent the
    person's status link, which works; confirming twice is refused."""
    opened = _open(client)
    receipt = next(m for m in _to(container, PERSON) if m["kind"] == "receipt")
    token = CONFIRM_LINK.findall(receipt["body"])[0]
    page = client.get(f"/p/bluewave/agent/{token}")
    assert page.status_code == 200
    assert "Agency" in page.text
    assert _links(_to(container, AGENT)) == []
    confirmed = client.post(f"/p/bluewave/agent/{token}")
    assert confirmed.status_code == 200
    assert "you confirmed Agency" in confirmed.text
    assert _links(_to(container, AGENT)) == [token]
    status = client.get(f"/v1/requests/status/{token}").json()
    assert status["ref"] == opened["ref"]
    again = client.post(f"/v1/requests/status/{token}/agent")
    assert again.status_code == 409
    assert again.json()["code"] == "request.agent_confirmed"
    assert len(_links(_to(container, AGENT))) == 1
    assert _audited(container) == ["requester"]


def test_the_agent_gets_the_link_after_staff_check_the_permission(
    client: TestClient, container: Container
) -> None:
    """Staff record the check (a note is required); the agent gets the link; it is audited."""
    opened = _open(client)
    key = create_api_key(container.deps, "bluewave", "privacy-officer", name="t").token.reveal()
    staff = {"Authorization": f"Bearer {key}"}
    url = f"/v1/requests/{opened['ref']}/agent-check"
    assert client.post(url, json={"note": ""}, headers=staff).status_code == 422
    assert client.post(url, json={"note": "x"}).status_code == 401
    assert _links(_to(container, AGENT)) == []
    done = client.post(url, json={"note": "signed permission seen"}, headers=staff)
    assert done.status_code == 200, done.text
    [link] = _links(_to(container, AGENT))
    assert client.get(f"/v1/requests/status/{link}").json()["ref"] == opened["ref"]
    detail = client.get(f"/v1/requests/{opened['ref']}", headers=staff).json()
    assert "agent_confirmed" in str(detail)
    assert _audited(container) == ["api_key"]  # the staff key is the actor


def _audited(container: Container) -> list[str]:
    """The actors of the audit entries that released an agent's link."""
    with container.uow() as uow:
        bind_tenant(uow, "bluewave")
        rows = uow.session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.action == "request:verify")
        ).all()
        return [r.actor.split(":")[0] for r in rows if '"agent":"confirmed"' in r.details]


def test_a_request_without_an_agent_still_returns_its_link(client: TestClient) -> None:
    """The person's own request keeps its token and status link in the answer."""
    answer = client.post("/v1/requests", json=REQUEST).json()
    assert answer["token"].startswith("rq_")
    assert answer["status_url"].endswith(answer["token"])
    confirm = client.post(f"/v1/requests/status/{answer['token']}/agent")
    assert confirm.status_code == 409


def _deny(client: TestClient, staff: dict[str, str], ref: str) -> None:
    body = {"action": "deny", "code": "agent_not_authorised", "text": "No proof of authority."}
    answer = client.post(f"/v1/requests/{ref}/actions", json=body, headers=staff)
    assert answer.status_code == 200, answer.text


def test_later_notices_reach_the_agent_only_once_confirmed(
    client: TestClient, container: Container
) -> None:
    """A denial before confirmation goes to the person only; after it, to the agent too."""
    key = create_api_key(container.deps, "bluewave", "privacy-officer", name="t").token.reveal()
    staff = {"Authorization": f"Bearer {key}"}
    first = _open(client)
    _deny(client, staff, first["ref"])
    assert [m["kind"] for m in _to(container, AGENT)] == ["agent_received"]
    assert "denial" in [m["kind"] for m in _to(container, PERSON)]
    second = _open(client)
    check = {"note": "signed permission seen"}
    url = f"/v1/requests/{second['ref']}/agent-check"
    assert client.post(url, json=check, headers=staff).status_code == 200
    _deny(client, staff, second["ref"])
    kinds = [m["kind"] for m in _to(container, AGENT)]
    assert kinds == ["agent_received", "agent_received", "agent_link", "denial"]
