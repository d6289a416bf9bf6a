"""Fake tenants, notice versions, subjects and impact assessments (the parts use cases read)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime

from privault.core.records import (
    FieldRecord,
    IdentityRecord,
    NewSubjectData,
    NoticeVersionRecord,
    SubjectRecord,
    TenantRecord,
)
from privault.core.records_ports import DisclosureCount, DpiaRecord, DpiaStatus, Holding
from privault.storage.scoping import TenantScopeError
from tests.fakes.base import FakeRepository
from tests.fakes.tables import StoredSubject


class FakeTenants(FakeRepository):
    """Tenants (not tenant-owned)."""

    def get_by_key(self, key: str) -> TenantRecord | None:
        """The tenant with this key."""
        return next((t for t in self.rows.tenants.values() if t.key == key), None)

    def get(self, tenant_id: int) -> TenantRecord | None:
        """The tenant with this id."""
        return self.rows.tenants.get(tenant_id)

    def list(self) -> Sequence[TenantRecord]:
        """Every tenant, by key."""
        return sorted(self.rows.tenants.values(), key=lambda t: t.key)

    def upsert(self, key: str, name: str, role: str, at: datetime) -> TenantRecord:
        """Create the tenant or update its name and role."""
        found = self.get_by_key(key)
        if found is None:
            found = TenantRecord(max(self.rows.tenants, default=0) + 1, key, name, role, at)
        else:
            found = dataclasses.replace(found, name=name, role=role)
        self.rows.tenants[found.id] = found
        return found

    def set_key_fingerprint(self, tenant_id: int, fingerprint: str) -> None:
        """Record the fingerprint of the tenant's keys."""
        found = self.rows.tenants[tenant_id]
        self.rows.tenants[tenant_id] = dataclasses.replace(found, key_fingerprint=fingerprint)

    def holds_data(self, tenant_id: int) -> bool:
        """Subjects, audit events or checkpoints, or consent events of the tenant (the fakes keep
        no requests)."""
        rows = self.rows
        return (
            any(s.tenant_id == tenant_id for s in rows.subjects.values())
            or bool(rows.audit_events.get(tenant_id))
            or bool(rows.checkpoints.get(tenant_id))
            or any(t == tenant_id for t, _ in rows.consent_events)
        )


class FakeNotices(FakeRepository):
    """Notice versions of the bound tenant."""

    def _mine(self) -> list[NoticeVersionRecord]:
        tenant = self.tenant_id
        return sorted((n for n in self.rows.notices if n.tenant_id == tenant), key=lambda n: n.seq)

    def latest(self) -> NoticeVersionRecord | None:
        """The newest version."""
        mine = self._mine()
        return mine[-1] if mine else None

    def by_version_id(self, version_id: str) -> NoticeVersionRecord | None:
        """The first version published with this content hash (a full id or a unique prefix)."""
        found = [n for n in self._mine() if n.version_id.startswith(version_id)]
        return found[0] if len({n.version_id for n in found}) == 1 else None

    def history(self) -> Sequence[NoticeVersionRecord]:
        """Every version, newest first."""
        return self._mine()[::-1]

    def add(self, record: NoticeVersionRecord) -> None:
        """Store a new version (of the bound tenant only, as the session guard enforces)."""
        if record.tenant_id != self.tenant_id:
            raise TenantScopeError("a new row for another tenant than the bound one")
        self.rows.notices.append(record)


