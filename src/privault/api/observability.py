"""Request metrics (Prometheus) and one structured log line per request, without personal data."""

from __future__ import annotations

import time
import uuid

import structlog
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def _route_template(scope: Scope) -> str:
    """The matched route's template (e.g. '/v1/tenants/{tenant}/notice'), never the raw path.

    The router records the matched route in the request scope, which this middleware shares.
    """
    return str(getattr(scope.get("route"), "path", "unmatched"))


def install_observability(app: FastAPI, metrics: HttpMetrics) -> None:
    """Add the middleware that measures and logs every request."""
    app.add_middleware(Observe, metrics=metrics)


class Observe:
    """Measures and logs every request; gives each response its ``x-request-id``. Plain ASGI:
    Starlette's ``BaseHTTPMiddleware`` costs a task group and a streamed copy of every response."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = (Headers(scope=scope).get("x-request-id") or uuid.uuid4().hex)[:64]
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._observe(scope, status, time.perf_counter() - started)
            structlog.contextvars.clear_contextvars()

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        route, method = _route_template(scope), scope["method"]
        self.metrics.requests.labels(route, method, str(status)).inc()
        self.metrics.latency.labels(route, method).observe(elapsed)
        log.info("request", method=method, route=route, status=status, ms=round(elapsed * 1000, 2))
