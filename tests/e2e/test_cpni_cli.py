"""``privault cpni`` from the command line (both engines): a notice and the schedule, a campaign
through its supervisory review, the certificate, an inbound call with and without the password, and
the alert an address change sends to the existing contact.

Runs the Typer apps with Typer's CliRunner and the test's container as the root object (the same
object the ``privault`` root callback builds).
"""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner, Result

from privault.bootstrap import Container
from privault.cli.cpni import app as cpni_app
from privault.cli.subjects import app as subjects_app
from privault.core.access import Principal
from privault.errors import Conflict
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import update_subject
from privault.services.vault_import import create_subject


@pytest.fixture
def run(container: Container):
    """Invoke an app with the container; returns the Result."""
    apply_manifest(container.deps)
    runner = CliRunner()

    def invoke(app: typer.Typer, *args: str, stdin: str | None = None) -> Result:
        return runner.invoke(app, list(args), obj=container, input=stdin)

    return invoke


def _refused(result: Result) -> str:
    """The code of the error a command raised (the root ``run`` prints it and exits 4)."""
    assert isinstance(result.exception, Conflict), result.output
    return result.exception.code


@pytest.fixture
def caller(container: Container, run) -> str:
    """A Bluewave customer with an e-mail, a phone, an address, call detail and a PIN."""
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    raw = {
        "subject": "cust-9",
        "identities": {"email": "cust9@example.com", "phone": "+1 415 555 0100"},
        "data": {
            "user.name": "Ada Lovelace",
            "user.contact.address": "12 Elm Street",
            "cc.telecom.call_detail": "2026-02-28 +14155550199 12m",
        },
        "source": "direct",
        "purpose": "billing",
    }
    create_subject(container.deps, officer, raw)
    pin = {"data": {"cc.account.security_pin": "harbour-kite-42"}}
    update_subject(
        container.deps,
        officer,
        "cust-9",
        pin | {"source": "direct", "purpose": "fraud-prevention"},
    )
    return "cust-9"


def test_a_mailed_notice_and_the_schedule(run, caller: str) -> None:
    """The notice prints its dates; the schedule then no longer lists the customer."""
    due = run(cpni_app, "notices", "due", "--tenant", "bluewave")
    assert due.exit_code == 0, due.output
    assert "cust-9\tfirst\t2026-03-02" in due.output
    sent = run(cpni_app, "notices", "record", caller, "--tenant", "bluewave", "--delivery", "mail")
    assert sent.exit_code == 0, sent.output
    assert "wait starts 2026-03-05, approval from 2026-04-04, renew by 2028-03-01" in sent.output
    again = run(cpni_app, "notices", "due", "--tenant", "bluewave")
    assert "cust-9" not in again.output
    bad = run(cpni_app, "notices", "record", caller, "--tenant", "bluewave", "--delivery", "fax")
    assert bad.exit_code != 0


