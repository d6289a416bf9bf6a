"""``privault requests``: open, list, show and act on subject requests, with their legal clocks."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from privault.cli.context import cli_actor, container, err, out
from privault.core.ids import MAX_ID

if TYPE_CHECKING:
    from privault.core.requests import RequestRecord
    from privault.services.requests.actions import ActionIn

app = typer.Typer(
    help="Subject requests: intake, verification, deadlines, fulfilment.", no_args_is_help=True
)

TENANT = typer.Option(..., "--tenant", help="Tenant key.")


@app.command("open")
def open_(
    ctx: typer.Context,
    tenant: str = TENANT,
    type_: str = typer.Option(
        ...,
        "--type",
        help="access, erasure, rectification, restriction, objection, portability, opt_out_sale, "
        "limit_sensitive, opt_out_targeted_ads, opt_out_profiling, appeal (with --appeal-of), "
        "complaint (uk), grievance (in) or human_review (eu, uk; with --decision).",
    ),
    email: list[str] = typer.Option(
        [], "--email", help="An email address of the person (repeatable)."
    ),
    phone: list[str] = typer.Option(
        [], "--phone", help="A phone number of the person (repeatable)."
    ),
    jurisdiction: str | None = typer.Option(
        None, help="Declared residence, e.g. eu, uk, us-ca (default: the tenant's)."
    ),
    channel: str = typer.Option(
        "phone", help="How the request was made: web, email, phone, post, agent_desktop, api."
    ),
    brand: str | None = typer.Option(None, help="The brand the request concerns."),
    agent_name: str | None = typer.Option(None, help="An authorised agent's name."),
    agent_email: str | None = typer.Option(None, help="The agent's email."),
    agent_authorisation: str | None = typer.Option(
        None, help="How the person authorised the agent."
    ),
    correct: list[str] = typer.Option(
        [], "--correct", help="Rectification: field=value (repeatable)."
    ),
    purpose: list[str] = typer.Option(
        [], "--purpose", help="Restriction/objection: a purpose (repeatable)."
    ),
    details: str = typer.Option("", help="What the person added."),
    appeal_of: str | None = typer.Option(
        None, "--appeal-of", help="Appeal: the reference of the refused request (R-...)."
    ),
    decision: str | None = typer.Option(
        None, "--decision", help="Human review: the automated decision contested (purpose key)."
    ),
    received: str | None = typer.Option(
        None,
        "--received",
        help="The day it really arrived (YYYY-MM-DD), for a letter or an earlier call; the "
        "deadline counts from it. Not in the future, at most a year back.",
    ),
) -> None:
    """Record a request taken by phone, post or email; codes go to every identity given."""
    from privault.services.requests.receive import receive_request

    identities = {k: v for k, v in (("email", email), ("phone", phone)) if v}
    agent = None
    if agent_name or agent_email or agent_authorisation:
        agent = {
            "name": agent_name or "",
            "email": agent_email or "",
            "authorisation": agent_authorisation or "",
        }
    corrections = dict(_pair(c) for c in correct)
    raw = {
        "type": type_,
        "identities": identities,
        "jurisdiction": jurisdiction,
        "channel": channel,
        "brand": brand,
        "agent": agent,
        "corrections": corrections,
        "purposes": purpose,
        "details": details,
        "appeal_of": appeal_of,
        "decision": decision,
    }
    c = container(ctx)
    opened = receive_request(c.deps, tenant, raw, cli_actor(), received=_day(received))
    out.print(f"request {opened.ref} received; due {opened.due_on.isoformat()} ({opened.rule})")
    out.print(f"  {opened.explanation}")
    if received and opened.received_on:
        out.print(f"  received on {opened.received_on.isoformat()} (entered today)")
    if opened.target_on:
        out.print(f"  working target {opened.target_on.isoformat()}")
    if opened.ack_due_on:
        out.print(f"  receipt acknowledged (due by {opened.ack_due_on.isoformat()})")
    out.print(f"  requester's status link: {opened.status_url}")


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("--received takes a date: YYYY-MM-DD") from None


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise typer.BadParameter("--correct takes field=value")
    return name.strip(), value


@app.command("list")
def list_(
    ctx: typer.Context,
    tenant: str = TENANT,
    state: list[str] = typer.Option([], "--state", help="Only these states (repeatable)."),
    type_: list[str] = typer.Option([], "--type", help="Only these types (repeatable)."),
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue requests."),
    open_only: bool = typer.Option(False, "--open", help="Only open requests."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    limit: int | None = typer.Option(None, min=1, help="Only the first N (soonest due)."),
) -> None:
    """The queue, soonest due first, with days left."""
    from privault.services.requests import list_requests

    rows = list_requests(
        container(ctx).deps,
        tenant,
        states=state,
        types=type_,
        overdue=overdue,
        open_only=open_only,
        limit=limit,
    )
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "ref": r.ref,
                        "type": r.type.value,
                        "state": r.state.value,
                        "due_on": r.due_on.isoformat(),
                        "deadline": d,
                        "days_left": n,
                    }
                    for r, d, n in rows
                ],
                indent=2,
            )
        )
        return
    table = Table("ref", "type", "state", "received", "due", "days left", "deadline", "rule")
    for r, d, n in rows:
        style = (
            "bold red" if d == "overdue" else ("yellow" if d in ("due_soon", "due_today") else "")
        )
        table.add_row(
            r.ref,
            r.type.value,
            r.state.value,
            r.received_on.isoformat(),
            r.due_on.isoformat(),
            str(n),
            d,
            r.rule,
            style=style,
        )
    out.print(table)
    err.print(f"{len(rows)} request(s)")


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Request reference."),
    tenant: str = TENANT,
) -> None:
    """A request with its deadline, timeline, tasks and result."""
    from privault.services.requests import show_request

    view = show_request(container(ctx).deps, tenant, ref)
    r = view.request
    out.print(f"[bold]{r.ref}[/bold] {r.type.value} - {r.state.value} (via {r.channel.value})")
    out.print(
        f"received {r.received_on.isoformat()}; due {r.due_on.isoformat()} "
        f"({view.deadline_state}, {view.days_left} days left)"
    )
    out.print(f"deadline: {r.deadline_explanation}")
    if r.extended:
        out.print(f"extended: {r.extension_reasons}")
    out.print(
        f"verification: {r.verification} ({view.verified_identities}/{view.identities} identities)"
    )
    if r.response:
        out.print(f"response: {r.response}")
    if r.denial_code:
        out.print(f"denied: {r.denial_code}")
    for e in view.events:
        move = f" {e.from_state or ''}->{e.to_state}" if e.to_state else ""
        out.print(
            f"  {e.at.isoformat(timespec='seconds')} {e.actor} {e.action}{move} {e.note}".rstrip(),
            markup=False,
        )
        shown = {k: v for k, v in e.details.items() if k in _GROUNDS}
        if shown:
            out.print(f"    {json.dumps(shown, sort_keys=True)}", markup=False)
    for t in view.tasks:
        out.print(
            f"  task {t.id} [{t.state}] {t.system}: {t.description} ({t.assignee or 'unassigned'})",
            markup=False,
        )
    if r.result:
        out.print(json.dumps(r.result, indent=2, sort_keys=True), markup=False)


@app.command("verify")
def verify(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Request reference."),
    tenant: str = TENANT,
    code: list[str] = typer.Option(
        [], "--code", help="A code the requester received (repeatable)."
    ),
    manual: str | None = typer.Option(None, "--manual", help="Verified another way: say how."),
    point: list[str] = typer.Option(
        [], "--point", help="With --manual: a data point matched to our records (CCPA §7062)."
    ),
    account: bool = typer.Option(
        False, "--account", help="With --manual: re-authenticated through their account (§7061)."
    ),
) -> None:
    """Verify with the requester's codes, or by hand with a note of how."""
    from privault.services.requests import verify_codes
    from privault.services.requests.actions import ActionIn, StaffAction

    c = container(ctx)
    if manual is not None:
        how = ActionIn(StaffAction.VERIFY, note=manual, points=tuple(point), account=account)
        request = _act(ctx, tenant, ref, how)
        out.print(f"{ref}: {request.state.value}")
        return
    result = verify_codes(c.deps, tenant, ref, code, cli_actor())
    out.print(
        f"{ref}: {result.state.value} ({result.verified}/{result.identities} identities verified)"
        + (f"; still needed: {result.missing}" if result.missing else ""),
        markup=False,
    )


