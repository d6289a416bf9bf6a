"""The port of the CPNI records (47 CFR 64.2008, 64.2009): the campaign log, counts of notices
and the customers a notice schedule walks. Storage implements it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from privault.core.cpni import CampaignStatus


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    """A marketing campaign using CPNI as stored, with its supervisory review."""

    id: int
    ref: str
    description: str
    cpni_used: tuple[str, ...]
    products: str
    purpose: str
    status: CampaignStatus
    requested_by: str
    reviewer: str | None
    review_note: str
    decided_at: datetime | None
    launched_at: datetime | None
    created_at: datetime
    retain_until: date


@dataclass(frozen=True, slots=True)
class NewCampaign:
    """A campaign to log: stored ``proposed``, waiting for a supervisor's review."""

    ref: str
    description: str
    cpni_used: tuple[str, ...]
    products: str
    purpose: str
    requested_by: str
    created_at: datetime
    retain_until: date


@dataclass(frozen=True, slots=True)
class CampaignChange:
    """A campaign's new status, with its review or launch (a field left None is kept)."""

    status: CampaignStatus
    reviewer: str | None = None
    review_note: str | None = None
    decided_at: datetime | None = None
    launched_at: datetime | None = None


class CpniRepository(Protocol):
    """The bound tenant's CPNI records. Campaigns are never deleted here."""

    def add_campaign(self, new: NewCampaign) -> CampaignRecord:
        """Store a new campaign; Conflict if its ref is taken."""
        ...

    def campaign(self, ref: str, *, lock: bool = False) -> CampaignRecord | None:
        """One campaign by its ref."""
        ...

    def update_campaign(self, campaign_id: int, change: CampaignChange) -> None:
        """Change a campaign's review or launch columns."""
        ...

    def campaigns_between(self, start: datetime, end: datetime) -> Sequence[CampaignRecord]:
        """Campaigns created in ``[start, end)``, oldest first."""
        ...

    def notices_between(self, start: datetime, end: datetime) -> int:
        """CPNI opt-out notices recorded in the consent ledger in ``[start, end)``."""
        ...

    def subjects_after(self, after_id: int, limit: int) -> list[tuple[int, str | None]]:
        """Live subjects (id, ref) with ids above ``after_id``, in id order (paging)."""
        ...
