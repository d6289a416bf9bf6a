"""Ports of the job queue (jobs are not tenant-owned: the worker claims them across tenants)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from privault.errors import PrivaultError


class LeaseLost(PrivaultError):
    """Another worker took the job over (this one was too slow or presumed dead): stop at once,
    letting the work in flight roll back. Handlers must never swallow it."""

    code = "job.lease_lost"
    status = 409
    title = "Job taken over"


class JobStatus(StrEnum):
    """Where a job is: waiting its turn, claimed under a lease, finished, or failed for good."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job as stored."""

    id: int
    kind: str
    tenant_key: str | None
    payload: dict[str, Any]
    progress: dict[str, Any]
    status: JobStatus
    run_at: datetime
    attempts: int
    max_attempts: int
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    dedupe_key: str | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to queue: due from ``run_at``, tried at most ``max_attempts`` times; one per
    ``dedupe_key``."""

    kind: str
    tenant_key: str | None
    payload: Mapping[str, object]
    run_at: datetime
    dedupe_key: str | None = None
    max_attempts: int = 5


class JobRepository(Protocol):
    """The job queue."""

    def enqueue(self, job: NewJob, now: datetime) -> int | None:
        """Queue a job; None if a job with this dedupe key exists already."""
        ...

    def with_dedupe_key(self, key: str) -> int | None:
        """The id of the job queued under this dedupe key, if any."""
        ...

    def enqueue_new(self, jobs: Sequence[NewJob], now: datetime) -> int:
        """Queue, in bulk, those of ``jobs`` (each with a dedupe key) whose key no job has yet;
        how many were queued."""
        ...

    def tenants_with_due_deliveries(self, now: datetime) -> set[int]:
        """Ids of the tenants with a webhook delivery waiting and due (across tenants)."""
        ...

    def tenants_with_requests(self) -> set[int]:
        """Ids of the tenants that keep any subject request (across tenants)."""
        ...

    def claim(
        self,
        worker: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        exclusive: Sequence[str] = (),
    ) -> list[JobRecord]:
        """Take due jobs (queued, or running with an expired lease) for ``worker``; a job of an
        ``exclusive`` kind waits while another of its kind runs for its tenant."""
        ...

    def checkpoint(
        self, job_id: int, worker: str, progress: dict[str, Any], lease_until: datetime
    ) -> bool:
        """Save progress and extend the lease; False if the worker no longer holds the job."""
        ...

    def finish(self, job_id: int, worker: str, now: datetime) -> bool:
        """Mark done; False if the worker no longer holds the job."""
        ...

    def fail(
        self, job_id: int, worker: str, error: str, now: datetime, retry_at: datetime | None
    ) -> None:
        """Record a failure: retried at ``retry_at``, or failed for good (None)."""
        ...

    def get(self, job_id: int) -> JobRecord | None:
        """One job."""
        ...

    def recent(self, statuses: Sequence[str] = (), limit: int = 50) -> list[JobRecord]:
        """The newest jobs (only those with one of these status values, if any are given: an
        unknown value matches none)."""
        ...

    def latest(self, kind: str, tenant_key: str) -> JobRecord | None:
        """The newest job of ``kind`` for the tenant, if any."""
        ...

    def purge_finished(self, before: datetime) -> int:
        """Delete done jobs that finished before ``before``."""
        ...
