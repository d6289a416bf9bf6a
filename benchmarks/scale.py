"""Scale benchmark (issue #17): a mixed API workload on two tenants with 1 and 3 server processes,
the CPU a request costs, SQLite's tail latency while its embedded worker erases, what 1,000 tenants
with nothing to do cost the worker, and how fast whole subjects are erased.

- `mixed_rps_1proc`, `mixed_rps_3proc`: requests per second of the mix (`_mix.py`: lookups 20 %,
  subject reads 20 %, consent grants and withdrawals 20 %, decision batches of 10 15 %, single
  decisions 10 %, subject creations 10 %, request intake 5 %) from 12 client threads on 127.0.0.1,
  over two tenants of 20,000 subjects each, on PostgreSQL, against 1 then 3 `privault serve`
  processes; `p50_ms_<endpoint>_<n>proc` and `p99_ms_<endpoint>_<n>proc` per endpoint.
- `cpu_ms_per_request`: the server processes' user and system CPU over the measured requests, with
  one process (`cpu_ms_per_request_3proc` with three). Target: half the ~11 ms of the issue.
- `sqlite_p99_ms`: the same mix on embedded SQLite, one `privault serve` whose embedded worker
  erases 5,000 subjects whose contracts end as the clients start (their erasure job queued then).
  Target: <= 500 ms.

- `idle_tenant_job_rows_per_hour`: job rows the worker queues in an hour for 1,000 tenants (plus the
  template's three) that hold no requests and no webhook deliveries, after its first hour (which
  queues each tenant's daily sweep once).
- `idle_tenant_worker_cpu_s_per_hour`: the worker process's CPU seconds for that hour: one round a
  second (claims), the sealer's query every 5 seconds, the schedule every minute, and the retention
  sweeps that fall due in the hour, each tenant at its own time of day.

- `subject_erasures_per_s`: the retention sweep erasing ERASURES vault-only subjects whose contract
  ended a month ago (crypto-shredded, audited, counted), the lower of SQLite and PostgreSQL (both
  reported). Target: >= 500/s.

The worker runs its real rounds against PostgreSQL with its clock moved on one poll interval
(1 s) per round, so an hour of the worker's life takes far less than an hour here. Before issue #17
the schedule queued three jobs per tenant every minute (`webhooks.deliver` even for tenants with no
webhook): 60,000 + 1,000 + 1,000/24 = about 61,000 rows an hour at 1,000 tenants.

On this machine (2026-12-08 02:06 UTC, the run in the table; the 01:14 run in brackets): the mix ran
180.3 req/s with one process and 262.5 with three (1.46x: met; [160.3 and 167.2, 1.04x]), p99 235
and 155 ms; 5.01 ms of server CPU a request with one process, 4.11 with three (the issue measured
about 11; target 5.5: met in this run, [missed at 5.75 and 6.94]: runs vary by a tenth or more
here; what remains is FastAPI's request handling, pydantic, psycopg's round trips, one of them
the API key's on every request, and the audit MACs). SQLite: 223.7 req/s, p50 47 ms, p99 216 ms
while the embedded worker erased the 5,000 subjects in 5.2 s (met; the issue measured p99
1.4-4.4 s; without the writers' queue, p99 was 441 ms with no worker running at all). 35 job rows
and 25.8 s of worker CPU in the second hour (38 to 51 s in earlier runs), under 1 % of one core;
the first hour queued 1,032 rows (each tenant's first daily sweep). Whole-subject erasures:
2,545/s on SQLite and 4,857/s on PostgreSQL (108 and 44 the day before, 15 and 33 when the issue
was filed): vault-only subjects are erased in batches (100 on SQLite, with a pause of 20 ms
between batches for waiting requests; 500 on PostgreSQL), each data key destroyed only where it is
still there, crypto-shredded in a few statements, instead of one by one in about twenty.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _mix
from _common import deployment
from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.job_ports import NewJob
from privault.jobs.worker import Worker
from privault.services.retention import sweep
from privault.services.retention_subjects import ERASE_DUE_JOB, record_contract_end
from privault.services.setup import template_text
from privault.services.tenants import bind_tenant
from privault.services.vault_import import import_subjects
from privault.storage import tables as t

SCALE = float(os.environ.get("PRIVAULT_BENCH_SCALE", "1"))
IDLE_TENANTS = 1_000
ERASURES = 1_000
MIX_SUBJECTS = int(20_000 * SCALE)  # per tenant
MIX_REQUESTS = int(3_000 * SCALE)
MIX_CLIENTS = 12
SWEPT = int(5_000 * SCALE)  # contract ends the worker erases while SQLite serves the mix
CPU_MS_BEFORE = 11  # CPU ms per mixed request when the issue was filed
TARGETS = {
    "idle_tenant_job_rows_per_hour": ("<=", 100),
    "subject_erasures_per_s": (">=", 500),
    "mixed_3proc_over_1proc": (">=", 1),
    "cpu_ms_per_request": ("<=", CPU_MS_BEFORE / 2),
    "sqlite_p99_ms": ("<=", 500),
}


def log(message: str) -> None:
    """Progress on stderr; the figures go to stdout."""
    print(message, file=sys.stderr, flush=True)


def idle_manifest(count: int) -> str:
    """The contact-centre template with ``count`` more tenants like its retail client."""
    manifest = yaml.safe_load(template_text("contact-centre"))
    model = next(tenant for tenant in manifest["tenants"] if tenant["key"] == "northwind")
    for n in range(count):
        tenant = copy.deepcopy(model)
        key = f"idle{n:04d}"
        tenant.update(key=key, name=f"Idle client {n}")
        tenant["brands"] = [{"key": key, "name": f"Idle brand {n}", "domains": [f"{key}.example"]}]
        manifest["tenants"].append(tenant)
    return yaml.safe_dump(manifest, sort_keys=False)


def _jobs(container: Container) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(t.Job)) or 0)


def _hour(worker: Worker, clock: FixedClock) -> float:
    """One hour of the worker's rounds (one a second); the CPU seconds they took."""
    started = time.process_time()
    for _ in range(3600):
        worker.tick()
        clock.at += timedelta(seconds=1)
    return time.process_time() - started


