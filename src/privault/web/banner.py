"""The cookie banner script a tenant's website embeds with one ``<script>`` tag.

``GET /v1/tenants/{tenant}/banner.js`` serves ``banner.js`` with the tenant's configuration (its cookie
categories and the current notice version) written in; the script then asks the public cookie-consent
endpoint whether to show the banner and posts the visitor's choice there with its proof.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

from privault.api.deps import ContainerDep, UowDep
from privault.services.notices import notice_history

router = APIRouter(include_in_schema=False)
PLACEHOLDER = "/*CONFIG*/null"


@cache
def script_text() -> str:
    """The banner script as shipped in the package (read once)."""
    return files("privault.web").joinpath("banner.js").read_text(encoding="utf-8")


def banner_config(tenant: str, uow: UowDep, container: ContainerDep) -> dict[str, object]:
    """What the script needs to draw the banner: categories in manifest order, the notice version."""
    view = container.decider.view(tenant)
    history = notice_history(uow, tenant)
    categories = [
        {"key": c.key.value, "name": c.name, "description": c.description}
        for c in view.cookie_categories
    ]
    return {
        "tenant": tenant,
        "categories": categories,
        "notice": history[0].version_id if history else None,
    }


def _embed(config: dict[str, object]) -> str:
    literal = json.dumps(config, separators=(",", ":")).replace("<", "\\u003c")
    return script_text().replace(PLACEHOLDER, literal)


@router.get("/v1/tenants/{tenant}/banner.js")
def banner_js(tenant: str, uow: UowDep, container: ContainerDep) -> Response:
    """The tenant's cookie banner (cacheable for five minutes)."""
    return Response(
        _embed(banner_config(tenant, uow, container)),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
