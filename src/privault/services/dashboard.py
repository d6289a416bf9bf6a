"""The admin dashboard: requests per type per ISO week, the median days to close, the open requests
overdue or due within a week, and the consent rates per cookie category and consent-based purpose.

One read-only unit of work and one statement per figure, each bounded: by the window of weeks, by
the open requests due within the next week, or by the topics the tenant offers. Whether a request is
open, overdue or due soon is what the request services say (``deadline_state`` on the day of the
request's own jurisdiction), so the dashboard, the queue and the daily sweep always agree.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from privault.core.dashboard import (
    ConsentRate,
    Dashboard,
    Week,
    consent_topics,
    medians,
    midnight,
    per_week,
    rates,
    week_window,
)
from privault.core.deadlines import local_day
from privault.core.manifest.resolve import tenant_view
from privault.core.ports import UnitOfWork
from privault.core.requests import OPEN
from privault.services.deps import Deps
from privault.services.notices import notice_review
from privault.services.requests import deadline_state
from privault.services.tenants import bind_tenant

__all__ = ["ConsentRate", "Dashboard", "Week", "dashboard"]

# deadline_state says "due_soon" up to 7 days ahead; a jurisdiction's day can be one ahead of UTC's.
_HORIZON = timedelta(days=7 + 1)
_DUE_SOON = ("due_today", "due_soon")


def dashboard(deps: Deps, tenant_key: str, now: datetime, weeks: int = 12) -> Dashboard:
    """The figures of the last ``weeks`` ISO weeks (the current one included) at ``now``."""
    since, until = week_window(now, weeks)
    topics = consent_topics(tenant_view(deps.manifest, tenant_key))
    with deps.read_uow() as uow:  # may lag a little: a replica's, if one keeps up
        bind_tenant(uow, tenant_key)
        received = uow.dashboard.received_per_day(since, until)
        closures = uow.dashboard.closed_between(midnight(since), midnight(until))
        deadlines = _deadline_states(uow, now)
        answers = uow.dashboard.current_answers([t.topic for t in topics])
        review = notice_review(uow, tenant_key, now.astimezone(UTC).date())
    overall, by_type = medians(closures)
    return Dashboard(
        since=since,
        until=until - timedelta(days=1),
        requests_per_week=per_week(since, weeks, received),
        median_days_to_close=overall,
        median_days_by_type=by_type,
        closed=len(closures),
        overdue=deadlines["overdue"],
        due_within_7_days=sum(deadlines[s] for s in _DUE_SOON),
        consent_rates=rates(topics, answers),
        notice_state=review.state,
        notice_review_due=review.review_due,
        reconsent=tuple(sorted(review.reconsent.items())),
    )


def _deadline_states(uow: UnitOfWork, now: datetime) -> Counter[str]:
    """How many open requests due by a week from now are in each deadline state (the paused ones
    are "paused": their clock is stopped)."""
    horizon = now.astimezone(UTC).date() + _HORIZON
    found = uow.requests.search(states=[s.value for s in OPEN], due_by=horizon)
    return Counter(deadline_state(r, local_day(r.jurisdiction, now)) for r in found)
