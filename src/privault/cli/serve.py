"""``privault serve``: the HTTP API."""

from __future__ import annotations

import typer

from privault.cli.context import container, err


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Bind address (default PRIVAULT_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default PRIVAULT_PORT, 8000)."),
) -> None:
    """Serve the API: checks the schema, applies the manifest, then listens."""
    import uvicorn

    from privault.http.app import create_app
    from privault.logging import configure_logging
    from privault.services.database import ensure_schema
    from privault.services.setup import apply_manifest

    c = container(ctx)
    configure_logging(c.settings)
    ensure_schema(c.database)
    apply_manifest(c.deps, "system")
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
        uvicorn.run(
            create_app(c), host=bind_host, port=bind_port, log_config=None, access_log=False
        )
    finally:
        if stop is not None:
            stop.set()
