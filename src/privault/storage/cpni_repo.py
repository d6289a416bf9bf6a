"""SQL implementation of the CPNI records (47 CFR 64.2008, 64.2009)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from privault.core.consent import CPNI_NOTICE_METHODS
from privault.core.cpni_ports import CampaignRecord
from privault.errors import Conflict
from privault.storage import tables as t
from privault.storage.base import BoundRepository


def _campaign(row: t.CpniCampaign) -> CampaignRecord:
    return CampaignRecord(
        row.id,
        row.ref,
        row.description,
        tuple(c for c in row.cpni_used.split(",") if c),
        row.products,
        row.purpose,
        row.status,
        row.requested_by,
        row.reviewer,
        row.review_note,
        row.decided_at,
        row.launched_at,
        row.created_at,
        row.retain_until,
    )


class SqlCpni(BoundRepository):
    """The bound tenant's CPNI records."""

    def add_campaign(self, **values: Any) -> CampaignRecord:
        """Store a new campaign; Conflict if its ref is taken."""
        if self.campaign(values["ref"]) is not None:
            raise Conflict(f"campaign '{values['ref']}' exists", code="cpni.campaign_exists")
        values["cpni_used"] = ",".join(values["cpni_used"])
        row = t.CpniCampaign(tenant_id=self.tenant_id, **values)
        self.session.add(row)
        self.session.flush()
        return _campaign(row)

    def campaign(self, ref: str, *, lock: bool = False) -> CampaignRecord | None:
        """One campaign by its ref."""
        stmt = select(t.CpniCampaign).where(t.CpniCampaign.ref == ref)
        if lock:
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt).first()
        return _campaign(row) if row else None

    def update_campaign(self, campaign_id: int, **values: Any) -> None:
        """Change a campaign's review or launch columns."""
        stmt = update(t.CpniCampaign).where(t.CpniCampaign.id == campaign_id).values(**values)
        self.session.execute(stmt)

    def campaigns_between(self, start: datetime, end: datetime) -> Sequence[CampaignRecord]:
        """Campaigns created in ``[start, end)``, oldest first."""
        c = t.CpniCampaign
        stmt = select(c).where(c.created_at >= start, c.created_at < end).order_by(c.id)
        return [_campaign(row) for row in self.session.scalars(stmt)]

    def notices_between(self, start: datetime, end: datetime) -> int:
        """CPNI opt-out notices recorded in the consent ledger in ``[start, end)``."""
        e = t.ConsentEvent
        stmt = select(func.count()).where(
            e.tenant_id == self.tenant_id,
            e.kind == "cpni",
            e.granted.is_(True),
            e.method.in_(sorted(CPNI_NOTICE_METHODS)),
            e.at >= start,
            e.at < end,
        )
        return int(self.session.scalar(stmt) or 0)

    def subjects_after(self, after_id: int, limit: int) -> list[tuple[int, str | None]]:
        """Live subjects (id, ref) with ids above ``after_id``, in id order (paging)."""
        s = t.Subject
        stmt = (
            select(s.id, s.ref)
            .where(s.id > after_id, s.wrapped_key.is_not(None))
            .order_by(s.id)
            .limit(limit)
        )
        return [(i, r) for i, r in self.session.execute(stmt)]
