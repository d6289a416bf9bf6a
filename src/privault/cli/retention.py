"""``privault retention``: sweep what is due, see what falls due when, and legal holds; and
``privault subjects contract-end`` (registered under ``subjects`` as :func:`contract_end`)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import typer

from privault.cli.context import cli_actor, container, err, out
from privault.core.ids import MAX_ID

app = typer.Typer(help="Retention: sweeps, what is due when, legal holds.", no_args_is_help=True)
hold_app = typer.Typer(help="Legal holds: data no sweep or erasure deletes.", no_args_is_help=True)
app.add_typer(hold_app, name="hold")

TENANT = typer.Option(..., "--tenant", help="Tenant key.")


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{option} takes a date, YYYY-MM-DD") from None


def _print_report(report: dict[str, Any]) -> None:
    for key, r in sorted(report["rules"].items()):
        cats = ", ".join(f"{c} {n}" for c, n in sorted(r["categories"].items()))
        out.print(
            f"{key} ({r['action']}, {r['why']}): {r['values']} values of {r['subjects']} subjects, "
            f"{r['held']} held, {r.get('datastore_values', 0)} in datastores"
            f"{'; ' + cats if cats else ''}",
            markup=False,
        )
    for key, note in sorted(report["elsewhere"].items()):
        out.print(f"{key}: {note}")
    for store, collections in sorted(report.get("datastores", {}).items()):
        for name, c in sorted(collections.items()):
            failed = ", ".join(f"{label} {n}" for label, n in sorted(c["not_erased"].items()))
            out.print(
                f"datastore {store}.{name}: {c['deleted']} rows deleted, {c['masked']} masked, "
                f"{c['held']} held, {c['undated']} undated"
                + (f"; not erased: {failed}" if failed else "")
                + (f"; {c['problem']}" if c["problem"] else ""),
                markup=False,
            )
    for reason, counts in sorted(report["whole_subjects"].items()):
        said = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        out.print(f"whole subjects ({reason.replace('_', ' ')}): {said}")
    for rule, k in sorted(report.get("kept_by_law", {}).items()):
        until = f", until {k['until']}" if k["until"] else ""
        out.print(
            f"kept by law ({rule}: {k['law']}): {k['values']} values and {k['rows']} rows of "
            f"{k['subjects']} subjects{until}, for {', '.join(k['purposes'])} only",
            markup=False,
        )
    t = report["totals"]
    verb = "would delete" if report["dry_run"] else "deleted"
    out.print(
        f"{verb} {t['deleted']}, anonymised {t['anonymised']}, held {t['held']} "
        f"({t['subjects']} subjects, {t['batches']} batches)"
    )


@app.command("sweep")
def sweep_(
    ctx: typer.Context,
    tenant: str = TENANT,
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what is due; delete nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Delete (or anonymise) every value that is due and not held, now, in this process."""
    from privault.services.retention import sweep
    from privault.services.retention_subjects import discover_minors

    c = container(ctx)
    if not dry_run:
        discover_minors(c.deps, tenant, cli_actor())
    result = sweep(
        c.deps,
        tenant,
        batch_size=c.settings.retention_batch_size,
        dry_run=dry_run,
        actor=cli_actor(),
    )
    if as_json:
        typer.echo(json.dumps({"run": result.run_id, **result.report}, indent=2, sort_keys=True))
        return
    out.print(f"retention run {result.run_id} ({'dry run' if dry_run else 'done'})")
    _print_report(result.report)


