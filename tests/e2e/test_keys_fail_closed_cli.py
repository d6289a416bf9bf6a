"""Keys fail closed from the command line (both engines): `serve` and `worker` refuse to start on a
missing, damaged, foreign or exposed key file, naming it; `keys check` reports every tenant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from privault.config import Settings
from privault.crypto.keyring import LocalKeyring


@pytest.fixture
def keys(cli, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The manifest applied through the CLI; the keys folder. `serve` may not get to listen."""

    def never(*_: object, **__: object) -> None:
        pytest.fail("privault serve started to listen")

    monkeypatch.setattr("uvicorn.run", never)
    monkeypatch.setenv("PRIVAULT_WORKER_EMBEDDED", "false")
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    return settings.keyring_path


def _states(cli) -> tuple[int, dict[str, dict[str, object]]]:
    code, out, _ = cli("keys", "check", "--json")
    return code, {row["tenant"]: row for row in json.loads(out)}


def test_keys_check_reports_every_tenant_ok(cli, keys: Path) -> None:
    """After manifest apply every tenant's keys are ok: exit 0, a row per tenant."""
    code, states = _states(cli)
    assert code == 0
    assert {k: (v["state"], v["location"]) for k, v in states.items()} == {
        t: ("ok", str(keys / f"{t}.json")) for t in ("bluewave", "harbour", "northwind")
    }
    code, out, _ = cli("keys", "check")
    assert code == 0
    assert out.count(" ok ") == 3


def test_a_missing_key_file_stops_serve_and_worker_and_keys_check_says_so(cli, keys: Path) -> None:
    """bluewave.json gone: serve and worker exit 7 naming it; keys check exits 1; no new keys."""
    path = keys / "bluewave.json"
    path.unlink()
    for command in (("serve",), ("worker", "--once")):
        code, _, err = cli(*command)
        assert code == 7, command
        assert "error [keyring.missing]" in err
        assert str(path) in err.replace("\n", "")
        assert "'bluewave'" in err
    assert not path.exists()
    code, states = _states(cli)
    assert code == 1
    assert states["bluewave"]["state"] == "missing"
    assert states["bluewave"]["code"] == "keyring.missing"
    assert states["harbour"]["state"] == "ok"
    code, out, err = cli("keys", "check")
    assert code == 1
    assert "missing" in out
    assert "bluewave [keyring.missing]" in err


def test_a_truncated_key_file_is_named_when_serve_refuses(cli, keys: Path) -> None:
    """Half a key file: one line naming the file, not an unexpected JSONDecodeError."""
    path = keys / "northwind.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:40], encoding="utf-8")
    code, _, err = cli("serve")
    assert code == 7
    assert "error [keyring.unreadable]" in err
    assert str(path) in err.replace("\n", "")
    assert "JSONDecodeError" not in err
    assert _states(cli)[1]["northwind"]["state"] == "unreadable"


def test_another_install_and_another_tenant_are_reported_by_keys_check(
    cli, keys: Path, tmp_path: Path
) -> None:
    """A foreign install's bluewave keys: fingerprint mismatch; harbour's file as northwind's:
    wrong tenant."""
    other = LocalKeyring(tmp_path / "elsewhere")
    other.ensure_tenant("bluewave")
    (keys / "bluewave.json").write_bytes((other.folder / "bluewave.json").read_bytes())
    (keys / "northwind.json").write_bytes((keys / "harbour.json").read_bytes())
    code, states = _states(cli)
    assert code == 1
    assert {k: v["state"] for k, v in states.items()} == {
        "bluewave": "fingerprint mismatch",
        "harbour": "ok",
        "northwind": "wrong tenant",
    }
    assert cli("worker", "--once")[0] == 7


def test_a_world_readable_key_file_is_refused_unless_the_setting_says_warn(
    cli, keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mode 644: refused (keys check 1, worker 7); PRIVAULT_KEYRING_PERMISSIONS=warn lets it run."""
    (keys / "harbour.json").chmod(0o644)
    code, states = _states(cli)
    assert (code, states["harbour"]["state"]) == (1, "permissions")
    code, _, err = cli("worker", "--once")
    assert code == 7
    assert "error [keyring.permissions]" in err
    monkeypatch.setenv("PRIVAULT_KEYRING_PERMISSIONS", "warn")
    assert _states(cli)[0] == 0
    code, _, err = cli("worker", "--once")
    assert code == 0, err
