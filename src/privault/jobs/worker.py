"""The worker: schedules periodic jobs, claims due jobs with a lease, runs them, records the outcome.

A job that fails is retried with backoff up to its ``max_attempts``; a job whose worker died is taken
over when its lease ends and continues from its last checkpoint. Errors are logged by code and type,
never with their message (it could name a person).
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta

import structlog

from privault.bootstrap import Container
from privault.core.job_ports import JobRecord
from privault.errors import PrivaultError
from privault.jobs.context import JobContext, LeaseLost
from privault.jobs.handlers import HANDLERS
from privault.jobs.schedule import PERIODIC, period_start, schedule
from privault.services.audit import seal, tenants_to_seal
from privault.services.jobs import claim_jobs, fail_job, finish_job

log = structlog.get_logger(__name__)
RETRY_BASE = timedelta(minutes=1)
SCHEDULE_EVERY = timedelta(minutes=1)
EXCLUSIVE = tuple(p.kind for p in PERIODIC)  # one sweep (or delivery run) per tenant at a time


def default_name() -> str:
    """host:pid, unique per worker process."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """One worker; ``tick`` does one round, ``run`` loops until stopped."""

    def __init__(self, container: Container, name: str | None = None, batch: int = 4) -> None:
        self.container = container
        self.name = name or default_name()
        self.batch = batch
        self.lease = timedelta(seconds=container.settings.job_lease_seconds)
        self._scheduled: datetime | None = None
        self._sealed: datetime | None = None

    def seal_audit(self, now: datetime) -> None:
        """Every ``audit_seal_seconds``, seal the committed audit events of each tenant that has
        any (or a sealed tail not yet checkpointed) into its chain; a checkpoint follows when due.
        A tenant that fails is logged and the others go on."""
        every = timedelta(seconds=self.container.settings.audit_seal_seconds)
        if self._sealed is not None and now - self._sealed < every:
            return
        self._sealed = now
        deps = self.container.deps
        for key in tenants_to_seal(deps):
            try:
                seal(deps, key, delay=deps.audit.seal_delay)
            except PrivaultError as exc:
                log.error("audit sealing failed", tenant=key, code=exc.code)

    def tick(self) -> int:
        """Seal the audit logs (every few seconds), schedule (once per minute), claim and run the
        due jobs once; how many ran."""
        now = self.container.clock.now()
        self.seal_audit(now)
        minute = period_start(now, SCHEDULE_EVERY)
        if (
            minute != self._scheduled
        ):  # periods are minutes at the finest: no need to ask more often
            schedule(self.container, now)
            self._scheduled = minute
        deps = self.container.deps
        jobs = claim_jobs(deps, self.name, now, now + self.lease, self.batch, EXCLUSIVE)
        for job in jobs:
            self._run(job)
        return len(jobs)

    def drain(self, limit: int = 1000) -> int:
        """Run until no job is due (tests, ``privault worker --once``); how many ran."""
        total = 0
        while total < limit:
            ran = self.tick()
            if not ran:
                return total
            total += ran
        return total

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set, waiting ``worker_poll_seconds`` when idle."""
        poll = self.container.settings.worker_poll_seconds
        log.info("worker started", worker=self.name)
        while not stop.is_set():
            try:
                ran = self.tick()
            except PrivaultError as exc:  # the database is down, say: wait and try again
                log.warning("worker round failed", code=exc.code)
                ran = 0
            if not ran:
                stop.wait(poll)
        log.info("worker stopped", worker=self.name)

    def _run(self, job: JobRecord) -> None:
        handler = HANDLERS.get(job.kind)
        ctx = JobContext(self.container, job, self.name, self.lease, dict(job.progress))
        try:
            if handler is None:
                raise PrivaultError(f"no handler for job kind '{job.kind}'", code="job.unknown")
            handler(ctx)
        except LeaseLost:
            log.warning("job taken over", job=job.id, kind=job.kind, worker=self.name)
            return
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            self._failed(job, exc)
            return
        finish_job(self.container.deps, job.id, self.name)

    def _failed(self, job: JobRecord, exc: Exception) -> None:
        code = exc.code if isinstance(exc, PrivaultError) else type(exc).__name__
        now = self.container.clock.now()
        retry = (
            now + RETRY_BASE * 2 ** (job.attempts - 1) if job.attempts < job.max_attempts else None
        )
        log.warning("job failed", job=job.id, kind=job.kind, code=code, retry=retry is not None)
        fail_job(self.container.deps, job.id, self.name, code, now, retry)


def start_in_thread(container: Container) -> tuple[threading.Thread, threading.Event]:
    """An embedded worker (``privault serve`` on the embedded setup)."""
    stop = threading.Event()
    worker = Worker(container, name=f"{default_name()}:embedded")
    thread = threading.Thread(target=worker.run, args=(stop,), name="privault-worker", daemon=True)
    thread.start()
    return thread, stop
