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
    from privault.storage import migrate

    c = container(ctx)
    migrate.upgrade(c.engine, revision)
    out.print(
        f"database {c.settings.database_url_masked} at revision {migrate.current_revision(c.engine)}"
    )


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the schema revision of the database and the one this privault needs."""
    from privault.storage import migrate

    c = container(ctx)
    out.print(f"current: {migrate.current_revision(c.engine) or 'none'}")
    out.print(f"needed:  {migrate.head_revision()}")