@app.command("resend")
def resend(ctx: typer.Context, ref: str = typer.Argument(...), tenant: str = TENANT) -> None:
    """Send new codes to the identities not verified yet."""
    from privault.services.requests import resend_codes

    out.print(f"{resend_codes(container(ctx).deps, tenant, ref, cli_actor())} code(s) sent")


def _act(ctx: typer.Context, tenant: str, ref: str, action: ActionIn) -> RequestRecord:
    """Take a staff action (``services.requests.actions.take_action``) under your name."""
    from privault.services.requests.actions import take_action

    return take_action(container(ctx).deps, tenant, ref, action, cli_actor())


@app.command("start")
def start(ctx: typer.Context, ref: str = typer.Argument(...), tenant: str = TENANT) -> None:
    """Take a verified request (it is assigned to you)."""
    from privault.services.requests.actions import ActionIn, StaffAction

    out.print(f"{ref}: {_act(ctx, tenant, ref, ActionIn(StaffAction.START)).state.value}")


@app.command("extend")
def extend(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    tenant: str = TENANT,
    reasons: str = typer.Option(..., help="Why more time is needed (sent to the requester)."),
) -> None:
    """Use the one extension the law allows, before the due date."""
    from privault.services.requests.actions import ActionIn, StaffAction

    request = _act(ctx, tenant, ref, ActionIn(StaffAction.EXTEND, reasons=reasons))
    out.print(f"{ref}: extended; now due {request.due_on.isoformat()}")


