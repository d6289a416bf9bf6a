"""The layers hold: core imports no outer layer; only config reads the environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "privault"
OUTER = (
    "privault.storage",
    "privault.services",
    "privault.api",
    "privault.cli",
    "privault.web",
    "privault.bootstrap",
    "privault.jobs",
    "privault.connectors",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((SRC / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_imports_no_outer_layer(path: Path) -> None:
    """core/ is rules only."""
    bad = [name for name in _imports(path) if name.startswith(OUTER)]
    assert not bad


def test_services_do_not_import_the_edges() -> None:
    """services/ never imports api/, cli/ or web/."""
    for path in (SRC / "services").rglob("*.py"):
        bad = [
            n
            for n in _imports(path)
            if n.startswith(("privault.api", "privault.cli", "privault.web"))
        ]
        assert not bad, path


def test_only_config_reads_the_environment() -> None:
    """One settings object: no other module touches os.environ or os.getenv."""
    offenders = [
        p.relative_to(SRC)
        for p in SRC.rglob("*.py")
        if p.name != "config.py" and ("os.environ" in p.read_text() or "getenv" in p.read_text())
    ]
    assert not offenders
