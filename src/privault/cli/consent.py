"""``privault consent``: record choices with their evidence, show state and history, rebuild, links."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from privault.cli.context import cli_actor, container, err, out

if TYPE_CHECKING:
    from privault.services.consent import Evidence, Holder

app = typer.Typer(
    help="Consent and preferences: the append-only ledger and its current state.",
    no_args_is_help=True,
)

SUBJECT = typer.Option(None, "--subject", help="The subject's reference.")
VISITOR = typer.Option(None, "--visitor", help="An anonymous visitor id.")


def _holder(subject: str | None, visitor: str | None) -> Holder:
    from privault.services.consent import Holder

    if (subject is None) == (visitor is None):
        raise typer.BadParameter("give exactly one of --subject or --visitor")
    return Holder(subject=subject, visitor=visitor)


@app.command("record")
def record_(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    subject: str | None = SUBJECT,
    visitor: str | None = VISITOR,
    grant: list[str] = typer.Option(
        [], "--grant", help="kind:scope the person permits (repeatable)."
    ),
    withdraw: list[str] = typer.Option(
        [],
        "--withdraw",
        help="kind:scope the person refuses, opts out of or objects to (repeatable).",
    ),
    method: str = typer.Option(
        ...,
        help="accept, reject, save, gpc, unsubscribe, agent, ivr, import, notice, request or form.",
    ),
    channel: str = typer.Option(..., help="web, email, phone, ivr, agent_desktop, post or api."),
    brand: str | None = typer.Option(None, help="The brand the choice was made under."),
    notice_version: str | None = typer.Option(
        None, help="Notice version shown (default: the latest)."
    ),
    shown: str | None = typer.Option(None, help="The text or UI element shown."),
    agent: str | None = typer.Option(None, help="The agent's id (phone and agent desktop)."),
    call_id: str | None = typer.Option(None, help="The call's id (phone, IVR, agent desktop)."),
    evidence: list[str] = typer.Option(
        [], "--evidence", help="key=value proof, e.g. verification=id-check:42 (repeatable)."
    ),
) -> None:
    """Append choices to the ledger, e.g. --withdraw marketing:bluewave-mobile:sms --method agent."""
    from privault.core.consent import Choice, Kind, Method, Via
    from privault.services.consent import Evidence, record_choices

    holder = _holder(subject, visitor)
    choices = [_choice(item, True) for item in grant] + [_choice(item, False) for item in withdraw]
    if not choices:
        raise typer.BadParameter("give at least one --grant or --withdraw kind:scope")
    if any("=" not in item for item in evidence):
        raise typer.BadParameter("--evidence takes key=value")
    extra = dict(item.split("=", 1) for item in evidence)
    try:
        proof = Evidence(
            Method(method), Via(channel), brand, notice_version, shown, agent, call_id, extra=extra
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    c = container(ctx)
    done = record_choices(
        c.deps,
        tenant,
        cli_actor(),
        holder,
        [Choice(Kind(k), s, g) for k, s, g in choices],
        proof,
        c.clock.now(),
    )
    for event in done.events:
        verb = "granted" if event.granted else "withdrawn"
        out.print(
            f"event {event.id}: {event.kind}:{event.scope} {verb} ({event.method}, {event.channel})"
        )


def _choice(item: str, granted: bool) -> tuple[str, str, bool]:
    from privault.core.consent import Kind

    kind, _, scope = item.partition(":")
    if kind not in {k.value for k in Kind} or not scope:
        kinds = ", ".join(k.value for k in Kind if k is not Kind.LINK)
        raise typer.BadParameter(f"'{item}' is not kind:scope (kinds: {kinds})")
    return kind, scope, granted


@app.command("show")
def show(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    subject: str | None = SUBJECT,
    visitor: str | None = VISITOR,
) -> None:
    """The current state per topic, and the event behind each."""
    from privault.core.audit import from_micros
    from privault.services.consent import current_state

    holder = _holder(subject, visitor)
    state = current_state(container(ctx).deps, tenant, holder)
    if not state:
        out.print("no choices recorded (everything that needs consent is refused)")
    for key, entry in sorted(state.items()):
        verb = "granted" if entry.granted else "refused"
        when = from_micros(entry.at_us).isoformat(timespec="seconds")
        out.print(f"{key}: {verb} by event {entry.event_id} ({entry.method}, {when})")


@app.command("history")
def history_(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    subject: str | None = SUBJECT,
    visitor: str | None = VISITOR,
) -> None:
    """Every ledger event of a subject or visitor, with its evidence, oldest first."""
    from privault.services.consent import history

    holder = _holder(subject, visitor)
    events = history(container(ctx).deps, tenant, holder)
    for e in events:
        verb = "granted" if e.granted else "withdrawn"
        extra = [f"agent {e.agent}" if e.agent else "", f"call {e.call_id}" if e.call_id else ""]
        notice = f"notice {e.notice_version[:12]}" if e.notice_version else ""
        details = ", ".join(x for x in [e.method, e.channel, *extra, notice] if x)
        out.print(
            f"{e.at.isoformat(timespec='seconds')} event {e.id}: {e.kind}:{e.scope} {verb} ({details})",
            markup=False,
        )
    if not events:
        err.print("no events")


@app.command("link")
def link(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    visitor: str = typer.Option(..., help="The anonymous visitor id."),
    subject: str = typer.Option(..., help="The subject's reference."),
) -> None:
    """Link a visitor to a subject: the visitor's choices (cookies, GPC) now count for the subject."""
    from privault.core.consent import Method, Via
    from privault.services.consent import Evidence, link_visitor

    c = container(ctx)
    done = link_visitor(
        c.deps,
        tenant,
        cli_actor(),
        visitor,
        subject,
        Evidence(Method.FORM, Via.API),
        c.clock.now(),
    )
    out.print(f"event {done.events[0].id}: visitor linked to {subject}")


