"""``privault ropa``, ``privault dpia`` and ``privault incidents``: the records of processing, the impact
assessment register and the incident register with its clocks."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from privault.cli.context import cli_actor, container, out
from privault.core.ids import MAX_ID
from privault.errors import InvalidInput

if TYPE_CHECKING:
    from privault.services.incidents import IncidentView

ropa_app = typer.Typer(help="Records of processing (GDPR Art. 30).", no_args_is_help=True)
dpia_app = typer.Typer(help="Impact assessments (GDPR Art. 35).", no_args_is_help=True)
incidents_app = typer.Typer(
    help="The incident and breach register, with its clocks.", no_args_is_help=True
)

TENANT = typer.Option(..., "--tenant", help="Tenant key.")
AS_JSON = typer.Option(False, "--json", help="Print JSON.")


def _instant(text: str | None, what: str) -> datetime | None:
    """An ISO 8601 instant with its offset (e.g. 2026-03-02T09:30:00+00:00)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{what} is an ISO 8601 instant", code="incident.invalid") from exc
    if value.tzinfo is None:
        raise InvalidInput(f"{what} needs its offset (e.g. +00:00)", code="incident.invalid")
    return value


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    out.print(f"written to {output}")


# --- ropa ---------------------------------------------------------------------------------------


@ropa_app.callback()
def ropa_group() -> None:
    """Records of processing (GDPR Art. 30): `privault ropa export`."""


