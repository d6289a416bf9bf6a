"""Small server-rendered pages (Jinja2, autoescaped) that need no login, such as unsubscribe."""

from __future__ import annotations

from typing import Any

import jinja2

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("privault", "templates/pages"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render(name: str, **context: Any) -> str:
    """Render a page template."""
    return _ENV.get_template(name).render(**context)
