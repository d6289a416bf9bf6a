"""The CCPA verification levels, the §7101(b) log and the §7102 metrics from the command line and
over HTTP (both engines), with PRIVAULT_CCPA_VERIFICATION_LEVELS on."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.config import Settings
from privault.core.clock import FixedClock
from privault.core.request_records import RECORD_FIELDS
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest

EMAIL = "ana.lima@example.com"


def _ref(out: str) -> str:
    found = re.search(r"R-[0-9A-Z]{8}", out)
    assert found, out
    return found.group(0)


@pytest.fixture
def levels_cli(cli, monkeypatch: pytest.MonkeyPatch, tmp_path):
    """The CLI with the levels on, the manifest applied and Ana (email only) in the vault."""
    monkeypatch.setenv("PRIVAULT_CCPA_VERIFICATION_LEVELS", "true")
    monkeypatch.setenv("PRIVAULT_CCPA_CONSUMERS_PER_YEAR", "12000000")
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    line = {
        "subject": "ana",
        "identities": {"email": EMAIL},
        "data": {"user.name": "Ana Lima"},
        "source": "direct",
        "purpose": "customer-service",
    }
    path = tmp_path / "ana.jsonl"
    path.write_text(json.dumps(line))
    assert cli("subjects", "import", str(path), "--tenant", "bluewave")[0] == 0
    return cli


def _open(cli, kind: str) -> str:
    """A Californian request for Ana by email; its ref."""
    code, out, err = cli(
        "requests", "open", "--tenant", "bluewave", "--type", kind, "--email", EMAIL,
        "--jurisdiction", "us-ca",
    )  # fmt: skip
    assert code == 0, err
    return _ref(out)


def test_cli_verifies_an_access_request_only_at_its_level(levels_cli) -> None:
    """Code entered: still needed; staff short: exit 6; declaration and points: verified; log."""
    cli = levels_cli
    ref = _open(cli, "access")
    _, box, _ = cli("outbox", "--to", EMAIL, "--last", "5")
    entered = re.findall(r"is (\d{6})\.", box)
    code, out, _ = cli("requests", "verify", ref, "--tenant", "bluewave", "--code", entered[0])
    assert code == 0
    assert "received (1/1 identities verified); still needed:" in out
    code, _, err = cli(
        "requests",
        "verify",
        ref,
        "--tenant",
        "bluewave",
        "--manual",
        "letter",
        "--point",
        "address",
    )
    assert code == 6
    assert "verification.insufficient" in err
    code, out, _ = cli("requests", "declare", ref, "--tenant", "bluewave", "--name", "Ana Lima")
    assert code == 0
    assert "declaration kept; received; still needed" in out
    code, out, err = cli(
        "requests", "verify", ref, "--tenant", "bluewave", "--manual", "call", "--point", "order"
    )
    assert code == 0, err
    assert f"{ref}: verified" in out
    today = datetime.now(UTC).date().isoformat()
    code, out, err = cli("requests", "log", "--tenant", "bluewave", "--from", "2020-01-01",
                         "--to", today)  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["ref", *RECORD_FIELDS]
    assert (rows[0]["ref"], rows[0]["nature"], rows[0]["response"]) == (ref, "access", "pending")
    code, _, err = cli("requests", "log", "--tenant", "bluewave", "--from", "yesterday",
                       "--to", today)  # fmt: skip
    assert code == 2


def test_cli_metrics_report_the_year_and_the_duty(levels_cli) -> None:
    """metrics --json for the current year counts the request; the duty is due by 1 July next."""
    cli = levels_cli
    _open(cli, "erasure")
    year = datetime.now(UTC).year  # the CLI runs on the real clock
    code, out, err = cli("requests", "metrics", "--tenant", "bluewave", "--year", str(year),
                         "--json")  # fmt: skip
    assert code == 0, err
    found = json.loads(out)
    delete = next(k for k in found["kinds"] if k["kind"] == "delete")
    assert (delete["received"], delete["complied"], delete["denied"]) == (1, 0, 0)
    assert (found["required"], found["disclose_by"]) == (True, f"{year + 1}-07-01")
    code, out, _ = cli("requests", "metrics", "--tenant", "bluewave", "--year", str(year))
    assert code == 0
    assert "11 CCR §7102" in out
    assert cli("requests", "metrics", "--tenant", "bluewave", "--year", "2019")[0] == 2


@pytest.fixture
def client(settings: Settings, clock: FixedClock) -> Iterator[tuple[TestClient, Container]]:
    """The API with the levels on and the manifest applied."""
    on = settings.model_copy(update={"ccpa_verification_levels": True})
    container = Container(on, clock=clock)
    apply_manifest(container.deps)
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client, container
    container.close()


def test_api_declaration_evidence_log_and_metrics(
    client: tuple[TestClient, Container],
) -> None:
    """The requester signs; staff add evidence (422 below the level); the log and metrics answer."""
    http, container = client
    key = create_api_key(container.deps, "bluewave", "privacy-officer", name="t")
    staff = {"Authorization": f"Bearer {key.token.reveal()}"}
    statement = http.get("/v1/requests/declaration").json()
    assert statement["version"] == "ccpa-7062c-1"
    opened = http.post(
        "/v1/requests",
        json={"tenant": "bluewave", "type": "access", "identities": {"email": [EMAIL]},
              "jurisdiction": "us-ca"},
    ).json()  # fmt: skip
    token, ref = opened["token"], opened["ref"]
    refused = http.post(f"/v1/requests/status/{token}/declaration", json={"name": "Ana"})
    assert refused.status_code == 422
    signed = http.post(
        f"/v1/requests/status/{token}/declaration", json={"name": "Ana Lima", "agree": True}
    )
    assert signed.status_code == 200, signed.text
    assert "Declaration signed" in [step for _, step in signed.json()["timeline"]]
    short = http.post(
        f"/v1/requests/{ref}/evidence", json={"note": "letter", "points": ["a"]}, headers=staff
    )
    assert (short.status_code, short.json()["code"]) == (422, "verification.insufficient")
    done = http.post(
        f"/v1/requests/{ref}/evidence", json={"note": "app", "account": True}, headers=staff
    )
    assert (done.status_code, done.json()["state"]) == (200, "verified")
    day = container.clock.now().date().isoformat()
    log = http.get(f"/v1/request-log?from={day}&to={day}", headers=staff).json()
    assert [(e["ref"], e["manner"], e["response"]) for e in log] == [(ref, "web", "pending")]
    year = container.clock.now().year
    metrics = http.get(f"/v1/request-metrics?year={year}", headers=staff).json()
    know = next(k for k in metrics["kinds"] if k["kind"] == "know")
    assert know["received"] == 1
    assert metrics["required"] is False
    assert http.get("/v1/request-metrics", headers={}).status_code == 401


def test_privacy_center_page_asks_for_the_declaration_until_signed(
    client: tuple[TestClient, Container],
) -> None:
    """The status page shows the statement; unticked it is refused; signed, it leaves the page."""
    http, _ = client
    opened = http.post(
        "/v1/requests",
        json={"tenant": "bluewave", "type": "access", "identities": {"email": [EMAIL]},
              "jurisdiction": "us-ca"},
    ).json()  # fmt: skip
    page_url = f"/p/bluewave/status/{opened['token']}"
    page = http.get(page_url)
    assert "penalty of perjury" in page.text
    assert http.get(f"/v1/requests/status/{opened['token']}").json()["declaration"]
    unticked = http.post(f"{page_url}/declaration", data={"name": "Ana Lima"})
    assert unticked.status_code == 422
    assert "tick the box" in unticked.text
    signed = http.post(
        f"{page_url}/declaration", data={"name": "Ana Lima", "agree": "yes"}, follow_redirects=False
    )
    assert signed.status_code == 303
    after = http.get(page_url).text
    assert "Declaration signed" in after
    assert "penalty of perjury" not in after
