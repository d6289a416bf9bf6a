"""Key files are read fail-closed: damaged, foreign or exposed files are refused, naming the file
and the tenant; the fingerprint identifies a tenant's keys without revealing them."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from privault.crypto.keyfile import fingerprint
from privault.crypto.keyring import LocalKeyring, make_keyring
from privault.errors import ConfigurationError


@pytest.fixture
def ring(tmp_path: Path) -> LocalKeyring:
    """A keyring holding keys for acme."""
    keyring = LocalKeyring(tmp_path / "keys")
    keyring.ensure_tenant("acme")
    return keyring


def _refused(ring: LocalKeyring, tenant: str = "acme") -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        LocalKeyring(ring.folder, ring.permissions).current_version(tenant)
    return caught.value


def _rewrite(path: Path, change: dict[str, object]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(data | change), encoding="utf-8")


def test_a_truncated_key_file_is_unreadable_naming_the_file_and_tenant(ring: LocalKeyring) -> None:
    """Half a file gives keyring.unreadable with the path and the tenant, not a JSONDecodeError."""
    path = ring.folder / "acme.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    error = _refused(ring)
    assert error.code == "keyring.unreadable"
    assert str(path) in error.message
    assert "'acme'" in error.message


@pytest.mark.parametrize(
    "change",
    [
        {"signing_key": "not base64!"},
        {"index_root": "AAAA"},
        {"kek": {}},
        {"current": 7},
        {"kek": {"one": "AAAA"}},
    ],
)
def test_a_key_file_with_a_malformed_key_is_unreadable(
    ring: LocalKeyring, change: dict[str, object]
) -> None:
    """Keys that are not 32 base64 bytes, or a current version without a key, are refused."""
    _rewrite(ring.folder / "acme.json", change)
    assert _refused(ring).code == "keyring.unreadable"


def test_a_key_file_without_a_field_names_what_is_missing(ring: LocalKeyring) -> None:
    """A missing field is named."""
    path = ring.folder / "acme.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["index_root"]
    path.write_text(json.dumps(data), encoding="utf-8")
    error = _refused(ring)
    assert (error.code, "index_root" in error.message) == ("keyring.unreadable", True)


def test_another_tenants_key_file_is_refused(ring: LocalKeyring) -> None:
    """globex.json copied over acme.json: its tenant field names globex, so it is refused."""
    ring.ensure_tenant("globex")
    (ring.folder / "globex.json").replace(ring.folder / "acme.json")
    error = _refused(ring)
    assert error.code == "keyring.wrong_tenant"
    assert "globex" in error.message
    assert "acme.json" in error.message


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_a_key_file_open_to_group_or_others_is_refused(ring: LocalKeyring, mode: int) -> None:
    """Any group or other permission bit refuses the file, naming it."""
    path = ring.folder / "acme.json"
    path.chmod(mode)
    error = _refused(ring)
    assert error.code == "keyring.permissions"
    assert str(path) in error.message
    assert f"{mode:03o}" in error.message


def test_with_the_warn_setting_an_exposed_key_file_is_logged_and_used(ring: LocalKeyring) -> None:
    """keyring_permissions=warn: the file is read, and a warning names the tenant and the file."""
    path = ring.folder / "acme.json"
    path.chmod(0o644)
    with capture_logs() as logs:
        version = make_keyring("local", ring.folder, "warn").current_version("acme")
    assert version == 1
    assert [(e["event"], e["tenant"], e["file"]) for e in logs] == [
        ("key file readable by others", "acme", str(path))
    ]


def test_the_fingerprint_survives_rotation_and_reading_again(ring: LocalKeyring) -> None:
    """Rotation adds key-encryption keys; the fingerprint stays (another process reads the same)."""
    before = ring.fingerprint("acme")
    ring.rotate("acme")
    assert ring.fingerprint("acme") == before == LocalKeyring(ring.folder).fingerprint("acme")
    assert len(before) == 64


def test_keys_made_anew_or_for_another_tenant_have_another_fingerprint(tmp_path: Path) -> None:
    """Another install's keys for the same tenant, and the same keys under another name, differ."""
    first, second = LocalKeyring(tmp_path / "a"), LocalKeyring(tmp_path / "b")
    first.ensure_tenant("acme")
    second.ensure_tenant("acme")
    assert first.fingerprint("acme") != second.fingerprint("acme")
    data = json.loads((first.folder / "acme.json").read_text(encoding="utf-8"))
    renamed = tmp_path / "c"
    renamed.mkdir(mode=0o700)
    (renamed / "globex.json").write_text(json.dumps(data | {"tenant": "globex"}), encoding="utf-8")
    (renamed / "globex.json").chmod(0o600)
    assert LocalKeyring(renamed).fingerprint("globex") != first.fingerprint("acme")


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_the_fingerprint_changes_with_each_key_and_never_contains_it(
    index_root: bytes, signing: bytes
) -> None:
    """Changing either key changes the digest; neither key appears in it."""
    digest = fingerprint("acme", index_root, signing)
    flipped = bytes([index_root[0] ^ 1]) + index_root[1:]
    assert fingerprint("acme", flipped, signing) != digest
    assert fingerprint("acme", index_root, bytes([signing[0] ^ 1]) + signing[1:]) != digest
    assert index_root.hex() not in digest
    assert signing.hex() not in digest


def test_the_permissions_setting_survives_pickling(tmp_path: Path) -> None:
    """Worker processes get the folder and the setting, still not the keys."""
    ring = LocalKeyring(tmp_path, "warn")
    ring.ensure_tenant("acme")
    state = pickle.dumps(ring)
    assert b"kek" not in state
    assert pickle.loads(state).permissions == "warn"  # noqa: S301 - our own object
