"""``privault staff``: logins to the admin console (a tenant, a role, an Argon2id-hashed password)."""

from __future__ import annotations

import sys

import typer

from privault.cli.context import cli_actor, container, out

app = typer.Typer(help="Admin-console logins.", no_args_is_help=True)

TENANT = typer.Option(..., "--tenant", help="Tenant key.")
USERNAME = typer.Argument(..., help="The login's username.")
STDIN = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of standard input."
)


def _password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return typed


@app.command("add")
def add(
    ctx: typer.Context,
    username: str = USERNAME,
    tenant: str = TENANT,
    role: str = typer.Option(..., help="A role the manifest gives this tenant."),
    password_stdin: bool = STDIN,
) -> None:
    """Create a login (the password is asked for, hidden, unless --password-stdin)."""
    from privault.services.staff import create_staff

    created = create_staff(
        container(ctx).deps, tenant, username, role, _password(password_stdin), cli_actor()
    )
    out.print(f"created login '{created.username}' with role '{role}' in tenant '{tenant}'")


@app.command("list")
def list_(ctx: typer.Context, tenant: str = TENANT) -> None:
    """The tenant's logins: username, role, state, last sign-in."""
    from privault.core.staff import lock_end
    from privault.services.staff import list_staff

    c = container(ctx)
    now = c.clock.now()
    for s in list_staff(c.deps, tenant):
        until = lock_end(s, now)
        state = (
            "disabled" if s.disabled else (f"locked until {until:%H:%M} UTC" if until else "active")
        )
        last = f"{s.last_login_at:%Y-%m-%d %H:%M}" if s.last_login_at else "never"
        out.print(f"{s.username:<24} {s.role:<20} {state:<24} last sign-in {last}", markup=False)


@app.command("disable")
def disable(
    ctx: typer.Context,
    username: str = USERNAME,
    tenant: str = TENANT,
    enable: bool = typer.Option(False, "--enable", help="Allow the login to sign in again."),
) -> None:
    """Stop a login from signing in; its sessions end at once (--enable undoes it)."""
    from privault.services.staff import disable_staff

    disable_staff(container(ctx).deps, tenant, username, cli_actor(), disabled=not enable)
    out.print(f"{username}: {'enabled' if enable else 'disabled'}")


@app.command("unlock")
def unlock(ctx: typer.Context, username: str = USERNAME, tenant: str = TENANT) -> None:
    """Lift a lock-out after too many wrong passwords, before it runs out."""
    from privault.services.staff import unlock_staff

    unlock_staff(container(ctx).deps, tenant, username, cli_actor())
    out.print(f"{username}: unlocked")


@app.command("password")
def password(
    ctx: typer.Context, username: str = USERNAME, tenant: str = TENANT, password_stdin: bool = STDIN
) -> None:
    """Set a new password; the login's sessions end and any lock-out is lifted."""
    from privault.services.staff import set_password

    set_password(container(ctx).deps, tenant, username, _password(password_stdin), cli_actor())
    out.print(f"{username}: password changed; every session of this login has ended")
