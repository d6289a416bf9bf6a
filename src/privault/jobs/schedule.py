"""Periodic jobs: each period of each tenant gets exactly one job, however many workers schedule it
(the dedupe key names the period), so nothing runs twice and nothing is skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from privault.bootstrap import Container
from privault.core.job_ports import NewJob
from privault.services.jobs import queue_periodic

KEEP_FINISHED = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Periodic:
    """A kind of job run once per ``every`` for every tenant."""

    kind: str
    every: timedelta


PERIODIC = (
    Periodic("webhooks.deliver", timedelta(minutes=1)),
    Periodic("requests.sweep", timedelta(hours=1)),
    Periodic("retention.sweep", timedelta(days=1)),
)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def period_start(now: datetime, every: timedelta) -> datetime:
    """The start of the period ``now`` falls in (periods counted from 2000-01-01 UTC)."""
    return _EPOCH + ((now - _EPOCH) // every) * every


def schedule(container: Container, now: datetime) -> int:
    """Queue this period's periodic jobs for every tenant (once); forget old finished jobs.
    Returns how many jobs were queued."""
    jobs = [
        _periodic_job(periodic, tenant.key, now)
        for tenant in container.manifest.tenants
        for periodic in PERIODIC
    ]
    return queue_periodic(container.deps, jobs, now, now - KEEP_FINISHED)


def _periodic_job(periodic: Periodic, tenant_key: str, now: datetime) -> NewJob:
    """This period's job of ``periodic`` for the tenant (its dedupe key names the period)."""
    start = period_start(now, periodic.every)
    key = f"{periodic.kind}:{tenant_key}:{start:%Y%m%dT%H%M}"
    return NewJob(periodic.kind, tenant_key, {}, start, dedupe_key=key)
