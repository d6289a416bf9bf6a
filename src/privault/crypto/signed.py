"""Signed tokens: ``base64url(payload) "." base64url(HMAC-SHA256(key, payload))``.

The payload is readable by whoever holds the token, so it carries references, never personal data.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from hashlib import sha256


def b64(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """Inverse of :func:`b64` (ValueError on malformed input)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac(key: bytes, payload: bytes) -> bytes:
    """HMAC-SHA256 of the payload."""
    return hmac.new(key, payload, sha256).digest()


def sign(key: bytes, payload: bytes) -> str:
    """The token of a payload."""
    return f"{b64(payload)}.{b64(mac(key, payload))}"


def verify(key: bytes, token: str) -> bytes | None:
    """The payload of a token signed with ``key``; None if it is altered, forged or malformed."""
    try:
        body, signature = token.split(".")
        payload, given = unb64(body), unb64(signature)
    except (ValueError, binascii.Error):
        return None
    return payload if hmac.compare_digest(mac(key, payload), given) else None