@ropa_app.command("export")
def ropa_export(
    ctx: typer.Context,
    tenant: str = TENANT,
    fmt: str = typer.Option("json", "--format", help="csv, json or html."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
) -> None:
    """Export the tenant's records of processing (audited as records:export)."""
    from privault.services.ropa import export_ropa

    text = export_ropa(container(ctx).deps, tenant, cli_actor(), fmt)
    _write(text, output)


# --- dpia ---------------------------------------------------------------------------------------


@dpia_app.command("add")
def dpia_add(
    ctx: typer.Context,
    tenant: str = TENANT,
    purpose: str = typer.Option(..., help="The purpose assessed."),
    title: str = typer.Option(..., help="What is assessed."),
    risks: str = typer.Option("", help="The risks to people found."),
    measures: str = typer.Option("", help="The measures that address them."),
    residual_risk: str = typer.Option("", help="low, medium or high."),
) -> None:
    """Record a draft impact assessment of a purpose."""
    from privault.services.dpias import NewDpia, add_dpia

    item = NewDpia(purpose, title, risks, measures, residual_risk)
    added = add_dpia(container(ctx).deps, tenant, cli_actor(), item)
    out.print(f"DPIA {added.dpia.id} added for {purpose} (draft)")


@dpia_app.command("list")
def dpia_list(
    ctx: typer.Context,
    tenant: str = TENANT,
    missing: bool = typer.Option(
        False, "--missing", help="Only purposes that need an approved DPIA and lack one."
    ),
    as_json: bool = AS_JSON,
) -> None:
    """The register, or (``--missing``) the purposes lacking an approved, unexpired DPIA."""
    from privault.services import dpias

    deps = container(ctx).deps
    rows: list[dict[str, object]]
    if missing:
        gaps = dpias.missing(deps, tenant)
        rows = [{"purpose": p, "state": s} for p, s in gaps]
    else:
        rows = [
            {
                "id": v.dpia.id,
                "purpose": v.dpia.purpose,
                "title": v.dpia.title,
                "state": v.state,
                "residual_risk": v.dpia.residual_risk,
                "reviewer": v.dpia.reviewer,
                "review_on": v.dpia.review_on.isoformat() if v.dpia.review_on else None,
            }
            for v in dpias.list_dpias(deps, tenant)
        ]
    _table(rows, as_json, "no purpose lacks its DPIA" if missing else "no DPIA recorded")


def _table(rows: list[dict[str, object]], as_json: bool, empty: str) -> None:
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        out.print(empty)
        return
    table = Table(*rows[0].keys())
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    out.print(table)


@dpia_app.command("decide")
def dpia_decide(
    ctx: typer.Context,
    dpia_id: int = typer.Argument(..., min=1, max=MAX_ID, help="The DPIA's id."),
    tenant: str = TENANT,
    approve: bool = typer.Option(False, "--approve", help="Approve it."),
    reject: bool = typer.Option(False, "--reject", help="Reject it."),
    reviewer: str = typer.Option(..., help="Who decided."),
    review_on: str | None = typer.Option(None, help="Review date (YYYY-MM-DD); approvals need it."),
    residual_risk: str | None = typer.Option(None, help="low, medium or high (if it changed)."),
) -> None:
    """Approve or reject a DPIA (audited as records:dpia)."""
    from privault.services.dpias import decide_dpia

    if approve == reject:
        raise typer.BadParameter("give --approve or --reject")
    try:
        review = date.fromisoformat(review_on) if review_on else None
    except ValueError as exc:
        raise typer.BadParameter("--review-on is YYYY-MM-DD") from exc
    decision = "approved" if approve else "rejected"
    decided = decide_dpia(
        container(ctx).deps,
        tenant,
        cli_actor(),
        dpia_id,
        decision,
        reviewer=reviewer,
        review_on=review,
        residual_risk=residual_risk,
    )
    out.print(f"DPIA {dpia_id} {decided.state}")


# --- incidents ----------------------------------------------------------------------------------


@incidents_app.command("open")
def incident_open(
    ctx: typer.Context,
    tenant: str = TENANT,
    title: str = typer.Option(..., help="What happened, in a line."),
    aware_at: str | None = typer.Option(
        None, help="When you became aware (ISO 8601; default now)."
    ),
    occurred_at: str | None = typer.Option(None, help="When it happened, if known."),
    risk: str = typer.Option(..., help="Risk to people: none, low or high."),
    category: list[str] = typer.Option([], "--category", help="A category affected (repeatable)."),
    subjects: int = typer.Option(
        0, "--subjects", min=0, max=MAX_ID, help="Approximate number of people."
    ),
    regime: list[str] = typer.Option(
        [],
        "--regime",
        help="gdpr, fcc, pipeda, quebec, dpdp or us-states (default: every one that applies).",
    ),
    description: str = typer.Option("", help="The nature of the incident."),
    measures: str = typer.Option("", help="Measures taken or proposed."),
    residents: list[str] = typer.Option(
        [],
        "--residents",
        help="People affected in a US state: STATE=COUNT, e.g. CA=1200 (repeatable); "
        "each state's breach clock.",
    ),
) -> None:
    """Open an incident and start its clocks (audited as incident:change)."""
    from privault.services.incidents import NewIncident, open_incident

    c = container(ctx)
    item = NewIncident(
        title=title,
        aware_at=_instant(aware_at, "--aware-at") or c.clock.now(),
        risk=risk,
        occurred_at=_instant(occurred_at, "--occurred-at"),
        description=description,
        categories=category,
        subjects_affected=subjects,
        regimes=regime,
        measures=measures,
        residents=dict(_residents(r) for r in residents),
    )
    shown = open_incident(c.deps, tenant, cli_actor(), item, fcc_rule=c.settings.fcc_breach_rule)
    out.print(
        f"incident {shown.incident.ref} opened ({', '.join(shown.incident.regimes) or 'no regime'})"
    )
    _print_clocks(shown)


def _residents(text: str) -> tuple[str, int]:
    state, sep, number = text.partition("=")
    if not sep or not number.strip().isdigit():
        raise typer.BadParameter("--residents takes STATE=COUNT, e.g. CA=1200")
    return state.strip().upper(), int(number)


def _print_clocks(shown: IncidentView) -> None:
    table = Table("regime", "rule", "notify", "whom", "due", "state")
    for clock, state in zip(shown.clocks, shown.states, strict=True):
        due = (
            clock.due_at.isoformat()
            if clock.due_at
            else (clock.due_on.isoformat() if clock.due_on else clock.due_text)
        )
        whom = clock.whom + (" (for the controller)" if clock.on_behalf else "")
        table.add_row(clock.regime, clock.rule, clock.notify, whom, due, state)
    out.print(table)


@incidents_app.command("list")
def incident_list(
    ctx: typer.Context,
    tenant: str = TENANT,
    open_only: bool = typer.Option(False, "--open", help="Only open incidents."),
    as_json: bool = AS_JSON,
) -> None:
    """The register, newest first, with each clock's state (due in / overdue / done)."""
    from privault.services.incidents import incident_dict, list_incidents

    shown = list_incidents(container(ctx).deps, tenant, open_only=open_only)
    if as_json:
        typer.echo(json.dumps([incident_dict(s) for s in shown], indent=2))
        return
    table = Table("ref", "status", "aware", "risk", "subjects", "clocks")
    for s in shown:
        clocks = "; ".join(
            f"{c.notify}/{c.regime}: {state}" for c, state in zip(s.clocks, s.states, strict=True)
        )
        i = s.incident
        table.add_row(
            i.ref, i.status, i.aware_at.isoformat(), i.risk, str(i.subjects_affected), clocks
        )
    out.print(table if shown else "no incident recorded")


@incidents_app.command("show")
def incident_show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The incident's reference (I-...)."),
    tenant: str = TENANT,
    as_json: bool = AS_JSON,
) -> None:
    """One incident with its clocks and notifications."""
    from privault.services.incidents import incident_dict, show_incident

    shown = show_incident(container(ctx).deps, tenant, ref)
    if as_json:
        typer.echo(json.dumps(incident_dict(shown), indent=2))
        return
    i = shown.incident
    out.print(f"{i.ref} [{i.status}] {i.title}", markup=False)
    out.print(
        f"  aware {i.aware_at.isoformat()}; risk {i.risk}; about {i.subjects_affected} people"
    )
    out.print(f"  categories: {', '.join(i.categories) or 'not known yet'}")
    out.print(f"  kept until {i.retain_until.isoformat()}")
    _print_clocks(shown)
    for n in i.notifications:
        late = f" (late: {n['late_reason']})" if n.get("late_reason") else ""
        out.print(f"  notified {n['to']} at {n['at']}{late}", markup=False)


