"""Scale benchmark (issue #17), first part: what 1,000 tenants with nothing to do cost the worker.

- `idle_tenant_job_rows_per_hour`: job rows the worker queues in an hour for 1,000 tenants (plus the
  template's three) that hold no requests and no webhook deliveries, after its first hour (which
  queues each tenant's daily sweep once).
- `idle_tenant_worker_cpu_s_per_hour`: the worker process's CPU seconds for that hour: one round a
  second (claims), the sealer's query every 5 seconds, the schedule every minute, and the retention
  sweeps that fall due in the hour, each tenant at its own time of day.

The worker runs its real rounds against PostgreSQL with its clock moved on one poll interval
(1 s) per round, so an hour of the worker's life takes far less than an hour here. Before issue #17
the schedule queued three jobs per tenant every minute (`webhooks.deliver` even for tenants with no
webhook): 60,000 + 1,000 + 1,000/24 = about 61,000 rows an hour at 1,000 tenants.

On this machine (2026-12-07): 35 job rows and 50.7 s of worker CPU in the second hour (43.5 s in
another run), about 1.4 % of one core; the first hour queued 1,032 rows (each tenant's first daily
sweep) and took 113 s.

The rest of issue #17's scale figures (mixed workload with 1 and 3 processes, CPU per request,
SQLite's p99 under the worker, whole-subject erasures per second) are not measured by this file yet.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import deployment
from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.jobs.worker import Worker
from privault.services.setup import template_text
from privault.storage import tables as t

IDLE_TENANTS = 1_000
TARGETS = {"idle_tenant_job_rows_per_hour": ("<=", 100)}


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


def main() -> None:
    """Run; print one JSON object last."""
    print(json.dumps(bench_idle_tenants()))


if __name__ == "__main__":
    main()