_GROUNDS = ("evidence", "fee", "searched", "left_out")  # timeline details shown by 'show'
EVIDENCE = typer.Option(
    "",
    help="Manifestly unfounded or excessive (a denial or a fee): the facts that show it "
    "(GDPR Art. 12(5): the burden of proof is ours). Kept, not sent.",
)
PRIOR_REQUESTS = typer.Option(
    [], "--prior-request", help="An earlier request this one repeats (its reference; repeatable)."
)


@app.command("pause")
def pause(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    tenant: str = TENANT,
    reason: str = typer.Option(
        ..., help="awaiting_identity, awaiting_clarification or awaiting_fee."
    ),
    message: str = typer.Option(..., help="What the requester must send (sent to them)."),
    fee: str = typer.Option("", help="awaiting_fee: the amount, e.g. 25.00."),
    currency: str = typer.Option("", help="awaiting_fee: the ISO 4217 currency, e.g. GBP."),
    fee_ground: str = typer.Option(
        "excessive", help="manifestly_unfounded, excessive or further_copies."
    ),
    fee_costs: str = typer.Option("", help="The administrative costs the fee covers."),
    evidence: str = EVIDENCE,
    prior_request: list[str] = PRIOR_REQUESTS,
) -> None:
    """Stop the clock while waiting for the requester (a fee: with its amount and evidence)."""
    from privault.core.requests import PauseReason, choice_of
    from privault.core.unfounded import optional_evidence, optional_fee
    from privault.services.requests.actions import ActionIn, StaffAction

    why = choice_of(PauseReason, reason, "pause reason")
    proof = optional_evidence(evidence, prior_request)
    charge = optional_fee(fee, currency, fee_ground, fee_costs, proof)
    _act(ctx, tenant, ref, ActionIn(StaffAction.PAUSE, reason=why, message=message, fee=charge))
    out.print(f"{ref}: paused")


@app.command("resume")
def resume(ctx: typer.Context, ref: str = typer.Argument(...), tenant: str = TENANT) -> None:
    """Start the clock again (the due date moves by the paused days)."""
    from privault.services.requests.actions import ActionIn, StaffAction

    request = _act(ctx, tenant, ref, ActionIn(StaffAction.RESUME))
    out.print(f"{ref}: {request.state.value}; due {request.due_on.isoformat()}")


@app.command("complete")
def complete(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    tenant: str = TENANT,
    outcome: str = typer.Option(
        "", help="Complaint, grievance, human review: the outcome sent to the person."
    ),
) -> None:
    """Fulfil the request across the vault and every datastore, then close it (a complaint,
    grievance or human review: close it with its outcome, sent to the person)."""
    from privault.services.requests.actions import ActionIn, StaffAction

    request = _act(ctx, tenant, ref, ActionIn(StaffAction.COMPLETE, text=outcome))
    out.print(f"{ref}: {request.state.value}")
    if request.state.value != "completed":
        raise typer.Exit(10)


