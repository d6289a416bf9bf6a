"""The token a public privacy-center form carries (the console's come with its sessions)."""

from __future__ import annotations

import hashlib
import hmac

from privault.crypto.keyring import Keyring


def csrf_token(keyring: Keyring, tenant: str, visitor: str) -> str:
    """The token a public form carries: an HMAC of the visitor id under the tenant's form key."""
    key = keyring.index_key(tenant, "web-form")
    return hmac.new(key, visitor.encode(), hashlib.sha256).hexdigest()


def csrf_ok(keyring: Keyring, tenant: str, visitor: str, token: str | None) -> bool:
    """True if ``token`` is this visitor's form token."""
    return bool(token) and hmac.compare_digest(csrf_token(keyring, tenant, visitor), token or "")
