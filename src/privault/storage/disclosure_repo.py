"""SQL implementation of the disclosure ports."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import select

from privault.core.disclosure_ports import DisclosureRecord
from privault.storage import tables as t
from privault.storage.base import BoundRepository, record_of

_CHUNK = 900


def _record(row: t.Disclosure) -> DisclosureRecord:
    return record_of(DisclosureRecord, row, categories=tuple(json.loads(row.categories)))


class SqlDisclosures(BoundRepository):
    """Disclosures of the bound tenant."""

    def add(self, rows: Sequence[DisclosureRecord]) -> None:
        """Record disclosures (one row per subject)."""
        self.session.add_all(
            t.Disclosure(
                tenant_id=self.tenant_id,
                batch=r.batch,
                recipient=r.recipient,
                subject_id=r.subject_id,
                purpose=r.purpose,
                categories=json.dumps(list(r.categories)),
                transform=r.transform,
                legal_basis=r.legal_basis,
                document_ref=r.document_ref,
                notice_withheld_until=r.notice_withheld_until,
                withhold_reference=r.withhold_reference,
                actor=r.actor,
                at=r.at,
            )
            for r in rows
        )
        self.session.flush()

    def for_subjects(self, subject_ids: Sequence[int]) -> list[DisclosureRecord]:
        """Disclosures of these subjects' data, oldest first."""
        found: list[DisclosureRecord] = []
        ids = list(subject_ids)
        for start in range(0, len(ids), _CHUNK):
            stmt = select(t.Disclosure).where(
                t.Disclosure.subject_id.in_(ids[start : start + _CHUNK])
            )
            found += [_record(row) for row in self.session.scalars(stmt)]
        return sorted(found, key=lambda r: (r.at, r.id or 0))

    def recent(
        self,
        *,
        subject_id: int | None = None,
        recipient: str | None = None,
        limit: int = 500,
    ) -> list[DisclosureRecord]:
        """The newest disclosures, optionally of one subject or to one recipient."""
        stmt = select(t.Disclosure).order_by(t.Disclosure.id.desc()).limit(limit)
        if subject_id is not None:
            stmt = stmt.where(t.Disclosure.subject_id == subject_id)
        if recipient is not None:
            stmt = stmt.where(t.Disclosure.recipient == recipient)
        return [_record(row) for row in self.session.scalars(stmt)]

    def live_ids(self, refs: Sequence[str]) -> dict[str, int]:
        """Ref -> id of the live (not erased) subjects among ``refs``."""
        found: dict[str, int] = {}
        wanted = list(refs)
        for start in range(0, len(wanted), _CHUNK):
            stmt = select(t.Subject.ref, t.Subject.id).where(
                t.Subject.ref.in_(wanted[start : start + _CHUNK]),
                t.Subject.wrapped_key.is_not(None),
            )
            found.update({ref: id_ for ref, id_ in self.session.execute(stmt) if ref})
        return found

    def holders(self, kind: str, after_id: int, limit: int) -> list[int]:
        """Ids (ascending, above ``after_id``) of live subjects with a ref and an identity of ``kind``."""
        stmt = (
            select(t.Subject.id)
            .join(t.Identity, t.Identity.subject_id == t.Subject.id)
            .where(
                t.Identity.kind == kind,
                t.Subject.wrapped_key.is_not(None),
                t.Subject.ref.is_not(None),
                t.Subject.id > after_id,
            )
            .distinct()
            .order_by(t.Subject.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))
