"""``privault keys``: key-encryption keys."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from privault.cli.context import cli_actor, container, err, out

app = typer.Typer(
    help="Key-encryption keys (in the keyring, never in the database).", no_args_is_help=True
)


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    batch: int = typer.Option(500, min=1, max=10_000, help="Subjects re-wrapped per transaction."),
) -> None:
    """Add a new key version and re-wrap every subject key under it, online, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from privault.services.keys import rotate_keys

    c = container(ctx)
    with Progress(
        TextColumn("re-wrapping"), BarColumn(), MofNCompleteColumn(), console=err
    ) as progress:
        task = progress.add_task("rotate", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        rotation = rotate_keys(c.deps, tenant, cli_actor(), batch=batch, progress=advance)
    out.print(
        f"tenant '{tenant}' now on key version {rotation.version}; re-wrapped {rotation.rewrapped} subject keys"
    )
    left = {v: n for v, n in rotation.remaining.items() if v != rotation.version}
    if left:
        out.print(
            f"still on older versions (written during the rotation): {left}; run rotate again"
        )


@app.command("check")
def check(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The state of every tenant's keys (ok, no data yet, missing, unreadable, wrong tenant,
    fingerprint mismatch, permissions); exit 1 if any tenant's is not ok. Writes nothing."""
    from privault.services.database import ensure_schema
    from privault.services.keys import check_keys

    c = container(ctx)
    ensure_schema(c.database)
    found = check_keys(c.deps)
    if as_json:
        rows = [
            {"tenant": k.tenant, "location": k.location, "state": k.state.value, "ok": k.ok}
            | ({"code": k.code, "problem": k.problem} if k.problem else {})
            for k in found
        ]
        typer.echo(json.dumps(rows, indent=2))
    else:
        table = Table("tenant", "key file", "state")
        for k in found:
            table.add_row(k.tenant, k.location, k.state.value, style=None if k.ok else "red")
        out.print(table)
        for k in found:
            if k.problem:
                err.print(f"{k.tenant} [{k.code}]: {k.problem}", markup=False)
    if not all(k.ok for k in found):
        raise typer.Exit(1)