@app.command("status")
def status_(
    ctx: typer.Context,
    tenant: str = TENANT,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Per rule: values due now, in the next 30 days, the next due date; per dated datastore
    collection, rows due now and in the next 30 days; the active holds."""
    from privault.services.retention import status

    c = container(ctx)
    found = status(c.deps, tenant, batch_size=c.settings.retention_batch_size)
    if as_json:
        typer.echo(json.dumps(status_json(found), indent=2, sort_keys=True))
        return
    for r in found.rules:
        nxt = r.note or (
            f"next due {r.next_due.isoformat()}" if r.next_due else "nothing scheduled"
        )
        out.print(
            f"{r.key} ({r.action}, {r.why}): {r.due_now} due now, {r.due_soon} in the next 30 "
            f"days; {nxt}",
            markup=False,
        )
    for d in found.datastores:
        out.print(
            f"datastore {d.datastore}.{d.collection}: "
            + (d.problem or f"{d.due_now} rows due now, {d.due_soon} in the next 30 days")
            + (f"; {d.held} held" if d.held else "")
            + (f"; {d.undated} undated" if d.undated else ""),
            markup=False,
        )
    for h in found.holds:
        out.print(f"hold {h.id}: {_hold_line(h)}", markup=False)
    if not found.holds:
        out.print("no active legal holds")
    if found.last_run is not None:
        last = found.last_run
        out.print(f"last sweep: run {last.id} {last.status} {last.started_at:%Y-%m-%d %H:%M}")


def status_json(found: Any) -> dict[str, Any]:
    """The status as JSON (the CLI and the API say the same)."""
    return {
        "today": found.today.isoformat(),
        "rules": [
            {
                "rule": r.key,
                "why": r.why,
                "action": r.action,
                "due_now": r.due_now,
                "due_next_30_days": r.due_soon,
                "next_due": r.next_due.isoformat() if r.next_due else None,
                "note": r.note,
            }
            for r in found.rules
        ],
        "holds": [hold_json(h) for h in found.holds],
        "last_run": found.last_run.id if found.last_run else None,
        "datastores": [
            {
                "datastore": d.datastore,
                "collection": d.collection,
                "due_now": d.due_now,
                "due_next_30_days": d.due_soon,
                "held": d.held,
                "undated": d.undated,
                "problem": d.problem,
            }
            for d in found.datastores
        ],
    }


def hold_json(h: Any) -> dict[str, Any]:
    """A hold as JSON (no subject id: the audit trail names the subject)."""
    return {
        "id": h.id,
        "scope": h.scope,
        "category": h.category,
        "reference": h.reference,
        "reason": h.reason,
        "created_by": h.created_by,
        "created_at": h.created_at.isoformat(),
        "expires_on": h.expires_on.isoformat() if h.expires_on else None,
        "released_at": h.released_at.isoformat() if h.released_at else None,
    }


def _hold_line(h: Any) -> str:
    what = {"subject": "one subject", "tenant": "the whole tenant"}.get(h.scope, h.category)
    until = f" until {h.expires_on.isoformat()}" if h.expires_on else ""
    ended = " (released)" if h.released_at else ""
    return f"{what}, reference {h.reference}{until}{ended}"


@hold_app.command("add")
def hold_add(
    ctx: typer.Context,
    tenant: str = TENANT,
    scope: str = typer.Option(..., help="subject, tenant or category."),
    reference: str = typer.Option(..., help="The case, order or letter that requires the hold."),
    subject: str | None = typer.Option(None, help="The subject's ref (scope subject)."),
    category: str | None = typer.Option(None, help="The data category (scope category)."),
    expires: str | None = typer.Option(None, help="The day the hold ends, YYYY-MM-DD."),
    reason: str = typer.Option("", help="One line on why."),
) -> None:
    """Place a legal hold."""
    from privault.services.legal_holds import add_hold

    hold = add_hold(
        container(ctx).deps,
        tenant,
        cli_actor(),
        scope=scope,
        reference=reference,
        subject=subject,
        category=category,
        expires_on=_day(expires, "--expires"),
        reason=reason,
    )
    out.print(f"hold {hold.id} placed: {_hold_line(hold)}", markup=False)


@hold_app.command("list")
def hold_list(
    ctx: typer.Context,
    tenant: str = TENANT,
    all_: bool = typer.Option(False, "--all", help="Released and expired holds too."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The active legal holds."""
    from privault.services.legal_holds import list_holds

    holds = list_holds(container(ctx).deps, tenant, include_ended=all_)
    if as_json:
        typer.echo(json.dumps([hold_json(h) for h in holds], indent=2))
        return
    for h in holds:
        out.print(f"hold {h.id}: {_hold_line(h)}", markup=False)
    err.print(f"{len(holds)} hold(s)")


@hold_app.command("release")
def hold_release(
    ctx: typer.Context,
    hold_id: int = typer.Argument(..., min=1, max=MAX_ID, help="The hold's id."),
    tenant: str = TENANT,
) -> None:
    """Release a legal hold (the next sweep deletes what it kept, if due)."""
    from privault.services.legal_holds import release_hold

    hold = release_hold(container(ctx).deps, tenant, hold_id, cli_actor())
    out.print(f"hold {hold.id} released", markup=False)


def contract_end(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The subject's ref."),
    tenant: str = TENANT,
    on: str = typer.Option(..., "--on", help="The day the contract ended, YYYY-MM-DD."),
) -> None:
    """Record a subject's contract end; its deletion is scheduled per the policy."""
    from privault.services.retention_subjects import record_contract_end

    day = _day(on, "--on")
    assert day is not None  # noqa: S101 - the option is required
    ended = record_contract_end(container(ctx).deps, tenant, ref, day, cli_actor())
    out.print(
        f"contract end {ended.on.isoformat()} recorded; deletion scheduled on "
        f"{ended.delete_on.isoformat()}",
        markup=False,
    )
