"""The job queue: by hand (``privault jobs``: queue a job now, audited, and list the newest), and
for the worker (queue the periodic jobs ``jobs/schedule.py`` names, claim due jobs with a lease,
save a running job's progress, record how it ended)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from privault.core.clock import Clock
from privault.core.job_ports import JobRecord, LeaseLost, NewJob
from privault.core.ports import UnitOfWork
from privault.errors import NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant


def queue_job(deps: Deps, tenant_key: str, kind: str, actor: str) -> int | None:
    """Queue one job of ``kind`` for the tenant, due now; audited as ``job:queue``."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        now = deps.clock.now()
        job = uow.jobs.enqueue(NewJob(kind, tenant_key, {}, now), now)
        record(uow, [Entry(actor, "job:queue", details={"job": job, "kind": kind})], now)
        uow.commit()
    return job


def tenant_job(deps: Deps, tenant_key: str, job_id: int, kind: str) -> JobRecord:
    """One job of the tenant, of ``kind`` (NotFound for another tenant's or kind's)."""
    with deps.make_uow() as uow:
        job = uow.jobs.get(job_id)
    if job is None or job.tenant_key != tenant_key or job.kind != kind:
        raise NotFound(f"no {kind} job {job_id}", code="job.not_found")
    return job


def latest_job(deps: Deps, tenant_key: str, kind: str) -> JobRecord | None:
    """The tenant's newest job of ``kind`` (the last full audit verification, say)."""
    with deps.make_uow() as uow:
        return uow.jobs.latest(kind, tenant_key)


def recent_jobs(deps: Deps, statuses: Sequence[str], limit: int) -> list[JobRecord]:
    """The newest jobs of every tenant (only those in ``statuses`` if any are given)."""
    with deps.make_uow() as uow:
        return uow.jobs.recent(statuses, limit)


def queue_periodic(
    deps: Deps, jobs: Sequence[NewJob], now: datetime, forget_before: datetime
) -> int:
    """Queue each job unless one with its dedupe key exists (so a period runs once, however many
    workers schedule it), in bulk; delete finished jobs older than ``forget_before``. How many were
    queued."""
    with deps.make_uow() as uow:
        queued = uow.jobs.enqueue_new(jobs, now) if jobs else 0
        uow.jobs.purge_finished(forget_before)
        uow.commit()
    return queued


@dataclass(frozen=True, slots=True)
class TenantsWithWork:
    """Which tenants (by key) have periodic work waiting, found across tenants in one query each."""

    due_deliveries: frozenset[str]
    requests: frozenset[str]


def tenants_with_work(deps: Deps, now: datetime) -> TenantsWithWork:
    """The tenants with a webhook delivery due, and those keeping any subject request."""
    with deps.make_uow() as uow, uow.reading():
        key_of = {tenant.id: tenant.key for tenant in uow.tenants.list()}
        deliveries = uow.jobs.tenants_with_due_deliveries(now)
        requests = uow.jobs.tenants_with_requests()
    return TenantsWithWork(
        frozenset(key_of[i] for i in deliveries if i in key_of),
        frozenset(key_of[i] for i in requests if i in key_of),
    )


def claim_jobs(
    deps: Deps,
    worker: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
    exclusive: Sequence[str] = (),
) -> list[JobRecord]:
    """Take up to ``limit`` due jobs for ``worker`` until ``lease_until``; a job of an
    ``exclusive`` kind waits while another of its kind runs for its tenant."""
    with deps.make_uow() as uow:
        jobs = uow.jobs.claim(worker, now, lease_until, limit, exclusive)
        uow.commit()
    return jobs


def finish_job(deps: Deps, job_id: int, worker: str) -> None:
    """Mark the job done (nothing happens if ``worker`` no longer holds it)."""
    with deps.make_uow() as uow:
        uow.jobs.finish(job_id, worker, deps.clock.now())
        uow.commit()


def fail_job(
    deps: Deps, job_id: int, worker: str, error: str, now: datetime, retry_at: datetime | None
) -> None:
    """Record a failure by its code: retried at ``retry_at``, or failed for good (None)."""
    with deps.make_uow() as uow:
        uow.jobs.fail(job_id, worker, error, now, retry_at)
        uow.commit()


def save_progress(deps: Deps, lease: JobLease, progress: dict[str, Any]) -> None:
    """Record a job's progress on its own (work that writes nothing else, such as a verification)."""
    with deps.make_uow() as uow:
        lease.save(uow, progress)
        uow.commit()


@dataclass
class JobLease:
    """A job a worker holds until its lease ends, and the progress it saved last."""

    job_id: int
    worker: str
    lease: timedelta
    clock: Clock
    progress: dict[str, Any] = field(default_factory=dict)

    def save(self, uow: UnitOfWork, progress: dict[str, Any]) -> None:
        """A step: record ``progress`` in the caller's transaction (committed with the work it
        describes, so a crash loses neither and repeats nothing) and extend the lease; LeaseLost if
        the job is no longer this worker's (the caller's work must then roll back)."""
        lease_until = self.clock.now() + self.lease
        if not uow.jobs.checkpoint(self.job_id, self.worker, progress, lease_until):
            raise LeaseLost(f"job {self.job_id} was taken over by another worker")
        self.progress = progress
