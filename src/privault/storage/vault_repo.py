"""SQL implementation of the subject repository: set-based, ORM-enabled statements (tenant-scoped)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete, func, select, update

from privault.core.records import FieldRecord, IdentityRecord, NewSubjectData, SubjectRecord
from privault.storage import tables as t
from privault.storage.base import CHUNK, BoundRepository, columns_of, field_names
from privault.storage.bulk import DriverValues, insert_rows
from privault.storage.consent_repo import allocate_ids

# Hot-path selects read the columns named like the record's fields, in field order: a record is then
# built from a row by position, which equals its name by construction.
_SUBJECT_COLUMNS = columns_of(t.Subject, SubjectRecord)
_SUBJECT_NAMES = field_names(SubjectRecord)
_FIELD_NAMES = field_names(FieldRecord)
_IDENTITY_NAMES = field_names(IdentityRecord)
_SUBJECT_INSERT = (
    "id",
    "tenant_id",
    "uid",
    "ref",
    "key_version",
    "kek_version",
    "wrapped_key",
    "adult_on",
    "exclusive_data",
    "created_at",
    "updated_at",
)
_IDENTITY_INSERT = ("tenant_id", "subject_id", "kind", "blind_index", "ciphertext", "created_at")
_FIELD_INSERT = (
    "tenant_id",
    "subject_id",
    "field",
    "category",
    "source",
    "purpose",
    "collected_at",
    "updated_at",
    "ciphertext",
)
_SUBJECTS: Table = t.Subject.__table__  # type: ignore[assignment]
_IDENTITIES: Table = t.Identity.__table__  # type: ignore[assignment]
_FIELDS: Table = t.PersonalData.__table__  # type: ignore[assignment]


def _subject(row: Any) -> SubjectRecord:
    return SubjectRecord(*row)


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


class SqlSubjects(BoundRepository):
    """Subjects, identities and encrypted values in SQL."""

    def insert_new(self, items: Sequence[NewSubjectData]) -> list[int]:
        """Insert new subjects with their values and identities (bulk); return their ids in order."""
        if not items:
            return []
        ids = allocate_ids(self.session, "subjects", len(items))
        tenant, value = self.tenant_id, DriverValues(self.session)
        subjects, fields, identities = [], [], []
        for subject_id, item in zip(ids, items, strict=True):
            s, at = item.subject, value(item.subject.at)
            subjects.append(
                (
                    subject_id,
                    tenant,
                    s.uid,
                    s.ref,
                    s.key_version,
                    s.kek_version,
                    s.wrapped_key,
                    value(s.adult_on),
                    s.exclusive_data,
                    at,
                    at,
                )
            )
            fields += [(tenant, subject_id, *f[:4], at, at, f[4]) for f in item.fields]
            identities += [(tenant, subject_id, *i, at) for i in item.identities]
        insert_rows(self.session, t.Subject.__tablename__, _SUBJECT_INSERT, subjects)
        insert_rows(self.session, t.Identity.__tablename__, _IDENTITY_INSERT, identities)
        insert_rows(self.session, t.PersonalData.__tablename__, _FIELD_INSERT, fields)
        return ids

    def existing_refs(self, refs: Sequence[str]) -> set[str]:
        """Which refs are taken."""
        found: set[str] = set()
        for chunk in _chunks(list(refs)):
            stmt = select(t.Subject.ref).where(t.Subject.ref.in_(chunk))
            found.update(r for r in self.session.scalars(stmt) if r)
        return found

    def get_by_ref(self, ref: str) -> SubjectRecord | None:
        """The subject with this ref."""
        row = self.session.execute(select(*_SUBJECT_COLUMNS).where(t.Subject.ref == ref)).first()
        return _subject(row) if row else None

    def get_many(self, ids: Sequence[int]) -> list[SubjectRecord]:
        """Subjects by id."""
        return [_subject(row) for row in self.rows_in(_SUBJECTS, _SUBJECT_NAMES, "id", ids)]

    def find(self, kind: str, indexes: Sequence[str]) -> list[tuple[str, int]]:
        """(blind index, subject id) of live subjects with one of these identities."""
        rows = self.rows_in(
            _IDENTITIES, ("blind_index", "subject_id"), "blind_index", indexes, kind=kind
        )
        return [(row[0], row[1]) for row in rows]

    def fields(self, subject_ids: Sequence[int]) -> list[FieldRecord]:
        """Stored values of these subjects."""
        rows = self.rows_in(_FIELDS, _FIELD_NAMES, "subject_id", subject_ids)
        return [FieldRecord(*row) for row in rows]

    def identities(self, subject_ids: Sequence[int]) -> list[IdentityRecord]:
        """Stored identities of these subjects, in the order they were added."""
        columns = ("id", *_IDENTITY_NAMES)  # the id orders them, the rest is the record
        rows = sorted(
            self.rows_in(_IDENTITIES, columns, "subject_id", subject_ids), key=lambda r: r[0]
        )
        return [IdentityRecord(*row[1:]) for row in rows]

    def add_identities(
        self, subject_ids: Sequence[int], rows: Sequence[IdentityRecord], at: datetime
    ) -> None:
        """Insert identities the subjects do not have yet (pass no ids for brand-new subjects)."""
        if not rows:
            return
        existing = {(i.subject_id, i.kind, i.blind_index) for i in self.identities(subject_ids)}
        tenant, when = self.tenant_id, DriverValues(self.session)(at)
        new = [
            (tenant, r.subject_id, r.kind, r.blind_index, r.ciphertext, when)
            for r in rows
            if (r.subject_id, r.kind, r.blind_index) not in existing
        ]
        insert_rows(self.session, t.Identity.__tablename__, _IDENTITY_INSERT, new)

    def put_fields(self, rows: Sequence[FieldRecord], *, replace: bool = True) -> None:
        """Insert values; with ``replace``, a subject's existing value of the same field goes first."""
        if not rows:
            return
        if replace:
            self._delete_replaced({(r.subject_id, r.field) for r in rows})
        tenant, value = self.tenant_id, DriverValues(self.session)
        values = [
            (
                tenant,
                r.subject_id,
                r.field,
                r.category,
                r.source,
                r.purpose,
                value(r.collected_at),
                value(r.updated_at),
                r.ciphertext,
            )
            for r in rows
        ]
        insert_rows(self.session, t.PersonalData.__tablename__, _FIELD_INSERT, values)

    def _delete_replaced(self, wanted: set[tuple[int, str]]) -> None:
        stale: list[int] = []
        columns = (t.PersonalData.id, t.PersonalData.subject_id, t.PersonalData.field)
        for chunk in _chunks(sorted({subject for subject, _ in wanted})):
            rows = self.session.execute(
                select(*columns).where(t.PersonalData.subject_id.in_(chunk))
            )
            stale += [row[0] for row in rows if (row[1], row[2]) in wanted]
        for chunk in _chunks(stale):
            self.session.execute(delete(t.PersonalData).where(t.PersonalData.id.in_(chunk)))

    def set_adult_on(self, subject_id: int, adult_on: object, at: datetime) -> None:
        """Record when the subject stops being a minor."""
        assert adult_on is None or isinstance(adult_on, date)  # noqa: S101 - typed by the port
        stmt = (
            update(t.Subject)
            .where(t.Subject.id == subject_id)
            .values(adult_on=adult_on, updated_at=at)
        )
        self.session.execute(stmt)

    def refresh_exclusive(self, subject_id: int, exclusive: Sequence[str], at: datetime) -> None:
        """Recompute which categories the subject holds for exclusive purposes (purpose limitation)."""
        collected: dict[str, set[str]] = {}
        if exclusive:
            stmt = select(t.PersonalData.purpose, t.PersonalData.category).where(
                t.PersonalData.subject_id == subject_id, t.PersonalData.purpose.in_(exclusive)
            )
            for purpose, category in self.session.execute(stmt):
                collected.setdefault(purpose, set()).add(category)
        value = (
            json.dumps({k: sorted(v) for k, v in sorted(collected.items())}) if collected else None
        )
        stmt_update = (
            update(t.Subject)
            .where(t.Subject.id == subject_id)
            .values(exclusive_data=value, updated_at=at)
        )
        self.session.execute(stmt_update)

    def erase(self, subject_id: int, at: datetime) -> tuple[int, int]:
        """Delete values and identities, destroy the wrapped data key, keep a tombstone ((0, 0)
        if the subject was erased already)."""
        return self.erase_many([subject_id], at).get(subject_id, (0, 0))

    def erase_many(self, subject_ids: Sequence[int], at: datetime) -> dict[int, tuple[int, int]]:
        """``erase`` for many subjects: three statements per CHUNK of them. Only subjects still
        live are erased (their data key destroyed first, which on PostgreSQL waits for anyone
        erasing them at the same time and then finds them gone); the rows deleted are counted per
        subject (RETURNING). Subjects not in the answer were erased already."""
        erased: dict[int, tuple[int, int]] = {}
        for start in range(0, len(subject_ids), CHUNK):
            live = list(
                self.session.scalars(
                    update(t.Subject)
                    .where(
                        t.Subject.id.in_(list(subject_ids[start : start + CHUNK])),
                        t.Subject.wrapped_key.is_not(None),
                    )
                    .values(
                        wrapped_key=None,
                        ref=None,
                        adult_on=None,
                        exclusive_data=None,
                        erased_at=at,
                        updated_at=at,
                    )
                    .returning(t.Subject.id)
                )
            )
            if not live:
                continue
            fields = Counter(
                self.session.scalars(
                    delete(t.PersonalData)
                    .where(t.PersonalData.subject_id.in_(live))
                    .returning(t.PersonalData.subject_id)
                )
            )
            identities = Counter(
                self.session.scalars(
                    delete(t.Identity)
                    .where(t.Identity.subject_id.in_(live))
                    .returning(t.Identity.subject_id)
                )
            )
            erased |= {i: (fields[i], identities[i]) for i in live}
        return erased

    def erase_some(
        self, subject_id: int, fields: Sequence[str], identity_kinds: Sequence[str], at: datetime
    ) -> tuple[int, int]:
        """Delete some values and identities of a subject that is kept (an exception applies)."""
        removed = self.session.execute(
            delete(t.PersonalData).where(
                t.PersonalData.subject_id == subject_id, t.PersonalData.field.in_(list(fields))
            )
        )
        gone = self.session.execute(
            delete(t.Identity).where(
                t.Identity.subject_id == subject_id, t.Identity.kind.in_(list(identity_kinds))
            )
        )
        self.session.execute(
            update(t.Subject).where(t.Subject.id == subject_id).values(updated_at=at)
        )
        return int(removed.rowcount), int(gone.rowcount)  # type: ignore[attr-defined]

    def to_rewrap(self, kek_version: int, after_id: int, limit: int) -> list[SubjectRecord]:
        """Live subjects wrapped under another key version, by id."""
        stmt = (
            select(*_SUBJECT_COLUMNS)
            .where(
                t.Subject.id > after_id,
                t.Subject.kek_version != kek_version,
                t.Subject.wrapped_key.is_not(None),
            )
            .order_by(t.Subject.id)
            .limit(limit)
        )
        return [_subject(row) for row in self.session.execute(stmt)]

    def rewrap(
        self, subject_id: int, old_kek_version: int, kek_version: int, wrapped: bytes
    ) -> bool:
        """Compare-and-set the wrapped key (a concurrent erasure wins)."""
        stmt = (
            update(t.Subject)
            .where(
                t.Subject.id == subject_id,
                t.Subject.kek_version == old_kek_version,
                t.Subject.wrapped_key.is_not(None),
            )
            .values(kek_version=kek_version, wrapped_key=wrapped)
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def count_by_kek_version(self) -> dict[int, int]:
        """Live subjects per key version."""
        stmt = (
            select(t.Subject.kek_version, func.count())
            .where(t.Subject.wrapped_key.is_not(None))
            .group_by(t.Subject.kek_version)
        )
        return {int(row[0]): int(row[1]) for row in self.session.execute(stmt)}
