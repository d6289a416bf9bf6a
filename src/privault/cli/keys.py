"""``privault keys``: key-encryption keys."""

from __future__ import annotations

import typer

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
