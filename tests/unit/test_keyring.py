"""The local keyring: files outside the database, versions never lost."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from privault.crypto.keyring import LocalKeyring, make_keyring
from privault.errors import ConfigurationError


def test_keys_are_created_once_and_readable_by_the_owner_only(tmp_path: Path) -> None:
    """ensure_tenant creates a mode-600 file once."""
    ring = LocalKeyring(tmp_path / "keys")
    assert ring.ensure_tenant("acme")
    assert not ring.ensure_tenant("acme")
    path = tmp_path / "keys" / "acme.json"
    assert path.stat().st_mode & 0o077 == 0


def test_concurrent_rotations_from_two_keyrings_lose_no_version(tmp_path: Path) -> None:
    """Two processes' keyrings (separate objects) rotating at once keep every version."""
    folder = tmp_path / "keys"
    LocalKeyring(folder).ensure_tenant("acme")
    first, second = LocalKeyring(folder), LocalKeyring(folder)
    wrapped = {}

    def rotate(ring: LocalKeyring, name: str) -> None:
        for i in range(10):
            ring.rotate("acme")
            wrapped[(name, i)] = ring.wrap("acme", b"k" * 32, b"aad")

    threads = [
        threading.Thread(target=rotate, args=(r, n)) for r, n in ((first, "a"), (second, "b"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh = LocalKeyring(folder)
    assert fresh.current_version("acme") == 21
    for version, blob in wrapped.values():
        assert fresh.unwrap("acme", version, blob, b"aad") == b"k" * 32


def test_missing_keys_and_unknown_keyrings_are_configuration_errors(tmp_path: Path) -> None:
    """A tenant without keys, or an unknown keyring kind, is a clear error."""
    with pytest.raises(ConfigurationError):
        LocalKeyring(tmp_path).current_version("nobody")
    with pytest.raises(ConfigurationError):
        make_keyring("vault9000", tmp_path)


def test_the_keyring_pickles_to_its_folder_only(tmp_path: Path) -> None:
    """Worker processes get the folder, not the keys."""
    import pickle

    ring = LocalKeyring(tmp_path)
    ring.ensure_tenant("acme")
    state = pickle.dumps(ring)
    assert b"kek" not in state
    assert pickle.loads(state).current_version("acme") == 1  # noqa: S301 - our own object
