"""``privault audit``: verify, seal and checkpoint the tamper-evident audit log."""

from __future__ import annotations

import typer

from privault.cli.context import cli_actor, container, err, out

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def verify(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, help="Tenant key (default: every tenant)."),
    full: bool = typer.Option(
        False, "--full", help="Check every event from the first (else from the last clean check)."
    ),
) -> None:
    """Check each tenant's events, chain, checkpoints and witness; exit 1 and say where if anything
    is off."""
    from privault.services.audit_verify import verify as verify_log

    c = container(ctx)
    tenants = [tenant] if tenant else [t.key for t in c.manifest.tenants]
    failed = False
    for key in tenants:
        report = verify_log(c.deps, key, full=full)
        state = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        witnessed = "none" if report.witnessed is None else f"event {report.witnessed}"
        out.print(
            f"{key}: {report.events} events checked from event {report.start + 1}, "
            f"{report.unsealed} not sealed yet, {report.checkpoints} checkpoints, "
            f"witness at {witnessed}, {report.late} sealed late: {state}",
            markup=False,
        )
        for problem in report.problems:
            err.print(f"  seq {problem.seq} [{problem.kind}]: {problem.message}", markup=False)
        failed = failed or not report.ok
    if failed:
        raise typer.Exit(1)


@app.command("seal")
def seal(ctx: typer.Context, tenant: str = typer.Option(..., help="Tenant key.")) -> None:
    """Seal the committed events into the chain now (the worker does it every few seconds)."""
    from privault.services.audit import seal as seal_log

    sealed = seal_log(container(ctx).deps, tenant)
    out.print(f"{tenant}: {sealed.events} events sealed, chain at event {sealed.head}")


@app.command("restored")
def restored(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    reason: str = typer.Option(..., help="Why: the incident, the backup restored, who decided."),
) -> None:
    """Accept that the database was restored to an earlier point: the witness's checkpoint past
    the restored chain is set aside (kept), the loss is recorded in the audit log and the chain
    is witnessed anew. Refused when nothing was lost."""
    from privault.services.audit import accept_restore

    done = accept_restore(container(ctx).deps, tenant, cli_actor(), reason)
    out.print(
        f"{tenant}: the witness was at event {done.witnessed}, the restored chain ends at event "
        f"{done.head}; the witness's file was set aside as {done.set_aside}; new checkpoint at "
        f"event {done.checkpoint.seq}",
        markup=False,
    )


@app.command("checkpoint")
def take_checkpoint(
    ctx: typer.Context, tenant: str = typer.Option(..., help="Tenant key.")
) -> None:
    """Seal what is committed and sign the head of the tenant's chain (Ed25519, key in the
    keyring); the witness keeps it outside the database."""
    from privault.services.audit import checkpoint

    point = checkpoint(container(ctx).deps, tenant, cli_actor())
    out.print(f"{tenant}: checkpoint at event {point.seq} ({point.hash[:16]}...)")
