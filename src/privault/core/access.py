"""Who is calling: an authenticated principal with a role from the manifest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller, always inside one tenant."""

    tenant_id: int
    tenant_key: str
    role: str
    kind: str  # "api_key" now; "user" for console users
    reference: str  # the key prefix or user name: safe to log
