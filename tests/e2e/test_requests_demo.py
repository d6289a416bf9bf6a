"""The demo end to end over HTTP (issue #13, items 4 and 6): erasing a demo customer keeps the bills
that tax law requires (in the vault and in the demo CRM), says so with the same rule and law as the
published notice, names the CRM with what happened there, and counts every run.

Runs on both privault engines (SQLite and PostgreSQL) through the ``container`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.demo import prepare_demo
from privault.http.app import create_app
from privault.outbound.messenger import read_outbox

DEMO_5 = "femi.nakamura5@example.com"  # demo-5: lives alone, three orders (bills)
TAX_LAW = "Income Tax Act (Canada) s. 230(4); 26 U.S.C. 6001"


@pytest.fixture
def demo(container: Container) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The demo deployment (`make run`) and the API, with the demo's admin key."""
    made = prepare_demo(container)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {made.token}"}


def _erasure(container: Container, client: TestClient) -> tuple[str, str]:
    opened = client.post(
        "/v1/requests",
        json={
            "tenant": "bluewave",
            "type": "erasure",
            "identities": {"email": [DEMO_5]},
            "jurisdiction": "us-ca",
        },
    ).json()
    codes = [
        m["body"].split(" is ")[1][:6]
        for m in read_outbox(container.settings.outbox_path)
        if m["to"] == DEMO_5 and m["kind"] == "verification_code"
    ]
    verified = client.post(f"/v1/requests/status/{opened['token']}/verify", json={"codes": codes})
    assert verified.json()["state"] == "verified", verified.text
    return str(opened["ref"]), str(opened["token"])


def test_the_demo_erasure_keeps_the_bills_as_the_notice_says(
    container: Container, demo: tuple[TestClient, dict[str, str]]
) -> None:
    """The notice says bills are kept for tax law; an erasure keeps them (vault values collected for
    billing, the CRM's orders), lists them with that rule and law, restricts them, deletes the rest,
    and the answer after two runs counts both and names the CRM."""
    client, staff = demo
    notice = client.get("/v1/tenants/bluewave/notice", params={"format": "md"}).text
    assert f"required by law: {TAX_LAW} — kept even if you ask us to erase it" in notice
    ref, token = _erasure(container, client)
    first = client.post(f"/v1/requests/{ref}/actions", json={"action": "complete"}, headers=staff)
    body = first.json()
    assert body["state"] == "incomplete", body  # the recipients are still to be told (Art. 19)
    result = body["result"]
    assert {r["field"] for r in result["vault"]["retained"]} == {
        "user.name",
        "user.contact.address",
        "cc.account.number",
    }
    assert {(r["rule"], r["law"]) for r in result["vault"]["retained"]} == {
        ("billing-records", TAX_LAW)
    }
    assert result["vault"]["restricted"] is True
    [orders] = [r for r in result["retained"] if r["collection"] == "orders"]
    assert (orders["datastore"], orders["rows"], orders["rule"], orders["law"]) == (
        "crm",
        3,
        "billing-records",
        TAX_LAW,
    )
    assert result["by_datastore"]["crm"]["status"] == "found"
    deleted = result["deleted"]
    assert deleted > 0
    for task in body["tasks"]:
        client.post(f"/v1/requests/{ref}/tasks/{task['id']}", json={"note": "told"}, headers=staff)
    again = client.post(f"/v1/requests/{ref}/actions", json={"action": "complete"}, headers=staff)
    assert again.json()["state"] == "completed", again.text
    total = again.json()["result"]
    assert [run["deleted"] for run in total["runs"]] == [deleted, 0]
    assert total["deleted"] == deleted
    seen = client.get(f"/v1/requests/status/{token}").json()["response"]
    assert f"In crm we deleted {deleted} records" in seen
    assert f"In all, we deleted {deleted} records" in seen
    assert TAX_LAW in seen
    assert "3 records in crm" in seen
    assert "legal and regulatory record keeping" in seen
    questions = [
        {"subject": "demo-5", "purpose": purpose}
        for purpose in ("customer-service", "legal-records")
    ]
    decided = client.post("/v1/decisions", json={"questions": questions}, headers=staff)
    assert decided.status_code == 200, decided.text
    other, law = decided.json()["answers"]  # the kept data serves the law only
    assert other["allowed"] is False
    assert [r["rule"] for r in other["reasons"] if not r["allowed"]] == ["POL-RES-1"]
    assert law["allowed"] is True
