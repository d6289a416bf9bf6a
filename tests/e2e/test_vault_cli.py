"""The vault, keys and audit commands end to end (both engines)."""

from __future__ import annotations

import json
from pathlib import Path

from privault.config import Settings
from tests.fixtures.grants import with_full_values

ROW = {
    "subject": "cust-1",
    "identities": {"email": "ana@example.com", "phone": "+1 415 555 0101"},
    "data": {"user.name": "Ana", "cc.account.number": "ACC-1"},
    "source": "direct",
    "purpose": "billing",
}


def _jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "subjects.jsonl"
    rows = [
        ROW,
        {**ROW, "subject": "cust-2", "identities": {"email": "broken"}},
        {**ROW, "subject": "cust-3", "identities": {"email": "cy@example.com"}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n", encoding="utf-8")
    return path


def test_import_reports_bad_lines_and_imports_the_rest(cli, tmp_path: Path) -> None:
    """Lines 2 and 4 are refused with their numbers; 1 and 3 import; exit 2 says some were refused."""
    assert cli("manifest", "apply")[0] == 0
    code, out, err = cli("subjects", "import", "--tenant", "bluewave", str(_jsonl(tmp_path)))
    assert code == 2
    assert "imported 2 subjects, 2 lines refused" in out
    assert "subjects.jsonl:2:" in err
    assert "subjects.jsonl:4:" in err
    assert "broken" not in err
    assert "worker process" not in err  # a small file is encrypted in this process


def test_csv_import_find_show_update_erase(cli, tmp_path: Path) -> None:
    """The CSV import and the rest of the subject commands."""
    cli("manifest", "apply")
    path = tmp_path / "subjects.csv"
    path.write_text(
        "subject,source,purpose,identity:email,identity:phone,user.name,cc.account.number\n"
        "cust-9,direct,billing,zoe@example.com,+14155550199,Zoe,ACC-9\n",
        encoding="utf-8",
    )
    code, out, err = cli("subjects", "import", "--tenant", "bluewave", str(path))
    assert code == 0, err
    code, out, _ = cli(
        "subjects",
        "find",
        "--tenant",
        "bluewave",
        "--email",
        "ZOE@example.com",
        "--purpose",
        "billing",
    )
    assert code == 0
    assert json.loads(out)[0]["data"]["user.name"]["value"] == "Zoe"
    code, out, _ = cli(
        "subjects",
        "show",
        "cust-9",
        "--tenant",
        "bluewave",
        "--purpose",
        "billing",
        "--as-role",
        "billing-agent",
    )
    shown = json.loads(out)[0]
    assert set(shown["data"]) == {"cc.account.number"}
    code, out, _ = cli(
        "subjects",
        "update",
        "cust-9",
        "--tenant",
        "bluewave",
        "--purpose",
        "billing",
        "--source",
        "agent-call",
        "--set",
        "user.name=Zoë",
    )
    assert code == 0
    assert "user.name" in out
    code, out, err = cli(
        "subjects",
        "erase",
        "cust-9",
        "--tenant",
        "bluewave",
        "--purpose",
        "privacy-requests",
        "--reason",
        "request:3",
    )
    assert code == 6  # the account number is a bill's, kept 7 years for tax law
    assert "retention.kept_by_law" in err
    assert "billing-records" in err
    code, _, err = cli("subjects", "show", "cust-9", "--tenant", "bluewave", "--purpose", "billing")
    assert code == 0, err


def test_a_denied_read_exits_5_with_the_rule(cli, tmp_path: Path) -> None:
    """Acting as a role without a grant is refused, and the rule is shown."""
    cli("manifest", "apply")
    cli("subjects", "import", "--tenant", "bluewave", str(_jsonl(tmp_path)))
    code, _, err = cli(
        "subjects",
        "show",
        "cust-1",
        "--tenant",
        "bluewave",
        "--purpose",
        "billing",
        "--as-role",
        "agent",
    )
    assert code == 5
    assert "access.denied" in err
    assert "no grant" in err


def test_show_prints_a_card_by_its_last_four_unless_the_role_is_granted_it_whole(
    cli, settings, tmp_path: Path
) -> None:
    """The officer sees ****1111; once the billing agent's grant lists the card under full_values,
    the billing agent sees it whole."""
    cli("manifest", "apply")
    path = tmp_path / "card.jsonl"
    card = {**ROW, "data": {**ROW["data"], "cc.payment.card": "4111 1111 1111 1111"}}
    path.write_text(json.dumps(card) + "\n", encoding="utf-8")
    assert cli("subjects", "import", "--tenant", "bluewave", str(path))[0] == 0
    show = ("subjects", "show", "cust-1", "--tenant", "bluewave", "--purpose", "billing")
    code, out, _ = cli(*show)
    assert code == 0
    assert json.loads(out)[0]["data"]["cc.payment.card"]["value"] == "****1111"
    assert "4111" not in out
    manifest = settings.data_dir / "privault.yaml"
    manifest.write_text(with_full_values(manifest.read_text(encoding="utf-8")), encoding="utf-8")
    code, out, _ = cli(*show, "--as-role", "billing-agent")
    assert code == 0
    shown = json.loads(out)[0]["data"]["cc.payment.card"]
    assert (shown["value"], shown["last_four"]) == ("4111 1111 1111 1111", False)


def test_keys_rotate_then_values_still_open(cli, tmp_path: Path) -> None:
    """Rotation re-wraps every subject key; reads still work; audit verify passes."""
    cli("manifest", "apply")
    cli("subjects", "import", "--tenant", "bluewave", str(_jsonl(tmp_path)))
    code, out, _ = cli("keys", "rotate", "--tenant", "bluewave")
    assert code == 0
    assert "key version 2" in out
    assert "re-wrapped 2 subject keys" in out
    code, out, _ = cli("subjects", "show", "cust-3", "--tenant", "bluewave", "--purpose", "billing")
    assert json.loads(out)[0]["data"]["user.name"]["value"] == "Ana"
    code, out, _ = cli("audit", "verify")
    assert code == 0
    assert "bluewave:" in out
    assert ": ok" in out
    assert cli("audit", "checkpoint", "--tenant", "bluewave")[0] == 0
    code, _, err = cli("audit", "restored", "--tenant", "bluewave", "--reason", "a drill")
    assert code != 0  # nothing was restored: nothing to accept, and nothing set aside
    assert "no restore to accept" in err


def test_init_creates_the_keyring(cli, tmp_path: Path, settings: Settings) -> None:
    """`privault init DIR` writes <keyring folder>/<tenant>.json, readable by its owner only."""
    assert cli("init", str(tmp_path / "x"))[0] == 0
    files = sorted(settings.keyring_path.glob("*.json"))
    assert [f.stem for f in files] == ["bluewave", "harbour", "northwind"]
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)


def test_import_with_a_worker_process(cli, tmp_path: Path) -> None:
    """The multi-process import gives the same result as the in-process one, encrypted elsewhere."""
    cli("manifest", "apply")
    code, out, err = cli(
        "subjects",
        "import",
        "--tenant",
        "bluewave",
        "--workers",
        "1",
        "--batch",
        "1",
        str(_jsonl(tmp_path)),
    )
    assert code == 2
    assert "imported 2 subjects, 2 lines refused" in out
    assert "encrypted in 1 worker process(es)" in err
    code, out, _ = cli(
        "subjects",
        "find",
        "--tenant",
        "bluewave",
        "--email",
        "cy@example.com",
        "--purpose",
        "billing",
    )
    assert json.loads(out)[0]["data"]["cc.account.number"]["value"] == "ACC-1"


def test_demo_prepares_a_usable_deployment(cli, settings) -> None:
    """`privault demo` (what `make run` calls) leaves a key that reads the sample customers."""
    code, out, err = cli("demo")
    assert code == 0, err
    assert "demo-1" in out
    key = (settings.data_dir / "demo-credentials.txt").read_text().strip()
    assert key.startswith("pv_")
    code, out, _ = cli("subjects", "show", "demo-1", "--tenant", "bluewave", "--purpose", "billing")
    assert json.loads(out)[0]["data"]["cc.account.number"]["value"] == "BW-100001"
    assert cli("demo")[0] == 0  # idempotent: nothing is created twice
