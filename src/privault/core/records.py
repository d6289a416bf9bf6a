"""Plain records that cross the storage port. Storage maps rows to these; services never see rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class TenantRecord:
    """A tenant as stored."""

    id: int
    key: str
    name: str
    role: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NoticeVersionRecord:
    """One published version of a tenant's privacy notice."""

    tenant_id: int
    seq: int
    version_id: str
    published_on: date
    content_json: str
    markdown: str
    html: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as stored: never the secret, only its hash."""

    id: int
    tenant_id: int
    name: str
    role: str
    prefix: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
