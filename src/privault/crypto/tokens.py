"""API key generation and verification. Keys are random; only a SHA-256 of the secret part is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from privault.core.secrets import Secret

_KEY = re.compile(r"^pv_([a-z0-9]{12})_([A-Za-z0-9_\-]{43})$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A freshly generated key: the full token is shown once, the prefix and hash are stored."""

    prefix: str
    token: Secret[str]
    secret_hash: str


def generate_api_key() -> NewApiKey:
    """A new key of the form ``pv_<12-char prefix>_<43-char secret>`` (256 bits of secret)."""
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    secret = secrets.token_urlsafe(32)
    return NewApiKey(prefix, Secret(f"pv_{prefix}_{secret}"), hash_secret(secret))


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret part."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def split_api_key(token: str) -> tuple[str, str] | None:
    """(prefix, secret) if ``token`` looks like a privault key, else None."""
    match = _KEY.match(token)
    return (match.group(1), match.group(2)) if match else None


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)
