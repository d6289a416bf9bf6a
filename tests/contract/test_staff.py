"""Staff logins and console sessions on both engines: Argon2id hashes, lock-out with the fixed clock,
idle and absolute session expiry, sign-out and disabling revoke server-side, everything audited."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from privault.bootstrap import Container
from privault.core.audit import AuditEvent
from privault.core.clock import FixedClock
from privault.core.staff_ports import StaffChange
from privault.crypto.passwords import needs_rehash
from privault.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from privault.services import staff_sessions
from privault.services.setup import apply_manifest
from privault.services.staff import (
    create_staff,
    disable_staff,
    list_staff,
    set_password,
    unlock_staff,
)
from privault.services.staff_sessions import resolve_session, sign_in, sign_out
from privault.services.tenants import bind_tenant

PASSWORD = "correct horse battery staple"
WRONG = "Wrong username or password"


@pytest.fixture
def staff(container: Container) -> Container:
    """The manifest applied and one privacy officer, ``ann``, in bluewave."""
    apply_manifest(container.deps)
    create_staff(container.deps, "bluewave", "Ann", "privacy-officer", PASSWORD, "cli:test")
    return container


def _events(container: Container, tenant: str = "bluewave") -> list[AuditEvent]:
    with container.uow() as uow:
        bind_tenant(uow, tenant)
        return list(reversed(uow.audit.recent(200)))


def _record(container: Container, username: str = "ann"):
    return next(s for s in list_staff(container.deps, "bluewave") if s.username == username)


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_password_is_stored_as_an_argon2id_hash_never_in_clear(staff: Container) -> None:
    """Only a salted Argon2id PHC string is stored; the username is kept in lower case."""
    found = _record(staff)
    assert found.password_hash.startswith("$argon2id$v=19$")
    assert PASSWORD not in found.password_hash
    with staff.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM staff_users")).all()
    assert PASSWORD not in repr(rows)
    create = next(e for e in _events(staff) if e.action == "staff:create")
    assert json.loads(create.details) == {"username": "ann", "role": "privacy-officer"}
    assert PASSWORD not in create.details


def test_a_weak_password_is_refused_and_nothing_is_stored(staff: Container) -> None:
    """Fewer than 12 characters: a clear error naming the rule, no login created."""
    with pytest.raises(InvalidInput, match="at least 12 characters") as caught:
        create_staff(staff.deps, "bluewave", "bob", "agent", "short pass", "cli:test")
    assert caught.value.code == "staff.password_weak"
    assert "short pass" not in caught.value.message
    assert [s.username for s in list_staff(staff.deps, "bluewave")] == ["ann"]


def test_the_role_must_be_one_the_tenants_manifest_gives(staff: Container) -> None:
    """recruiter exists in the manifest but not for bluewave."""
    with pytest.raises(NotFound, match="known: privacy-officer") as caught:
        create_staff(staff.deps, "bluewave", "rita", "recruiter", PASSWORD, "cli:test")
    assert caught.value.code == "role.unknown"


def test_usernames_are_unique_per_tenant(staff: Container) -> None:
    """A second ann in bluewave is refused; an ann in northwind is another login."""
    with pytest.raises(Conflict) as caught:
        create_staff(staff.deps, "bluewave", "ANN", "agent", PASSWORD, "cli:test")
    assert caught.value.code == "staff.exists"
    create_staff(staff.deps, "northwind", "ann", "agent", PASSWORD, "cli:test")
    assert sign_in(staff.deps, "northwind", "ann", PASSWORD).staff.principal.role == "agent"


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_sign_in_opens_a_session_whose_token_is_stored_only_as_a_hash(staff: Container) -> None:
    """The session resolves to a user principal of the tenant; the database holds the SHA-256."""
    signed = sign_in(staff.deps, "bluewave", "Ann", PASSWORD)
    token = signed.token.reveal()
    assert len(token) == 43
    who = resolve_session(staff.deps, token)
    assert who.principal.kind == "user"
    assert who.actor == "user:ann"
    assert (who.tenant_key, who.admin, who.role_name) == ("bluewave", True, "Privacy officer")
    with staff.engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM staff_sessions")).scalar_one()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(_events(staff))


def test_wrong_password_and_unknown_user_get_the_same_answer(staff: Container) -> None:
    """Nothing tells which usernames exist; each refusal is audited."""
    for tenant, name, password in (
        ("bluewave", "ann", "not the password at all"),
        ("bluewave", "nobody", PASSWORD),
        ("no-such-tenant", "ann", PASSWORD),
    ):
        with pytest.raises(Unauthenticated) as caught:
            sign_in(staff.deps, tenant, name, password)
        assert (caught.value.message, caught.value.code) == (WRONG, "staff.login_failed")
    refused = [e for e in _events(staff) if e.action == "staff:login"]
    assert [e.outcome for e in refused] == ["denied", "denied"]
    assert json.loads(refused[0].details)["reason"] == "wrong_password"
    assert json.loads(refused[1].details) == {"reason": "unknown_user"}
    assert refused[1].actor == "console"


def test_five_wrong_passwords_lock_the_login_for_fifteen_minutes(
    staff: Container, clock: FixedClock
) -> None:
    """The fifth failure locks until 09:45; the right password is refused until then, then works."""
    for _ in range(4):
        with pytest.raises(Unauthenticated, match=WRONG):
            sign_in(staff.deps, "bluewave", "ann", "a wrong password!")
    assert _record(staff).failed_attempts == 4
    with pytest.raises(Unauthenticated) as caught:
        sign_in(staff.deps, "bluewave", "ann", "a wrong password!")
    assert caught.value.code == "staff.locked"
    assert caught.value.message == "Too many attempts; try again after 09:45 UTC"
    clock.at += timedelta(minutes=14, seconds=59)
    with pytest.raises(Unauthenticated, match="try again after 09:45"):
        sign_in(staff.deps, "bluewave", "ann", PASSWORD)
    clock.at += timedelta(seconds=1)
    assert sign_in(staff.deps, "bluewave", "ann", PASSWORD).staff.username == "ann"
    found = _record(staff)
    assert (found.failed_attempts, found.locked_until, found.last_login_at) == (0, None, clock.at)
    details = [json.loads(e.details) for e in _events(staff) if e.action == "staff:login"]
    assert details[4]["locked_until"] == "2026-03-02T09:45:00+00:00"
    assert details[5] == {"username": "ann", "reason": "locked"}


def test_a_successful_sign_in_resets_the_count(staff: Container) -> None:
    """Four failures, a success, four failures: never locked."""
    for _ in range(2):
        for _ in range(4):
            with pytest.raises(Unauthenticated, match=WRONG):
                sign_in(staff.deps, "bluewave", "ann", "a wrong password!")
        sign_in(staff.deps, "bluewave", "ann", PASSWORD)
    assert _record(staff).failed_attempts == 0


def test_the_lockout_settings_apply(container: Container) -> None:
    """PRIVAULT_ADMIN_LOCKOUT_ATTEMPTS=2 and _MINUTES=60 lock after two failures, for an hour."""
    settings = container.settings.model_copy(
        update={"admin_lockout_attempts": 2, "admin_lockout_minutes": 60}
    )
    built = Container(settings, clock=container.clock)
    apply_manifest(built.deps)
    create_staff(built.deps, "bluewave", "ann", "agent", PASSWORD, "cli:test")
    with pytest.raises(Unauthenticated, match=WRONG):
        sign_in(built.deps, "bluewave", "ann", "a wrong password!")
    with pytest.raises(Unauthenticated, match="try again after 10:30 UTC"):
        sign_in(built.deps, "bluewave", "ann", "a wrong password!")
    built.close()


def test_unlock_lifts_the_lockout_at_once(staff: Container) -> None:
    """An administrator unlocks; the right password works without waiting."""
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            sign_in(staff.deps, "bluewave", "ann", "a wrong password!")
    unlock_staff(staff.deps, "bluewave", "ann", "cli:admin")
    assert sign_in(staff.deps, "bluewave", "ann", PASSWORD).staff.username == "ann"
    change = next(e for e in _events(staff) if e.action == "staff:change")
    assert (change.actor, json.loads(change.details)["change"]) == ("cli:admin", "unlocked")


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_a_session_ends_after_the_idle_timeout(staff: Container, clock: FixedClock) -> None:
    """Used every 29 minutes it lives on; 30 minutes unused and it is gone (and audited)."""
    token = sign_in(staff.deps, "bluewave", "ann", PASSWORD).token.reveal()
    for _ in range(3):
        clock.at += timedelta(minutes=29)
        assert resolve_session(staff.deps, token).username == "ann"
    clock.at += timedelta(minutes=30)
    with pytest.raises(Unauthenticated) as caught:
        resolve_session(staff.deps, token)
    assert caught.value.code == "staff.session_invalid"
    ended = [e for e in _events(staff) if e.action == "staff:logout"]
    assert json.loads(ended[-1].details)["reason"] == "idle"
    with staff.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM staff_sessions")).scalar_one() == 0
    clock.at -= timedelta(minutes=30)  # even back within the window the session stays ended
    with pytest.raises(Unauthenticated):
        resolve_session(staff.deps, token)


def test_a_session_ends_after_its_lifetime_however_busy(
    staff: Container, clock: FixedClock
) -> None:
    """Twelve hours after sign-in it ends, even if used every ten minutes."""
    token = sign_in(staff.deps, "bluewave", "ann", PASSWORD).token.reveal()
    start = clock.at
    while clock.at + timedelta(minutes=10) < start + timedelta(hours=12):
        clock.at += timedelta(minutes=10)
        resolve_session(staff.deps, token)
    clock.at = start + timedelta(hours=12)
    with pytest.raises(Unauthenticated):
        resolve_session(staff.deps, token)
    ended = next(e for e in _events(staff) if e.action == "staff:logout")
    assert json.loads(ended.details)["reason"] == "lifetime"


def test_sign_out_revokes_the_session_on_the_server(staff: Container) -> None:
    """The token stops working at once; another session of the same login goes on."""
    first = sign_in(staff.deps, "bluewave", "ann", PASSWORD)
    second = sign_in(staff.deps, "bluewave", "ann", PASSWORD)
    sign_out(staff.deps, first.staff)
    with pytest.raises(Unauthenticated):
        resolve_session(staff.deps, first.token.reveal())
    assert resolve_session(staff.deps, second.token.reveal()).username == "ann"
    ended = next(e for e in _events(staff) if e.action == "staff:logout")
    assert (ended.actor, json.loads(ended.details)["reason"]) == ("user:ann", "signed_out")


def test_disabling_a_login_ends_its_sessions_and_refuses_sign_in(staff: Container) -> None:
    """Disabled: every session ends and sign-in gets the generic answer; enabled again, it works."""
    token = sign_in(staff.deps, "bluewave", "ann", PASSWORD).token.reveal()
    disable_staff(staff.deps, "bluewave", "ann", "cli:admin")
    with pytest.raises(Unauthenticated):
        resolve_session(staff.deps, token)
    with pytest.raises(Unauthenticated, match=WRONG):
        sign_in(staff.deps, "bluewave", "ann", PASSWORD)
    disable_staff(staff.deps, "bluewave", "ann", "cli:admin", disabled=False)
    assert sign_in(staff.deps, "bluewave", "ann", PASSWORD).staff.username == "ann"


def test_a_new_password_ends_sessions_and_replaces_the_old_one(staff: Container) -> None:
    """After set_password the old password and the old sessions are useless."""
    token = sign_in(staff.deps, "bluewave", "ann", PASSWORD).token.reveal()
    set_password(staff.deps, "bluewave", "ann", "a brand new passphrase", "cli:admin")
    with pytest.raises(Unauthenticated):
        resolve_session(staff.deps, token)
    with pytest.raises(Unauthenticated, match=WRONG):
        sign_in(staff.deps, "bluewave", "ann", PASSWORD)
    assert sign_in(staff.deps, "bluewave", "ann", "a brand new passphrase").staff
    with pytest.raises(NotFound) as caught:
        set_password(staff.deps, "bluewave", "zed", "a brand new passphrase", "cli:admin")
    assert caught.value.code == "staff.unknown"


def test_a_hash_made_with_older_parameters_is_replaced_at_sign_in(staff: Container) -> None:
    """Argon2 parameters raised since the password was set: the next sign-in rehashes it."""
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    assert needs_rehash(old)
    ann = _record(staff).id
    with staff.uow() as uow:
        bind_tenant(uow, "bluewave")
        uow.staff.update(ann, StaffChange(password_hash=old))
        uow.commit()
    sign_in(staff.deps, "bluewave", "ann", PASSWORD)
    assert not needs_rehash(_record(staff).password_hash)
    login = [e for e in _events(staff) if e.action == "staff:login"][-1]
    assert json.loads(login.details)["rehashed"] is True


def test_a_role_removed_from_the_manifest_ends_the_session(staff: Container) -> None:
    """A login whose role is no longer the tenant's cannot use its session or sign in."""
    token = sign_in(staff.deps, "bluewave", "ann", PASSWORD).token.reveal()
    ann = _record(staff).id
    with staff.uow() as uow:
        bind_tenant(uow, "bluewave")
        uow.staff.update(ann, StaffChange(role="recruiter"))
        uow.commit()
    with pytest.raises(Unauthenticated):
        resolve_session(staff.deps, token)
    with pytest.raises(Unauthenticated, match=WRONG):
        sign_in(staff.deps, "bluewave", "ann", PASSWORD)


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_a_password_reset_while_the_old_one_is_being_checked_opens_no_session(
    staff: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reset lands between the Argon2 check and the session: the sign-in is refused and
    audited, so a reset in an incident leaves no session behind."""
    checked = staff_sessions.verify_password

    def racing(stored: str, password: str) -> bool:
        ok = checked(stored, password)
        set_password(staff.deps, "bluewave", "ann", "a brand new passphrase", "cli:test")
        return ok

    monkeypatch.setattr(staff_sessions, "verify_password", racing)
    with pytest.raises(Unauthenticated):
        sign_in(staff.deps, "bluewave", "ann", PASSWORD)
    denied = [e for e in _events(staff) if e.action == "staff:login" and e.outcome == "denied"]
    assert json.loads(denied[-1].details)["reason"] == "password_changed"
    with staff.uow() as uow:
        bind_tenant(uow, "bluewave")
        sessions = uow.session.execute(text("SELECT COUNT(*) FROM staff_sessions")).scalar()
    assert sessions == 0


def test_a_username_no_login_could_have_is_an_unknown_user(staff: Container) -> None:
    """A NUL byte or a space in the username is never sent to the database: the same answer."""
    for name in ("an\x00n", "a n", ""):
        with pytest.raises(Unauthenticated) as caught:
            sign_in(staff.deps, "bluewave", name, PASSWORD)
        assert caught.value.message == WRONG
