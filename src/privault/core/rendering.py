"""The renderer port: a use case or a page names a template and gives its context; the adapter
(``privault/rendering.py``, built once by the composition root) draws it. Template names are paths
under ``privault/templates``, e.g. ``notice/notice.md.j2`` or ``admin/home.html.j2``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class Renderer(Protocol):
    """Draws templates into text: notices, registers, reports and pages."""

    def render(self, template: str, context: Mapping[str, object]) -> str:
        """The text of ``template`` filled from ``context`` (a missing variable is an error)."""
        ...
