"""``privault api-keys``: tenant API keys (stored hashed, shown once)."""

from __future__ import annotations

import typer

from privault.cli.context import cli_actor, container, err, out

app = typer.Typer(help="Tenant API keys.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    role: str = typer.Option(..., help="A role the manifest gives this tenant."),
    name: str = typer.Option("", help="What the key is for."),
) -> None:
    """Create a key; it is printed once and cannot be shown again."""
    from privault.services.api_keys import create_api_key

    deps = container(ctx).deps
    created = create_api_key(deps, tenant, role, name=name or role, actor=cli_actor())
    typer.echo(created.token.reveal())
    err.print(
        f"created key {created.record.prefix} for role '{role}' in tenant '{tenant}'; store it now"
    )


@app.command("list")
def list_keys(ctx: typer.Context, tenant: str = typer.Option(..., help="Tenant key.")) -> None:
    """List the tenant's keys (prefix, role, state)."""
    from privault.services.api_keys import list_api_keys

    for key in list_api_keys(container(ctx).deps, tenant):
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        out.print(f"{key.prefix}  {key.role:<20} {state:<18} {key.name}", markup=False)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    prefix: str = typer.Argument(..., help="The key's prefix (as listed)."),
    tenant: str = typer.Option(..., help="Tenant key."),
) -> None:
    """Revoke a key; requests with it are refused from now on."""
    from privault.services.api_keys import revoke_api_key

    revoke_api_key(container(ctx).deps, tenant, prefix, actor=cli_actor())
    out.print(f"revoked {prefix}")