def bench_idle_tenants() -> dict[str, float]:
    """Job rows queued and worker CPU in the second hour of a worker over idle tenants."""
    clock = FixedClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    started = time.perf_counter()
    with deployment("postgresql", idle_manifest(IDLE_TENANTS), clock) as container:
        log(f"{IDLE_TENANTS + 3} tenants applied in {time.perf_counter() - started:.0f} s")
        worker = Worker(container, name="bench")
        first_cpu = _hour(worker, clock)
        first_rows = _jobs(container)
        cpu = _hour(worker, clock)
        rows = _jobs(container) - first_rows
    log(f"first hour: {first_rows} job rows, {first_cpu:.1f} s CPU; second: {rows}, {cpu:.1f} s")
    return {
        "idle_tenant_job_rows_per_hour": rows,
        "idle_tenant_worker_cpu_s_per_hour": round(cpu, 1),
    }


def _ended(n: int) -> dict[str, object]:
    return {
        "subject": f"ended-{n}",
        "identities": {"email": f"ended{n}@example.com"},
        "data": {"user.name": f"Ended {n}"},
        "source": "direct",
        "purpose": "customer-service",
    }


def bench_erasures(engine: str) -> float:
    """Whole-subject erasures per second by the retention sweep (vault-only subjects)."""
    clock = FixedClock(datetime(2027, 1, 20, 9, tzinfo=UTC))
    with deployment(engine, clock=clock) as container:
        with container.uow() as uow:
            tenant_id = bind_tenant(uow, "northwind").id
        who = Principal(tenant_id, "northwind", "privacy-officer", "api_key", "bench")
        lines = enumerate((_ended(n) for n in range(ERASURES)), 1)
        assert import_subjects(container.deps, who, lines).imported == ERASURES
        for n in range(ERASURES):
            record_contract_end(container.deps, "northwind", f"ended-{n}", date(2027, 1, 31), "b")
        clock.at = datetime(2027, 3, 1, 9, tzinfo=UTC)  # a month after the contract end
        started = time.perf_counter()
        sweep(container.deps, "northwind", batch_size=1000)
        elapsed = time.perf_counter() - started
        with container.uow() as uow:
            uow.bind_tenant(tenant_id)
            live = (
                select(func.count())
                .select_from(t.Subject)
                .where(t.Subject.wrapped_key.is_not(None))
            )
            assert uow.session.scalar(live) == 0  # every one crypto-shredded
    rate = ERASURES / elapsed
    log(f"whole-subject erasures, {engine}: {rate:,.0f}/s")
    return rate


def _per_endpoint(run: _mix.Run, processes: int) -> dict[str, float]:
    figures = {}
    for endpoint, _ in _mix.MIX:
        figures[f"p50_ms_{endpoint}_{processes}proc"] = round(run.percentile(0.5, endpoint), 1)
        figures[f"p99_ms_{endpoint}_{processes}proc"] = round(run.percentile(0.99, endpoint), 1)
        log(
            f"  {endpoint}: {len(run.latencies[endpoint])} requests, "
            f"p50 {run.percentile(0.5, endpoint):.0f} ms, p99 {run.percentile(0.99, endpoint):.0f} ms"
        )
    return figures


