"""``privault audit``: verify and checkpoint the tamper-evident audit trail."""

from __future__ import annotations

import typer

from privault.cli.context import cli_actor, container, err, out

app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


@app.command("verify")
def verify(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, help="Tenant key (default: every tenant)."),
) -> None:
    """Check each tenant's hash chain and signed checkpoints; exit 1 and say where if anything is off."""
    from privault.services.audit import verify as verify_chain

    c = container(ctx)
    tenants = [tenant] if tenant else [t.key for t in c.manifest.tenants]
    failed = False
    for key in tenants:
        report = verify_chain(c.deps, key)
        state = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        out.print(f"{key}: {report.events} events, {report.checkpoints} checkpoints: {state}")
        for problem in report.problems:
            err.print(f"  seq {problem.seq} [{problem.kind}]: {problem.message}", markup=False)
        failed = failed or not report.ok
    if failed:
        raise typer.Exit(1)


@app.command("checkpoint")
def take_checkpoint(
    ctx: typer.Context, tenant: str = typer.Option(..., help="Tenant key.")
) -> None:
    """Sign the current head of the tenant's chain (Ed25519, key in the keyring)."""
    from privault.services.audit import checkpoint

    point = checkpoint(container(ctx).deps, tenant, cli_actor())
    out.print(f"{tenant}: checkpoint at event {point.seq} ({point.hash[:16]}...)")
