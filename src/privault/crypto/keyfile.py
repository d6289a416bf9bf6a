"""One tenant's local key file: read it fail-closed, and fingerprint the keys it holds.

A key file is refused (``ConfigurationError`` naming the file and the tenant) when it cannot be
parsed or lacks a key, when it names another tenant, or when its mode lets the group or others read
or write it (unless the ``keyring_permissions`` setting is ``warn``). The fingerprint identifies the
keys without revealing them: it is stored in the database so that keys from another install, or
freshly made ones, are recognised as not the keys the data was written with.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import hmac
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import structlog

from privault.errors import ConfigurationError

Permissions = Literal["refuse", "warn"]

FINGERPRINT_DOMAIN = "privault:key-fingerprint:v1"
KEY_BYTES = 32
_REQUIRED = ("tenant", "current", "kek", "index_root", "signing_key")

log = structlog.get_logger(__name__)


def _unreadable(path: Path, tenant: str, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"the key file {path} of tenant '{tenant}' is unreadable: {why}", code="keyring.unreadable"
    )


def check_mode(path: Path, tenant: str, permissions: Permissions) -> None:
    """Refuse (or warn about) a key file the group or others may read or write."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return
    message = (
        f"the key file {path} of tenant '{tenant}' has mode {mode:03o}: the group or others may "
        f"read or write it (run 'chmod 600 {path}')"
    )
    if permissions == "refuse":
        raise ConfigurationError(message, code="keyring.permissions")
    log.warning("key file readable by others", tenant=tenant, file=str(path), mode=f"{mode:03o}")


def _key(value: object, path: Path, tenant: str, name: str) -> bytes:
    if not isinstance(value, str):
        raise _unreadable(path, tenant, f"'{name}' is not a base64 text")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise _unreadable(path, tenant, f"'{name}' is not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise _unreadable(path, tenant, f"'{name}' is not a {KEY_BYTES}-byte key")
    return raw


def _check_keys(data: dict[str, Any], path: Path, tenant: str) -> None:
    keks = data["kek"]
    if not isinstance(keks, dict) or not keks:
        raise _unreadable(path, tenant, "'kek' holds no key versions")
    for version, value in keks.items():
        if not str(version).isdigit():
            raise _unreadable(path, tenant, f"key version '{version}' is not a number")
        _key(value, path, tenant, f"kek {version}")
    if str(data["current"]) not in keks:
        raise _unreadable(path, tenant, f"the current version {data['current']} is not in 'kek'")
    _key(data["index_root"], path, tenant, "index_root")
    _key(data["signing_key"], path, tenant, "signing_key")


def parse_key_file(text: str, path: Path, tenant: str) -> dict[str, Any]:
    """The keys of a key file's text, checked: every key present and well formed, for ``tenant``."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _unreadable(path, tenant, "not valid JSON (truncated or damaged?)") from exc
    if not isinstance(data, dict):
        raise _unreadable(path, tenant, "not a JSON object")
    missing = [name for name in _REQUIRED if name not in data]
    if missing:
        raise _unreadable(path, tenant, f"missing {', '.join(missing)}")
    if data["tenant"] != tenant:
        raise ConfigurationError(
            f"the key file {path} holds the keys of tenant '{data['tenant']}', not of '{tenant}'",
            code="keyring.wrong_tenant",
        )
    _check_keys(data, path, tenant)
    return data


def read_key_file(path: Path, tenant: str, permissions: Permissions) -> dict[str, Any]:
    """Read and check a tenant's key file (``keyring.missing`` if there is none)."""
    if not path.exists():
        raise ConfigurationError(
            f"no key file {path} for tenant '{tenant}': a new tenant gets keys from 'privault "
            "manifest apply'; one that holds data needs its key file restored from the backup",
            code="keyring.missing",
        )
    check_mode(path, tenant, permissions)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, tenant, type(exc).__name__) from exc
    return parse_key_file(text, path, tenant)


def fingerprint(tenant: str, index_root: bytes, signing_seed: bytes) -> str:
    """SHA-256 over the tenant's name and an HMAC made with each long-lived key (never the keys).

    The key-encryption keys are left out: rotation adds versions, and whether they open the
    tenant's data keys is checked by unwrapping one (``services.keys``).
    """
    digest = hashlib.sha256(f"{FINGERPRINT_DOMAIN}\0{tenant}\0".encode())
    for name, key in (("index_root", index_root), ("signing_key", signing_seed)):
        label = f"{FINGERPRINT_DOMAIN}:{tenant}:{name}".encode()
        digest.update(hmac.new(key, label, hashlib.sha256).digest())
    return digest.hexdigest()


def write_private(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON to ``path`` atomically, mode 600, flushed to disk (a key file, the
    audit witness's file)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Serialise changes to a folder's files across processes (an OS lock on ``<folder>/.lock``)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
