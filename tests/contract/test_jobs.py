"""The job queue and the worker on SQLite and PostgreSQL: dedupe, leases, take-over, checkpoints,
retries, the schedule, concurrent claimers never sharing a job, and a job queued by hand (audited)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.core.job_ports import NewJob
from privault.errors import NotFound
from privault.jobs.context import JobContext, LeaseLost
from privault.jobs.handlers import HANDLERS
from privault.jobs.schedule import period_start, schedule, tenant_offset
from privault.jobs.worker import Worker
from privault.services.audit import recent_events
from privault.services.jobs import queue_job, recent_jobs
from privault.services.requests import open_request
from privault.services.setup import apply_manifest
from privault.services.webhooks import add_webhook

REQUEST = {"type": "access", "identities": {"email": ["ana@example.com"]}, "jurisdiction": "us-ca"}


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied."""
    apply_manifest(container.deps)
    return container


def _clock(c: Container) -> FixedClock:
    assert isinstance(c.clock, FixedClock)
    return c.clock


def _enqueue(c: Container, kind: str, payload: dict[str, Any] | None = None, **kw: Any) -> int:
    now = c.clock.now()
    with c.uow() as uow:
        job = uow.jobs.enqueue(NewJob(kind, "bluewave", payload or {}, now, **kw), now)
        uow.commit()
    assert job is not None
    return job


@pytest.fixture
def recorded() -> Any:
    """A test job kind that records what it saw (removed afterwards)."""
    seen: list[dict[str, Any]] = []

    def handler(ctx: JobContext) -> None:
        seen.append({"job": ctx.job.id, "attempt": ctx.job.attempts, "worker": ctx.worker})
        if ctx.job.payload.get("fail_times", 0) >= ctx.job.attempts:
            raise ValueError("boom")

    HANDLERS["test.record"] = handler
    yield seen
    HANDLERS.pop("test.record", None)


def test_a_dedupe_key_queues_one_job_only(c: Container) -> None:
    """Two enqueues with one dedupe key: the second is refused (None), the first stays."""
    now = c.clock.now()
    with c.uow() as uow:
        first = uow.jobs.enqueue(NewJob("test.record", "bluewave", {}, now, dedupe_key="k"), now)
        second = uow.jobs.enqueue(NewJob("test.record", "bluewave", {}, now, dedupe_key="k"), now)
        uow.commit()
    assert first is not None
    assert second is None


def test_the_worker_runs_a_job_once_and_marks_it_done(c: Container, recorded: Any) -> None:
    """A due job runs once; running the worker again does not run it twice."""
    job = _enqueue(c, "test.record")
    worker = Worker(c, name="w1")
    worker.drain()
    worker.drain()
    assert [s["job"] for s in recorded] == [job]
    with c.uow() as uow:
        stored = uow.jobs.get(job)
    assert stored is not None
    assert stored.status == "done"


def test_a_job_not_yet_due_waits(c: Container, recorded: Any) -> None:
    """run_at in the future: not claimed until then."""
    now = c.clock.now()
    with c.uow() as uow:
        uow.jobs.enqueue(NewJob("test.record", "bluewave", {}, now + timedelta(hours=1)), now)
        uow.commit()
    Worker(c, name="w1").drain()
    assert recorded == []
    _clock(c).at += timedelta(hours=1)
    Worker(c, name="w1").drain()
    assert len(recorded) == 1


def test_a_failing_job_is_retried_with_backoff_then_given_up(c: Container, recorded: Any) -> None:
    """Fails twice, succeeds the third time (after the backoff); a job that always fails ends
    failed after max_attempts, with the error's type kept (never its message)."""
    job = _enqueue(c, "test.record", {"fail_times": 2})
    worker = Worker(c, name="w1")
    worker.drain()
    with c.uow() as uow:
        stored = uow.jobs.get(job)
    assert stored is not None
    assert (stored.status, stored.attempts, stored.last_error) == ("queued", 1, "ValueError")
    for _ in range(2):
        _clock(c).at += timedelta(minutes=10)
        worker.drain()
    with c.uow() as uow:
        stored = uow.jobs.get(job)
    assert stored is not None
    assert stored.status == "done"
    assert [s["attempt"] for s in recorded] == [1, 2, 3]
    doomed = _enqueue(c, "test.record", {"fail_times": 99}, max_attempts=2)
    for _ in range(3):
        worker.drain()
        _clock(c).at += timedelta(hours=1)
    with c.uow() as uow:
        stored = uow.jobs.get(doomed)
    assert stored is not None
    assert (stored.status, stored.attempts) == ("failed", 2)


