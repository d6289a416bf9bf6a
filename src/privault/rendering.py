"""The one template renderer: a Jinja2 environment over ``privault/templates``.

Every notice, register, report and page privault draws goes through it (the ``Renderer`` port of
``core/rendering.py``): one loader, one undefined (``StrictUndefined``: a missing variable is an
error), one autoescape rule (``AUTOESCAPE``: HTML templates are escaped, Markdown is not). The
families of templates were written for different whitespace settings and their output must stay the
same to the byte (a notice's version id is the hash of its text), so each family that needs other
settings is drawn through an overlay of the environment (same loader, escaping and undefined; only
the whitespace differs). The compiled templates are built once per process and shared.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

import jinja2

AUTOESCAPE = jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default=False)
"""HTML templates (``.html``, ``.html.j2``) are escaped; Markdown (``.md``, ``.md.j2``) is not."""


@dataclass(frozen=True, slots=True)
class Whitespace:
    """How a family of templates treats whitespace around its tags."""

    trim: bool = False  # trim_blocks and lstrip_blocks: a line holding only a tag leaves nothing
    keep_newline: bool = False  # keep_trailing_newline: the template's last newline stays


PLAIN = Whitespace()
"""The pages (``web/``, ``admin/``, ``pages/``): Jinja's defaults."""

FAMILIES: dict[str, Whitespace] = {
    "notice": Whitespace(keep_newline=True),
    "incidents": Whitespace(trim=True, keep_newline=True),
    "ropa.html": Whitespace(trim=True),
    "package.html": Whitespace(trim=True),
}
"""The families (by a template name's first part) written for other settings than ``PLAIN``."""


class _Environment(jinja2.Environment):
    """Finds ``{% extends "base.html.j2" %}`` and includes next to the template that names them."""

    def join_path(self, template: str, parent: str) -> str:
        """``admin/home.html.j2`` extending ``base.html.j2`` means ``admin/base.html.j2``."""
        return posixpath.join(posixpath.dirname(parent), template)


@functools.cache
def _environments() -> dict[Whitespace, jinja2.Environment]:
    """The environment, and an overlay of it for each other whitespace setting."""
    environment = _Environment(
        loader=jinja2.PackageLoader("privault", "templates"),
        autoescape=AUTOESCAPE,
        undefined=jinja2.StrictUndefined,
    )
    overlays = {
        w: environment.overlay(
            trim_blocks=w.trim, lstrip_blocks=w.trim, keep_trailing_newline=w.keep_newline
        )
        for w in set(FAMILIES.values())
    }
    return {PLAIN: environment, **overlays}


def environment_for(template: str) -> jinja2.Environment:
    """The environment (or overlay) that draws ``template``."""
    return _environments()[FAMILIES.get(template.split("/", 1)[0], PLAIN)]


class TemplateRenderer:
    """The ``Renderer`` over ``privault/templates``."""

    def render(self, template: str, context: Mapping[str, object]) -> str:
        """The text of ``template`` filled from ``context``."""
        return environment_for(template).get_template(template).render(context)
