"""Blind indexes: find a subject by email or phone without decrypting anything.

Identities are normalised (``core/identities.py``: emails lower-cased, phones in E.164) and then
keyed with HMAC-SHA256 under a per-kind key, so equal identities give equal indexes and nothing else
does.
"""

from __future__ import annotations

import hashlib
import hmac


def blind_index(key: bytes, normalised: str) -> str:
    """HMAC-SHA256 of the normalised identity, hex."""
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
