"""The layers hold: each part of privault imports only the parts the dependency matrix allows; core
imports no outer layer; only config reads the environment."""

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

# The whole dependency matrix: which part of privault may import which, besides itself. A part is a
# top-level package or module; the HTTP composition root (``http.app``) is a part of its own, since
# it alone mounts the API and the web on one app; ``__init__`` is the package itself (its version).
# The edges (api, web, cli) only translate: they call services, and share ``http``, never each
# other; only ``bootstrap``, the composition root, builds storage.
EDGES = frozenset({"api", "web", "cli"})
ALLOWED: dict[str, frozenset[str]] = {
    "__init__": frozenset(),
    "errors": frozenset(),
    "config": frozenset(),
    "logging": frozenset({"config"}),
    "core": frozenset({"errors"}),
    "crypto": frozenset({"core", "errors"}),
    "connectors": frozenset({"core", "errors"}),
    "outbound": frozenset({"core", "errors"}),
    "storage": frozenset({"core", "errors"}),
    "rendering": frozenset({"core", "errors"}),
    "services": frozenset({"core", "crypto", "connectors", "outbound", "errors"}),
    "bootstrap": frozenset(
        {"config", "core", "crypto", "outbound", "rendering", "services", "storage", "errors"}
    ),
    "jobs": frozenset({"bootstrap", "core", "services", "errors"}),
    "http": frozenset({"bootstrap", "core", "services", "errors"}),
    "http.app": frozenset({"__init__", "bootstrap", "api", "web"}),
    "api": frozenset({"http", "bootstrap", "core", "services", "errors", "logging"}),
    "web": frozenset({"http", "bootstrap", "core", "services", "errors"}),
    "cli": frozenset(
        {"__init__", "http.app", "bootstrap", "config", "logging", "jobs", "demo"}
        | {"core", "services", "errors"}
    ),
    "demo": frozenset({"bootstrap", "core", "services", "errors"}),
    "__main__": frozenset({"cli"}),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _part(module: str) -> str | None:
    """The part of privault a module belongs to (None for a module outside privault)."""
    if module != "privault" and not module.startswith("privault."):
        return None
    names = module.split(".")[1:]
    if not names:
        return "__init__"
    two = ".".join(names[:2])
    return two if two in ALLOWED else names[0]


def _module(path: Path) -> str:
    """The dotted name of a source file."""
    names = ["privault", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(names[:-1] if names[-1] == "__init__" else names)


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


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_what_the_matrix_allows(part: str) -> None:
    """A part imports itself and the parts ``ALLOWED`` names for it, nothing else."""
    files = [p for p in SRC.rglob("*.py") if _part(_module(p)) == part]
    bad = sorted(
        f"{path.relative_to(SRC)} imports {name}"
        for path in files
        for name in _imports(path)
        if _part(name) not in (None, part, *ALLOWED[part])
    )
    assert not bad


def test_every_part_has_its_place_in_the_matrix() -> None:
    """A new top-level package or module is given its allowed imports before it is used."""
    parts = {_part(_module(p)) for p in SRC.rglob("*.py")}
    assert parts <= set(ALLOWED)


def test_no_edge_may_import_another_edge_or_storage() -> None:
    """api, web and cli share only ``http`` and the composition roots, never each other or storage."""
    for edge in EDGES:
        assert not ALLOWED[edge] & (EDGES | {"storage"}), edge


def test_only_config_reads_the_environment() -> None:
    """One settings object: no other module touches os.environ or os.getenv."""
    offenders = [
        p.relative_to(SRC)
        for p in SRC.rglob("*.py")
        if p.name != "config.py" and ("os.environ" in p.read_text() or "getenv" in p.read_text())
    ]
    assert not offenders
