"""The landing page and the privacy notice pages (current version and every earlier one)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from privault.errors import NotFound
from privault.http.deps import ContainerDep
from privault.services.notices import get_notice_version, notice_history
from privault.web.pages import PageRoute, brand_look, notice_body, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def landing(container: ContainerDep) -> HTMLResponse:
    """Every tenant's privacy center, and where the admin console will be."""
    tenants = [(t.key, t.name) for t in container.manifest.tenants]
    return render(container.renderer, "landing.html.j2", tenants=tenants, brand=None)


@router.get("/p/{tenant}/", response_class=HTMLResponse)
def notice(tenant: str, container: ContainerDep, brand: str | None = None) -> HTMLResponse:
    """The current privacy notice, its date and the way to earlier versions."""
    look = brand_look(container.decider.view(tenant), brand)
    history = notice_history(container.deps, tenant)
    if not history:
        raise NotFound(
            f"tenant '{tenant}' has no published notice yet", code="notice.version_unknown"
        )
    latest = history[0]
    return render(
        container.renderer,
        "notice.html.j2",
        tenant=tenant,
        brand=look,
        version=latest,
        earlier=len(history) > 1,
        body=Markup(notice_body(latest.html)),  # noqa: S704 - rendered autoescaped when published
        current=True,
    )


@router.get("/p/{tenant}/notice/versions", response_class=HTMLResponse)
def versions(tenant: str, container: ContainerDep, brand: str | None = None) -> HTMLResponse:
    """Every published version, newest first."""
    look = brand_look(container.decider.view(tenant), brand)
    history = notice_history(container.deps, tenant)
    return render(
        container.renderer, "versions.html.j2", tenant=tenant, brand=look, history=history
    )


@router.get("/p/{tenant}/notice/versions/{version}", response_class=HTMLResponse)
def version(
    tenant: str, version: str, container: ContainerDep, brand: str | None = None
) -> HTMLResponse:
    """One version exactly as it was shown."""
    look = brand_look(container.decider.view(tenant), brand)
    found = get_notice_version(container.deps, tenant, version)
    latest = notice_history(container.deps, tenant)[0]
    return render(
        container.renderer,
        "notice.html.j2",
        tenant=tenant,
        brand=look,
        version=found,
        earlier=True,
        body=Markup(notice_body(found.html)),  # noqa: S704 - rendered autoescaped when published
        current=found.version_id == latest.version_id,
    )
