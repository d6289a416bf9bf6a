"""Subject requests, datastores, webhooks and the outbox from the command line (both engines)."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event

from tests.fixtures.shop import create_shop, email, phone, seed, shop_dataset_text


@pytest.fixture
def desk(cli, tmp_path: Path):
    """The schema, the manifest applied, customer 3 of the shop in the vault, the shop connected."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    line = {
        "subject": "c-3",
        "identities": {"email": email(3), "phone": phone(3)},
        "data": {"user.name": "Customer 3"},
        "source": "direct",
        "purpose": "customer-service",
    }
    path = tmp_path / "customers.jsonl"
    path.write_text(json.dumps(line))
    assert cli("subjects", "import", str(path), "--tenant", "bluewave")[0] == 0
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = create_engine(url)
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))
    create_shop(engine)
    seed(engine, customers=4)
    engine.dispose()
    dataset = tmp_path / "shop.yml"
    dataset.write_text(shop_dataset_text())
    code, out, err = cli(
        "datastores", "add", "shop", "--tenant", "bluewave", "--url", url, "--dataset", str(dataset)
    )
    assert code == 0, err
    assert "8 collections" in out
    return cli


def _ref(out: str) -> str:
    found = re.search(r"R-[0-9A-Z]{8}", out)
    assert found, out
    return found.group(0)


def _codes(cli, to: str) -> list[str]:
    code, out, _ = cli("outbox", "--to", to, "--last", "50")
    assert code == 0
    return re.findall(r"is (\d{6})\.", out)


def test_open_verify_complete_download(desk, tmp_path: Path) -> None:
    """A request taken by phone: codes to both identities, verified, fulfilled, package saved."""
    code, out, err = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "access",
        "--email", email(3), "--phone", phone(3), "--jurisdiction", "uk",
    )  # fmt: skip
    assert code == 0, err
    ref = _ref(out)
    assert "due" in out
    assert "status link" in out
    email_codes, phone_codes = _codes(desk, email(3)), _codes(desk, phone(3))
    assert len(email_codes) == 1
    assert len(phone_codes) == 1
    code, _, err = desk("requests", "verify", ref, "--tenant", "bluewave", "--code", "111111")
    assert code == 2
    assert "verification.failed" in err
    code, out, _ = desk(
        "requests", "verify", ref, "--tenant", "bluewave",
        "--code", email_codes[0], "--code", phone_codes[0],
    )  # fmt: skip
    assert code == 0
    assert "verified (2/2" in out
    code, out, _ = desk("requests", "complete", ref, "--tenant", "bluewave")
    assert code == 0
    assert "completed" in out
    code, out, err = desk(
        "requests", "download", ref, "--tenant", "bluewave", "--output", str(tmp_path)
    )
    assert code == 0, err
    saved = next(tmp_path.glob("*.zip"))
    assert saved.stat().st_mode & 0o777 == 0o600  # a person's data: the owner's eyes only
    names = zipfile.ZipFile(saved).namelist()
    assert "csv/shop/customers.csv" in names
    assert "csv/vault/personal_data.csv" in names


