"""SQL implementation of the CPNI records (47 CFR 64.2008, 64.2009)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from privault.core.consent import CPNI_NOTICE_METHODS
from privault.core.cpni import CampaignStatus
from privault.core.cpni_ports import CampaignChange, CampaignRecord, NewCampaign
from privault.errors import Conflict
from privault.storage import tables as t
from privault.storage.base import BoundRepository


def _campaign(row: t.CpniCampaign) -> CampaignRecord:
    return CampaignRecord(
        id=row.id,
        ref=row.ref,
        description=row.description,
        cpni_used=tuple(c for c in row.cpni_used.split(",") if c),
        products=row.products,
        purpose=row.purpose,
        status=CampaignStatus(row.status),
        requested_by=row.requested_by,
        reviewer=row.reviewer,
        review_note=row.review_note,
        decided_at=row.decided_at,
        launched_at=row.launched_at,
        created_at=row.created_at,
        retain_until=row.retain_until,
    )


def _changed(change: CampaignChange) -> dict[str, object]:
    """The columns a change writes: the status, and the fields it does not leave None."""
    kept: dict[str, object] = {
        "reviewer": change.reviewer,
        "review_note": change.review_note,
        "decided_at": change.decided_at,
        "launched_at": change.launched_at,
    }
    values: dict[str, object] = {"status": change.status.value}
    return values | {name: value for name, value in kept.items() if value is not None}


class SqlCpni(BoundRepository):
    """The bound tenant's CPNI records."""

    def add_campaign(self, new: NewCampaign) -> CampaignRecord:
        """Store a new campaign, proposed; Conflict if its ref is taken."""
        if self.campaign(new.ref) is not None:
            raise Conflict(f"campaign '{new.ref}' exists", code="cpni.campaign_exists")
        row = t.CpniCampaign(
            tenant_id=self.tenant_id,
            ref=new.ref,
            description=new.description,
            cpni_used=",".join(new.cpni_used),
            products=new.products,
            purpose=new.purpose,
            status=CampaignStatus.PROPOSED.value,
            requested_by=new.requested_by,
            review_note="",
            created_at=new.created_at,
            retain_until=new.retain_until,
        )
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

    def update_campaign(self, campaign_id: int, change: CampaignChange) -> None:
        """Change a campaign's status with its review or launch columns."""
        c = t.CpniCampaign
        stmt = update(c).where(c.id == campaign_id).values(_changed(change))
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
