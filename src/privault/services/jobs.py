"""The job queue by hand (``privault jobs``): queue a job now, audited, and list the newest.

The worker's own periodic jobs are queued by ``jobs/schedule.py``; this is for a person asking."""

from __future__ import annotations

from collections.abc import Sequence

from privault.core.clock import Clock
from privault.core.job_ports import JobRecord, NewJob
from privault.core.ports import UnitOfWork
from privault.services.audit import Entry, record
from privault.services.tenants import bind_tenant


def queue_job(uow: UnitOfWork, tenant_key: str, kind: str, clock: Clock, actor: str) -> int | None:
    """Queue one job of ``kind`` for the tenant, due now; audited as ``job:queue``."""
    bind_tenant(uow, tenant_key)
    now = clock.now()
    job = uow.jobs.enqueue(NewJob(kind, tenant_key, {}, now), now)
    record(uow, [Entry(actor, "job:queue", details={"job": job, "kind": kind})], now)
    uow.commit()
    return job


def recent_jobs(uow: UnitOfWork, statuses: Sequence[str], limit: int) -> list[JobRecord]:
    """The newest jobs of every tenant (only those in ``statuses`` if any are given)."""
    return uow.jobs.recent(statuses, limit)
