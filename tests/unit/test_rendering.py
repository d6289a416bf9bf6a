"""One renderer: a single Jinja2 environment draws every template, and HTML is escaped."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from privault.rendering import AUTOESCAPE, FAMILIES, TemplateRenderer, environment_for

SRC = Path(__file__).resolve().parents[2] / "src" / "privault"
TEMPLATES = sorted(
    p.relative_to(SRC / "templates").as_posix()
    for p in (SRC / "templates").rglob("*")
    if p.suffix in (".j2", ".html", ".md")
)


def _environment_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """``Environment`` and every class in src that subclasses it."""
    names = {"Environment"}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base).endswith("Environment") for base in node.bases
            ):
                names.add(node.name)
    return names


def _called(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else ast.unparse(node.func)


def test_exactly_one_jinja_environment_is_built_in_src() -> None:
    """Only the rendering adapter imports jinja2, and it builds one environment."""
    trees = {p: ast.parse(p.read_text()) for p in SRC.rglob("*.py")}
    importers = {
        p.relative_to(SRC).as_posix()
        for p, tree in trees.items()
        for node in ast.walk(tree)
        if (isinstance(node, ast.Import) and any(a.name == "jinja2" for a in node.names))
        or (isinstance(node, ast.ImportFrom) and node.module == "jinja2")
    }
    assert importers == {"rendering.py"}
    classes = _environment_classes(trees)
    built = [
        (p.name, node.lineno)
        for p, tree in trees.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called(node) in classes
    ]
    assert len(built) == 1, built


@pytest.mark.parametrize("name", TEMPLATES)
def test_html_templates_are_autoescaped_and_markdown_is_not(name: str) -> None:
    """.html and .html.j2 are escaped; .md and .md.j2 (notices) are not."""
    assert AUTOESCAPE(name) is name.endswith((".html", ".html.j2"))


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_compiles_in_the_one_environment(name: str) -> None:
    """Each template loads through the renderer's environment (or its whitespace overlay)."""
    template = environment_for(name).get_template(name)
    assert template.name == name


def test_overlays_differ_from_the_environment_only_in_whitespace() -> None:
    """Every family shares the loader, escaping and undefined of the plain environment."""
    plain = environment_for("web/base.html.j2")
    for family, whitespace in FAMILIES.items():
        overlay = environment_for(family)
        assert (overlay.loader, overlay.autoescape) == (plain.loader, plain.autoescape)
        assert overlay.undefined is plain.undefined
        assert overlay.trim_blocks is overlay.lstrip_blocks is whitespace.trim
        assert overlay.keep_trailing_newline is whitespace.keep_newline


def test_a_page_extends_the_base_of_its_own_folder_and_escapes_values() -> None:
    """``{% extends "base.html.j2" %}`` in web/ finds web/base.html.j2; values are escaped."""
    html = TemplateRenderer().render(
        "web/error.html.j2",
        {"message": "<script>x</script>", "code": "brand.unknown", "brand": None},
    )
    assert html.startswith("<!doctype html>")
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>x" not in html
