"""SQL implementation of the job queue: claims with a lease; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
(several workers on several machines share the queue); on SQLite the transaction's write lock
(``BEGIN IMMEDIATE``) makes the claim atomic."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from privault.core.job_ports import JobRecord, JobStatus, NewJob
from privault.storage import tables as t
from privault.storage.base import CHUNK, record_of
from privault.storage.scoping import CROSS_TENANT
from privault.storage.webhook_repo import WAITING_DELIVERIES


def _job(row: t.Job) -> JobRecord:
    return record_of(
        JobRecord,
        row,
        payload=json.loads(row.payload),
        progress=json.loads(row.progress),
        status=JobStatus(row.status),
    )


def _new_row(job: NewJob, now: datetime) -> t.Job:
    return t.Job(
        kind=job.kind,
        tenant_key=job.tenant_key,
        payload=json.dumps(job.payload, sort_keys=True),
        progress="{}",
        status=_QUEUED,
        run_at=job.run_at,
        attempts=0,
        max_attempts=job.max_attempts,
        dedupe_key=job.dedupe_key,
        created_at=now,
    )


_QUEUED, _RUNNING = JobStatus.QUEUED.value, JobStatus.RUNNING.value
_DONE, _FAILED = JobStatus.DONE.value, JobStatus.FAILED.value


class SqlJobs:
    """The job queue in SQL (jobs are not tenant-owned)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(self, job: NewJob, now: datetime) -> int | None:
        """Queue a job; None if a job with this dedupe key exists already."""
        row = _new_row(job, now)
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None
        return row.id

    def with_dedupe_key(self, key: str) -> int | None:
        """The id of the job queued under this dedupe key, if any."""
        return self.session.scalar(select(t.Job.id).where(t.Job.dedupe_key == key))

    def enqueue_new(self, jobs: Sequence[NewJob], now: datetime) -> int:
        """Queue, in bulk, those of ``jobs`` whose dedupe key no job has yet (one query for the
        keys taken, one insert); another worker queueing the same keys meanwhile makes the insert
        fail, and then each job is queued on its own. How many were queued."""
        keys = [job.dedupe_key for job in jobs if job.dedupe_key is not None]
        taken: set[str] = set()
        for i in range(0, len(keys), CHUNK):
            stmt = select(t.Job.dedupe_key).where(t.Job.dedupe_key.in_(keys[i : i + CHUNK]))
            taken.update(k for k in self.session.scalars(stmt) if k is not None)
        new = [job for job in jobs if job.dedupe_key is None or job.dedupe_key not in taken]
        if not new:
            return 0
        try:
            with self.session.begin_nested():
                self.session.add_all([_new_row(job, now) for job in new])
                self.session.flush()
        except IntegrityError:
            return sum(self.enqueue(job, now) is not None for job in new)
        return len(new)

    def tenants_with_due_deliveries(self, now: datetime) -> set[int]:
        """Ids of the tenants with a webhook delivery waiting and due (across tenants)."""
        stmt = (
            select(t.WebhookDelivery.tenant_id)
            .where(
                t.WebhookDelivery.status.in_(WAITING_DELIVERIES),
                t.WebhookDelivery.next_attempt_at <= now,
            )
            .distinct()
        )
        return set(self.session.scalars(stmt, execution_options={CROSS_TENANT: True}))

    def tenants_with_requests(self) -> set[int]:
        """Ids of the tenants that keep any subject request (across tenants)."""
        stmt = select(t.Request.tenant_id).distinct()
        return set(self.session.scalars(stmt, execution_options={CROSS_TENANT: True}))

    def claim(
        self,
        worker: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        exclusive: Sequence[str] = (),
    ) -> list[JobRecord]:
        """Take due jobs (queued, or running with an expired lease) for ``worker``.

        A job whose lease expired after its last allowed attempt is failed instead (it keeps killing
        its workers); a job of an ``exclusive`` kind already running for a tenant under a live
        lease is not started a second time for that tenant (one sweep of a tenant at a time)."""
        self.session.execute(
            update(t.Job)
            .where(
                t.Job.status == _RUNNING,
                t.Job.locked_until < now,
                t.Job.attempts >= t.Job.max_attempts,
            )
            .values(
                status=_FAILED,
                finished_at=now,
                locked_by=None,
                last_error="lease expired on the last attempt",
            )
        )
        other = aliased(t.Job)
        busy = (
            select(other.id)
            .where(
                other.kind == t.Job.kind,
                other.tenant_key == t.Job.tenant_key,
                other.id != t.Job.id,
                other.status == _RUNNING,
                other.locked_until >= now,
            )
            .exists()
        )
        due = (
            select(t.Job.id)
            .where(
                t.Job.run_at <= now,
                or_(
                    t.Job.status == _QUEUED,
                    (t.Job.status == _RUNNING) & (t.Job.locked_until < now),
                ),
                ~(t.Job.kind.in_(list(exclusive)) & busy),
            )
            .order_by(t.Job.run_at, t.Job.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(self.session.scalars(due))
        if not ids:
            return []
        self.session.execute(
            update(t.Job)
            .where(t.Job.id.in_(ids))
            .values(
                status=_RUNNING,
                locked_by=worker,
                locked_until=lease_until,
                attempts=t.Job.attempts + 1,
            )
        )
        rows = self.session.scalars(select(t.Job).where(t.Job.id.in_(ids)).order_by(t.Job.id))
        return [_job(r) for r in rows]

    def _held(self, job_id: int, worker: str) -> Any:
        return (t.Job.id == job_id) & (t.Job.locked_by == worker) & (t.Job.status == _RUNNING)

    def checkpoint(
        self, job_id: int, worker: str, progress: dict[str, Any], lease_until: datetime
    ) -> bool:
        """Save progress and extend the lease; False if the worker no longer holds the job."""
        result = self.session.execute(
            update(t.Job)
            .where(self._held(job_id, worker))
            .values(progress=json.dumps(progress, sort_keys=True), locked_until=lease_until)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def finish(self, job_id: int, worker: str, now: datetime) -> bool:
        """Mark done; False if the worker no longer holds the job."""
        result = self.session.execute(
            update(t.Job)
            .where(self._held(job_id, worker))
            .values(status=_DONE, finished_at=now, locked_by=None, locked_until=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def fail(
        self, job_id: int, worker: str, error: str, now: datetime, retry_at: datetime | None
    ) -> None:
        """Record a failure: retried at ``retry_at``, or failed for good (None)."""
        values: dict[str, Any] = {
            "last_error": error[:500],
            "locked_by": None,
            "locked_until": None,
        }
        if retry_at is None:
            values |= {"status": _FAILED, "finished_at": now}
        else:
            values |= {"status": _QUEUED, "run_at": retry_at}
        self.session.execute(update(t.Job).where(self._held(job_id, worker)).values(**values))

    def get(self, job_id: int) -> JobRecord | None:
        """One job."""
        row = self.session.get(t.Job, job_id)
        return _job(row) if row else None

    def recent(self, statuses: Sequence[str] = (), limit: int = 50) -> list[JobRecord]:
        """The newest jobs."""
        stmt = select(t.Job).order_by(t.Job.id.desc()).limit(limit)
        if statuses:
            stmt = stmt.where(t.Job.status.in_([str(s) for s in statuses]))
        return [_job(r) for r in self.session.scalars(stmt)]

    def latest(self, kind: str, tenant_key: str) -> JobRecord | None:
        """The newest job of ``kind`` for the tenant, if any."""
        stmt = (
            select(t.Job)
            .where(t.Job.kind == kind, t.Job.tenant_key == tenant_key)
            .order_by(t.Job.id.desc())
            .limit(1)
        )
        row = self.session.scalars(stmt).first()
        return None if row is None else _job(row)

    def purge_finished(self, before: datetime) -> int:
        """Delete done jobs that finished before ``before``."""
        result = self.session.execute(
            delete(t.Job).where(t.Job.status == _DONE, t.Job.finished_at < before)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
