"""Keys fail closed on SQLite and PostgreSQL: a tenant that holds data never starts on missing,
foreign or new keys, nothing is written when it refuses, and the fingerprint is stored, never a key."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text, update

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.crypto.keyring import LocalKeyring
from privault.errors import ConfigurationError
from privault.services.keys import KeyState, check_keys, ensure_tenant_keys, require_keys
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant, sync_tenants
from privault.services.vault_import import create_subject
from privault.storage import tables as t

TABLES = ("tenants", "audit_events", "audit_checkpoints", "subjects", "notice_versions")


@pytest.fixture
def applied(container: Container) -> Container:
    """The manifest applied: every tenant has keys, audit events and a checkpoint."""
    apply_manifest(container.deps)
    return container


def _keys(c: Container) -> Path:
    return c.settings.keyring_path


def _add_subject(c: Container, ref: str = "s-1") -> None:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    body = {"subject": ref, "data": {"user.name": "Ada"}, "source": "direct", "purpose": "billing"}
    create_subject(c.deps, officer, body)


def _rows(c: Container) -> dict[str, int]:
    """Every row count of the tables start-up writes (raw SQL: no tenant scoping)."""
    with c.engine.connect() as connection:
        return {n: int(connection.scalar(text(f"SELECT count(*) FROM {n}")) or 0) for n in TABLES}


def _fingerprints(c: Container) -> dict[str, str | None]:
    with c.uow() as uow:
        return {r.key: r.key_fingerprint for r in uow.tenants.list()}


def _forget_fingerprints(c: Container) -> None:
    """What a database written before fingerprints existed looks like."""
    with c.engine.begin() as connection:
        connection.execute(update(t.Tenant).values(key_fingerprint=None))


def _foreign_keys(c: Container, tmp_path: Path, tenant: str = "bluewave") -> None:
    """Replace the tenant's key file with valid keys of the same tenant from another install."""
    other = LocalKeyring(tmp_path / "other-install")
    other.ensure_tenant(tenant)
    shutil.copy2(other.folder / f"{tenant}.json", _keys(c) / f"{tenant}.json")


def _refusal(c: Container) -> ConfigurationError:
    before = _rows(c)
    with pytest.raises(ConfigurationError) as caught:
        apply_manifest(c.deps)
    assert _rows(c) == before
    return caught.value


def test_new_tenants_get_keys_and_only_their_fingerprint_is_stored(applied: Container) -> None:
    """manifest apply on an empty database makes keys and stores each tenant's fingerprint."""
    stored = _fingerprints(applied)
    assert stored == {k: applied.keyring.fingerprint(k) for k in stored}
    assert sorted(stored) == ["bluewave", "harbour", "northwind"]
    keyfile = (_keys(applied) / "bluewave.json").read_text(encoding="utf-8")
    assert all(v is not None and v not in keyfile for v in stored.values())


def test_a_tenant_holds_data_once_it_has_audit_events_or_subjects(container: Container) -> None:
    """A synced tenant row is empty; after manifest apply (audited) it holds data."""
    sync_tenants(container.deps)
    with container.uow() as uow:
        ids = [r.id for r in uow.tenants.list()]
        assert not any(uow.tenants.holds_data(i) for i in ids)
    apply_manifest(container.deps)
    with container.uow() as uow:
        assert all(uow.tenants.holds_data(i) for i in ids)


def test_a_tenant_with_no_data_gets_keys_when_its_file_is_missing(container: Container) -> None:
    """A synced tenant with no data and no key file gets keys on apply, as before."""
    sync_tenants(container.deps)
    assert not (_keys(container) / "bluewave.json").exists()
    assert {k.state for k in check_keys(container.deps)} == {KeyState.NO_DATA}
    assert sorted(apply_manifest(container.deps).new_keys) == ["bluewave", "harbour", "northwind"]
    assert {k.state for k in check_keys(container.deps)} == {KeyState.OK}


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_a_missing_key_file_of_a_tenant_with_data_refuses_and_writes_nothing(
    applied: Container,
) -> None:
    """bluewave.json gone: apply stops naming the file and the tenant; no key file is made."""
    _add_subject(applied)
    path = _keys(applied) / "bluewave.json"
    path.unlink()
    error = _refusal(applied)
    assert error.code == "keyring.missing"
    assert str(path) in error.message
    assert "'bluewave'" in error.message
    assert not path.exists()


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_the_whole_keys_folder_gone_refuses_for_every_tenant(applied: Container) -> None:
    """No keys folder: every tenant is named and the folder is not recreated."""
    shutil.rmtree(_keys(applied))
    error = _refusal(applied)
    assert error.code == "keyring.missing"
    for tenant in ("bluewave", "harbour", "northwind"):
        assert f"'{tenant}'" in error.message
    assert not _keys(applied).exists()


