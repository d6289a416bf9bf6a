"""``privault db``: schema migrations."""

from __future__ import annotations

import typer

from privault.cli.context import container, out

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    ctx: typer.Context, revision: str = typer.Option("head", help="Target revision.")
) -> None:
    """Create or migrate the database schema."""
    from privault.services.database import upgrade_schema

    c = container(ctx)
    reached = upgrade_schema(c.database, revision)
    out.print(f"database {c.settings.database_url_masked} at revision {reached}")


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the schema revision of the database and the one this privault needs."""
    from privault.services.database import schema_revisions

    current, needed = schema_revisions(container(ctx).database)
    out.print(f"current: {current or 'none'}")
    out.print(f"needed:  {needed}")


@app.command("citus")
def citus(ctx: typer.Context) -> None:
    """Print the SQL that distributes the schema on Citus (run it once, after `db upgrade`)."""
    out.print("-- reference tables, then the tenant-owned tables by tenant_id (docs/scale-out.md)")
    for statement in container(ctx).database.distribution_sql():
        out.print(statement, markup=False, highlight=False)