def test_queue_clock_and_denial(desk) -> None:
    """list --json by due date; pause/resume; extend once; deny with a code; invalid moves refused."""
    code, out, err = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "access", "--email", email(3),
        "--jurisdiction", "us-ca",
    )  # fmt: skip
    assert code == 0, err
    ref = _ref(out)
    code, out, _ = desk("requests", "list", "--tenant", "bluewave", "--json")
    rows = json.loads(out)
    assert [r["ref"] for r in rows] == [ref]
    assert rows[0]["deadline"] == "on_time"
    code, out, err = desk(
        "requests", "pause", ref, "--tenant", "bluewave",
        "--reason", "awaiting_identity", "--message", "a copy of a bill",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = desk("requests", "resume", ref, "--tenant", "bluewave")
    assert code == 0
    assert "received" in out
    code, out, _ = desk("requests", "extend", ref, "--tenant", "bluewave", "--reasons", "complex")
    assert code == 0
    assert "extended" in out
    code, _, err = desk("requests", "extend", ref, "--tenant", "bluewave", "--reasons", "again")
    assert code == 6
    assert "request.extension_refused" in err
    code, _, err = desk("requests", "complete", ref, "--tenant", "bluewave")
    assert code == 4
    assert "request.not_verified" in err
    code, out, _ = desk(
        "requests", "deny", ref, "--tenant", "bluewave",
        "--code", "identity_not_verified", "--text", "We could not confirm it is you.",
    )  # fmt: skip
    assert code == 0
    code, out, _ = desk("requests", "show", ref, "--tenant", "bluewave")
    assert "denied" in out
    assert "paused" in out
    assert "extended" in out


def test_manual_system_task_and_sweep(desk) -> None:
    """A manual system gets a task at verification; the request stays incomplete until it is done."""
    code, _, err = desk(
        "datastores", "add", "billing-legacy", "--tenant", "bluewave",
        "--manual", "--owner", "it-billing@example.com", "--description", "AS/400 billing",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = desk("datastores", "list", "--tenant", "bluewave")
    assert "billing-legacy" in out
    assert "shop" in out
    code, out, _ = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "access", "--email", email(3),
        "--jurisdiction", "us-ca",
    )  # fmt: skip
    ref = _ref(out)
    desk("requests", "verify", ref, "--tenant", "bluewave", "--manual", "called back on file")
    code, out, _ = desk("requests", "complete", ref, "--tenant", "bluewave")
    assert code == 10
    assert "incomplete" in out
    code, out, _ = desk("requests", "show", ref, "--tenant", "bluewave")
    task = re.search(r"task (\d+) \[open\] billing-legacy", out)
    assert task, out
    code, _, _ = desk(
        "requests", "task", ref, "--tenant", "bluewave", "--done", task.group(1), "--note", "sent"
    )
    assert code == 0
    code, out, _ = desk("requests", "complete", ref, "--tenant", "bluewave")
    assert code == 0
    assert "completed" in out
    code, out, _ = desk("requests", "sweep", "--tenant", "bluewave")
    assert code == 0
    assert "closed unverified: 0" in out


def test_datastore_test_and_remove_and_webhooks(desk) -> None:
    """datastores test reports ok; remove forgets it; webhooks add prints the secret once."""
    code, out, _ = desk("datastores", "test", "shop", "--tenant", "bluewave")
    assert code == 0
    assert "shop: ok" in out
    code, out, _ = desk("datastores", "list", "--tenant", "bluewave")
    assert "sqlite:///" in out
    code, _, _ = desk("datastores", "remove", "shop", "--tenant", "bluewave")
    assert code == 0
    code, _, err = desk("datastores", "test", "shop", "--tenant", "bluewave")
    assert code == 3
    assert "datastore.unknown" in err
    code, out, _ = desk("webhooks", "add", "http://127.0.0.1:9/hook", "--tenant", "bluewave")
    assert code == 0
    assert "whsec_" in out
    code, out, _ = desk("webhooks", "list", "--tenant", "bluewave")
    assert "http://127.0.0.1:9/hook" in out
    assert "whsec_" not in out
    desk(
        "requests", "open", "--tenant", "bluewave", "--type", "access",
        "--email", email(3), "--jurisdiction", "us-ca",
    )  # fmt: skip
    code, out, _ = desk("webhooks", "deliver", "--tenant", "bluewave")
    assert code == 0
    assert "retrying 1" in out  # nothing listens on port 9: kept for a retry
    code, _, _ = desk("webhooks", "remove", "1", "--tenant", "bluewave")
    assert code == 0


def test_bad_input_is_refused_and_nothing_is_kept(desk) -> None:
    """A malformed email, an unknown jurisdiction: clear errors, no request stored."""
    code, _, err = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "access", "--email", "not-an-email"
    )
    assert code == 2
    assert "identity.invalid" in err
    code, _, err = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "access",
        "--email", email(3), "--jurisdiction", "mars",
    )  # fmt: skip
    assert code == 3
    assert "jurisdiction.unknown" in err
    code, out, _ = desk("requests", "list", "--tenant", "bluewave", "--json")
    assert json.loads(out) == []


