"""The docs are checked: every setting, CLI command, error code and manifest field is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
from pydantic import BaseModel

from privault.cli.app import app
from privault.config import Settings
from privault.core.manifest import model
from privault.errors import all_error_codes

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _commands(command: object, path: tuple[str, ...]) -> list[str]:
    subs = getattr(command, "commands", None)
    if not subs:
        return [" ".join(path)]
    return [c for name, sub in subs.items() for c in _commands(sub, (*path, name))]


def test_every_cli_command_is_documented() -> None:
    """docs/cli.md has a heading for each command."""
    text = (DOCS / "cli.md").read_text()
    commands = _commands(typer.main.get_command(app), ("privault",))
    assert len(commands) > 10
    missing = [c for c in commands if f"### `{c}" not in text]
    assert not missing


def test_every_setting_is_documented() -> None:
    """docs/settings.md names each PRIVAULT_* variable."""
    text = (DOCS / "settings.md").read_text()
    missing = [n for n in Settings.model_fields if f"`PRIVAULT_{n.upper()}`" not in text]
    assert not missing


def test_every_error_code_is_documented() -> None:
    """docs/errors.md lists each stable code."""
    text = (DOCS / "errors.md").read_text()
    missing = [code for code in all_error_codes() if f"`{code}`" not in text]
    assert not missing


def _models() -> list[type[BaseModel]]:
    return [
        obj
        for obj in vars(model).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == model.__name__
        and not obj.__name__.startswith("_")
    ]


@pytest.mark.parametrize("manifest_model", _models(), ids=lambda m: m.__name__)
def test_every_manifest_field_is_documented(manifest_model: type[BaseModel]) -> None:
    """docs/manifest.md mentions each field of each manifest model."""
    text = (DOCS / "manifest.md").read_text()
    missing = [f for f in manifest_model.model_fields if not re.search(rf"`{f}`", text)]
    assert not missing


def test_readme_gives_the_two_commands() -> None:
    """The README's set-up is make run and make test."""
    text = (DOCS.parent / "README.md").read_text()
    assert "make run" in text
    assert "make test" in text


def test_every_audit_action_is_documented() -> None:
    """docs/audit.md lists the whole vocabulary."""
    from privault.core.audit import ACTIONS

    text = (DOCS / "audit.md").read_text()
    missing = [action for action in ACTIONS if f"`{action}`" not in text]
    assert not missing


def test_every_datastore_finding_code_is_documented() -> None:
    """docs/requests.md lists each code ``datastores test`` reports, with its hint."""
    from privault.connectors.checks import FINDING_CODES

    text = (DOCS / "requests.md").read_text()
    missing = [code for code in FINDING_CODES if f"| `{code}` |" not in text]
    assert not missing


def test_every_dependency_is_listed_with_its_pinned_version() -> None:
    """docs/dependencies.md names each dependency of pyproject.toml at the version pinned there,
    with a licence."""
    import tomllib

    project = tomllib.loads((DOCS.parent / "pyproject.toml").read_text())["project"]
    text = (DOCS / "dependencies.md").read_text()
    rows = {
        cells[1].strip(): (cells[2].strip(), cells[3].strip())
        for cells in (line.split("|") for line in text.splitlines())
        if len(cells) > 4 and cells[1].strip() not in ("", "package") and "---" not in cells[1]
    }
    pins = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    for pin in pins:
        name, version = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^;\s]+)", pin).groups()
        row = next((names for names in rows if name in names.split(", ")), None)
        assert row is not None, f"{name} is not in docs/dependencies.md"
        versions, licence = rows[row]
        position = row.split(", ").index(name)
        assert versions.split(", ")[position] == version, f"{name}: {version} in pyproject.toml"
        assert licence, f"{name}: no licence"