def test_a_dead_workers_job_is_taken_over_and_its_checkpoint_refused(c: Container) -> None:
    """Worker A claims a job and dies; after the lease another worker takes it over, continuing
    from A's last checkpoint; A's late checkpoint is refused (LeaseLost), so A cannot go on."""
    job = _enqueue(c, "test.resume")
    now = c.clock.now()
    lease = timedelta(seconds=c.settings.job_lease_seconds)
    with c.uow() as uow:
        [claimed] = uow.jobs.claim("A", now, now + lease, 1)
        assert uow.jobs.checkpoint(job, "A", {"cursor": 40}, now + lease)
        uow.commit()
    with c.uow() as uow:  # within the lease nobody else may take it
        assert uow.jobs.claim("B", now, now + lease, 1) == []
    _clock(c).at += lease + timedelta(seconds=1)
    later = c.clock.now()
    with c.uow() as uow:
        [taken] = uow.jobs.claim("B", later, later + lease, 1)
        uow.commit()
    assert (taken.id, taken.progress, taken.attempts, claimed.attempts) == (
        job,
        {"cursor": 40},
        2,
        1,
    )
    a = JobContext(c, claimed, "A", lease)
    with c.uow() as uow, pytest.raises(LeaseLost):
        a.checkpoint(uow, {"cursor": 80})
    with c.uow() as uow:
        assert not uow.jobs.finish(job, "A", later)
        assert uow.jobs.finish(job, "B", later)
        uow.commit()


def _queued(c: Container) -> list[tuple[str, str]]:
    with c.uow() as uow:
        return sorted((j.kind, j.tenant_key) for j in uow.jobs.recent(limit=10_000))


def test_the_schedule_queues_each_period_once_across_workers(c: Container) -> None:
    """Two workers scheduling in the same minute queue each job once; with nothing to do, only
    the daily retention sweep of each tenant is queued, and the next minutes queue nothing."""
    now = c.clock.now()
    first = schedule(c, now)
    again = schedule(c, now)
    tenants = sorted(t.key for t in c.manifest.tenants)
    assert first == len(tenants)
    assert again == 0
    assert _queued(c) == [("retention.sweep", key) for key in tenants]
    assert schedule(c, now + timedelta(minutes=1)) == 0
    assert schedule(c, now + timedelta(minutes=59)) == 0


def test_a_tenant_with_work_gets_the_jobs_for_it_and_no_other_tenant_does(c: Container) -> None:
    """A request in bluewave and a delivery due for it queue bluewave's requests sweep and
    webhook delivery; the other tenants get neither."""
    now = c.clock.now()
    schedule(c, now)  # the retention sweeps
    add_webhook(c.deps, "bluewave", "test", "http://127.0.0.1:9/hook")
    open_request(c.deps, "bluewave", REQUEST, "test")  # queues request.received for the hook
    later = now + timedelta(minutes=1)
    assert schedule(c, later) == 2
    kinds = [(kind, key) for kind, key in _queued(c) if kind != "retention.sweep"]
    assert kinds == [("requests.sweep", "bluewave"), ("webhooks.deliver", "bluewave")]
    assert schedule(c, later + timedelta(minutes=1)) == 1  # the delivery is still due


def test_daily_sweeps_are_spread_over_the_day_and_run_once_a_day(c: Container) -> None:
    """Each tenant's retention sweep falls due at its own time of day, the same for every worker;
    over 48 hours each tenant gets exactly one sweep per day it saw begin."""
    clock, day = _clock(c), timedelta(days=1)
    start = clock.now()
    offsets = {t.key: tenant_offset(t.key, day) for t in c.manifest.tenants}
    assert len(set(offsets.values())) > 1
    for hour in range(48):
        clock.at = start + timedelta(hours=hour)
        schedule(c, clock.now())
    with c.uow() as uow:
        sweeps = [j for j in uow.jobs.recent(limit=10_000) if j.kind == "retention.sweep"]
    for key, offset in offsets.items():
        runs = sorted(j.run_at for j in sweeps if j.tenant_key == key)
        periods = sorted({period_start(start + timedelta(hours=h), day, offset) for h in range(48)})
        assert runs == periods
        assert all(run - run.replace(hour=0, minute=0) == offset for run in runs)


def test_two_workers_scheduling_at_once_queue_each_job_once(c: Container) -> None:
    """Four threads schedule the same minute at the same moment: every periodic job exists once
    (on PostgreSQL the losers' bulk insert fails on the dedupe key and falls back job by job)."""
    now = c.clock.now()
    counts: list[int] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        counts.append(schedule(c, now))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == len(c.manifest.tenants)
    assert len(_queued(c)) == len(set(_queued(c))) == len(c.manifest.tenants)


