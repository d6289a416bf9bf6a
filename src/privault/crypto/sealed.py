"""Sealed records: a fresh data key per record (AES-256-GCM), wrapped by the tenant's key-encryption key.

Used for what a request's requester told us, a datastore's credentials, a webhook's secret and an
access package. The associated data names the tenant, the kind of record and its id, so a sealed blob
moved to another record or tenant fails to open.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from privault.crypto.envelope import new_data_key, open_sealed, seal
from privault.crypto.keyring import Keyring


@dataclass(frozen=True, slots=True)
class Sealed:
    """A sealed value with its wrapped data key."""

    kek_version: int
    wrapped_key: bytes
    ciphertext: bytes

    def __repr__(self) -> str:
        return f"Sealed(kek_version={self.kek_version}, bytes={len(self.ciphertext)})"


def _aad(tenant_id: int, kind: str, name: str) -> bytes:
    return f"privault:sealed:v1|{tenant_id}|{kind}|{name}".encode()


def seal_record(
    keyring: Keyring, tenant_key: str, tenant_id: int, kind: str, name: str, plaintext: bytes
) -> Sealed:
    """Encrypt ``plaintext`` under a new data key bound to (tenant, kind, name)."""
    key, aad = new_data_key(), _aad(tenant_id, kind, name)
    version, wrapped = keyring.wrap(tenant_key, key, aad)
    return Sealed(version, wrapped, seal(AESGCM(key), plaintext, aad))


def open_record(
    keyring: Keyring, tenant_key: str, tenant_id: int, kind: str, name: str, sealed: Sealed
) -> bytes:
    """Decrypt what :func:`seal_record` produced for the same (tenant, kind, name)."""
    aad = _aad(tenant_id, kind, name)
    key = keyring.unwrap(tenant_key, sealed.kek_version, sealed.wrapped_key, aad)
    return open_sealed(AESGCM(key), sealed.ciphertext, aad)
