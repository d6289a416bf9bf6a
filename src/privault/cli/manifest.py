"""``privault init``, ``privault check`` and the ``privault manifest`` group."""

from __future__ import annotations

from pathlib import Path

import typer

from privault.cli.context import cli_actor, container, out

app = typer.Typer(
    help="Validate, inspect and apply the privacy-as-code manifest.", no_args_is_help=True
)


def init(
    ctx: typer.Context,
    directory: Path | None = typer.Argument(
        None, help="Folder to write privault.yaml into (default: the data folder)."
    ),
    template: str = typer.Option("contact-centre", help="Starter manifest to write."),
    force: bool = typer.Option(False, help="Overwrite an existing privault.yaml."),
) -> None:
    """Write a starter privault.yaml (a BPO serving two client tenants, one a telecom with CPNI)."""
    from privault.services.manifest import read_manifest
    from privault.services.setup import write_keys, write_template

    c = container(ctx)
    settings = c.settings
    target = directory or settings.data_dir
    path = write_template(target, template, force=force)
    keys = settings.keyring_path  # the keys privault will use, wherever the manifest is written
    created = write_keys(read_manifest(path), c.keyring)  # the keyring of settings.keyring_path
    out.print(f"wrote {path}")
    if created:
        out.print(
            f"created keys for {', '.join(created)} in {keys} (keep this folder secret and backed up)"
        )
    out.print(f"next: privault check {path}")


def check(
    ctx: typer.Context,
    file: Path | None = typer.Argument(
        None, help="Manifest to check (default: PRIVAULT_MANIFEST)."
    ),
) -> None:
    """Validate a manifest; print every problem with file:line:column and a hint; exit 1 on error."""
    from privault.services.manifest import read_manifest

    path = file or container(ctx).settings.manifest_path
    manifest = read_manifest(path)
    out.print(
        f"{path}: ok ({len(manifest.tenants)} tenants, {len(manifest.purposes)} purposes, "
        f"{len(manifest.recipients)} recipients)"
    )


def register(root: typer.Typer) -> None:
    """Put init and check at the top level too (the commands people type first)."""
    root.command("init")(init)
    root.command("check")(check)


app.command("check")(check)


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of privault.yaml."""
    from privault.services.manifest import manifest_schema_json

    typer.echo(manifest_schema_json())


@app.command("apply")
def apply(ctx: typer.Context) -> None:
    """Sync tenants into the database and publish each tenant's notice if its content changed."""
    from privault.services.database import ensure_schema
    from privault.services.setup import apply_manifest

    c = container(ctx)
    ensure_schema(c.database)
    result = apply_manifest(c.deps, cli_actor())
    for key, published in result.notices.items():
        state = "new version" if published.created else "unchanged"
        record = published.record
        out.print(
            f"{key}: notice {record.version_id[:12]} ({state}, last updated {record.published_on})"
        )
