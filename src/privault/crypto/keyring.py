"""Key-encryption keys, blind-index keys and audit signing keys, kept outside the database.

The :class:`Keyring` protocol lets a KMS be plugged in; :class:`LocalKeyring` keeps one JSON file per
tenant in the keyring folder (mode 600), created by ``privault init`` / ``privault manifest apply``;
a file that is unreadable, names another tenant or is open to the group or others is refused
(``crypto.keyfile``), and ``services.keys`` checks the keys against the fingerprint in the database.
Key-encryption keys are versioned: rotation adds a version, old versions stay until nothing uses them.
"""

from __future__ import annotations

import base64
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
from privault.crypto.keyfile import (
    Permissions,
    fingerprint,
    folder_lock,
    read_key_file,
    write_private,
)
from privault.errors import ConfigurationError


class Keyring(Protocol):
    """Where the keys that protect data keys live."""

    def ensure_tenant(self, tenant: str) -> bool:
        """Create the tenant's keys if missing; True if created."""
        ...

    def has_keys(self, tenant: str) -> bool:
        """Whether the keyring holds keys (readable or not) for the tenant."""
        ...

    def location(self, tenant: str) -> str:
        """Where the tenant's keys live (for messages: a file path, a KMS key name)."""
        ...

    def fingerprint(self, tenant: str) -> str:
        """A SHA-256 hex digest identifying the tenant's keys without revealing them."""
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

    def audit_key(self, tenant: str) -> bytes:
        """The tenant's key for the audit events' MACs (outside the database)."""
        ...


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


class LocalKeyring:
    """One JSON file per tenant: ``<folder>/<tenant>.json``, written atomically with mode 600."""

    def __init__(self, folder: Path, permissions: Permissions = "refuse") -> None:
        self.folder = folder
        self.permissions: Permissions = permissions
        self._cache: dict[str, dict[str, Any]] = {}
        self._aeads: dict[tuple[str, int], AESGCM] = {}
        self._audit_keys: dict[str, bytes] = {}
        self._index_keys: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalKeyring({str(self.folder)!r})"

    def __getstate__(self) -> dict[str, Any]:
        """Pickle only the folder (for worker processes); keys are read again from it."""
        return {"folder": self.folder, "permissions": self.permissions}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["folder"], state.get("permissions", "refuse"))  # type: ignore[misc]

    def _path(self, tenant: str) -> Path:
        return self.folder / f"{tenant}.json"

    def _load(self, tenant: str, *, fresh: bool = False) -> dict[str, Any]:
        if fresh or tenant not in self._cache:
            self._cache[tenant] = read_key_file(self._path(tenant), tenant, self.permissions)
        return self._cache[tenant]

    def _save(self, tenant: str, data: dict[str, Any]) -> None:
        write_private(self._path(tenant), data)
        self._cache[tenant] = data

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise key-file changes across threads and processes (an OS lock on the folder)."""
        with self._lock, folder_lock(self.folder):
            yield

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

    def has_keys(self, tenant: str) -> bool:
        """Whether the tenant's key file exists."""
        return self._path(tenant).exists()

    def location(self, tenant: str) -> str:
        """The tenant's key file."""
        return str(self._path(tenant))

    def fingerprint(self, tenant: str) -> str:
        """The fingerprint of the keys in the file as it is now on disk (read again)."""
        data = self._load(tenant, fresh=True)
        self._audit_keys.pop(tenant, None)
        for derived in [k for k in list(self._index_keys) if k[0] == tenant]:
            self._index_keys.pop(derived, None)
        for cached in [k for k in list(self._aeads) if k[0] == tenant]:
            self._aeads.pop(cached, None)
        return fingerprint(tenant, _unb64(data["index_root"]), _unb64(data["signing_key"]))

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
                f"key version {version} of tenant '{tenant}' is missing from {self._path(tenant)}",
                code="keyring.missing",
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
        """HKDF-SHA256 of the tenant's index root, one key per identity kind (cached)."""
        cached = self._index_keys.get((tenant, kind))
        if cached is None:
            root = _unb64(self._load(tenant)["index_root"])
            info = f"privault:blind-index:v1:{kind}".encode()
            hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info)
            cached = self._index_keys[(tenant, kind)] = hkdf.derive(root)
        return cached

    def signing_key(self, tenant: str) -> Ed25519PrivateKey:
        """The Ed25519 key that signs audit checkpoints."""
        return Ed25519PrivateKey.from_private_bytes(_unb64(self._load(tenant)["signing_key"]))

    def verify_key(self, tenant: str) -> Ed25519PublicKey:
        """Its public half."""
        return self.signing_key(tenant).public_key()

    def audit_key(self, tenant: str) -> bytes:
        """HKDF-SHA256 of the signing key: the key of each audit event's MAC (cached)."""
        cached = self._audit_keys.get(tenant)
        if cached is None:
            seed = _unb64(self._load(tenant)["signing_key"])
            info = f"privault:audit-mac:v1:{tenant}".encode()
            cached = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(
                seed
            )
            self._audit_keys[tenant] = cached
        return cached


KEYRINGS: dict[str, Callable[[Path, Permissions], Keyring]] = {"local": LocalKeyring}


def make_keyring(kind: str, folder: Path, permissions: Permissions = "refuse") -> Keyring:
    """Build the keyring named in the settings (built-ins register like plugins)."""
    factory = KEYRINGS.get(kind)
    if factory is None:
        raise ConfigurationError(f"unknown keyring '{kind}' (known: {', '.join(sorted(KEYRINGS))})")
    return factory(folder, permissions)