def test_concurrent_claimers_never_share_a_job(c: Container) -> None:
    """Four threads claim from 40 jobs at once: each job is claimed exactly once
    (SKIP LOCKED on PostgreSQL, the write lock on SQLite)."""
    jobs = [_enqueue(c, "test.record") for _ in range(40)]
    claimed: list[int] = []
    lock = threading.Lock()
    lease = timedelta(minutes=5)

    def claim(name: str) -> None:
        while True:
            now = c.clock.now()
            with c.uow() as uow:
                got = uow.jobs.claim(name, now, now + lease, 3)
                uow.commit()
            if not got:
                return
            with lock:
                claimed.extend(j.id for j in got)

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(jobs)


def test_the_requests_sweep_and_webhooks_run_as_jobs(c: Container) -> None:
    """The schedule's requests.sweep and webhooks.deliver jobs run through the worker."""
    add_webhook(c.deps, "bluewave", "test", "http://127.0.0.1:9/hook")
    open_request(c.deps, "bluewave", REQUEST, "test")
    worker = Worker(c, name="w1")
    ran = worker.drain()
    assert ran >= len(c.manifest.tenants) + 2
    with c.uow() as uow:
        done = {(j.kind, j.status) for j in uow.jobs.recent(limit=100)}
    assert ("requests.sweep", "done") in done
    assert ("webhooks.deliver", "done") in done


def test_a_job_that_keeps_killing_its_workers_is_failed_not_retaken(c: Container) -> None:
    """A running job whose lease expired after its last allowed attempt is failed, not claimed."""
    job = _enqueue(c, "test.record", max_attempts=1)
    now = c.clock.now()
    lease = timedelta(seconds=c.settings.job_lease_seconds)
    with c.uow() as uow:
        assert [j.id for j in uow.jobs.claim("A", now, now + lease, 1)] == [job]
        uow.commit()
    _clock(c).at += lease + timedelta(seconds=1)
    later = c.clock.now()
    with c.uow() as uow:
        assert uow.jobs.claim("B", later, later + lease, 1) == []
        uow.commit()
    with c.uow() as uow:
        stored = uow.jobs.get(job)
    assert stored is not None
    assert stored.status == "failed"


def test_one_sweep_of_a_tenant_runs_at_a_time(c: Container) -> None:
    """While a sweep of a tenant runs under a live lease, the next one for that tenant waits (an
    exclusive kind); other kinds still run side by side."""
    first = _enqueue(c, "retention.sweep")
    second = _enqueue(c, "retention.sweep")
    other = _enqueue(c, "test.record")
    now = c.clock.now()
    lease = timedelta(minutes=5)
    sweeps = ("retention.sweep",)
    with c.uow() as uow:
        assert [j.id for j in uow.jobs.claim("A", now, now + lease, 1, sweeps)] == [first]
        uow.commit()
    with c.uow() as uow:
        assert [j.id for j in uow.jobs.claim("B", now, now + lease, 5, sweeps)] == [other]
        uow.commit()
    with c.uow() as uow:
        assert uow.jobs.finish(first, "A", now)
        uow.commit()
    with c.uow() as uow:
        assert [j.id for j in uow.jobs.claim("B", now, now + lease, 5, sweeps)] == [second]


def test_a_queued_job_is_due_now_and_audited_as_job_queue(c: Container) -> None:
    """``queue_job`` queues the kind for the tenant and records ``job:queue`` naming job and kind."""
    job = queue_job(c.deps, "bluewave", "requests.sweep", "cli:tester")
    queued = recent_jobs(c.deps, ["queued"], 10)
    events = recent_events(c.deps, "bluewave", action="job:queue")
    assert [(j.id, j.kind, j.tenant_key, j.run_at) for j in queued] == [
        (job, "requests.sweep", "bluewave", c.clock.now())
    ]
    assert [(e.actor, json.loads(e.details)) for e in events] == [
        ("cli:tester", {"job": job, "kind": "requests.sweep"})
    ]


def test_a_job_for_an_unknown_tenant_is_refused_and_nothing_is_queued(c: Container) -> None:
    """No tenant, no job: the audit entry needs the tenant's chain."""
    with pytest.raises(NotFound):
        queue_job(c.deps, "nobody", "requests.sweep", "cli:tester")
    assert [j for j in recent_jobs(c.deps, [], 100) if j.tenant_key == "nobody"] == []
