"""Visit log use cases: record a page view (minimised, linked only with statistics consent) and count.

Recording is one short transaction: the tenant, at most the visitor's consent state and its subject,
and one insert. A page view is not audited one by one (it names nobody unless the visitor consented,
and the consent itself is audited when it is given); the stats are counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from privault.core.consent import check_visitor, load_state
from privault.core.manifest.model import CookieCategoryKey, Period, RetentionEvent
from privault.core.ports import UnitOfWork
from privault.core.retention import due_before
from privault.core.visits import (
    TOP,
    IpMode,
    Link,
    NewVisit,
    VisitStats,
    browser_family,
    check_days,
    every_day,
    ip_prefix,
    ip_pseudonym,
    link_for,
    normalise_page,
    referrer_host,
)
from privault.crypto.keyring import Keyring
from privault.errors import InvalidInput
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

KEY_KIND = "visit-ip"


@dataclass(frozen=True, slots=True)
class Hit:
    """A page view as the edge received it (``private``: the request sent ``Sec-GPC: 1`` or
    ``DNT: 1``). The IP and User-Agent are used here and never stored."""

    page: str
    referrer: str | None = None
    user_agent: str | None = None
    ip: str | None = None
    visitor: str | None = None
    private: bool = False


def _visitor(visitor: str | None) -> str | None:
    if visitor is None:
        return None
    try:
        return check_visitor(visitor)
    except InvalidInput:
        raise InvalidInput(
            "a visitor id is 16-64 letters, digits, '_' or '-'", code="visit.invalid"
        ) from None


def _client(
    keyring: Keyring, mode: IpMode, tenant_key: str, ip: str | None, at: datetime
) -> str | None:
    """What is kept of the IP: its network, or the keyed pseudonym of the day."""
    if mode == "pseudonym":
        return ip_pseudonym(keyring.index_key(tenant_key, KEY_KIND), ip, at.astimezone(UTC).date())
    return ip_prefix(ip)


def _link(uow: UnitOfWork, visitor: str | None, private: bool, offered: bool) -> Link:
    """The visitor id and subject the visit may keep (read from the visitor's consent state)."""
    if visitor is None or private or not offered:
        return Link(None, None)
    found = uow.consent.states([f"v:{visitor}"]).get(f"v:{visitor}")
    if found is None:
        return Link(None, None)
    link = link_for(visitor, load_state(found[0]), found[1], private=private)
    if link.subject_id is not None and not _live(uow, link.subject_id):
        return Link(link.visitor, None)
    return link


def _live(uow: UnitOfWork, subject_id: int) -> bool:
    """Is the subject still there (not erased)?"""
    found = uow.subjects.get_many([subject_id])
    return bool(found) and found[0].wrapped_key is not None and found[0].erased_at is None


def record_visit(deps: Deps, mode: IpMode, tenant_key: str, hit: Hit, at: datetime) -> NewVisit:
    """Store one page view of the tenant's site, minimised; commit; return what was stored."""
    page = normalise_page(hit.page)
    visitor = _visitor(hit.visitor)
    view = deps.decider.view(tenant_key)
    offered = any(c.key is CookieCategoryKey.STATISTICS for c in view.cookie_categories)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        link = _link(uow, visitor, hit.private, offered)
        visit = NewVisit(
            at=at,
            page=page,
            referrer=referrer_host(hit.referrer),
            browser=browser_family(hit.user_agent).value,
            client=_client(deps.keyring, mode, tenant_key, hit.ip, at),
            visitor=link.visitor,
            subject_id=link.subject_id,
        )
        uow.visits.add(visit)
        uow.commit()
    return visit


def visit_stats(deps: Deps, tenant_key: str, days: int, now: datetime) -> VisitStats:
    """Popular pages, visits per day, browsers, referrer hosts and how many visits were linked, for
    the last ``days`` UTC days up to ``now`` (today included)."""
    check_days(days)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return _stats(uow, days, now)


def _stats(uow: UnitOfWork, days: int, now: datetime) -> VisitStats:
    until_day = now.astimezone(UTC).date()
    since_day = until_day - timedelta(days=days - 1)
    since = datetime.combine(since_day, time(), UTC)
    until = datetime.combine(until_day + timedelta(days=1), time(), UTC)
    repo = uow.visits
    return VisitStats(
        since=since_day,
        until=until_day,
        totals=repo.totals(since, until),
        pages=repo.top_pages(since, until, TOP),
        days=every_day(since_day, until_day, repo.per_day(since, until)),
        browsers=repo.browsers(since, until),
        referrers=repo.top_referrers(since, until, TOP),
    )


def forget_subject_visits(uow: UnitOfWork, subject_ids: list[int]) -> int:
    """Unlink erased subjects from their visits, in the caller's transaction (the erasure path
    calls it; the visits stay counted, naming nobody). The bound tenant's; no commit."""
    return uow.visits.forget_subjects(subject_ids)


def anonymise_visits(uow: UnitOfWork, before: datetime) -> int:
    """Clear the client, visitor and subject of the bound tenant's visits before ``before`` (the
    retention rule of the visit log, e.g. ``web-statistics``: anonymise after 13 months), in the
    caller's transaction; no commit. Pages, referrers, families and times stay for the counts."""
    return uow.visits.anonymise_before(before)


DEFAULT_VISIT_RETENTION = Period(amount=13, unit="month")


def anonymise_due_visits(deps: Deps, tenant_key: str) -> int:
    """Apply the visit log's retention: the shortest rule kept for a statistics-cookie purpose
    (``web-statistics`` in the template: 13 months, anonymise) clears older visits' client, visitor
    and subject; without such a rule, 13 months (the cookie re-consent horizon) applies. Returns how
    many visits were anonymised."""
    view, now = deps.decider.view(tenant_key), deps.clock.now()
    statistics = {p.key for p in view.purposes if p.cookie_category == "statistics"}
    rules = [
        r
        for r in view.retention
        if r.after is RetentionEvent.COLLECTED and statistics & set(r.purposes)
    ]
    periods = [r.period for r in rules] or [DEFAULT_VISIT_RETENTION]
    cutoff = max(due_before(p, now.date()) for p in periods)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        done = anonymise_visits(uow, cutoff)
        uow.commit()
    return done
