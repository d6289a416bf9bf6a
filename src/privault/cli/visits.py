"""``privault visits``: the visit log's statistics (counts only, never a visitor)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from privault.cli.context import container, out

if TYPE_CHECKING:
    from privault.core.visits import Count, VisitStats

app = typer.Typer(help="Website visit statistics without identities.", no_args_is_help=True)

TENANT = typer.Option(..., "--tenant", help="Tenant key.")


def _counts(
    title: str, first: str, rows: list[Count], labels: dict[str, str] | None = None
) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(first)
    table.add_column("visits", justify="right")
    for row in rows:
        table.add_row((labels or {}).get(row.key, row.key), str(row.visits))
    return table


def _as_json(found: VisitStats) -> str:
    def counts(rows: list[Count]) -> list[dict[str, object]]:
        return [{"key": r.key, "visits": r.visits} for r in rows]

    return json.dumps(
        {
            "since": found.since.isoformat(),
            "until": found.until.isoformat(),
            "visits": found.totals.visits,
            "consented": found.totals.consented,
            "linked": found.totals.linked,
            "pages": counts(found.pages),
            "days": [{"day": d.day.isoformat(), "visits": d.visits} for d in found.days],
            "browsers": counts(found.browsers),
            "referrers": counts(found.referrers),
        },
        indent=2,
    )


def _print(found: VisitStats) -> None:
    from privault.core.visits import LABELS

    t = found.totals
    out.print(
        f"{t.visits} visit(s) from {found.since} to {found.until} (UTC); "
        f"{t.consented} with statistics consent, {t.linked} linked to a subject"
    )
    out.print(_counts("Popular pages", "page", found.pages))
    trend = Table(title="Visits per day", title_justify="left")
    trend.add_column("day")
    trend.add_column("visits", justify="right")
    for d in found.days:
        trend.add_row(d.day.isoformat(), str(d.visits))
    out.print(trend)
    out.print(
        _counts("Browsers", "browser", found.browsers, {k.value: v for k, v in LABELS.items()})
    )
    out.print(_counts("Referrers", "host", found.referrers))


@app.command("stats")
def stats(
    ctx: typer.Context,
    tenant: str = TENANT,
    days: int = typer.Option(30, "--days", help="UTC days up to today (1-366)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Popular pages, visits per day, browsers, referrer hosts, and how many visits were linked."""
    from privault.services.visits import visit_stats

    c = container(ctx)
    found = visit_stats(c.deps, tenant, days, c.clock.now())
    if as_json:
        typer.echo(_as_json(found))
    else:
        _print(found)