def bench_mixed() -> dict[str, float]:
    """The mix on PostgreSQL with two tenants of MIX_SUBJECTS subjects, 1 then 3 server processes:
    requests per second, CPU per request (the servers' user and system time), p50/p99 per
    endpoint."""
    figures: dict[str, float] = {}
    with deployment("postgresql") as container:
        _mix.populate(container, MIX_SUBJECTS)
        for processes in (1, 3):
            run = _mix.run(
                container,
                processes,
                requests=MIX_REQUESTS,
                clients=MIX_CLIENTS,
                subjects=MIX_SUBJECTS,
            )
            log(
                f"mix, PostgreSQL, {processes} process(es): {run.rate:,.1f} req/s, "
                f"{run.cpu_ms_per_request:.1f} ms CPU a request, p99 {run.percentile(0.99):.0f} ms"
            )
            figures[f"mixed_rps_{processes}proc"] = round(run.rate, 1)
            figures[f"cpu_ms_per_request_{processes}proc"] = round(run.cpu_ms_per_request, 2)
            figures[f"p99_ms_{processes}proc"] = round(run.percentile(0.99), 1)
            figures |= _per_endpoint(run, processes)
    figures["mixed_3proc_over_1proc"] = round(
        figures["mixed_rps_3proc"] / figures["mixed_rps_1proc"], 2
    )
    figures["cpu_ms_per_request"] = figures["cpu_ms_per_request_1proc"]
    return figures


def bench_sqlite_under_sweep() -> dict[str, float]:
    """The mix on embedded SQLite (one `privault serve` with its embedded worker) while that worker
    erases SWEPT subjects whose contract ended two months ago: the p99 of every request. The
    contracts are ended, and the erasure queued, once the clients have started (ended before, the
    worker's first sweep would have erased them before the clients began)."""
    with deployment("sqlite") as container:
        _mix.populate(container, MIX_SUBJECTS)
        with container.uow() as uow:
            tenant_id = bind_tenant(uow, "northwind").id
        who = Principal(tenant_id, "northwind", "privacy-officer", "api_key", "bench")
        lines = enumerate((_ended(n) for n in range(SWEPT)), 1)
        assert import_subjects(container.deps, who, lines).imported == SWEPT
        ended_on = container.clock.now().date() - timedelta(days=60)
        waited: dict[str, float] = {}

        def erasing() -> None:
            """End the contracts (what `record_contract_end` stores, in one statement) and queue
            their erasure; wait until the server's worker has done it."""
            started = time.perf_counter()
            waited["before"] = _erased(container, tenant_id)
            now = container.clock.now()
            with container.uow() as uow:
                uow.bind_tenant(tenant_id)
                ended = update(t.Subject).where(t.Subject.ref.like("ended-%"))
                uow.session.execute(ended.values(contract_end_on=ended_on))
                uow.jobs.enqueue(NewJob(ERASE_DUE_JOB, "northwind", {}, now), now)
                uow.commit()
            while _erased(container, tenant_id) < SWEPT and time.perf_counter() - started < 600:
                time.sleep(0.2)
            waited["seconds"] = time.perf_counter() - started

        run = _mix.run(
            container,
            1,
            requests=MIX_REQUESTS,
            clients=MIX_CLIENTS,
            subjects=MIX_SUBJECTS,
            during=erasing,
        )
        erased = _erased(container, tenant_id)
    assert erased == SWEPT  # every ended contract's subject, and nobody else
    assert waited["before"] == 0  # and all of them while the clients ran
    log(
        f"mix, SQLite, 1 process whose worker erased {SWEPT} subjects in {waited['seconds']:.1f} s "
        f"meanwhile: {run.rate:,.1f} req/s, p50 {run.percentile(0.5):.0f} ms, "
        f"p99 {run.percentile(0.99):.0f} ms"
    )
    figures = {
        "sqlite_p99_ms": round(run.percentile(0.99), 1),
        "sqlite_p50_ms": round(run.percentile(0.5), 1),
        "sqlite_mixed_rps": round(run.rate, 1),
        "sqlite_erasure_s": round(waited["seconds"], 1),
    }
    return figures | {k.replace("_1proc", "_sqlite"): v for k, v in _per_endpoint(run, 1).items()}


def _erased(container: Container, tenant_id: int) -> int:
    with container.uow() as uow:
        uow.bind_tenant(tenant_id)
        stmt = select(func.count()).select_from(t.Subject).where(t.Subject.erased_at.is_not(None))
        return int(uow.session.scalar(stmt) or 0)


def main() -> None:
    """Run; print one JSON object last."""
    figures: dict[str, float] = bench_mixed()
    figures |= bench_sqlite_under_sweep()
    figures |= bench_idle_tenants()
    sqlite_rate, postgres_rate = bench_erasures("sqlite"), bench_erasures("postgresql")
    figures["subject_erasures_per_s_sqlite"] = round(sqlite_rate)
    figures["subject_erasures_per_s_postgres"] = round(postgres_rate)
    figures["subject_erasures_per_s"] = round(min(sqlite_rate, postgres_rate))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
