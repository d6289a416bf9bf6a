"""``privault demo``: prepare the embedded demo (used by ``make run``)."""

from __future__ import annotations

import typer

from privault.cli.context import container, out


def demo(ctx: typer.Context) -> None:
    """Create the demo manifest, schema, tenants and an admin API key (once), then print how to start."""
    from privault.demo import prepare_demo

    c = container(ctx)
    result = prepare_demo(c)
    base = f"http://{c.settings.host}:{c.settings.port}"
    out.print(f"demo data in {c.settings.data_dir}/ (database {c.settings.database_url_masked})")
    out.print(f"open {base}/docs for the API, {base}/healthz for health")
    out.print(f"privacy notice: {base}/v1/tenants/{result.tenant}/notice")
    out.print(
        f"demo admin: tenant '{result.tenant}', role '{result.role}', API key in {result.credentials_file}"
    )
    out.print(f"  curl -H 'Authorization: Bearer {result.token}' {base}/v1/me", markup=False)
