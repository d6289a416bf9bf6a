"""The layers hold: each part of privault imports only the parts the dependency matrix allows; core
imports no outer layer; only config reads the environment."""

from __future__ import annotations

import ast
import functools
from concurrent.futures import ThreadPoolExecutor
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


def _parse(path: Path) -> ast.Module:
    """The file's syntax tree, parsed in a thread of its own: CPython 3.11.7 can raise "AST
    constructor recursion depth mismatch" in a thread whose recursion bookkeeping an earlier test
    left off (gh-106905, fixed in 3.11.8); a new thread starts clean."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(ast.parse, path.read_text()).result()


def _imports(path: Path) -> set[str]:
    tree = _parse(path)
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


# One calling convention (services/deps.py): a use case takes ``deps: Deps`` first and opens its own
# units of work; a step takes the ``uow`` of the use case that composes it. Edges call use cases only.
STEP_FIRST = frozenset({"uow", "make_uow"})
CALLERS = ("api", "web", "cli", "jobs", "http", "demo")


@functools.cache
def _defined(module: str) -> tuple[dict[str, str], dict[str, str]]:
    """A services module's own functions with their first parameter, and what it re-exports from
    which services module."""
    path = SRC.joinpath(*module.split(".")[1:])
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    functions: dict[str, str] = {}
    reexports: dict[str, str] = {}
    for node in _parse(path).body:
        if isinstance(node, ast.FunctionDef) and node.args.args:
            functions[node.name] = node.args.args[0].arg
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "privault.services"
        ):
            reexports.update({a.asname or a.name: str(node.module) for a in node.names})
    return functions, reexports


def _first_parameter(module: str, name: str, seen: frozenset[str] = frozenset()) -> str | None:
    """The first parameter of the function ``module.name`` resolves to (following re-exports)."""
    functions, reexports = _defined(module)
    if name in functions:
        return functions[name]
    source = reexports.get(name)
    if source is None or source in seen:
        return None
    return _first_parameter(source, name, seen | {module})


def _service_calls(path: Path) -> set[tuple[str, str]]:
    """(module, name) of every function imported from privault.services into this file."""
    return {
        (node.module, alias.name)
        for node in ast.walk(_parse(path))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("privault.services")
        for alias in node.names
    }


def _edge_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if _part(_module(p)) in {*CALLERS, "http.app"})


def test_edges_call_use_cases_never_steps() -> None:
    """An edge never calls a service function that takes a unit of work: it holds no transaction."""
    bad = sorted(
        f"{path.relative_to(SRC)} calls {module}.{name}"
        for path in _edge_files()
        for module, name in _service_calls(path)
        if _first_parameter(module, name) in STEP_FIRST
    )
    assert not bad


def test_edges_open_no_unit_of_work() -> None:
    """No edge opens a unit of work (``container.uow``) or names the port."""
    bad = sorted(
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in _edge_files()
        for node in ast.walk(_parse(path))
        if (isinstance(node, ast.Attribute) and node.attr == "uow")
        or (isinstance(node, ast.Name) and node.id in {"UnitOfWork", "UowDep"})
    )
    assert not bad


def test_no_use_case_takes_a_bare_unit_of_work_factory() -> None:
    """``make_uow`` travels inside ``Deps``, never as a parameter of its own."""
    bad = sorted(
        f"{path.relative_to(SRC)}:{node.name}"
        for path in (SRC / "services").rglob("*.py")
        for node in ast.walk(_parse(path))
        if isinstance(node, ast.FunctionDef) and any(a.arg == "make_uow" for a in node.args.args)
    )
    assert not bad


def test_no_module_global_state_in_services() -> None:
    """No registry or cache lives in a services module: state belongs to the container's objects."""
    bad = sorted(
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in (SRC / "services").rglob("*.py")
        for node in ast.walk(_parse(path))
        if isinstance(node, ast.Global)
    )
    mutable = sorted(
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in (SRC / "services").rglob("*.py")
        for node in _parse(path).body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and isinstance(node.value, ast.Dict | ast.List | ast.Set | ast.Call)
        and _is_empty_container(node.value)
    )
    assert not bad + mutable


def _is_empty_container(value: ast.expr) -> bool:
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.List | ast.Set):
        return not value.elts
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id
        in {"dict", "set", "list", "defaultdict", "OrderedDict", "WeakValueDictionary"}
        and not value.args
    )
