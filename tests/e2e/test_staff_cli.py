"""``privault staff`` on both engines: add (hidden prompt or stdin), list, disable, unlock, password;
and the demo's console login."""

from __future__ import annotations

import io

import pytest

from privault.bootstrap import Container
from privault.config import Settings
from privault.errors import Unauthenticated
from privault.services.staff_sessions import sign_in

PASSWORD = "correct horse battery staple"


@pytest.fixture
def applied(cli) -> object:
    """The database migrated and the manifest applied."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    return cli


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def _sign_in(settings: Settings, username: str, password: str) -> str:
    container = Container(settings)
    try:
        return sign_in(container.deps, "bluewave", username, password).staff.role_name
    finally:
        container.close()


def test_staff_add_reads_the_password_from_stdin_and_lists_it(
    applied, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The login signs in with that password; list shows it, never the hash."""
    _stdin(monkeypatch, PASSWORD + "\n")
    code, out, _ = applied(
        "staff", "add", "Ann", "--tenant", "bluewave", "--role", "auditor", "--password-stdin"
    )
    assert code == 0, out
    assert "created login 'ann' with role 'auditor'" in out
    assert _sign_in(settings, "ann", PASSWORD) == "Auditor"
    code, out, _ = applied("staff", "list", "--tenant", "bluewave")
    assert code == 0
    assert "ann" in out
    assert "auditor" in out
    assert "active" in out
    assert "argon2" not in out


def test_staff_add_asks_twice_at_a_hidden_prompt(
    applied, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --password-stdin the password is typed twice (not echoed)."""
    typed = iter([PASSWORD, PASSWORD])
    prompts: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or next(typed))
    code, out, _ = applied("staff", "add", "bob", "--tenant", "bluewave", "--role", "agent")
    assert code == 0, out
    assert PASSWORD not in out
    assert len(prompts) == 2
    assert _sign_in(settings, "bob", PASSWORD) == "Contact-centre agent"


def test_staff_add_refuses_a_weak_password_and_an_unknown_role(
    applied, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 2 with the rule for a short password, exit 3 for a role the tenant lacks; nothing made."""
    _stdin(monkeypatch, "too short\n")
    code, _, err = applied(
        "staff", "add", "cy", "--tenant", "bluewave", "--role", "agent", "--password-stdin"
    )
    assert code == 2
    assert "error [staff.password_weak]: a password needs at least 12 characters" in err
    assert "too short" not in err
    _stdin(monkeypatch, PASSWORD + "\n")
    code, _, err = applied(
        "staff", "add", "cy", "--tenant", "bluewave", "--role", "recruiter", "--password-stdin"
    )
    assert code == 3
    assert "role.unknown" in err
    assert "cy" not in applied("staff", "list", "--tenant", "bluewave")[1]


def test_staff_disable_unlock_and_password(
    applied, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Disable stops sign-in; --enable allows it; unlock lifts a lock-out; password replaces it."""
    _stdin(monkeypatch, PASSWORD + "\n")
    applied("staff", "add", "dee", "--tenant", "bluewave", "--role", "agent", "--password-stdin")
    assert applied("staff", "disable", "dee", "--tenant", "bluewave")[0] == 0
    assert "disabled" in applied("staff", "list", "--tenant", "bluewave")[1]
    with pytest.raises(Unauthenticated):
        _sign_in(settings, "dee", PASSWORD)
    assert applied("staff", "disable", "dee", "--tenant", "bluewave", "--enable")[0] == 0
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            _sign_in(settings, "dee", "a wrong password")
    assert "locked until" in applied("staff", "list", "--tenant", "bluewave")[1]
    code, out, _ = applied("staff", "unlock", "dee", "--tenant", "bluewave")
    assert (code, out.strip()) == (0, "dee: unlocked")
    assert _sign_in(settings, "dee", PASSWORD)
    _stdin(monkeypatch, "another long passphrase\n")
    code, out, _ = applied("staff", "password", "dee", "--tenant", "bluewave", "--password-stdin")
    assert code == 0
    assert "every session of this login has ended" in out
    with pytest.raises(Unauthenticated):
        _sign_in(settings, "dee", PASSWORD)
    assert _sign_in(settings, "dee", "another long passphrase")
    code, _, err = applied("staff", "unlock", "nobody", "--tenant", "bluewave")
    assert code == 3
    assert "staff.unknown" in err


def test_the_demo_creates_the_console_login_once(cli, settings: Settings) -> None:
    """`privault demo` prints the console address and the demo login, which signs in."""
    code, out, _ = cli("demo")
    assert code == 0
    assert "/admin" in out
    assert "username 'officer', password 'privault-demo-officer' (demo only)" in out
    assert _sign_in(settings, "officer", "privault-demo-officer") == "Privacy officer"
    assert cli("demo")[0] == 0
    listed = cli("staff", "list", "--tenant", "bluewave")[1].splitlines()
    assert [line.split()[:2] for line in listed] == [["officer", "privacy-officer"]]
