"""Periodic jobs: each period of each tenant that has work of the kind gets exactly one job, however
many workers schedule it (the dedupe key names the period), so nothing runs twice and nothing is
skipped; a tenant with nothing to do costs no job.

- ``webhooks.deliver`` (every minute): only tenants with a delivery waiting and due.
- ``requests.sweep`` (every hour): only tenants that keep any subject request (open ones are
  flagged, closed ones purged when their keeping period ends).
- ``retention.sweep`` (every day): every tenant, each at its own time of day (an offset from
  midnight UTC drawn from its key), so that a thousand tenants' sweeps do not all fall due at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from privault.bootstrap import Container
from privault.core.job_ports import NewJob
from privault.services.jobs import TenantsWithWork, queue_periodic, tenants_with_work

KEEP_FINISHED = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Periodic:
    """A kind of job run once per ``every`` for each tenant ``wanted`` names (all if None);
    ``spread``: each tenant's period starts at its own offset within the period."""

    kind: str
    every: timedelta
    wanted: Callable[[TenantsWithWork], Iterable[str]] | None = None
    spread: bool = False


PERIODIC = (
    Periodic("webhooks.deliver", timedelta(minutes=1), lambda work: work.due_deliveries),
    Periodic("requests.sweep", timedelta(hours=1), lambda work: work.requests),
    Periodic("retention.sweep", timedelta(days=1), spread=True),
)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def period_start(now: datetime, every: timedelta, offset: timedelta = timedelta(0)) -> datetime:
    """The start of the period ``now`` falls in (periods counted from 2000-01-01 UTC, shifted by
    ``offset``)."""
    return _EPOCH + offset + ((now - _EPOCH - offset) // every) * every


def tenant_offset(tenant_key: str, every: timedelta) -> timedelta:
    """Where in each period the tenant's own period starts: the same for every worker and every
    run, spread evenly over tenants (whole minutes)."""
    digest = int.from_bytes(hashlib.sha256(tenant_key.encode()).digest()[:8], "big")
    minutes = max(1, int(every.total_seconds()) // 60)
    return timedelta(minutes=digest % minutes)


def schedule(container: Container, now: datetime) -> int:
    """Queue this period's periodic jobs for the tenants with work of each kind (once); forget old
    finished jobs. Returns how many jobs were queued."""
    keys = [tenant.key for tenant in container.manifest.tenants]
    work = tenants_with_work(container.deps, now)
    jobs = [
        _periodic_job(periodic, key, now)
        for periodic in PERIODIC
        for key in _tenants(periodic, keys, work)
    ]
    return queue_periodic(container.deps, jobs, now, now - KEEP_FINISHED)


def _tenants(periodic: Periodic, keys: list[str], work: TenantsWithWork) -> list[str]:
    if periodic.wanted is None:
        return keys
    wanted = set(periodic.wanted(work))
    return [key for key in keys if key in wanted]


def _periodic_job(periodic: Periodic, tenant_key: str, now: datetime) -> NewJob:
    """This period's job of ``periodic`` for the tenant (its dedupe key names the period)."""
    offset = tenant_offset(tenant_key, periodic.every) if periodic.spread else timedelta(0)
    start = period_start(now, periodic.every, offset)
    key = f"{periodic.kind}:{tenant_key}:{start:%Y%m%dT%H%M}"
    return NewJob(periodic.kind, tenant_key, {}, start, dedupe_key=key)
