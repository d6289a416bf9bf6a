"""Over HTTP (both engines): CCPA-OI-1's two-step opt-in and banner hold, DPDP-CM-1's consent
artefacts, CASL-1's unsubscribe links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.vault_import import create_subject
from tests.fixtures.people import applied_with_person, officer

VISITOR = "visitor-0123456789abcdef"
WEB = {"method": "form", "channel": "web"}


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """An app with the manifest applied, a bluewave customer and a harbour customer."""
    applied_with_person(container, "bluewave", "cust-1", "customer-service")
    raw = {
        "subject": "cust-1",
        "identities": {"email": "cust-1@example.com"},
        "data": {"user.name": "Person"},
        "source": "direct",
        "purpose": "fraud-prevention",
    }
    create_subject(container.deps, officer(container, "harbour"), raw)
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


def _auth(container: Container, tenant: str = "bluewave") -> dict[str, str]:
    created = create_api_key(container.deps, tenant, "privacy-officer", name="t")
    return {"Authorization": f"Bearer {created.token.reveal()}"}


def _clock(container: Container) -> FixedClock:
    assert isinstance(container.clock, FixedClock)
    return container.clock


def test_an_opt_back_in_takes_a_request_and_a_separate_confirmation(
    client: TestClient, container: Container
) -> None:
    """One-step: 422 consent.opt_in_two_step; request (201) then confirm (201) opts back in."""
    headers = _auth(container)
    sale = {"kind": "sale_sharing", "scope": "*", "granted": False}
    opt_out = {**WEB, "subject": "cust-1", "choices": [sale]}
    assert client.post("/v1/consent", json=opt_out, headers=headers).status_code == 201
    one_step = {**opt_out, "choices": [{"kind": "sale_sharing", "scope": "*", "granted": True}]}
    refused = client.post("/v1/consent", json=one_step, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "consent.opt_in_two_step")
    asked = {**WEB, "subject": "cust-1", "consumer_initiated": False}
    too_soon = client.post("/v1/consent/opt-in/sale-sharing", json=asked, headers=headers)
    assert (too_soon.status_code, too_soon.json()["code"]) == (422, "consent.opt_in_too_soon")
    asked["consumer_initiated"] = True
    request = client.post("/v1/consent/opt-in/sale-sharing", json=asked, headers=headers)
    assert request.status_code == 201, request.text
    assert request.json()["ask_after"] is not None
    _clock(container).at += timedelta(minutes=2)
    confirm = {**WEB, "token": request.json()["token"]}
    done = client.post("/v1/consent/opt-in/sale-sharing/confirm", json=confirm, headers=headers)
    assert done.status_code == 201, done.text
    assert done.json()["state"]["sale_sharing:*"]["granted"] is True


def test_the_banner_status_tells_the_page_not_to_ask_after_an_opt_out(
    client: TestClient, container: Container
) -> None:
    """A GPC opt-out: the cookie status carries ``sale_opt_in_ask_after`` a year later."""
    status = client.get(f"/v1/tenants/bluewave/cookie-consent/{VISITOR}", headers={"Sec-GPC": "1"})
    assert status.status_code == 200, status.text
    held = status.json()["sale_opt_in_ask_after"]
    now = _clock(container).now()
    assert held is not None
    assert held.startswith(f"{now.year + 1}-{now:%m-%d}")


def test_a_consent_manager_s_artefact_and_its_withdrawal_over_http(
    client: TestClient, container: Container
) -> None:
    """201 with the evidence; a withdrawal of an unknown artefact is 404."""
    headers = _auth(container, "harbour")
    body = {"subject": "cust-1", "consent_manager": "CM-1", "artefact_id": "a-1", "purposes": ["surveys"]}  # fmt: skip
    given = client.post("/v1/consent/artefacts", json=body, headers=headers)
    assert given.status_code == 201, given.text
    [event] = given.json()["events"]
    assert event["evidence"] == {"artefact_id": "a-1", "consent_manager": "CM-1"}
    unknown = {**body, "artefact_id": "a-2", "purposes": [], "granted": False}
    missing = client.post("/v1/consent/artefacts", json=unknown, headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "consent.artefact_unknown")
    withdraw = {**body, "purposes": [], "granted": False}
    taken = client.post("/v1/consent/artefacts", json=withdraw, headers=headers)
    assert taken.json()["state"]["purpose:surveys"]["granted"] is False


def test_an_unsubscribe_link_still_works_long_after_60_days_and_records_the_casl_limit(
    client: TestClient, container: Container
) -> None:
    """CASL s.11(2): a link 400 days old unsubscribes; s.11(3): the event names the 10-BD limit."""
    headers = _auth(container)
    sent = _clock(container).now()
    link = client.post(
        "/v1/unsubscribe-links",
        json={"subject": "cust-1", "brand": "bluewave-mobile", "channel": "email"},
        headers=headers,
    ).json()
    _clock(container).at += timedelta(days=400)
    path = link["url"].removeprefix(container.settings.public_url)
    done = client.post(
        path,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    events = client.get("/v1/consent/events", params={"subject": "cust-1"}, headers=headers)
    [event] = events.json()["events"]
    assert event["evidence"]["link_sent_on"] == sent.date().isoformat()
    assert event["evidence"]["casl_effect_by"] > _clock(container).now().date().isoformat()