class FakeSubjects(FakeRepository):
    """Subjects of the bound tenant: their records only (values and identities are not faked)."""

    def _mine(self) -> dict[int, StoredSubject]:
        tenant = self.tenant_id
        return {i: s for i, s in self.rows.subjects.items() if s.tenant_id == tenant}

    def existing_refs(self, refs: Sequence[str]) -> set[str]:
        """Which of these refs are taken."""
        taken = {s.record.ref for s in self._mine().values()}
        return {r for r in refs if r in taken}

    def get_by_ref(self, ref: str) -> SubjectRecord | None:
        """The subject with this ref."""
        return next((s.record for s in self._mine().values() if s.record.ref == ref), None)

    def get_many(self, ids: Sequence[int]) -> list[SubjectRecord]:
        """Subjects by id."""
        mine = self._mine()
        return [mine[i].record for i in ids if i in mine]

    def set_adult_on(self, subject_id: int, adult_on: object, at: datetime) -> None:
        """Record when the subject stops being a minor."""
        assert adult_on is None or isinstance(adult_on, date)
        self._change(subject_id, adult_on=adult_on, updated_at=at)

    def erase(self, subject_id: int, at: datetime) -> tuple[int, int]:
        """Destroy the data key and keep a tombstone (no values or identities are faked: 0, 0)."""
        self._change(subject_id, wrapped_key=None, ref=None, adult_on=None, erased_at=at)
        return 0, 0

    def erase_many(self, subject_ids: Sequence[int], at: datetime) -> dict[int, tuple[int, int]]:
        """``erase`` of each."""
        return {subject_id: self.erase(subject_id, at) for subject_id in subject_ids}

    def _change(self, subject_id: int, **changes: object) -> None:
        stored = self._mine()[subject_id]
        record = dataclasses.replace(stored.record, **changes)  # type: ignore[arg-type]
        self.rows.subjects[subject_id] = dataclasses.replace(stored, record=record)

    def insert_new(self, items: Sequence[NewSubjectData]) -> list[int]:
        """Not faked."""
        self._not_faked("insert_new")

    def find(self, kind: str, indexes: Sequence[str]) -> list[tuple[str, int]]:
        """Not faked."""
        self._not_faked("find")

    def fields(self, subject_ids: Sequence[int]) -> list[FieldRecord]:
        """Not faked."""
        self._not_faked("fields")

    def identities(self, subject_ids: Sequence[int]) -> list[IdentityRecord]:
        """Not faked."""
        self._not_faked("identities")

    def add_identities(
        self, subject_ids: Sequence[int], rows: Sequence[IdentityRecord], at: datetime
    ) -> None:
        """Not faked."""
        self._not_faked("add_identities")

    def put_fields(self, rows: Sequence[FieldRecord], *, replace: bool = True) -> None:
        """Not faked."""
        self._not_faked("put_fields")

    def refresh_exclusive(self, subject_id: int, exclusive: Sequence[str], at: datetime) -> None:
        """Not faked."""
        self._not_faked("refresh_exclusive")

    def erase_some(
        self, subject_id: int, fields: Sequence[str], identity_kinds: Sequence[str], at: datetime
    ) -> tuple[int, int]:
        """Not faked."""
        self._not_faked("erase_some")

    def to_rewrap(self, kek_version: int, after_id: int, limit: int) -> list[SubjectRecord]:
        """Not faked."""
        self._not_faked("to_rewrap")

    def rewrap(
        self, subject_id: int, old_kek_version: int, kek_version: int, wrapped: bytes
    ) -> bool:
        """Not faked."""
        self._not_faked("rewrap")

    def count_by_kek_version(self) -> dict[int, int]:
        """Not faked."""
        self._not_faked("count_by_kek_version")


class FakeDpias(FakeRepository):
    """Impact assessments of the bound tenant: read only (what the decision asks)."""

    def all(self) -> list[DpiaRecord]:
        """Every assessment of the tenant."""
        return list(self.rows.dpias.get(self.tenant_id, []))

    def add(
        self,
        purpose: str,
        title: str,
        risks: str,
        measures: str,
        residual_risk: str,
        at: datetime,
    ) -> DpiaRecord:
        """Not faked."""
        self._not_faked("add")

    def get(self, dpia_id: int, *, lock: bool = False) -> DpiaRecord | None:
        """Not faked."""
        self._not_faked("get")

    def decide(
        self,
        dpia_id: int,
        status: DpiaStatus,
        residual_risk: str,
        reviewer: str,
        review_on: date | None,
        at: datetime,
    ) -> DpiaRecord:
        """Not faked."""
        self._not_faked("decide")

    def holdings(self) -> list[Holding]:
        """Not faked."""
        self._not_faked("holdings")

    def subjects_by_purpose(self) -> dict[str, int]:
        """Not faked."""
        self._not_faked("subjects_by_purpose")

    def subjects_held(self) -> int:
        """Not faked."""
        self._not_faked("subjects_held")

    def disclosure_counts(self) -> list[DisclosureCount]:
        """Not faked."""
        self._not_faked("disclosure_counts")
