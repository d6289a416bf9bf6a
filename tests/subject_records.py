"""A subject record as imports take it (one JSON line), for tests that need a few people."""

from __future__ import annotations

from typing import Any


def subject_record(ref: str, email: str, name: str, purpose: str = "billing") -> dict[str, Any]:
    """A subject with a ref, one e-mail identity and a name, collected directly for ``purpose``."""
    return {
        "subject": ref,
        "identities": {"email": email},
        "data": {"user.name": name},
        "source": "direct",
        "purpose": purpose,
    }
