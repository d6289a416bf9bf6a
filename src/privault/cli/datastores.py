"""``privault datastores``, ``privault webhooks`` and ``privault outbox``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from privault.cli.context import cli_actor, container, err, out
from privault.core.ids import MAX_ID

app = typer.Typer(help="The company databases requests are fulfilled in.", no_args_is_help=True)
webhooks_app = typer.Typer(
    help="Endpoints told of request state changes (signed).", no_args_is_help=True
)

TENANT = typer.Option(..., "--tenant", help="Tenant key.")


@app.command("add")
def add(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="A short key, e.g. crm."),
    tenant: str = TENANT,
    url: str | None = typer.Option(
        None, help="postgresql://, mysql:// or sqlite:/// URL (stored encrypted)."
    ),
    dataset: Path | None = typer.Option(None, help="Fides dataset YAML describing the database."),
    manual: bool = typer.Option(
        False, "--manual", help="A system without a connector: its owner gets a task per request."
    ),
    owner: str | None = typer.Option(None, help="Who handles a manual system."),
    description: str = typer.Option("", help="What the system is."),
) -> None:
    """Add a connected datastore (--url and --dataset) or a manual system (--manual --owner)."""
    from privault.core.yamlsafe import read_text
    from privault.services.datastores import add_datastore

    if manual == (url is not None):
        raise typer.BadParameter("give --url with --dataset, or --manual with --owner")
    text = read_text(dataset.read_bytes(), str(dataset)) if dataset else None
    c = container(ctx)
    info = add_datastore(
        c.deps,
        tenant,
        cli_actor(),
        key,
        url=url,
        dataset=text,
        description=description,
        owner=owner,
        privault_url=c.settings.sqlalchemy_url,
    )
    out.print(
        f"datastore {info.key} added ({info.kind}"
        + (f", {info.collections} collections)" if info.collections else ")")
    )


@app.command("update")
def update(
    ctx: typer.Context,
    key: str = typer.Argument(...),
    tenant: str = TENANT,
    url: str | None = typer.Option(None, help="The new URL (stored encrypted)."),
    dataset: Path | None = typer.Option(None, help="The new Fides dataset YAML."),
) -> None:
    """Change a connected datastore's URL and/or dataset in place (checked as when added)."""
    from privault.core.yamlsafe import read_text
    from privault.services.datastores import update_datastore

    if url is None and dataset is None:
        raise typer.BadParameter("give --url, --dataset or both")
    text = read_text(dataset.read_bytes(), str(dataset)) if dataset else None
    c = container(ctx)
    change = update_datastore(
        c.deps,
        tenant,
        cli_actor(),
        key,
        url=url,
        dataset=text,
        privault_url=c.settings.sqlalchemy_url,
    )
    info, parts = change.info, " and ".join(change.changed)
    done = (
        f"{parts} updated ({info.kind}, {info.collections} collections)" if parts else "unchanged"
    )
    out.print(f"datastore {key}: {done}", markup=False)


@app.command("test")
def check(ctx: typer.Context, key: str = typer.Argument(...), tenant: str = TENANT) -> None:
    """Compare the dataset with the database, its data and the login's privileges."""
    from privault.services.datastores import check_datastore

    check = check_datastore(container(ctx).deps, tenant, key)
    table = Table("collection", "rows")
    for name, rows in check.rows.items():
        table.add_row(name, str(rows))
    out.print(table)
    for f in check.findings:
        out.print(f"{f.severity}: {f.code} {f.where or key}: {f.message}", markup=False)
        if f.hint:
            out.print(f"  hint: {f.hint}", markup=False)
    errors, warnings = len(check.errors), len(check.warnings)
    counts = f"{len(check.rows)} collections, {errors} errors, {warnings} warnings"
    out.print(f"{key}: {'ok' if check.ok else 'NOT OK'} ({counts})", markup=False)
    if not check.ok:
        raise typer.Exit(1)


@app.command("list")
def list_(ctx: typer.Context, tenant: str = TENANT) -> None:
    """The tenant's datastores (URLs masked)."""
    from privault.services.datastores import list_datastores

    rows = list_datastores(container(ctx).deps, tenant)
    table = Table("key", "kind", "url / owner", "collections", "last test")
    for d in rows:
        tested = "never" if d.last_tested_at is None else ("ok" if d.last_test_ok else "failed")
        table.add_row(d.key, d.kind, d.url or d.owner or "", str(d.collections), tested)
    out.print(table)


@app.command("remove")
def remove(ctx: typer.Context, key: str = typer.Argument(...), tenant: str = TENANT) -> None:
    """Forget a datastore and its credentials."""
    from privault.services.datastores import remove_datastore

    remove_datastore(container(ctx).deps, tenant, cli_actor(), key)
    out.print(f"datastore {key} removed")


@webhooks_app.command("add")
def webhook_add(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="The endpoint (https://...)."),
    tenant: str = TENANT,
    event: list[str] = typer.Option(
        ["*"], "--event", help="An event to send (repeatable; default all)."
    ),
) -> None:
    """Register an endpoint; prints its signing secret once."""
    from privault.services.webhooks import add_webhook

    deps = container(ctx).deps
    endpoint, secret = add_webhook(deps, tenant, cli_actor(), url, tuple(event))
    out.print(f"webhook {endpoint.id} added; signing secret (shown once): {secret}", markup=False)


@webhooks_app.command("list")
def webhook_list(ctx: typer.Context, tenant: str = TENANT) -> None:
    """The tenant's endpoints."""
    from privault.services.webhooks import list_webhooks

    for w in list_webhooks(container(ctx).deps, tenant):
        out.print(
            f"{w.id} {w.url} events={','.join(w.events)} {'active' if w.active else 'removed'}",
            markup=False,
        )


@webhooks_app.command("remove")
def webhook_remove(
    ctx: typer.Context,
    webhook_id: int = typer.Argument(..., min=1, max=MAX_ID),
    tenant: str = TENANT,
) -> None:
    """Stop sending to an endpoint."""
    from privault.services.webhooks import remove_webhook

    remove_webhook(container(ctx).deps, tenant, cli_actor(), webhook_id)
    out.print(f"webhook {webhook_id} removed")


@webhooks_app.command("deliver")
def webhook_deliver(ctx: typer.Context, tenant: str = TENANT) -> None:
    """Send queued deliveries that are due (failures are retried with backoff)."""
    from privault.services.webhooks import deliver_due

    done = deliver_due(container(ctx).deps, tenant)
    out.print(f"delivered {done.delivered}; retrying {done.retrying}; failed {done.failed}")


def outbox(
    ctx: typer.Context,
    to: str | None = typer.Option(None, help="Only messages to this address or number."),
    last: int = typer.Option(10, help="How many of the newest messages."),
) -> None:
    """Show what the outbox messenger sent (codes and notices), newest last."""
    from privault.services.outbox import sent_messages

    c = container(ctx)
    messages = sent_messages(c.settings.outbox_path, to)
    for m in messages[-last:]:
        out.print(
            f"--- {m.get('at')} to {m.get('to')} ({m.get('channel')}): {m.get('subject')}",
            markup=False,
        )
        out.print(str(m.get("body")), markup=False)
    err.print(f"{len(messages[-last:])} message(s) from {c.settings.outbox_path}")
