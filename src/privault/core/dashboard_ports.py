"""Ports of the admin dashboard: set-based counts over the bound tenant. Storage implements them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from privault.core.dashboard import Closure, TopicCount, TypeDayCount


class DashboardQueries(Protocol):
    """Grouped counts for the dashboard, one statement each, bounded by their range."""

    def received_per_day(self, since: date, until: date) -> list[TypeDayCount]:
        """Requests per type and day of receipt (``received_on``) in ``[since, until)``."""
        ...

    def closed_between(self, since: datetime, until: datetime) -> list[Closure]:
        """Requests closed (completed or denied) in ``[since, until)``."""
        ...

    def current_answers(self, topics: Sequence[str]) -> list[TopicCount]:
        """Per topic and answer, the people whose current state holds it: subjects, and visitors
        not linked to one (a linked visitor's choices are in its subject's state)."""
        ...
