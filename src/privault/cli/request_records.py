"""``privault requests log | metrics | declare``: the CCPA request log (11 CCR §7101), the yearly
request metrics (§7102) and a declaration signed on paper (§7062(c)). Registered on the
``requests`` group."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import date

import typer

from privault.cli.context import cli_actor, container, out
from privault.cli.requests import TENANT, app
from privault.core.request_records import RECORD_FIELDS, LogEntry, Metrics


@app.command("log")
def log(
    ctx: typer.Context,
    tenant: str = TENANT,
    first: str = typer.Option(..., "--from", help="First day received (YYYY-MM-DD)."),
    last: str = typer.Option(..., "--to", help="Last day received (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of CSV."),
) -> None:
    """The §7101(b) request log (CSV): ref and the six fields the regulation names."""
    from privault.services.requests import request_log

    entries = request_log(container(ctx).deps, tenant, _date(first), _date(last))
    if as_json:
        out.print(json.dumps([_row(e) for e in entries], indent=2), markup=False)
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["ref", *RECORD_FIELDS], lineterminator="\n")
    writer.writeheader()
    writer.writerows(_row(e) for e in entries)
    typer.echo(buffer.getvalue(), nl=False)


def _row(entry: LogEntry) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in asdict(entry).items()}


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a date (YYYY-MM-DD)") from None


@app.command("metrics")
def metrics(
    ctx: typer.Context,
    tenant: str = TENANT,
    year: int | None = typer.Option(
        None, "--year", min=1, max=9999, help="Calendar year; default: the last one."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """The §7102 metrics of a calendar year: received, complied with, denied, median and mean days."""
    from privault.services.requests import request_metrics

    found = request_metrics(container(ctx).deps, tenant, year)
    if as_json:
        out.print(json.dumps(asdict(found), indent=2, default=str), markup=False)
        return
    for line in _lines(found):
        out.print(line, markup=False)


def _lines(found: Metrics) -> list[str]:
    duty = "due" if found.required else "not due (under 10,000,000 consumers)"
    lines = [
        f"CCPA request metrics {found.year} (11 CCR §7102): disclosure by "
        f"{found.disclose_by.isoformat()}, {duty}; consumers per year: {found.consumers:,}",
        f"{'type':<22}{'received':>9}{'complied':>9}{'denied':>7}{'median d':>9}{'mean d':>8}",
    ]
    for k in found.kinds:
        median = "-" if k.median_days is None else f"{k.median_days:g}"
        mean = "-" if k.mean_days is None else f"{k.mean_days:g}"
        lines.append(
            f"{k.kind.value:<22}{k.received:>9}{k.complied:>9}{k.denied:>7}{median:>9}{mean:>8}"
        )
    reasons = ", ".join(f"{r}: {n}" for r, n in found.denied_because.items()) or "none"
    lines.append(f"denied because: {reasons}")
    return lines


@app.command("declare")
def declare(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Request reference."),
    tenant: str = TENANT,
    name: str = typer.Option(..., "--name", help="The full name the requester signed with."),
) -> None:
    """Record a declaration under penalty of perjury the requester signed on paper (§7062(c))."""
    from privault.services.requests import sign_declaration

    result = sign_declaration(container(ctx).deps, tenant, ref, name, cli_actor())
    still = f"; still needed: {result.missing}" if result.missing else ""
    out.print(f"{ref}: declaration kept; {result.state.value}{still}", markup=False)
