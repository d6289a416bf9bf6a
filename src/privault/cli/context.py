"""Shared CLI plumbing: the container from the Typer context, and the consoles."""

from __future__ import annotations

import typer
from rich.console import Console

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.manifest.resolve import tenant_view
from privault.errors import NotFound

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def container(ctx: typer.Context) -> Container:
    """The container built by the root callback."""
    root = ctx.find_root()
    built: Container = root.obj
    return built


def cli_actor() -> str:
    """How the audit trail names the person at this terminal."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}"


def cli_principal(ctx: typer.Context, tenant: str, role: str | None) -> Principal:
    """The principal CLI commands act as: the tenant's admin role unless ``--as-role`` names another.

    Access rules apply to the CLI exactly as to API keys; the audit trail names the OS user.
    """
    from privault.services.tenants import find_tenant

    c = container(ctx)
    view = tenant_view(c.manifest, tenant)
    chosen = role or next((r.key for r in view.roles if r.admin), None)
    if chosen is None or view.role(chosen) is None:
        raise NotFound(f"tenant '{tenant}' has no role '{chosen}'", code="role.unknown")
    record = find_tenant(c.deps, tenant)
    return Principal(record.id, tenant, chosen, "cli", cli_actor().removeprefix("cli:"))
