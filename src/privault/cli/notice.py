"""``privault notice``: the privacy notice rendered from the manifest."""

from __future__ import annotations

from typing import Literal

import typer

from privault.cli.context import cli_actor, container, err, out

app = typer.Typer(
    help="The privacy notice, rendered from the manifest and versioned.", no_args_is_help=True
)


@app.command("render")
def render(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    format: str = typer.Option("md", "--format", help="md or html."),
) -> None:
    """Print the tenant's notice; a content change is stored as a new version with today's date."""
    from privault.services.keys import ensure_tenant_keys
    from privault.services.notices import publish_notice
    from privault.services.tenants import sync_tenants

    if format not in ("md", "html"):
        raise typer.BadParameter("use md or html", param_hint="--format")
    fmt: Literal["md", "html"] = "md" if format == "md" else "html"
    c = container(ctx)
    sync_tenants(c.deps)
    ensure_tenant_keys(c.deps, tenant, cli_actor())  # a publication is audited (refused over data)
    published = publish_notice(c.deps, tenant)
    typer.echo(published.text(fmt), nl=False)
    state = "new version" if published.created else "unchanged"
    err.print(
        f"version {published.record.version_id[:12]} ({state}), last updated {published.record.published_on}"
    )


@app.command("history")
def history(ctx: typer.Context, tenant: str = typer.Option(..., help="Tenant key.")) -> None:
    """List every published version of the tenant's notice, newest first."""
    from privault.services.notices import notice_history

    for record in notice_history(container(ctx).deps, tenant):
        out.print(f"{record.seq:>4}  {record.version_id}  {record.published_on}")