@app.command("rebuild")
def rebuild_(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    check: bool = typer.Option(False, "--check", help="Compare only; exit 1 if anything differs."),
) -> None:
    """Recompute every holder's state from the ledger and compare it with the stored projection."""
    from privault.services.consent import rebuild

    c = container(ctx)
    report = rebuild(c.deps, tenant, cli_actor(), c.clock.now(), apply_fix=not check)
    out.print(
        f"{tenant}: {report.events} events, {report.holders} holders, {len(report.differing)} differing"
    )
    for holder in report.differing[:20]:
        err.print(f"  differs: {holder}")
    if check and report.differing:
        raise typer.Exit(1)


@app.command("unsubscribe-link")
def unsubscribe_link_(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    subject: str = typer.Option(..., help="The subject's reference."),
    brand: str = typer.Option("*", help="A brand key, or * for every brand."),
    channel: str = typer.Option("email", help="email, sms, phone, post, or * for every channel."),
) -> None:
    """Print a signed one-click unsubscribe link and its RFC 8058 headers."""
    from privault.services.unsubscribe import unsubscribe_link

    c = container(ctx)
    link_ = unsubscribe_link(c.deps, tenant, subject, brand, channel, c.clock.now().date())
    from privault.core.unsubscribe import is_https

    out.print(link_.url, markup=False)
    for name, value in link_.headers.items():
        out.print(f"{name}: {value}", markup=False)
    if not is_https(link_.url):
        err.print(
            "warning: RFC 8058 needs an HTTPS link; set PRIVAULT_PUBLIC_URL to the https address "
            "before sending mail with it"
        )


@app.command("check-message")
def check_message_(
    message: Path = typer.Argument(..., help="A message as it was sent (.eml: headers and body)."),
) -> None:
    """Check a sent message for RFC 8058 one-click unsubscribe, DKIM coverage included."""
    from privault.core.unsubscribe import check_message

    try:
        raw = message.read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {message}: {exc.strerror}") from exc
    findings = check_message(raw)
    for finding in findings:
        err.print(f"{finding.code}: {finding.message}", markup=False)
    if findings:
        raise typer.Exit(1)
    out.print("one-click unsubscribe: ok (RFC 8058 headers present and covered by DKIM)")