@app.command("deny")
def deny(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    tenant: str = TENANT,
    code: str = typer.Option(
        ...,
        help="identity_not_verified, manifestly_unfounded, excessive, no_right, "
        "agent_not_authorised, exempt or withdrawn.",
    ),
    text: str = typer.Option(..., help="The text sent to the requester."),
    evidence: str = EVIDENCE,
    prior_request: list[str] = PRIOR_REQUESTS,
) -> None:
    """Refuse the request with a reason code and the text sent (manifestly unfounded or
    excessive: with the evidence)."""
    from privault.core.requests import DenialCode, choice_of
    from privault.core.unfounded import optional_evidence
    from privault.services.requests.actions import ActionIn, StaffAction

    reason = choice_of(DenialCode, code, "denial code")
    proof = optional_evidence(evidence, prior_request)
    _act(ctx, tenant, ref, ActionIn(StaffAction.DENY, code=reason, text=text, evidence=proof))
    out.print(f"{ref}: denied ({code})")


@app.command("scope")
def scope(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    tenant: str = TENANT,
    searched: list[str] = typer.Option([], "--searched", help="A system searched (repeatable)."),
    left_out: list[str] = typer.Option(
        [], "--left-out", help="SYSTEM=WHY: a system not searched and why (repeatable)."
    ),
) -> None:
    """Record the search scope of an access request (UK GDPR Art. 15(1A))."""
    from privault.core.search_scope import parse_left_out, scope_of
    from privault.services.requests.search_scope import record_search_scope

    found = scope_of(searched, parse_left_out(left_out))
    record_search_scope(container(ctx).deps, tenant, ref, cli_actor(), found)
    out.print(
        f"{ref}: search scope recorded ({len(found.searched)} searched, "
        f"{len(found.left_out)} left out)"
    )


@app.command("task")
def task(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    tenant: str = TENANT,
    system: str | None = typer.Option(None, help="Open a task for this system."),
    description: str = typer.Option("", help="What to do."),
    assignee: str | None = typer.Option(None, help="Who does it."),
    done: int | None = typer.Option(
        None, "--done", min=1, max=MAX_ID, help="Mark this task id done."
    ),
    cancel: int | None = typer.Option(
        None, "--cancel", min=1, max=MAX_ID, help="Cancel this task id."
    ),
    note: str = typer.Option("", help="What was done."),
) -> None:
    """Open a manual task, or close one (--done ID / --cancel ID)."""
    from privault.services.requests import add_task, finish_task

    c = container(ctx)
    if done is not None or cancel is not None:
        finish_task(
            c.deps,
            tenant,
            ref,
            done or cancel or 0,
            cli_actor(),
            note,
            cancelled=cancel is not None,
        )
        out.print(f"{ref}: task {'cancelled' if cancel is not None else 'done'}")
        return
    if system is None:
        raise typer.BadParameter("give --system and --description, or --done/--cancel ID")
    out.print(
        f"{ref}: task {add_task(c.deps, tenant, ref, cli_actor(), system, description, assignee)} opened"
    )


@app.command("sweep")
def sweep(ctx: typer.Context, tenant: str = TENANT) -> None:
    """Close unverified requests, flag overdue ones, purge records past their keeping period."""
    from privault.services.requests import sweep as run_sweep

    done = run_sweep(container(ctx).deps, tenant)
    out.print(
        f"closed unverified: {done.closed_unverified}; overdue: {done.overdue}; "
        f"due soon: {done.due_soon}; records purged: {done.purged}; "
        f"expired packages deleted: {done.packages_dropped}"
    )


@app.command("download")
def download(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Request reference."),
    tenant: str = TENANT,
    output: Path = typer.Option(Path("."), "--output", "-o", help="Folder (or file) to save to."),
) -> None:
    """Save a request's access package (to hand over another way); audited under your name."""
    from privault.services.fulfilment import staff_download

    found = staff_download(container(ctx).deps, tenant, ref, cli_actor())
    target = output / found.filename if output.is_dir() else output
    private_write(target, found.content)
    out.print(f"saved {target} ({len(found.content)} bytes, readable by you only)")


def private_write(target: Path, content: bytes) -> None:
    """Write a file only its owner may read (a package holds a person's data), whatever the umask."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
