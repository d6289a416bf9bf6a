"""``privault disclosures`` (make, list) and ``privault offers`` (send): data given to recipients,
and partners' offers sent by the tenant itself."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from privault.cli.context import cli_actor, cli_principal, container, err, out

app = typer.Typer(
    help="Disclosures to recipients: checked, minimised, recorded.", no_args_is_help=True
)
offers_app = typer.Typer(
    help="Partners' offers sent by the tenant (the partner gets counts only).",
    no_args_is_help=True,
)

TENANT = typer.Option(..., "--tenant", help="Tenant key.")
AS_ROLE = typer.Option(
    None, "--as-role", help="Act as this role (default: the tenant's admin role)."
)


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("a date is YYYY-MM-DD") from exc


@app.command("make")
def make(
    ctx: typer.Context,
    tenant: str = TENANT,
    recipient: str = typer.Option(..., help="The recipient's key (manifest `recipients`)."),
    purpose: str = typer.Option(..., help="Why the data is disclosed (a purpose of the tenant)."),
    subject: list[str] = typer.Option(..., "--subject", help="A subject's reference (repeatable)."),
    category: list[str] = typer.Option(
        [], "--category", help="Only this category (repeatable; default: all the register allows)."
    ),
    transform: str | None = typer.Option(
        None,
        help="identity, pseudonymise, aggregate or anonymise (default: the recipient's first).",
    ),
    legal_basis: str | None = typer.Option(
        None, help="The law relied on (required for authorities)."
    ),
    document_ref: str | None = typer.Option(
        None, help="The order, subpoena or warrant (required for authorities)."
    ),
    withhold_until: str | None = typer.Option(
        None, help="Notice to the subject is withheld until this date (YYYY-MM-DD)."
    ),
    withhold_reference: str | None = typer.Option(
        None, help="The gag or delay order that withholds notice."
    ),
    output: Path | None = typer.Option(
        None, help="Write the payload to this file (owner-only); default: standard output."
    ),
    as_role: str | None = AS_ROLE,
) -> None:
    """Disclose subjects' data to a recipient; the payload (JSON) goes to stdout or --output."""
    from privault.services.disclosures import disclose

    c = container(ctx)
    principal = cli_principal(ctx, tenant, as_role)
    done = disclose(
        c.deps,
        principal,
        recipient,
        subject,
        purpose,
        categories=category,
        legal_basis=legal_basis,
        document_ref=document_ref,
        notice_withheld_until=_day(withhold_until),
        withhold_reference=withhold_reference,
        transform=transform,
    )
    err.print(
        f"disclosure {done.batch}: {len(done.subjects)} subject(s) to {done.recipient} for "
        f"{done.purpose} ({done.transform}; {', '.join(done.categories)})"
    )
    for refusal in done.refused:
        err.print(f"  refused {refusal.subject}: {refusal.rule}")
    if done.notice_withheld_until:
        err.print(f"  notice withheld until {done.notice_withheld_until.isoformat()}")
    text = json.dumps(done.payload.reveal(), indent=2, ensure_ascii=False, default=str)
    if output is None:
        out.print(text, markup=False)
        return
    output.touch(mode=0o600)
    output.write_text(text + "\n", encoding="utf-8")
    err.print(f"  payload written to {output}")


@app.command("list")
def list_(
    ctx: typer.Context,
    tenant: str = TENANT,
    subject: str | None = typer.Option(None, help="Only this subject's disclosures."),
    recipient: str | None = typer.Option(None, help="Only disclosures to this recipient."),
    limit: int = typer.Option(100, min=1, max=10_000, help="At most this many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """The disclosure register, newest first."""
    from privault.services.disclosures import list_disclosures

    rows = list_disclosures(
        container(ctx).deps, tenant, subject_ref=subject, recipient=recipient, limit=limit
    )
    items = [
        {
            "batch": r.batch,
            "at": r.at.isoformat(),
            "recipient": r.recipient,
            "subject": ref,
            "purpose": r.purpose,
            "categories": list(r.categories),
            "transform": r.transform,
            "legal_basis": r.legal_basis,
            "document_ref": r.document_ref,
            "notice_withheld_until": r.notice_withheld_until,
            "withhold_reference": r.withhold_reference,
            "actor": r.actor,
        }
        for r, ref in rows
    ]
    if as_json:
        out.print(json.dumps(items, indent=2, ensure_ascii=False, default=str), markup=False)
        return
    table = Table("at", "recipient", "subject", "purpose", "transform", "categories", "withheld")
    for r, ref in rows:
        until = r.notice_withheld_until
        table.add_row(
            r.at.isoformat()[:19],
            r.recipient,
            ref or "(erased)",
            r.purpose,
            r.transform,
            ", ".join(r.categories),
            f"until {until.isoformat()}" if until else "",
        )
    out.print(table)


@offers_app.callback()
def offers() -> None:
    """Partners' offers sent by the tenant (the partner gets counts only)."""


@offers_app.command("send")
def send(
    ctx: typer.Context,
    tenant: str = TENANT,
    partner: str = typer.Option(..., help="The partner's recipient key (type partner)."),
    purpose: str = typer.Option(..., help="A marketing purpose on the channel."),
    channel: str = typer.Option(..., help="email or sms."),
    subject_line: str = typer.Option(..., "--subject-line", help="The message's subject line."),
    body: str | None = typer.Option(None, help="The message text."),
    body_file: Path | None = typer.Option(None, help="Read the message text from this file."),
    brand: str | None = typer.Option(None, help="The brand the offer goes out under."),
) -> None:
    """Send a partner's offer to the subjects allowed; print counts only."""
    from privault.services.offers import send_offer

    if (body is None) == (body_file is None):
        raise typer.BadParameter("give either --body or --body-file")
    text = body_file.read_text(encoding="utf-8") if body_file is not None else body or ""
    c = container(ctx)
    result = send_offer(
        c.deps,
        tenant,
        partner,
        purpose,
        channel,
        subject_line,
        text,
        brand,
        actor=cli_actor(),
    )
    out.print(json.dumps(result.counts(), indent=2), markup=False)
