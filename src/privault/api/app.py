"""The API's part of the app: error mapping, metrics, CORS for the brands' sites and the ``/v1``
routers (``privault.http.app.create_app`` mounts it with the web)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from privault.api.errors import install_error_handlers
from privault.api.observability import HttpMetrics, install_observability
from privault.api.routes import (
    audit,
    consent,
    cookies,
    cpni,
    datastores,
    decisions,
    disclosures,
    health,
    incident_exceptions,
    me,
    notices,
    records,
    request_records,
    requests,
    retention,
    subjects,
    suppression,
    unsubscribe,
    visits,
)
from privault.bootstrap import Container


def brand_origins(container: Container) -> list[str]:
    """The tenants' own websites (``brands[].domains`` in the manifest), which embed the cookie
    banner and post visitors' choices and page views to privault."""
    domains = {d for t in container.manifest.tenants for b in t.brands for d in b.domains}
    return sorted(f"https://{d}" for d in domains)


def _allow_brand_sites(app: FastAPI, container: Container) -> None:
    """CORS for the brands' sites: simple GET/POST with JSON, never credentials or API keys (the
    ``Authorization`` header is not allowed cross-origin, so staff endpoints stay same-origin)."""
    app.add_middleware(
        CORSMiddleware,
        allow_origins=brand_origins(container),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Sec-GPC"],
        allow_credentials=False,
        max_age=600,
    )


def install_api(app: FastAPI, container: Container) -> None:
    """Install the error mapping (one place, for the web's pages too), the metrics and CORS, then
    mount the API's routers."""
    app.state.metrics = HttpMetrics()
    install_error_handlers(app)
    install_observability(app, app.state.metrics)
    _allow_brand_sites(app, container)
    routers = (
        health.router,
        me.router,
        notices.router,
        subjects.router,
        audit.router,
        consent.router,
        cookies.router,
        decisions.router,
        unsubscribe.router,
        suppression.router,
        request_records.router,  # before requests: /v1/requests/declaration is no {ref}
        requests.router,
        datastores.router,
        visits.router,
        disclosures.router,
        records.router,
        incident_exceptions.router,
        cpni.router,
        retention.router,
    )
    for router in routers:
        app.include_router(router)
