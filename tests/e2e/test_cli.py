"""The command line end to end, against a real database on each engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from privault.config import Settings


def test_init_then_check_passes(cli, tmp_path: Path) -> None:
    """`privault init --template contact-centre x && privault check x/privault.yaml` passes."""
    code, out, _ = cli("init", "--template", "contact-centre", str(tmp_path / "x"))
    assert code == 0, out
    code, out, err = cli("check", str(tmp_path / "x" / "privault.yaml"))
    assert code == 0, err
    assert ": ok (" in out


def test_init_creates_the_keys_privault_then_uses(cli, tmp_path: Path, settings: Settings) -> None:
    """Keys go to the keyring folder privault reads (not beside the manifest), as init says."""
    code, out, _ = cli("init", str(tmp_path / "mycompany"))
    assert code == 0, out
    assert str(settings.keyring_path) in out.replace("\n", "")
    assert not (tmp_path / "mycompany" / "keys").exists()
    assert any(settings.keyring_path.iterdir())


def test_init_refuses_to_overwrite(cli, tmp_path: Path) -> None:
    """An existing manifest is kept unless --force is given."""
    assert cli("init", str(tmp_path))[0] == 0
    code, _, err = cli("init", str(tmp_path))
    assert code == 4
    assert "already exists" in err
    assert cli("init", "--force", str(tmp_path))[0] == 0


def test_check_reports_every_error_with_positions(cli, tmp_path: Path, template: str) -> None:
    """A broken manifest: exit 1, each problem as file:line:column with a hint."""
    broken = template.replace("    lawful_basis: contract\n", "", 1).replace(
        "    kind: marketing\n    opt_out: true\n", "    kind: marketing\n    opt_out: false\n", 1
    )
    path = tmp_path / "privault.yaml"
    path.write_text(broken, encoding="utf-8")
    code, _, err = cli("check", str(path))
    assert code == 1
    assert "the manifest has 2 problems" in err
    lines = [line for line in err.splitlines() if line.startswith(str(path) + ":")]
    assert len(lines) == 2
    assert all(line.split(":")[1].isdigit() and line.split(":")[2].isdigit() for line in lines)
    assert err.count("hint:") == 2


def test_check_refuses_no_sale_beside_a_sharing_purpose_at_its_line(
    cli, tmp_path: Path, template: str
) -> None:
    """Bluewave promises no sale; given the sharing purpose 'targeted-ads': exit 1 at that line."""
    needle = "marketing-phone, cpni-marketing, surveys, vulnerability-support]"
    sharing = template.replace(needle, needle[:-1] + ", targeted-ads]", 1)
    path = tmp_path / "privault.yaml"
    path.write_text(sharing, encoding="utf-8")
    code, _, err = cli("check", str(path))
    assert code == 1
    line = sharing.count("\n", 0, sharing.index("targeted-ads]")) + 1
    located = [x for x in err.splitlines() if x.startswith(f"{path}:{line}:")]
    assert len(located) == 1
    assert "tenant 'bluewave' promises not to sell personal data" in located[0]
    assert "Do Not Sell or Share" in err


def test_check_without_a_file_names_the_fix(cli, tmp_path: Path) -> None:
    """A missing manifest is a one-line configuration error."""
    code, _, err = cli("check", str(tmp_path / "missing.yaml"))
    assert code == 7
    assert "privault init" in err


def test_schema_is_json(cli) -> None:
    """`privault manifest schema` prints a JSON Schema."""
    code, out, _ = cli("manifest", "schema")
    assert code == 0
    assert "tenants" in json.loads(out)["properties"]


def test_notice_render_twice_gives_one_version(cli) -> None:
    """Rendering twice: the same version, stated once in history."""
    code, first, err1 = cli("notice", "render", "--tenant", "northwind", "--format", "md")
    assert code == 0, err1
    assert "new version" in err1
    code, second, err2 = cli("notice", "render", "--tenant", "northwind", "--format", "md")
    assert "unchanged" in err2
    assert first == second
    assert "Last updated:" in first
    code, history, _ = cli("notice", "history", "--tenant", "northwind")
    assert len(history.strip().splitlines()) == 1
    code, html, _ = cli("notice", "render", "--tenant", "northwind", "--format", "html")
    assert html.startswith("<!doctype html>")


def test_api_keys_lifecycle(cli) -> None:
    """Create prints the key once; list shows it; revoke marks it."""
    cli("manifest", "apply")
    code, out, err = cli("api-keys", "create", "--tenant", "bluewave", "--role", "agent")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("pv_")
    prefix = token.split("_")[1]
    code, listing, _ = cli("api-keys", "list", "--tenant", "bluewave")
    assert prefix in listing
    assert "active" in listing
    assert token not in listing
    assert cli("api-keys", "revoke", prefix, "--tenant", "bluewave")[0] == 0
    assert "revoked" in cli("api-keys", "list", "--tenant", "bluewave")[1]
    assert cli("api-keys", "revoke", prefix, "--tenant", "bluewave")[0] == 3


def test_unknown_role_is_a_clear_error(cli) -> None:
    """A role the tenant lacks: exit 3 and the known roles."""
    cli("manifest", "apply")
    code, _, err = cli("api-keys", "create", "--tenant", "bluewave", "--role", "janitor")
    assert code == 3
    assert "role.unknown" in err
    assert "privacy-officer" in err


def test_db_current_reports_revisions(cli) -> None:
    """The schema revision is visible."""
    code, out, _ = cli("db", "current")
    assert code == 0
    current, needed = (line.split()[-1] for line in out.strip().splitlines())
    assert current == needed


def test_version_and_help(cli) -> None:
    """--version prints the version; no arguments prints help."""
    assert cli("--version")[1].startswith("privault ")
    code, out, _ = cli()
    assert code == 0
    assert "Usage" in out


def test_the_console_script_runs(settings: Settings, tmp_path: Path) -> None:
    """The installed entry point works as a separate process."""
    env = {**os.environ, "PRIVAULT_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "privault", "init", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "privault.yaml").exists()


def test_db_citus_prints_the_distribution_of_every_table(cli) -> None:
    """The Citus SQL for the schema: reference tables, then distributed ones."""
    code, out, _ = cli("db", "citus")
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("SELECT")]
    assert "SELECT create_reference_table('tenants');" in lines
    assert "SELECT create_distributed_table('subjects', 'tenant_id'," in " ".join(lines)
