"""Complaints, grievances and human reviews from the command line and over HTTP (both engines)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from privault.http.app import create_app
from privault.outbound.messenger import read_outbox
from privault.services import requests as svc
from privault.services.setup import apply_manifest
from privault.services.staff import create_staff
from tests.e2e.admin_helpers import PASSWORD, app_client, csrf, post

PERSON = "kofi@example.com"


@pytest.fixture
def desk(cli):
    """The schema and the template manifest applied."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    return cli


def _ref(out: str) -> str:
    found = re.search(r"R-[0-9A-Z]{8}", out)
    assert found, out
    return found.group(0)


def test_a_uk_complaint_is_opened_acknowledged_and_closed_with_its_outcome(desk) -> None:
    """DPA 2018 s.164A: due 30 days beginning with receipt (UK-CMPL-1); `complete --outcome` closes
    it and the person receives the outcome with the rule, the law and the ICO."""
    received = datetime.now(UTC).date() - timedelta(days=1)
    code, out, err = desk(
        "requests", "open", "--tenant", "northwind", "--type", "complaint", "--email", PERSON,
        "--jurisdiction", "uk", "--received", received.isoformat(),
        "--details", "My address was shown to another caller.",
    )  # fmt: skip
    assert code == 0, err
    ref = _ref(out)
    due = (received + timedelta(days=29)).isoformat()
    assert f"due {due} (UK-CMPL-1)" in out
    assert f"receipt acknowledged (due by {due})" in out
    assert desk("requests", "verify", ref, "--tenant", "northwind", "--manual", "call back")[0] == 0
    code, _, err = desk("requests", "complete", ref, "--tenant", "northwind")
    assert code != 0
    assert "request.outcome_missing" in err
    code, out, err = desk(
        "requests", "complete", ref, "--tenant", "northwind",
        "--outcome", "We found the agent's error and retrained the team.",
    )  # fmt: skip
    assert code == 0, err
    assert "completed" in out
    code, out, _ = desk("outbox", "--to", PERSON, "--last", "10")
    assert "retrained the team" in out
    assert "UK-CMPL-1" in out


def test_a_human_review_without_a_declared_decision_is_refused_with_its_code(desk) -> None:
    """The template declares no solely automated decision: nothing to review, a clear error."""
    code, _, err = desk(
        "requests", "open", "--tenant", "northwind", "--type", "human_review", "--email", PERSON,
        "--decision", "fraud-prevention",
    )  # fmt: skip
    assert code != 0
    assert "request.no_automated_decision" in err


def test_a_grievance_is_opened_over_the_api_under_indian_law_only(desk, container) -> None:
    """POST /v1/requests: a grievance under `in` is due in 90 days (DPDP-GRV-1); under `uk` the
    right is not granted."""
    client = TestClient(create_app(container), raise_server_exceptions=False)
    body = {"tenant": "harbour", "type": "grievance", "identities": {"email": [PERSON]}}
    opened = client.post("/v1/requests", json=body | {"jurisdiction": "in"})
    assert opened.status_code == 201, opened.text
    assert opened.json()["rule"] == "DPDP-GRV-1"
    refused = client.post("/v1/requests", json=body | {"jurisdiction": "uk"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "request.right_unavailable"


def test_the_privacy_center_form_offers_each_right_only_where_its_law_grants_it(
    desk, container
) -> None:
    """A complaint under uk, a grievance under in; a human review only with a declared decision."""
    client = TestClient(create_app(container), raise_server_exceptions=False)
    uk = client.get("/p/northwind/request?jurisdiction=uk").text
    assert 'value="complaint"' in uk
    assert 'value="grievance"' not in uk
    assert "human_review" not in uk  # the template declares no automated decision
    india = client.get("/p/harbour/request?jurisdiction=in").text
    assert 'value="grievance"' in india
    assert 'value="complaint"' not in india


def test_the_console_lists_a_complaint_and_closes_it_with_the_outcome(container, clock) -> None:
    """The queue shows the complaint; its page asks for the outcome, refuses a blank one, then closes
    it and the person is sent the text."""
    clock.at = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    apply_manifest(container.deps)
    create_staff(container.deps, "northwind", "officer", "privacy-officer", PASSWORD, "cli:test")
    raw = {"type": "complaint", "identities": {"email": [PERSON]}, "jurisdiction": "uk"}
    ref = svc.open_request(container.deps, "northwind", raw).ref
    svc.verify_manually(container.deps, "northwind", ref, "staff:test", "called back")
    client = app_client(container)
    token = csrf(client, "/admin/login")
    login = {"csrf": token, "tenant": "northwind", "username": "officer", "password": PASSWORD}
    assert client.post("/admin/login", data=login, follow_redirects=False).status_code == 303
    assert ref in client.get("/admin/requests").text
    page = f"/admin/requests/{ref}"
    assert "Close with the outcome" in client.get(page).text
    blank = post(client, page, page, action="complete", outcome=" ")
    assert blank.status_code == 422
    done = post(client, page, page, action="complete", outcome="We corrected the record.")
    assert done.status_code == 303
    assert svc.show_request(container.deps, "northwind", ref).request.state == "completed"
    sent = [m["body"] for m in read_outbox(container.settings.outbox_path) if ref in m["subject"]]
    assert "We corrected the record." in sent[-1]