def _evidence(method: str, channel: str, agent: str | None, call_id: str | None) -> Evidence:
    from privault.core.consent import Method, Via
    from privault.services.consent import Evidence

    try:
        return Evidence(Method(method), Via(channel), agent=agent, call_id=call_id)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command("object")
def object_(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    subject: str = typer.Option(..., help="The subject's reference."),
    purpose: str = typer.Option(
        "marketing", help="A purpose, or 'marketing' for all direct marketing (absolute)."
    ),
    lift: bool = typer.Option(False, "--lift", help="Withdraw the objection instead."),
    method: str = typer.Option("request", help="How it reached us (see 'consent record')."),
    channel: str = typer.Option("api", help="Where it reached us (see 'consent record')."),
    agent: str | None = typer.Option(None, help="The agent's id (phone)."),
    call_id: str | None = typer.Option(None, help="The call's id (phone, IVR)."),
) -> None:
    """Record an objection (GDPR Art. 21): to all direct marketing, or to one purpose."""
    from privault.core.consent import Choice, Kind
    from privault.services.consent import Holder, record_choices

    proof = _evidence(method, channel, agent, call_id)
    c = container(ctx)
    done = record_choices(
        c.deps,
        tenant,
        cli_actor(),
        Holder(subject=subject),
        [Choice(Kind.OBJECTION, purpose, lift)],
        proof,
        c.clock.now(),
    )
    what = "lifted" if lift else "recorded"
    out.print(f"event {done.events[0].id}: objection to {purpose} {what}")


@app.command("restrict")
def restrict(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    subject: list[str] = typer.Option([], "--subject", help="A subject's reference (repeatable)."),
    subjects_file: Path | None = typer.Option(
        None, "--subjects-file", exists=True, dir_okay=False, help="One subject reference per line."
    ),
    purpose: str | None = typer.Option(None, help="Restrict one purpose only (default: all)."),
    reference: str | None = typer.Option(
        None, help="A short code for the batch, e.g. billing-run:2026-11."
    ),
    lift: bool = typer.Option(
        False, "--lift", help="Lift the restriction instead (each person is told first)."
    ),
    informed_otherwise: str = typer.Option(
        "", help="Lifting: how people with no e-mail or phone on file were told (GDPR 18(3))."
    ),
    method: str = typer.Option("request", help="How it reached us (see 'consent record')."),
    channel: str = typer.Option("api", help="Where it reached us (see 'consent record')."),
) -> None:
    """Restrict processing (GDPR Art. 18) of one subject or a whole run, all or nothing."""
    from privault.services.restrictions import restrict_processing

    refs = list(subject)
    if subjects_file is not None:
        refs += [
            line.strip()
            for line in subjects_file.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    if not refs:
        raise typer.BadParameter("give --subject (repeatable) or --subjects-file")
    proof = _evidence(method, channel, None, None)
    c = container(ctx)
    count = restrict_processing(
        c.deps,
        tenant,
        cli_actor(),
        refs,
        purpose,
        restricted=not lift,
        reference=reference,
        evidence=proof,
        informed_otherwise=informed_otherwise,
    )
    verb = "lifted for" if lift else "restricted"
    out.print(f"{verb} {count} subject(s){' for ' + purpose if purpose else ''}")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSON Lines, one interaction each."
    ),
    tenant: str = typer.Option(..., help="Tenant key."),
    batch: int = typer.Option(5000, min=1, max=50_000, help="Records per transaction."),
) -> None:
    """Import a consent history with its original times and evidence; bad lines are reported by number."""
    from privault.core.sizes import sized_lines
    from privault.services.consent_import import import_choices, parse_json_lines

    c = container(ctx)
    with file.open("rb") as handle:  # a line that is not UTF-8 is refused by number, not the file
        report = import_choices(
            c.deps,
            tenant,
            cli_actor(),
            sized_lines(parse_json_lines(handle), c.settings.max_value_chars),
            c.clock.now(),
            batch_size=batch,
        )
    out.print(f"imported {report.records} records ({report.events} events)")
    for line, message in report.errors[:50]:
        err.print(f"  line {line}: {message}", markup=False)
    if report.errors:
        err.print(f"{len(report.errors)} line(s) not imported")
        raise typer.Exit(1)
