"""Ports of the visit log. Storage implements them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from privault.core.visits import Count, DayCount, NewVisit, Totals


class VisitRepository(Protocol):
    """Visit repository of the bound tenant: one insert per page view, set-based counts for a range
    ``[since, until)``."""

    def add(self, visit: NewVisit) -> None:
        """Store one page view."""
        ...

    def totals(self, since: datetime, until: datetime) -> Totals:
        """All visits, those that kept a visitor id, those linked to a subject."""
        ...

    def top_pages(self, since: datetime, until: datetime, limit: int) -> list[Count]:
        """The most visited pages, most first (ties by page)."""
        ...

    def per_day(self, since: datetime, until: datetime) -> list[DayCount]:
        """Visits per UTC day, oldest first (days without visits are left out)."""
        ...

    def browsers(self, since: datetime, until: datetime) -> list[Count]:
        """Visits per browser family, most first."""
        ...

    def top_referrers(self, since: datetime, until: datetime, limit: int) -> list[Count]:
        """The referrer hosts that sent most visits, most first (visits without one left out)."""
        ...

    def forget_subjects(self, subject_ids: Sequence[int]) -> int:
        """Unlink these subjects' visits (visitor id and subject cleared); the count of visits."""
        ...

    def anonymise_before(self, cutoff: datetime) -> int:
        """Clear the client, visitor and subject of visits before ``cutoff``; the count changed."""
        ...