def test_keys_are_never_made_for_a_tenant_that_holds_data(applied: Container) -> None:
    """ensure_tenant_keys itself refuses, whoever calls it."""
    (_keys(applied) / "harbour.json").unlink()
    with pytest.raises(ConfigurationError) as caught:
        ensure_tenant_keys(applied.deps, "harbour", "test")
    assert caught.value.code == "keyring.missing"
    assert not (_keys(applied) / "harbour.json").exists()


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_another_tenants_key_file_copied_in_is_refused(applied: Container) -> None:
    """northwind.json copied over bluewave.json is refused as the wrong tenant's."""
    shutil.copy2(_keys(applied) / "northwind.json", _keys(applied) / "bluewave.json")
    error = _refusal(applied)
    assert error.code == "keyring.wrong_tenant"
    assert "northwind" in error.message


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_a_valid_key_file_from_another_install_is_a_fingerprint_mismatch(
    applied: Container, tmp_path: Path
) -> None:
    """Fresh keys for the same tenant name do not match the stored fingerprint."""
    stored = _fingerprints(applied)
    _foreign_keys(applied, tmp_path)
    error = _refusal(applied)
    assert error.code == "keyring.mismatch"
    assert str(_keys(applied) / "bluewave.json") in error.message
    assert _fingerprints(applied) == stored


def test_an_unfingerprinted_database_records_the_fingerprint_of_keys_that_open_it(
    applied: Container,
) -> None:
    """An older database (no fingerprint): keys that open a subject key and verify the newest
    checkpoint are recorded at start-up; keys check alone writes nothing."""
    _add_subject(applied)
    expected = _fingerprints(applied)
    _forget_fingerprints(applied)
    assert {k.state for k in check_keys(applied.deps)} == {KeyState.OK}
    assert set(_fingerprints(applied).values()) == {None}
    require_keys(applied.deps)
    assert _fingerprints(applied) == expected


@pytest.mark.parametrize("with_subject", [True, False], ids=["subject-key", "checkpoint"])
@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_an_unfingerprinted_database_refuses_keys_that_do_not_open_it(
    applied: Container, tmp_path: Path, with_subject: bool
) -> None:
    """Foreign keys on an older database fail on a subject's data key, or without subjects on
    the newest checkpoint's signature; no fingerprint is recorded."""
    if with_subject:
        _add_subject(applied)
    _forget_fingerprints(applied)
    _foreign_keys(applied, tmp_path)
    error = _refusal(applied)
    assert error.code == "keyring.mismatch"
    why = "data keys" if with_subject else "checkpoints"
    assert why in error.message
    assert _fingerprints(applied)["bluewave"] is None


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_a_key_file_open_to_others_stops_start_up(applied: Container) -> None:
    """A world-readable key file refuses (the default setting)."""
    (_keys(applied) / "bluewave.json").chmod(0o644)
    error = _refusal(applied)
    assert error.code == "keyring.permissions"


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_swapped_key_encryption_keys_are_caught_by_the_subject_probe(applied: Container) -> None:
    """Same fingerprint, other key-encryption key: the first subject's data key does not open."""
    _add_subject(applied)
    path = _keys(applied) / "bluewave.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["kek"] = {v: base64.b64encode(bytes(32)).decode() for v in data["kek"]}
    path.write_text(json.dumps(data), encoding="utf-8")
    error = _refusal(applied)
    assert error.code == "keyring.mismatch"
    assert "data keys" in error.message
