"""Over HTTP: a fee with its amount and evidence, and the search scope of an access request
(GDPR Art. 12(5); UK GDPR Art. 15(1A)), on both engines."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.test_requests_api import _open, client, staff  # noqa: F401 - fixtures, by name

FACTS = "A fifth copy of records sent on 1 and 8 March."


def test_a_fee_pause_carries_its_amount_currency_and_evidence(
    client: TestClient,  # noqa: F811
    staff: dict[str, str],  # noqa: F811
) -> None:
    """The pause shows the fee on the timeline; a fee without its evidence is a 422."""
    ref = _open(client, 1, "access")["ref"]
    action = {"action": "pause", "reason": "awaiting_fee", "note": "the fee"}
    fee = {"amount": "10", "currency": "EUR", "ground": "further_copies", "costs": "printing"}
    bare = client.post(f"/v1/requests/{ref}/actions", json=action | {"fee": fee}, headers=staff)
    assert bare.status_code == 422
    assert bare.json()["code"] == "request.evidence_missing"
    paused = client.post(
        f"/v1/requests/{ref}/actions",
        json=action | {"fee": fee, "evidence": FACTS},
        headers=staff,
    )
    assert paused.status_code == 200, paused.text
    [step] = [e for e in paused.json()["events"] if e["action"] == "paused"]
    assert (step["details"]["fee"]["amount"], step["details"]["fee"]["currency"]) == (
        "10.00",
        "EUR",
    )


def test_the_search_scope_is_recorded_over_http(
    client: TestClient,  # noqa: F811
    staff: dict[str, str],  # noqa: F811
) -> None:
    """POST /v1/requests/{ref}/search-scope: on the timeline; a reason too short is a 422."""
    ref = _open(client, 1, "access")["ref"]
    url = f"/v1/requests/{ref}/search-scope"
    short = client.post(url, json={"left_out": {"archive": "old"}}, headers=staff)
    assert short.status_code == 422
    assert short.json()["code"] == "request.scope_invalid"
    body = {"searched": ["crm"], "left_out": {"archive": "tapes restored only on court order"}}
    recorded = client.post(url, json=body, headers=staff)
    assert recorded.status_code == 200, recorded.text
    [step] = [e for e in recorded.json()["events"] if e["action"] == "search_scope"]
    assert step["details"]["left_out"] == [
        {"system": "archive", "why": "tapes restored only on court order"}
    ]