@incidents_app.command("notify")
def incident_notify(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The incident's reference."),
    tenant: str = TENANT,
    to: str = typer.Option(
        ...,
        "--to",
        help="authority, subjects, law_enforcement, controller, fcc, attorney_general or public.",
    ),
    at: str | None = typer.Option(None, help="When they were told (ISO 8601; default now)."),
    late_reason: str | None = typer.Option(None, help="Why it is late (required when it is)."),
    reference: str | None = typer.Option(None, help="The filing's reference, if any."),
    le_agrees: bool = typer.Option(
        False, "--le-agrees", help="FCC: law enforcement agreed to earlier customer notice."
    ),
) -> None:
    """Record a notification; after its due time it needs --late-reason (GDPR 33(1))."""
    from privault.services.incidents import notify_incident

    shown = notify_incident(
        container(ctx).deps,
        tenant,
        cli_actor(),
        ref,
        to,
        _instant(at, "--at"),
        late_reason=late_reason,
        reference=reference,
        law_enforcement_agrees=le_agrees,
    )
    out.print(f"{ref}: {to} notified")
    _print_clocks(shown)


@incidents_app.command("close")
def incident_close(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The incident's reference."),
    tenant: str = TENANT,
    measures: str | None = typer.Option(None, help="The measures taken (replaces the recorded)."),
    waive_reason: str | None = typer.Option(
        None, help="Why the notifications still open are not needed (e.g. GDPR 34(3)(a))."
    ),
) -> None:
    """Close an incident (it stays in the register until its keeping period ends)."""
    from privault.services.incidents import close_incident

    shown = close_incident(
        container(ctx).deps,
        tenant,
        cli_actor(),
        ref,
        measures=measures,
        waive_reason=waive_reason,
    )
    out.print(f"{ref} closed; kept until {shown.incident.retain_until.isoformat()}")


@incidents_app.command("notice")
def incident_notice(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The incident's reference."),
    tenant: str = TENANT,
    to: str = typer.Option("authority", "--to", help="authority, subjects, controller or public."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
) -> None:
    """Render the notice (Markdown) from the incident and the manifest."""
    from privault.services.incidents import render_notice

    text = render_notice(container(ctx).deps, tenant, ref, to)
    _write(text, output)
