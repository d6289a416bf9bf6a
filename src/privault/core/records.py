"""Plain records that cross the storage port. Storage maps rows to these; services never see rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class TenantRecord:
    """A tenant as stored."""

    id: int
    key: str
    name: str
    role: str
    created_at: datetime
    # SHA-256 fingerprint of the keys its data was written with (``Keyring.fingerprint``); None
    # until keys are made or first checked against the data (services.keys).
    key_fingerprint: str | None = None


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


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    """A subject as stored: references and its wrapped key, never values."""

    id: int
    uid: str
    ref: str | None
    key_version: int
    kek_version: int
    wrapped_key: bytes | None
    adult_on: date | None
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewSubject:
    """A subject to insert."""

    uid: str
    ref: str
    key_version: int
    kek_version: int
    wrapped_key: bytes
    adult_on: date | None
    at: datetime
    exclusive_data: str | None = None


@dataclass(frozen=True, slots=True)
class NewSubjectData:
    """A new subject with its encrypted values and identities, ready to store in one go."""

    subject: NewSubject
    fields: list[tuple[str, str, str, str, bytes]]  # field, category, source, purpose, ciphertext
    identities: list[tuple[str, str, bytes]]  # kind, blind index, ciphertext


@dataclass(frozen=True, slots=True)
class FieldRecord:
    """One stored (encrypted) value with its provenance."""

    subject_id: int
    field: str
    category: str
    source: str
    purpose: str
    collected_at: datetime
    updated_at: datetime
    ciphertext: bytes


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    """One stored identity: its blind index and encrypted value."""

    subject_id: int
    kind: str
    blind_index: str
    ciphertext: bytes


@dataclass(frozen=True, slots=True)
class CheckpointRecord:
    """A signed audit checkpoint."""

    seq: int
    hash: str
    signature: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConsentEventRecord:
    """One consent-ledger row with its evidence (``id`` is 0 until stored)."""

    id: int
    subject_id: int | None
    visitor: str | None
    brand: str | None
    kind: str
    scope: str
    granted: bool
    method: str
    channel: str
    notice_version: str | None
    shown: str | None
    agent: str | None
    call_id: str | None
    ip_prefix: str | None
    user_agent: str | None
    evidence: str
    actor: str
    at: datetime
    at_us: int


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    """What the processing decision reads about a subject, besides its consent state."""

    id: int
    uid: str
    ref: str | None
    adult_on: date | None
    erased: bool
    exclusive_data: str | None


class DatastoreKind(StrEnum):
    """What a datastore is: a database privault connects to (by its engine), or a manual system."""

    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    SQLITE = "sqlite"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class DatastoreRecord:
    """A datastore as stored: its URL only sealed (and masked for display)."""

    key: str
    kind: DatastoreKind
    description: str
    owner: str | None
    dataset: str | None
    kek_version: int | None
    wrapped_key: bytes | None
    sealed_url: bytes | None
    masked_url: str | None
    last_tested_at: datetime | None
    last_test_ok: bool | None


@dataclass(frozen=True, slots=True)
class PackageRecord:
    """An access package as stored (sealed)."""

    id: int
    request_id: int
    filename: str
    size: int
    kek_version: int
    wrapped_key: bytes
    sealed: bytes
    expires_at: datetime
    downloads: int
