"""``privault suppression``: who must not be contacted on a channel (CSV for dialers and mailers)."""

from __future__ import annotations

from pathlib import Path

import typer

from privault.cli.context import cli_principal, container, err

app = typer.Typer(help="Suppression lists for dialers and mail senders.", no_args_is_help=True)


@app.command("export")
def export(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    channel: str = typer.Option(..., help="phone, email or sms."),
    brand: str | None = typer.Option(None, help="Only this brand's list (default: any brand)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write here instead of stdout."
    ),
    as_role: str | None = typer.Option(
        None, "--as-role", help="Act as this role (default: admin)."
    ),
) -> None:
    """Write the current suppression list as CSV: value, subject, rule, since."""
    from privault.services.suppression import suppression_csv, suppression_list

    if channel not in ("phone", "email", "sms"):
        raise typer.BadParameter("the channel is phone, email or sms")
    c = container(ctx)
    principal = cli_principal(ctx, tenant, as_role)
    rows = suppression_list(c.deps, principal, channel, brand)
    text = suppression_csv(rows)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    err.print(f"{len(rows)} suppressed {channel} entries")
