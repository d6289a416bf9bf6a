"""``privault incidents exempt|delay|lift-delay``: a GDPR 34(3) exception to telling the data
subjects, and a law-enforcement delay of FCC customer notice (47 CFR 64.2011(a)(2))."""

from __future__ import annotations

from datetime import date

import typer

from privault.cli.context import cli_actor, container, out
from privault.cli.records import TENANT, incidents_app
from privault.errors import InvalidInput


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{what} is a date (YYYY-MM-DD)", code="incident.invalid") from exc


@incidents_app.command("exempt")
def incident_exempt(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The incident's reference."),
    tenant: str = TENANT,
    code: str = typer.Option(..., "--code", help="34(3)(a), 34(3)(b) or 34(3)(c)."),
    justification: str = typer.Option(..., "--justification", help="Why the exception applies."),
) -> None:
    """Close the GDPR subjects' notice under an Art. 34(3) exception; (c) adds a public notice."""
    from privault.services.incident_exceptions import exempt_subjects

    shown = exempt_subjects(container(ctx).deps, tenant, cli_actor(), ref, code, justification)
    public = any(clock.notify == "public" for clock in shown.clocks)
    then = "; a public communication is now due (--to public)" if public else ""
    out.print(f"{ref}: data subjects exempted under GDPR {code}{then}")


@incidents_app.command("delay")
def incident_delay(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The incident's reference."),
    tenant: str = TENANT,
    until: str = typer.Option(..., "--until", help="The delay's last day (YYYY-MM-DD)."),
    reference: str = typer.Option(..., "--reference", help="The agency's written direction."),
    directed_on: str | None = typer.Option(
        None, "--directed-on", help="When the agency directed it (YYYY-MM-DD; default today)."
    ),
) -> None:
    """Record a law-enforcement direction (or extension) not to notify FCC customers yet."""
    from privault.services.incident_exceptions import delay_customer_notice

    c = container(ctx)
    on = _day(directed_on, "--directed-on") if directed_on else c.clock.now().date()
    delay_customer_notice(
        c.deps,
        tenant,
        cli_actor(),
        ref,
        directed_on=on,
        until=_day(until, "--until"),
        reference=reference,
    )
    out.print(f"{ref}: customer notice delayed until {until} (law enforcement)")


@incidents_app.command("lift-delay")
def incident_lift_delay(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The incident's reference."),
    tenant: str = TENANT,
    reference: str = typer.Option(..., "--reference", help="The agency's written notice."),
    lifted_on: str | None = typer.Option(
        None, "--from", help="Customers may be told from this day (YYYY-MM-DD; default today)."
    ),
) -> None:
    """Record that the agency says customer notice no longer impedes it."""
    from privault.services.incident_exceptions import lift_customer_delay

    c = container(ctx)
    day = _day(lifted_on, "--from") if lifted_on else c.clock.now().date()
    lift_customer_delay(c.deps, tenant, cli_actor(), ref, lifted_on=day, reference=reference)
    out.print(f"{ref}: customers may be told from {day.isoformat()}")
