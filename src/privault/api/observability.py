"""Request metrics (Prometheus) and one structured log line per request, without personal data."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram

from privault.logging import get_logger

log = get_logger("privault.http")


class HttpMetrics:
    """The HTTP metrics of one app (own registry, so several apps can live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "privault_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "privault_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route", "method"],
            registry=self.registry,
        )


def _route_template(request: Request) -> str:
    """The matched route's template (e.g. '/v1/tenants/{tenant}/notice'), never the raw path.

    The router records the matched route in the request scope, which this middleware shares.
    """
    return str(getattr(request.scope.get("route"), "path", "unmatched"))


def install_observability(app: FastAPI, metrics: HttpMetrics) -> None:
    """Add the middleware that measures and logs every request."""

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id[:64])
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["x-request-id"] = request_id[:64]
            return response
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(request)
            metrics.requests.labels(route, request.method, str(status)).inc()
            metrics.latency.labels(route, request.method).observe(elapsed)
            log.info(
                "request",
                method=request.method,
                route=route,
                status=status,
                ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()
