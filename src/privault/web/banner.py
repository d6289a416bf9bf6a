"""The cookie banner script a tenant's website embeds with one ``<script>`` tag.

``GET /v1/tenants/{tenant}/banner.js`` serves ``banner.js`` with the tenant's configuration (its cookie
categories and the current notice version) written in; the script then asks the public cookie-consent
endpoint whether to show the banner and posts the visitor's choice there with its proof. The
configuration also carries the Google Consent Mode v2 types each category grants (GCM-1) and the
categories the tenant sets without consent under the UK's PECR Sch. A1 (UK-CK-1).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

from privault.core.manifest.cookies import (
    CONSENT_TYPES,
    WAIT_FOR_UPDATE_MS,
    consent_mode_map,
    uk_exempt,
)
from privault.http.deps import ContainerDep
from privault.services.notices import notice_history

router = APIRouter(include_in_schema=False)
PLACEHOLDER = "/*CONFIG*/null"


@cache
def script_text() -> str:
    """The banner script as shipped in the package (read once)."""
    return files("privault.web").joinpath("banner.js").read_text(encoding="utf-8")


def banner_config(tenant: str, container: ContainerDep) -> dict[str, object]:
    """What the script needs: categories in manifest order, the notice version, the Consent Mode
    types and their mapping, and the categories exempt from consent."""
    view = container.decider.view(tenant)
    history = notice_history(container.deps, tenant)
    exempt = uk_exempt(view.policy.uk_cookie_mode, view.tenant.jurisdictions)
    categories = [
        {"key": c.key.value, "name": c.name, "description": c.description}
        for c in view.cookie_categories
    ]
    return {
        "tenant": tenant,
        "categories": categories,
        "notice": history[0].version_id if history else None,
        "types": [t.value for t in CONSENT_TYPES],
        "gcm": consent_mode_map(view.cookie_categories),
        "wait": WAIT_FOR_UPDATE_MS,
        "exempt": [c.key.value for c in view.cookie_categories if c.key in exempt],
    }


def _embed(config: dict[str, object]) -> str:
    literal = json.dumps(config, separators=(",", ":")).replace("<", "\\u003c")
    return script_text().replace(PLACEHOLDER, literal)


@router.get("/v1/tenants/{tenant}/banner.js")
def banner_js(tenant: str, container: ContainerDep) -> Response:
    """The tenant's cookie banner (cacheable for five minutes)."""
    return Response(
        _embed(banner_config(tenant, container)),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