def _today() -> date:
    """Yesterday in UTC: a day of receipt no zone can see as being in the future."""
    return datetime.now(UTC).date() - timedelta(days=1)


def _due(out: str) -> tuple[str, str]:
    found = re.search(r"due (\d{4}-\d{2}-\d{2}) \(([A-Z0-9-]+)\)", out)
    assert found, out
    return found.group(1), found.group(2)


def test_a_virginia_request_is_due_in_45_days_and_extendable_once_by_45(desk) -> None:
    """Va. Code § 59.1-577(B): 45 days after receipt, once extended by 45 (90 in all)."""
    received = _today() - timedelta(days=3)
    code, out, err = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "access", "--email", email(3),
        "--jurisdiction", "us-va", "--received", received.isoformat(),
    )  # fmt: skip
    assert code == 0, err
    assert _due(out) == ((received + timedelta(days=45)).isoformat(), "VCDPA-RESP-1")
    ref = _ref(out)
    code, out, err = desk("requests", "extend", ref, "--tenant", "bluewave", "--reasons", "complex")
    assert code == 0, err
    assert (received + timedelta(days=90)).isoformat() in out
    code, _, err = desk("requests", "extend", ref, "--tenant", "bluewave", "--reasons", "again")
    assert code == 6
    assert "request.extension_refused" in err


def test_an_appeal_of_a_virginia_refusal_has_its_own_clock_and_names_the_attorney_general(
    desk,
) -> None:
    """The refusal says how to appeal; the appeal is due in 60 days (§ 59.1-577(C)); its denial
    tells the person how to contact the Attorney General. A stranger cannot appeal."""
    code, out, err = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "erasure", "--email", email(3),
        "--jurisdiction", "us-va",
    )  # fmt: skip
    assert code == 0, err
    ref = _ref(out)
    code, _, err = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "appeal", "--appeal-of", ref,
        "--email", email(3),
    )  # fmt: skip
    assert code == 4
    assert "request.not_appealable" in err  # nothing decided yet
    code, _, err = desk(
        "requests", "deny", ref, "--tenant", "bluewave",
        "--code", "exempt", "--text", "We must keep your billing records.",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = desk("outbox", "--to", email(3), "--last", "50")
    assert "You may appeal this decision" in out
    assert "60 calendar days" in out
    code, _, err = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "appeal", "--appeal-of", ref,
        "--email", "someone.else@example.com",
    )  # fmt: skip
    assert code != 0
    assert "access.denied" in err
    code, out, err = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "appeal", "--appeal-of", ref,
        "--email", email(3), "--received", _today().isoformat(),
    )  # fmt: skip
    assert code == 0, err
    assert _due(out) == ((_today() + timedelta(days=60)).isoformat(), "VCDPA-APPEAL-1")
    appeal = _ref(out)
    code, _, err = desk("requests", "complete", appeal, "--tenant", "bluewave")
    assert code != 0
    code, _, err = desk(
        "requests", "deny", appeal, "--tenant", "bluewave",
        "--code", "exempt", "--text", "We reviewed the refusal and uphold it.",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = desk("outbox", "--to", email(3), "--last", "50")
    assert "Virginia Attorney General" in out


def test_an_opt_out_of_targeted_advertising_is_applied_at_once(desk) -> None:
    """Colorado (C.R.S. § 6-1-1306(1)(a)): no verification; recorded in the consent ledger."""
    code, out, err = desk(
        "requests", "open", "--tenant", "bluewave", "--type", "opt_out_targeted_ads",
        "--email", email(3), "--jurisdiction", "us-co",
    )  # fmt: skip
    assert code == 0, err
    ref = _ref(out)
    code, out, _ = desk("requests", "show", ref, "--tenant", "bluewave")
    assert "completed" in out
    assert "targeted advertising" in out
