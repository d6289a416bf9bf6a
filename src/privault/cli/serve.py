"""``privault serve``: the HTTP API."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from privault.bootstrap import Container
from privault.cli.context import container, err

if TYPE_CHECKING:
    from fastapi import FastAPI


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Bind address (default PRIVAULT_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default PRIVAULT_PORT, 8000)."),
    workers: int = typer.Option(
        1,
        min=1,
        max=64,
        help="Server processes; more than 1 needs a shared redis:// rate-limit store.",
    ),
) -> None:
    """Serve the API: checks the schema and every tenant's keys, applies the manifest, listens."""
    import uvicorn

    from privault.http.app import create_app
    from privault.logging import configure_logging
    from privault.services.database import ensure_schema
    from privault.services.setup import apply_manifest

    c = container(ctx)
    configure_logging(c.settings)
    _check_limits(c, workers)
    ensure_schema(c.database)
    apply_manifest(c.deps, "system")  # checks every tenant's keys before it writes anything
    bind_host, bind_port = host or c.settings.host, port or c.settings.port
    stop = None
    if c.settings.worker_embedded:
        from privault.jobs.worker import start_in_thread

        _, stop = start_in_thread(c)
        err.print("an embedded worker runs scheduled jobs (PRIVAULT_WORKER_EMBEDDED=false to stop)")
    err.print(
        f"privault serving on http://{bind_host}:{bind_port} (API docs: /docs, admin console: /admin)"
    )
    try:
        if workers == 1:
            uvicorn.run(
                create_app(c), host=bind_host, port=bind_port, log_config=None, access_log=False
            )
        else:  # each process builds its own app from the same settings
            factory = "privault.cli.serve:app_from_environment"
            uvicorn.run(
                factory,
                factory=True,
                workers=workers,
                host=bind_host,
                port=bind_port,
                log_config=None,
                access_log=False,
            )
    finally:
        if stop is not None:
            stop.set()


def _check_limits(c: Container, workers: int) -> None:
    """Fail closed before anything is written: several processes need one shared store for the
    abuse limits, and the store named must answer (docs/limits.md)."""
    from privault.http.app import check_processes

    check_processes(c, workers)


def app_from_environment() -> FastAPI:
    """The app of one of several server processes (``--workers N``): each builds its own container
    from the same PRIVAULT_* settings."""
    from privault.config import load_settings
    from privault.http.app import create_app

    return create_app(Container(load_settings()))
