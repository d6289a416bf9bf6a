"""``privault cpni``: the FCC's CPNI rules of a US carrier (docs/cpni.md): opt-out notices and their
schedule, the campaign log and its supervisory review, the annual certificate, the call-detail gate."""

from __future__ import annotations

import json
import sys

import typer

from privault.cli.context import cli_actor, cli_principal, container, err, out
from privault.cli.subjects import _print

app = typer.Typer(
    help="CPNI of US carriers (47 CFR 64.2008-64.2010): notices, campaigns, certificate, calls.",
    no_args_is_help=True,
)
notices_app = typer.Typer(help="Opt-out notices (47 CFR 64.2008).", no_args_is_help=True)
campaigns_app = typer.Typer(
    help="Marketing campaigns using CPNI (47 CFR 64.2009).", no_args_is_help=True
)
app.add_typer(notices_app, name="notices")
app.add_typer(campaigns_app, name="campaigns")

TENANT = typer.Option(..., help="Tenant key (a US carrier).")


@notices_app.command("record")
def notices_record(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The customer's subject reference."),
    tenant: str = TENANT,
    delivery: str = typer.Option(..., help="mail or electronic (sent today)."),
) -> None:
    """Record an opt-out notice sent today; prints when approval may be assumed."""
    from privault.core.cpni import Delivery
    from privault.services.cpni import record_notice

    try:
        how = Delivery(delivery)
    except ValueError as exc:
        raise typer.BadParameter("--delivery is mail or electronic") from exc
    c = container(ctx)
    sent = record_notice(c.deps, tenant, cli_actor(), ref, how)
    out.print(
        f"notice to {sent.ref} by {sent.delivery.value}: wait starts {sent.wait_starts}, "
        f"approval from {sent.approval_from}, renew by {sent.renew_by}",
        markup=False,
    )


@notices_app.command("due")
def notices_due(
    ctx: typer.Context,
    tenant: str = TENANT,
    limit: int = typer.Option(1000, min=1, max=100_000, help="At most this many."),
) -> None:
    """List customers due an opt-out notice: first notices and two-year renewals."""
    from privault.services.cpni import notices_due as due

    c = container(ctx)
    found = due(c.deps, tenant, limit)
    for item in found:
        typer.echo(f"{item.ref}\t{item.reason}\t{item.due_on}")
    err.print(f"{len(found)} notices due")


@campaigns_app.command("log")
def campaigns_log(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="A reference for the campaign."),
    tenant: str = TENANT,
    description: str = typer.Option(..., help="What the campaign is."),
    cpni: list[str] = typer.Option(..., "--cpni", help="A CPNI category used (repeatable)."),
    products: str = typer.Option(..., help="The products and services offered."),
    purpose: str = typer.Option(..., help="The manifest purpose it serves."),
) -> None:
    """Log a proposed campaign; a supervisor must approve it before it uses CPNI."""
    from privault.core.cpni import CampaignDraft
    from privault.services.cpni_campaigns import log_campaign

    c = container(ctx)
    draft = CampaignDraft(ref, description, tuple(cpni), products, purpose)
    made = log_campaign(c.deps, tenant, cli_actor(), draft)
    out.print(f"campaign {made.ref} {made.status}, kept until {made.retain_until}", markup=False)


@campaigns_app.command("review")
def campaigns_review(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The campaign."),
    tenant: str = TENANT,
    approve: bool = typer.Option(..., "--approve/--reject", help="The supervisor's decision."),
    note: str = typer.Option("", help="Why."),
) -> None:
    """Approve or reject a proposed campaign (a supervisor other than its requester)."""
    from privault.services.cpni_campaigns import review_campaign

    c = container(ctx)
    done = review_campaign(c.deps, tenant, cli_actor(), ref, approve=approve, note=note)
    out.print(f"campaign {done.ref} {done.status}", markup=False)


@campaigns_app.command("launch")
def campaigns_launch(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The campaign."),
    tenant: str = TENANT,
) -> None:
    """Mark an approved campaign launched (refused unless approved)."""
    from privault.services.cpni_campaigns import launch_campaign

    c = container(ctx)
    done = launch_campaign(c.deps, tenant, cli_actor(), ref)
    out.print(f"campaign {done.ref} {done.status}", markup=False)


@campaigns_app.command("list")
def campaigns_list(
    ctx: typer.Context,
    tenant: str = TENANT,
    year: int | None = typer.Option(
        None, min=1, max=9999, help="Calendar year logged (default: this year)."
    ),
) -> None:
    """The campaign log of a year, as JSON."""
    from privault.services.cpni_campaigns import list_campaigns

    c = container(ctx)
    found = list_campaigns(c.deps, tenant, year or c.clock.now().year)
    rows = [
        {
            "ref": x.ref,
            "status": x.status,
            "description": x.description,
            "cpni_used": list(x.cpni_used),
            "products": x.products,
            "purpose": x.purpose,
            "requested_by": x.requested_by,
            "reviewer": x.reviewer,
            "created_at": x.created_at.isoformat(),
            "retain_until": x.retain_until.isoformat(),
        }
        for x in found
    ]
    typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))


@app.command("certificate")
def certificate(
    ctx: typer.Context,
    tenant: str = TENANT,
    year: int = typer.Option(..., min=1, max=9999, help="The calendar year certified."),
    officer: str = typer.Option(..., help="The signing officer's name."),
    title: str = typer.Option(..., help="The officer's title."),
    broker_actions: str = typer.Option(..., help="Actions against data brokers ('none')."),
    complaints: str = typer.Option(..., help="Summary of CPNI complaints ('none')."),
) -> None:
    """Draft the annual compliance certificate (due 1 March) as Markdown."""
    from privault.services.cpni_campaigns import Officer
    from privault.services.cpni_campaigns import certificate as draft

    c = container(ctx)
    signer = Officer(officer, title, broker_actions, complaints)
    made = draft(c.deps, tenant, cli_actor(), year, signer)
    typer.echo(made.text)
    if made.late:
        err.print(f"late: the certificate for {year} was due by {made.due_on}")


@app.command("call")
def call(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The caller's subject reference."),
    tenant: str = TENANT,
    purpose: str = typer.Option(..., help="Why you are looking (audited)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password the caller gave from stdin."
    ),
    as_role: str | None = typer.Option(None, "--as-role", help="Act as this role."),
) -> None:
    """Show a caller on an inbound call: call detail only after the caller's password passes."""
    from privault.core.secrets import Secret
    from privault.services.cpni import inbound_call

    given = Secret(sys.stdin.readline().rstrip("\n")) if password_stdin else None
    c = container(ctx)
    principal = cli_principal(ctx, tenant, as_role)
    seen = inbound_call(c.deps, principal, ref, purpose, given)
    _print([seen.view])
    err.print(f"password: {seen.password}", markup=False)
    if seen.masked:
        offer = "; ".join(seen.alternatives) or "none on file"
        err.print(f"call detail withheld: {', '.join(seen.masked)}; offer: {offer}", markup=False)
