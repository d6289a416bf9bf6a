"""Key-encryption keys, blind-index keys and audit signing keys, kept outside the database.

The :class:`Keyring` protocol lets a KMS be plugged in; :class:`LocalKeyring` keeps one JSON file per
tenant in the keyring folder (mode 600), created by ``privault init`` / ``privault manifest apply``.
Key-encryption keys are versioned: rotation adds a version, old versions stay until nothing uses them.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from privault.crypto.envelope import KEY_BYTES, new_data_key, open_sealed, seal
from privault.errors import ConfigurationError


class Keyring(Protocol):
    """Where the keys that protect data keys live."""

    def ensure_tenant(self, tenant: str) -> bool:
        """Create the tenant's keys if missing; True if created."""
        ...

    def current_version(self, tenant: str) -> int:
        """The key-encryption key version new wraps use."""
        ...

    def wrap(self, tenant: str, data_key: bytes, aad: bytes) -> tuple[int, bytes]:
        """Encrypt a data key with the current key-encryption key: (version, wrapped)."""
        ...

    def unwrap(self, tenant: str, version: int, wrapped: bytes, aad: bytes) -> bytes:
        """Decrypt a wrapped data key."""
        ...

    def rotate(self, tenant: str) -> int:
        """Add a new key-encryption key version and make it current; return it."""
        ...

    def index_key(self, tenant: str, kind: str) -> bytes:
        """The blind-index key for one kind of identity (derived per kind)."""
        ...

    def signing_key(self, tenant: str) -> Ed25519PrivateKey:
        """The tenant's audit checkpoint signing key."""
        ...

    def verify_key(self, tenant: str) -> Ed25519PublicKey:
        """The public half of the signing key."""
        ...


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


class LocalKeyring:
    """One JSON file per tenant: ``<folder>/<tenant>.json``, written atomically with mode 600."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[str, dict[str, Any]] = {}
        self._aeads: dict[tuple[str, int], AESGCM] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalKeyring({str(self.folder)!r})"

    def __getstate__(self) -> dict[str, Any]:
        """Pickle only the folder (for worker processes); keys are read again from it."""
        return {"folder": self.folder}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["folder"])  # type: ignore[misc]

    def _path(self, tenant: str) -> Path:
        return self.folder / f"{tenant}.json"

    def _load(self, tenant: str, *, fresh: bool = False) -> dict[str, Any]:
        if fresh or tenant not in self._cache:
            path = self._path(tenant)
            if not path.exists():
                raise ConfigurationError(
                    f"no keys for tenant '{tenant}' in {self.folder}: run 'privault manifest apply'",
                    code="keyring.missing",
                )
            self._cache[tenant] = json.loads(path.read_text(encoding="utf-8"))
        return self._cache[tenant]

    def _save(self, tenant: str, data: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self._path(tenant).with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path(tenant))
        self._cache[tenant] = data

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise key-file changes across threads and processes (an OS lock on the folder)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._lock, open(self.folder / ".lock", "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ensure_tenant(self, tenant: str) -> bool:
        """Create the tenant's key file if missing."""
        with self._exclusive():
            if self._path(tenant).exists():
                return False
            signing = Ed25519PrivateKey.generate().private_bytes_raw()
            data = {
                "tenant": tenant,
                "current": 1,
                "kek": {"1": _b64(new_data_key())},
                "index_root": _b64(new_data_key()),
                "signing_key": _b64(signing),
            }
            self._save(tenant, data)
            return True

    def current_version(self, tenant: str) -> int:
        """The version new wraps use."""
        return int(self._load(tenant)["current"])

    def _aead(self, tenant: str, version: int) -> AESGCM:
        cached = self._aeads.get((tenant, version))
        if cached is not None:
            return cached
        data = self._load(tenant)
        if str(version) not in data["kek"]:
            data = self._load(tenant, fresh=True)  # rotated by another process
        if str(version) not in data["kek"]:
            raise ConfigurationError(
                f"key version {version} of tenant '{tenant}' is missing", code="keyring.missing"
            )
        aead = AESGCM(_unb64(data["kek"][str(version)]))
        self._aeads[(tenant, version)] = aead
        return aead

    def wrap(self, tenant: str, data_key: bytes, aad: bytes) -> tuple[int, bytes]:
        """Encrypt a data key with the current key-encryption key."""
        version = self.current_version(tenant)
        return version, seal(self._aead(tenant, version), data_key, aad)

    def unwrap(self, tenant: str, version: int, wrapped: bytes, aad: bytes) -> bytes:
        """Decrypt a wrapped data key."""
        return open_sealed(self._aead(tenant, version), wrapped, aad)

    def rotate(self, tenant: str) -> int:
        """Add and select a new key-encryption key version (old ones stay for unwrapping)."""
        with self._exclusive():
            data = dict(self._load(tenant, fresh=True))
            version = max(int(v) for v in data["kek"]) + 1
            data["kek"] = {**data["kek"], str(version): _b64(new_data_key())}
            data["current"] = version
            self._save(tenant, data)
            return version

    def index_key(self, tenant: str, kind: str) -> bytes:
        """HKDF-SHA256 of the tenant's index root, one key per identity kind."""
        root = _unb64(self._load(tenant)["index_root"])
        info = f"privault:blind-index:v1:{kind}".encode()
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(root)

    def signing_key(self, tenant: str) -> Ed25519PrivateKey:
        """The Ed25519 key that signs audit checkpoints."""
        return Ed25519PrivateKey.from_private_bytes(_unb64(self._load(tenant)["signing_key"]))

    def verify_key(self, tenant: str) -> Ed25519PublicKey:
        """Its public half."""
        return self.signing_key(tenant).public_key()


KEYRINGS: dict[str, Callable[[Path], Keyring]] = {"local": LocalKeyring}


def make_keyring(kind: str, folder: Path) -> Keyring:
    """Build the keyring named in the settings (built-ins register like plugins)."""
    factory = KEYRINGS.get(kind)
    if factory is None:
        raise ConfigurationError(f"unknown keyring '{kind}' (known: {', '.join(sorted(KEYRINGS))})")
    return factory(folder)
