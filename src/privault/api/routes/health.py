"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from privault.http.deps import ContainerDep
from privault.services.database import database_health

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    """Health of the process and its database."""

    status: str
    database: str


@router.get("/healthz", response_model=Health)
def healthz(container: ContainerDep) -> Health:
    """200 when the database answers and its schema is current; 503 otherwise (problem+json)."""
    return Health(status="ok", database=database_health(container.database))


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus exposition of the HTTP metrics."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
