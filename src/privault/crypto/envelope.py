"""Envelope encryption: a data key per subject (AES-256-GCM), bound by associated data to its place.

A field's associated data names the tenant, the subject, the field and the data-key version, so a
ciphertext copied to another row, subject, field or tenant fails to open.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from privault.core.secrets import Secret
from privault.errors import PrivaultError

NONCE_BYTES = 12
KEY_BYTES = 32
_JSON = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":")
)  # built once: dumps() builds one per call


class DecryptionFailed(PrivaultError):
    """A ciphertext did not open: wrong key, wrong place, or tampered with."""

    code = "crypto.open_failed"
    status = 500
    title = "Decryption failed"


def new_data_key() -> bytes:
    """A fresh random 256-bit key."""
    return os.urandom(KEY_BYTES)


def seal(key: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    """nonce || AES-GCM(ciphertext + tag)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + key.encrypt(nonce, plaintext, aad)


def open_sealed(key: AESGCM, blob: bytes, aad: bytes) -> bytes:
    """Open what :func:`seal` produced with the same associated data, or raise DecryptionFailed."""
    try:
        return key.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as exc:
        raise DecryptionFailed("ciphertext does not open in this place") from exc


def field_aad(tenant_id: int, subject: str, field: str, key_version: int) -> bytes:
    """Associated data of a field value (``subject`` is the subject's immutable uid)."""
    return f"privault:field:v1|{tenant_id}|{subject}|{field}|{key_version}".encode()


def data_key_aad(tenant_id: int, subject: str, key_version: int) -> bytes:
    """Associated data of a subject's wrapped data key."""
    return f"privault:dek:v1|{tenant_id}|{subject}|{key_version}".encode()


_TEXT, _JSON_TAG = b"s", b"j"  # plaintext = tag + payload: strings skip JSON both ways


def encode_value(value: Any) -> bytes:
    """A value as plaintext bytes: ``s`` + UTF-8 for strings, ``j`` + JSON for anything else."""
    if isinstance(value, str):
        return _TEXT + value.encode("utf-8")
    return _JSON_TAG + _JSON.encode(value).encode("utf-8")


def decode_value(plaintext: bytes) -> Any:
    """Inverse of :func:`encode_value`."""
    payload = plaintext[1:].decode("utf-8")
    return payload if plaintext[:1] == _TEXT else json.loads(payload)


class SubjectCipher:
    """Seals and opens one subject's values with its data key."""

    __slots__ = ("_aad_prefix", "_aead", "key_version", "subject", "tenant_id")

    def __init__(self, data_key: bytes, tenant_id: int, subject: str, key_version: int) -> None:
        self._aead = AESGCM(data_key)
        self.tenant_id, self.subject, self.key_version = tenant_id, subject, key_version
        self._aad_prefix = f"privault:field:v1|{tenant_id}|{subject}|"

    def __repr__(self) -> str:
        return f"SubjectCipher(subject={self.subject}, key=**********)"

    def seal_value(self, field: str, value: Any) -> bytes:
        """Encrypt a JSON-serialisable value for ``field``."""
        return seal(self._aead, encode_value(value), self._aad(field))

    def open_value(self, field: str, blob: bytes) -> Secret[Any]:
        """Decrypt ``field``'s value; the result is masked until revealed."""
        return Secret(decode_value(open_sealed(self._aead, blob, self._aad(field))))

    def _aad(self, field: str) -> bytes:
        """Same bytes as :func:`field_aad`, built from a per-subject prefix."""
        return f"{self._aad_prefix}{field}|{self.key_version}".encode()
