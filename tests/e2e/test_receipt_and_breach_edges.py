"""Issue #14 at the edges: `requests open --received` and the API's `received` (staff only), and US
state breach clocks from `incidents open --residents`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest

BODY = {
    "tenant": "bluewave",
    "type": "access",
    "identities": {"email": ["ana@example.com"]},
    "jurisdiction": "us-ca",
}


@pytest.fixture
def ready(cli):
    """The schema and the template manifest applied."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    return cli


def test_cli_opens_a_letter_with_its_true_receipt_date(ready) -> None:
    """Received ten days ago: the deadline is 45 days after that day, and the output says so."""
    received = datetime.now(UTC).date() - timedelta(days=10)
    code, out, err = ready(
        "requests", "open", "--tenant", "bluewave", "--type", "access",
        "--email", "ana@example.com", "--jurisdiction", "us-ca", "--channel", "post",
        "--received", received.isoformat(),
    )  # fmt: skip
    assert code == 0, err
    assert f"received on {received.isoformat()}" in out
    assert f"due {(received + timedelta(days=45)).isoformat()}" in out
    assert "working target" in out


@pytest.mark.parametrize(
    ("received", "message"),
    [
        ("tomorrow", "in the future"),
        ("2020-01-01", "more than a year ago"),
        ("1 May", "YYYY-MM-DD"),
    ],
)
def test_cli_refuses_an_impossible_receipt_date(ready, received: str, message: str) -> None:
    """A future date, one years back, or not a date: refused with a one-line error."""
    if received == "tomorrow":
        received = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    code, out, err = ready(
        "requests", "open", "--tenant", "bluewave", "--type", "access",
        "--email", "ana@example.com", "--received", received,
    )  # fmt: skip
    assert code != 0
    assert message in out + err


def test_cli_opens_an_incident_with_state_clocks(ready) -> None:
    """Californians and Texans affected: each state's clock, with its date."""
    code, out, err = ready(
        "incidents", "open", "--tenant", "harbour", "--title", "Lost laptop", "--risk", "low",
        "--aware-at", "2026-12-01T10:00:00+00:00", "--residents", "CA=1200", "--residents", "TX=300",
    )  # fmt: skip
    assert code == 0, err
    assert "us-states" in out
    assert "US-CA-BR" in out
    assert "US-TX-BR" in out
    assert "2026-12-31" in out  # California and the Texas AG: 30 days after 1 December
    assert "2027-01-30" in out  # Texas residents: 60 days


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The API with the manifest applied."""
    apply_manifest(container.deps)
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


def test_api_takes_a_receipt_date_from_staff_only(container: Container, client: TestClient) -> None:
    """Without an API key `received` is forbidden; with one, the deadline counts from it (the test
    clock reads 2 March 2026: received 20 February, due 6 April)."""
    assert client.post("/v1/requests", json=BODY | {"received": "2026-02-20"}).status_code == 403
    created = create_api_key(container.deps, "bluewave", "privacy-officer", name="t")
    staff = {"Authorization": f"Bearer {created.token.reveal()}"}
    response = client.post("/v1/requests", json=BODY | {"received": "2026-02-20"}, headers=staff)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["received_on"], body["due_on"]) == ("2026-02-20", "2026-04-06")
    assert date.fromisoformat(body["target_on"]) < date(2026, 4, 6)
