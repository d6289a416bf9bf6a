"""The fake database: plain dicts and lists, one field per table the fakes cover.

Records are frozen dataclasses, so a unit of work's working copy is a copy of the containers;
committing replaces the database's tables with that copy, rolling back throws it away.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from privault.core.audit import AuditEvent
from privault.core.records import (
    CheckpointRecord,
    ConsentEventRecord,
    NoticeVersionRecord,
    SubjectRecord,
    TenantRecord,
)
from privault.core.records_ports import DpiaRecord

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StoredSubject:
    """A subject row: the record, its tenant and what the decision reads besides the record."""

    tenant_id: int
    record: SubjectRecord
    exclusive_data: str | None = None


@dataclass(frozen=True, slots=True)
class StoredState:
    """A consent-state row (one per holder and tenant)."""

    state: str
    subject_id: int | None


@dataclass
class Tables:
    """Every row the fakes keep. Tenant-owned rows carry their tenant id."""

    tenants: dict[int, TenantRecord] = field(default_factory=dict)
    notices: list[NoticeVersionRecord] = field(default_factory=list)
    subjects: dict[int, StoredSubject] = field(default_factory=dict)
    consent_events: list[tuple[int, ConsentEventRecord]] = field(default_factory=list)
    consent_states: dict[tuple[int, str], StoredState] = field(default_factory=dict)
    audit_events: dict[int, list[AuditEvent]] = field(default_factory=dict)
    audit_heads: dict[int, tuple[int, str, int]] = field(default_factory=dict)
    checkpoints: dict[int, list[CheckpointRecord]] = field(default_factory=dict)
    dpias: dict[int, list[DpiaRecord]] = field(default_factory=dict)

    def copy(self) -> Tables:
        """A snapshot: new containers, the same (immutable) records."""
        return copy.deepcopy(self)


@dataclass
class FakeDatabase:
    """What is committed, shared by every unit of work made over it."""

    committed: Tables = field(default_factory=Tables)
    commits: int = 0
    failed_callbacks: list[Exception] = field(default_factory=list)

    def add_tenant(self, key: str, name: str | None = None) -> TenantRecord:
        """A tenant row, committed (what ``manifest apply`` would have created)."""
        new_id = max(self.committed.tenants, default=0) + 1
        tenant = TenantRecord(new_id, key, name or key.title(), "controller", EPOCH)
        self.committed.tenants[new_id] = tenant
        return tenant

    def add_subject(
        self,
        tenant_id: int,
        ref: str,
        *,
        adult_on: date | None = None,
        exclusive_data: str | None = None,
    ) -> SubjectRecord:
        """A live subject row, committed (its data and identities are not faked)."""
        new_id = max(self.committed.subjects, default=0) + 1
        subject = SubjectRecord(
            new_id, f"uid-{new_id}", ref, 1, 1, b"wrapped", adult_on, EPOCH, EPOCH, None
        )
        self.committed.subjects[new_id] = StoredSubject(tenant_id, subject, exclusive_data)
        return subject

    def tenant_id(self, key: str) -> int:
        """The id of the tenant with this key."""
        return next(t.id for t in self.committed.tenants.values() if t.key == key)