def test_a_campaign_needs_another_persons_approval_before_launch(
    run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Logged, self-review refused (exit 4), approved by a supervisor, launched, listed."""
    monkeypatch.setattr("getpass.getuser", lambda: "sales")
    logged = run(
        cpni_app, "campaigns", "log", "spring", "--tenant", "bluewave", "--description",
        "Handset upgrade", "--cpni", "cc.telecom.cpni", "--products", "5G handsets",
        "--purpose", "cpni-marketing",
    )  # fmt: skip
    assert logged.exit_code == 0, logged.output
    assert "campaign spring proposed, kept until 2027-03-02" in logged.output
    early = run(cpni_app, "campaigns", "launch", "spring", "--tenant", "bluewave")
    assert _refused(early) == "cpni.campaign_unapproved"
    own = run(cpni_app, "campaigns", "review", "spring", "--tenant", "bluewave", "--approve")
    assert _refused(own) == "cpni.campaign_review"
    monkeypatch.setattr("getpass.getuser", lambda: "boss")
    ok = run(cpni_app, "campaigns", "review", "spring", "--tenant", "bluewave", "--approve")
    assert ok.exit_code == 0
    assert "approved" in ok.output
    launched = run(cpni_app, "campaigns", "launch", "spring", "--tenant", "bluewave")
    assert launched.exit_code == 0
    assert "launched" in launched.output
    listed = json.loads(run(cpni_app, "campaigns", "list", "--tenant", "bluewave").output)
    assert [(c["ref"], c["status"], c["reviewer"]) for c in listed] == [
        ("spring", "launched", "cli:boss")
    ]


def test_the_certificate_is_drafted_and_late_after_1_march(run) -> None:
    """For 2025, drafted 2 March 2026: Markdown on stdout, the lateness on stderr."""
    made = run(
        cpni_app, "certificate", "--tenant", "bluewave", "--year", "2025", "--officer",
        "Grace Hopper", "--title", "CCO", "--broker-actions", "none", "--complaints", "none",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "# Annual CPNI compliance certificate, calendar year 2025" in made.output
    assert "due by 2026-03-01" in made.output
    elsewhere = run(
        cpni_app, "certificate", "--tenant", "harbour", "--year", "2025", "--officer", "X",
        "--title", "Y", "--broker-actions", "none", "--complaints", "none",
    )  # fmt: skip
    assert _refused(elsewhere) == "cpni.not_carrier"


def test_an_inbound_call_shows_call_detail_only_with_the_password(run, caller: str) -> None:
    """No password: call detail withheld and the alternatives offered; the right one: shown."""
    args = ("call", caller, "--tenant", "bluewave", "--purpose", "billing")
    masked = run(cpni_app, *args)
    assert masked.exit_code == 0, masked.output
    assert "FCC-AUTH-1" in masked.output
    assert "2026-02-28 +14155550199" not in masked.output
    assert "send to the address of record" in masked.output
    shown = run(cpni_app, *args, "--password-stdin", stdin="harbour-kite-42\n")
    assert shown.exit_code == 0, shown.output
    assert "2026-02-28 +14155550199 12m" in shown.output
    assert "password: passed" in shown.output


def test_an_address_change_alerts_the_number_of_record(
    run, caller: str, container: Container
) -> None:
    """`subjects update` of the address: one text, to the number held, without the new address."""
    outbox = container.settings.outbox_path / "outbox.jsonl"
    before = outbox.read_text().splitlines() if outbox.exists() else []
    updated = run(
        subjects_app, "update", caller, "--tenant", "bluewave", "--purpose", "billing",
        "--source", "direct", "--set", "user.contact.address=99 New Road",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    [message] = [json.loads(m) for m in outbox.read_text().splitlines()[len(before) :]]
    assert (message["channel"], message["to"]) == ("sms", "+14155550100")
    assert "address of record" in message["body"]
    assert "99 New Road" not in message["body"]


def test_the_privault_command_runs_the_cpni_group_with_its_exit_codes(cli) -> None:
    """`privault cpni ...` is wired: a carrier's empty schedule exits 0; Harbour gets exit 4."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    code, _, err = cli("cpni", "notices", "due", "--tenant", "bluewave")
    assert (code, err.strip()) == (0, "0 notices due")
    code, _, err = cli("cpni", "notices", "due", "--tenant", "harbour")
    assert code == 4
    assert "error [cpni.not_carrier]" in err


def test_an_agent_desktop_gets_call_detail_over_http_only_with_the_password(
    caller: str, container: Container
) -> None:
    """POST /v1/cpni/inbound-call: withheld with the alternatives, then shown once the password
    passes; a wrong password is audited as failed and shows nothing more."""
    from fastapi.testclient import TestClient

    from privault.http.app import create_app
    from privault.services.api_keys import create_api_key

    key = create_api_key(container.deps, "bluewave", "privacy-officer", name="desk")
    auth = {"Authorization": f"Bearer {key.token.reveal()}"}
    body = {"subject": caller, "purpose": "billing"}
    with TestClient(create_app(container)) as client:
        masked = client.post("/v1/cpni/inbound-call", json=body, headers=auth)
        wrong = client.post("/v1/cpni/inbound-call", json=body | {"password": "x"}, headers=auth)
        shown = client.post(
            "/v1/cpni/inbound-call", json=body | {"password": "harbour-kite-42"}, headers=auth
        )
    assert masked.status_code == 200, masked.text
    assert masked.json()["password"] == "not_given"
    assert masked.json()["withheld_call_detail"] == ["cc.telecom.call_detail"]
    assert masked.json()["alternatives"]
    assert "cc.telecom.call_detail" not in masked.json()["caller"]["data"]
    assert wrong.json()["password"] == "failed"
    assert "cc.telecom.call_detail" not in wrong.json()["caller"]["data"]
    assert shown.json()["password"] == "passed"
    detail = shown.json()["caller"]["data"]["cc.telecom.call_detail"]["value"]
    assert detail == "2026-02-28 +14155550199 12m"
