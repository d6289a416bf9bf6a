"""``privault worker`` and ``privault jobs``: background work."""

from __future__ import annotations

import json
import signal
import threading

import typer
from rich.table import Table

from privault.cli.context import cli_actor, container, err, out

jobs_app = typer.Typer(
    help="The job queue: what ran, what is due, what failed.", no_args_is_help=True
)


def worker(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Run every due job, then exit."),
    name: str | None = typer.Option(None, help="This worker's name (default host:pid)."),
) -> None:
    """Run scheduled and queued jobs until stopped (Ctrl-C or SIGTERM finish the current job)."""
    from privault.logging import configure_logging
    from privault.services.database import ensure_schema
    from privault.services.keys import require_keys

    c = container(ctx)
    configure_logging(c.settings)
    ensure_schema(c.database)
    require_keys(c.deps)  # before any job runs: a missing or foreign key file stops the worker
    from privault.jobs.worker import Worker

    runner = Worker(c, name=name)
    if once:
        out.print(f"{runner.drain()} job(s) run")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    err.print(f"worker {runner.name} running (Ctrl-C to stop)")
    try:
        runner.run(stop)
    except KeyboardInterrupt:
        stop.set()


@jobs_app.command("list")
def list_jobs(
    ctx: typer.Context,
    status: list[str] = typer.Option([], "--status", help="queued, running, done or failed."),
    limit: int = typer.Option(30, min=1, help="How many of the newest."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The newest jobs with their state, attempts and progress."""
    from privault.services.jobs import recent_jobs

    rows = recent_jobs(container(ctx).deps, status, limit)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": j.id,
                        "kind": j.kind,
                        "tenant": j.tenant_key,
                        "status": j.status,
                        "attempts": j.attempts,
                        "progress": j.progress,
                        "last_error": j.last_error,
                    }
                    for j in rows
                ],
                indent=2,
            )
        )
        return
    table = Table("id", "kind", "tenant", "status", "run at", "attempts", "error")
    for j in rows:
        table.add_row(
            str(j.id),
            j.kind,
            j.tenant_key or "",
            j.status,
            j.run_at.isoformat(timespec="seconds"),
            str(j.attempts),
            j.last_error or "",
        )
    out.print(table)


@jobs_app.command("run")
def run_job(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="e.g. retention.sweep, requests.sweep, webhooks.deliver"),
    tenant: str = typer.Option(..., "--tenant", help="Tenant key."),
) -> None:
    """Queue one job now (a worker runs it; `privault worker --once` runs it at once)."""
    from privault.jobs.handlers import HANDLERS
    from privault.services.jobs import queue_job

    if kind not in HANDLERS:
        raise typer.BadParameter(f"unknown job kind; one of {', '.join(sorted(HANDLERS))}")
    job = queue_job(container(ctx).deps, tenant, kind, cli_actor())
    out.print(f"job {job} queued")
