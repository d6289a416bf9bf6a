"""The API's part of the app: error mapping, metrics, CORS for the brands' sites and the ``/v1``
routers (``privault.http.app.create_app`` mounts it with the web)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import Scope

from privault.api.errors import install_error_handlers, problem
from privault.api.observability import HttpMetrics, install_observability
from privault.api.routes import (
    agents,
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
from privault.errors import PrivaultError
from privault.http.body_limits import BodyLimits, wants_html
from privault.http.limits import build_limits, refuse_unshared


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


Page = Callable[[PrivaultError], Response]  # the web's error page for an error


def _refusal(page: Page | None, scope: Scope, exc: PrivaultError, status: int) -> Response:
    """A body refused for its size: problem+json, or the web's page for a browser."""
    if page is not None and wants_html(scope):
        response = page(exc)
    else:
        response = problem(status, exc.code, exc.title, exc.message)
    response.status_code = status
    return response


def install_limits(app: FastAPI, container: Container, page: Page | None = None) -> None:
    """The abuse limits (``app.state.limits``, counted per door) and the body and value sizes
    (docs/limits.md); the store must answer now."""
    app.state.limits = build_limits(container)
    s = container.settings
    refuse = partial(_refusal, page)
    app.add_middleware(
        BodyLimits,
        max_body_bytes=s.max_body_bytes,
        max_value_chars=s.max_value_chars,
        answer=refuse,
    )


def check_limits(container: Container, processes: int) -> None:
    """Before serving with several processes: they need one shared store, which must answer."""
    refuse_unshared(container, processes)
    build_limits(container)


def install_api(app: FastAPI, container: Container, page: Page | None = None) -> None:
    """Install the error mapping (one place, for the web's pages too), the size and abuse limits,
    the metrics and CORS, then mount the API's routers."""
    app.state.metrics = HttpMetrics()
    install_error_handlers(app)
    install_limits(app, container, page)
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
        agents.router,
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
