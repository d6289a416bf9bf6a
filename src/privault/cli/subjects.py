"""``privault subjects``: the vault from the command line (same use cases as the API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from privault.cli.context import cli_principal, container, err, out
from privault.core.import_lines import BadLine, csv_rows, json_lines

app = typer.Typer(
    help="Subjects in the vault: import, find, show, update, erase.", no_args_is_help=True
)

AS_ROLE = typer.Option(
    None, "--as-role", help="Act as this role (default: the tenant's admin role)."
)


def _json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """Each line parsed; an unreadable line (binary, not JSON) is a BadLine, reported by number."""
    with path.open("rb") as handle:
        yield from json_lines(handle)


def _csv_rows(path: Path) -> Iterator[tuple[int, object]]:
    """CSV columns: subject, source, purpose, identity:<kind>..., and one column per data category."""
    with path.open("rb") as handle:
        for number, row in csv_rows(handle):
            if isinstance(row, BadLine):
                yield number, row
                continue
            record: dict[str, Any] = {"identities": {}, "data": {}}
            for column, value in row.items():
                if column is None or value in (None, ""):
                    continue
                if column in ("subject", "source", "purpose"):
                    record[column] = value
                elif column.startswith("identity:"):
                    record["identities"][column.removeprefix("identity:")] = value
                else:
                    record["data"][column] = value
            yield number, record


def _count_records(path: Path) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if path.suffix.lower() == ".csv" else lines


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON Lines (.jsonl) or CSV (.csv)."
    ),
    tenant: str = typer.Option(..., help="Tenant key."),
    as_role: str | None = AS_ROLE,
    batch: int = typer.Option(1000, min=1, max=10_000, help="Subjects per transaction."),
    workers: int | None = typer.Option(
        None,
        min=0,
        max=8,
        help="Processes that encrypt while this one writes (default: 1 above 5,000 lines).",
    ),
) -> None:
    """Import subjects; each bad line is reported with its number and the rest still import."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from privault.core.sizes import sized_lines
    from privault.services.vault_import import default_workers, import_subjects

    c = container(ctx)
    principal = cli_principal(ctx, tenant, as_role)
    lines = _csv_rows(file) if file.suffix.lower() == ".csv" else _json_lines(file)
    lines = sized_lines(lines, c.settings.max_value_chars)  # a too-long value refuses its line
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        total = _count_records(file)
        task = progress.add_task("import", total=total)
        report = import_subjects(
            c.deps,
            principal,
            lines,
            batch_size=batch,
            workers=default_workers(total) if workers is None else workers,
            progress=lambda n: progress.advance(task, n),
        )
    for number, message in report.errors:
        err.print(f"{file}:{number}: {message}", markup=False)
    out.print(f"imported {report.imported} subjects, {len(report.errors)} lines refused")
    if report.worker_processes:
        err.print(f"encrypted in {report.worker_processes} worker process(es)")
    if report.errors:
        raise typer.Exit(2)


def _print(views: list[Any]) -> None:
    from privault.services.vault_json import subject_json

    typer.echo(json.dumps([subject_json(v) for v in views], indent=2, ensure_ascii=False))


@app.command("find")
def find(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    purpose: str = typer.Option(..., help="Why you are looking (audited)."),
    email: str | None = typer.Option(None, help="Find by e-mail address."),
    phone: str | None = typer.Option(None, help="Find by phone number."),
    identity: str | None = typer.Option(None, help="Find by another identity, as kind=value."),
    as_role: str | None = AS_ROLE,
) -> None:
    """Find subjects by email, phone or another identity and show what the role may see."""
    from privault.services.vault import find_subjects

    given = [(k, v) for k, v in (("email", email), ("phone", phone)) if v]
    if identity:
        kind, _, value = identity.partition("=")
        given.append((kind, value))
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --email, --phone or --identity kind=value")
    c = container(ctx)
    principal = cli_principal(ctx, tenant, as_role)
    views = find_subjects(c.deps, principal, given[0][0], [given[0][1]], purpose)
    _print(views)
    if not views:
        err.print("no subject found")


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The subject's reference."),
    tenant: str = typer.Option(..., help="Tenant key."),
    purpose: str = typer.Option(..., help="Why you are looking (audited)."),
    as_role: str | None = AS_ROLE,
) -> None:
    """Show one subject for a purpose."""
    from privault.services.vault import show_subject

    c = container(ctx)
    principal = cli_principal(ctx, tenant, as_role)
    _print([show_subject(c.deps, principal, ref, purpose)])


@app.command("update")
def update(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The subject's reference."),
    tenant: str = typer.Option(..., help="Tenant key."),
    purpose: str = typer.Option(..., help="Purpose the data is collected for."),
    source: str = typer.Option(..., help="Where the data comes from (a manifest source)."),
    set_: list[str] = typer.Option([], "--set", help="category=value (repeatable)."),
    add_identity: list[str] = typer.Option(
        [], "--identity", help="kind=value to add (repeatable)."
    ),
    as_role: str | None = AS_ROLE,
) -> None:
    """Write values and add identities."""
    from privault.services.vault import update_subject

    data = dict(item.split("=", 1) for item in set_ if "=" in item)
    identities: dict[str, list[str]] = {}
    for item in add_identity:
        kind, _, value = item.partition("=")
        identities.setdefault(kind, []).append(value)
    if not data and not identities:
        raise typer.BadParameter(
            "nothing to write: give --set category=value or --identity kind=value"
        )
    c = container(ctx)
    principal = cli_principal(ctx, tenant, as_role)
    body = {"data": data, "identities": identities, "source": source, "purpose": purpose}
    fields = update_subject(c.deps, principal, ref, body)
    out.print(f"updated {ref}: {', '.join(fields) or 'identities only'}")


@app.command("erase")
def erase(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The subject's reference."),
    tenant: str = typer.Option(..., help="Tenant key."),
    purpose: str = typer.Option(..., help="Purpose of the erasure (e.g. privacy-requests)."),
    reason: str = typer.Option("", help="A short code or reference, e.g. request:42 (audited)."),
    as_role: str | None = AS_ROLE,
) -> None:
    """Erase a subject: delete its values and identities and destroy its data key."""
    from privault.services.vault import erase_subject

    c = container(ctx)
    principal = cli_principal(ctx, tenant, as_role)
    erased = erase_subject(c.deps, principal, ref, purpose, reason)
    out.print(
        f"erased {ref}: {erased.fields} values, {erased.identities} identities, data key destroyed"
    )
