"""Small server-rendered pages (Jinja2, autoescaped) that need no login, such as unsubscribe."""

from __future__ import annotations

from typing import Any

from privault.core.rendering import Renderer


def render(renderer: Renderer, name: str, **context: Any) -> str:
    """Render a page template of ``templates/pages``."""
    return renderer.render(f"pages/{name}", context)
