"""Requests benchmark: access and erasure requests fulfilled across the vault and a 15-table database.

- Datastore: a contact-centre company's own PostgreSQL database (a private schema, dropped at the
  end): 15 tables with real foreign keys and indexes on them (`benchmarks/_shop15.py`), described by
  a Fides dataset and registered with `add_datastore`. One subject owns about 56,000 rows, a small
  one about 10, an erasure subject about 5,000; 300 other customers (about 16,500 rows) share some
  addresses with them. The database stores e-mails in mixed case (`Big@Example.COM`) and phones
  national or punctuated (`07700 900002`, `(+44) 7700-900003`); each request names the e-mail and
  the phone in privault's canonical forms, so both are matched on `lower(trim(email))` and on the
  phone's digits, each served by an expression index (issue #13). privault itself runs on its
  embedded SQLite database; the big and the small subject are also in the vault.
- Each request is opened and verified by staff (`open_request`, `verify_manually`), then only
  `fulfil` is timed: it searches the vault and the datastore, builds the zip package (JSON, one CSV
  per table, HTML report), seals and stores it. `access_56k_s` median of 5, `access_small_s` median
  of 20, after one warm-up request (`access_first_s`). `_cpu_s`: this process's CPU time of the
  same calls (not the database server's), a check on a busy machine. `erasure_rows_per_s`: rows
  deleted by `fulfil` per second of it, median of 3 runs; the subject's rows are put back between
  runs and a COUNT checks they are gone (its address, shared, is kept). The erasure also
  crypto-shreds the subject in the vault; Art. 19 recipient tasks leave it `incomplete`, as they
  should.
- `access_56k_peak_mb`: peak resident memory (VmHWM) of a separate process that fulfils one small
  access request (imports, first connection) and then one big one, whole process included;
  `access_56k_peak_delta_mb` is what the big fulfil added. `access_56k_tracemalloc_mb`: the Python
  heap peak of one more big fulfil under tracemalloc in this process, after the timed runs.

Targets on a 2-core machine (issues #5 and #13): access to 56,000 rows <= 0.3 s, to a small
subject <= 0.05 s, erasure >= 20,000 rows/s. Fides took 8.0 s and 580 MB for that access and erased
145 rows/s. On this machine (2026-12-07, with case-insensitive e-mail and phone matching, the
datastore checks, last-four display and the laws' erasure exceptions): all met - access to 56,000
rows 0.19 s (0.17 s of CPU), small access 0.025 s, erasure about 40,000 rows/s (5,002 rows in
0.125 s; 52,000 in an earlier run today, before issue #14; the cause is not measured), 154 MB peak for the
whole process (+37 MB for the big fulfil). Seeding takes about 1 s, the whole script about 12 s.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _shop15 as shop
from _common import POSTGRES, deployment, officer
from privault.bootstrap import Container
from privault.config import Settings
from privault.core.access import Principal
from privault.core.requests import RequestRecord
from privault.services.datastores import add_datastore, check_datastore
from privault.services.fulfilment import fulfil
from privault.services.requests import open_request, verify_manually
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject

TENANT = "bluewave"
ACTOR = "bench"
OTHERS = 300
ACCESS_BIG_RUNS = 5
ACCESS_SMALL_RUNS = 20
ERASURE_RUNS = 3
BIG = ("big@example.com", "+447700900001")
SMALL = ("small@example.com", "+447700900002")
ERASE = ("erase@example.com", "+447700900003")
# How the company's database stores them: mixed case, national and punctuated phones. privault
# matches on lower(trim(email)) and on the phone's digits, each served by an expression index.
STORED = {
    BIG: ("Big@Example.COM", "+44 7700 900001"),
    SMALL: ("SMALL@example.com ", "07700 900002"),
    ERASE: ("Erase@Example.com", "(+44) 7700-900003"),
}
MATCH_INDEXES = (
    "CREATE INDEX customers_email_match ON customers ((lower(trim(email))))",
    "CREATE INDEX customers_phone_match ON customers ((regexp_replace(phone, '[^0-9]', '', 'g')))",
)

CPU_SECONDS: list[float] = []  # this process's CPU time of each timed fulfil (both threads)

TARGETS = {
    "access_56k_s": ("<=", 0.3),
    "access_small_s": ("<=", 0.05),
    "erasure_rows_per_s": (">=", 20_000),
}


def log(message: str) -> None:
    """Progress on stderr; the figures go to stdout."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def datastore() -> Iterator[tuple[str, Engine]]:
    """A private PostgreSQL schema holding the 15 tables: (URL, engine); dropped on exit."""
    schema = f"pv_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    engine = create_engine(url)
    try:
        shop.metadata().create_all(engine)
        with engine.begin() as connection:
            for statement in MATCH_INDEXES:
                connection.execute(text(statement))
        yield url, engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def seed(engine: Engine) -> tuple[dict[str, list[tuple[object, ...]]], int, dict[str, int]]:
    """Insert everyone; return the erasure subject's rows (to put back; its address is shared, so
    not among them), its address id and the rows per table."""
    s = shop.Seeder()
    s.products()
    big_home = s.address(1)
    erase_home = s.address(3)
    s.customer(*STORED[BIG], big_home, shop.BIG)
    s.customer(*STORED[SMALL], s.address(2), shop.SMALL)
    for n in range(OTHERS):
        # three customers live at the big subject's address, one at the erasure subject's
        home = big_home if n < 3 else erase_home if n == 3 else s.address(100 + n)
        s.customer(f"Other{n}@Example.com", f"+44 77009 {n + 10_000:05d}", home, shop.OTHER)
    base = s.take()
    s.customer(*STORED[ERASE], erase_home, shop.ERASE)
    erase = s.take()
    with engine.begin() as conn:
        shop.insert(conn, base)
        shop.insert(conn, erase)
    per_table = {t: len(base[t]) + len(erase[t]) for t in shop.TABLES}
    return erase, erase_home, per_table


def erase_ids(erase: dict[str, list[tuple[Any, ...]]]) -> dict[str, tuple[str, list[int]]]:
    """Table -> ("id", ids) of the erasure subject's rows."""
    return {t: ("id", [r[0] for r in rows]) for t, rows in erase.items() if rows}


def add_to_vault(container: Container, who: Principal, ref: str, email: str, phone: str) -> None:
    """A vault subject with both identities and two fields."""
    create_subject(
        container.deps,
        who,
        {
            "subject": ref,
            "identities": {"email": email, "phone": phone},
            "data": {"user.name": f"Customer {ref}", "cc.account.number": f"ACC-{ref}"},
            "source": "direct",
            "purpose": "customer-service",
        },
    )


def verified(container: Container, kind: str, email: str) -> str:
    """Open a request naming ``email`` and the same person's phone; verify it by hand; its ref."""
    deps = container.deps
    phone = next(p for e, p in STORED if e == email)
    identities = {"email": [email], "phone": [phone]}
    opened = open_request(
        deps, TENANT, {"type": kind, "identities": identities, "jurisdiction": "eu"}
    )
    verify_manually(deps, TENANT, opened.ref, ACTOR, "called back on the number of record")
    return opened.ref


def timed_fulfil(container: Container, kind: str, email: str) -> tuple[float, RequestRecord]:
    """Seconds of one ``fulfil`` call (opening and verifying are not timed) and the closed request."""
    ref = verified(container, kind, email)
    cpu = time.process_time()
    started = time.perf_counter()
    fulfil(container.deps, TENANT, ref, ACTOR)
    elapsed = time.perf_counter() - started
    CPU_SECONDS.append(time.process_time() - cpu)
    return elapsed, stored(container, ref)


def stored(container: Container, ref: str) -> RequestRecord:
    """The request as stored (``fulfil`` returns the record before its result was written)."""
    with container.uow() as uow:
        bind_tenant(uow, TENANT)
        found = uow.requests.get(ref)
    assert found is not None
    return found


def bench_access(
    container: Container, email: str, runs: int
) -> tuple[list[float], float, dict[str, object]]:
    """Times of ``runs`` access requests, their median CPU time, the last result."""
    times, result = [], {}
    CPU_SECONDS.clear()
    for _ in range(runs):
        elapsed, closed = timed_fulfil(container, "access", email)
        assert closed.state.value == "completed", (closed.state, closed.result.get("problems"))
        times.append(elapsed)
        result = closed.result
    return times, statistics.median(CPU_SECONDS), result


def bench_erasure(
    container: Container,
    who: Principal,
    engine: Engine,
    erase: dict[str, list[tuple[object, ...]]],
    home_id: int,
) -> tuple[list[float], list[int], list[str]]:
    """Rates of ERASURE_RUNS erasures (rows deleted / s); rows deleted; final states."""
    ids = erase_ids(erase)
    owned = sum(len(v) for _, v in ids.values())
    rates, deleted, states = [], [], []
    for run in range(ERASURE_RUNS):
        with engine.begin() as conn:
            if run:  # put the subject's rows back (its address is shared, so it was kept)
                shop.insert(conn, erase)
            assert shop.count_rows(conn, ids) == owned
        add_to_vault(container, who, f"erase-{run + 1}", *ERASE)
        elapsed, closed = timed_fulfil(container, "erasure", ERASE[0])
        gone = int(closed.result["deleted"])
        with engine.connect() as conn:
            left = shop.count_rows(conn, ids)
            home = shop.count_rows(conn, {"addresses": ("id", [home_id])})
        retained = [(r["collection"], r["rows"], r["code"]) for r in closed.result["retained"]]
        assert retained == [("addresses", 1, "shared")], retained  # the shared address
        assert left == 0, (left, owned)
        assert gone == owned, (gone, owned)
        assert home == 1, "the shared address must stay"
        assert closed.result["vault"]["matched"], closed.result["vault"]
        rates.append(gone / elapsed)
        deleted.append(gone)
        states.append(closed.state.value)
        log(f"erasure run {run + 1}: {gone:,} rows in {elapsed:.3f} s ({closed.state.value})")
    return rates, deleted, states


def peak_in_child(container: Container) -> tuple[float, float]:
    """(peak RSS MB, MB the big fulfil added) of a separate process that fulfils one small access
    (to warm up: imports, first connection) and then one big one."""
    warm = verified(container, "access", SMALL[0])
    ref = verified(container, "access", BIG[0])
    settings = container.settings
    command = [sys.executable, __file__, "--peak", str(settings.data_dir), settings.sqlalchemy_url]
    out = subprocess.run(  # noqa: S603 - this script; its errors go to our stderr
        [*command, warm, ref], stdout=subprocess.PIPE, text=True, check=True
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["rows"] >= 55_000, figures
    return figures["peak_mb"], figures["peak_mb"] - figures["before_mb"]


def high_water_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss, not inherited from the parent
    across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_peak(data_dir: str, database_url: str, warm: str, ref: str) -> None:
    """In the child: fulfil ``warm``, then ``ref``; print the peak resident memory before and after
    the second (MB)."""
    container = Container(
        Settings(data_dir=Path(data_dir), database_url=database_url, ccpa_verification_levels=False)
    )
    try:
        fulfil(container.deps, TENANT, warm, ACTOR)
        before = high_water_mb()
        fulfil(container.deps, TENANT, ref, ACTOR)
        peak = high_water_mb()
        rows = stored(container, ref).result["rows"]
    finally:
        container.close()
    print(json.dumps({"before_mb": before, "peak_mb": peak, "rows": rows}))


def traced_peak(container: Container) -> float:
    """Python heap peak (MB) of one big access fulfil under tracemalloc."""
    ref = verified(container, "access", BIG[0])
    tracemalloc.start()
    try:
        fulfil(container.deps, TENANT, ref, ACTOR)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


def met(name: str, value: float) -> str:
    """'yes' or 'no' against TARGETS."""
    op, target = TARGETS[name]
    return "yes" if (value <= target if op == "<=" else value >= target) else "no"


def main() -> None:
    """Set up, measure; print a table and one JSON object last."""
    if sys.argv[1:2] == ["--peak"]:
        child_peak(*sys.argv[2:6])
        return
    figures: dict[str, object] = {
        "tables": len(shop.TABLES),
        "load_1m": round(os.getloadavg()[0], 2),
    }
    with datastore() as (url, engine), deployment("sqlite") as container:
        started = time.perf_counter()
        erase, erase_home, per_table = seed(engine)
        figures["seed_s"] = round(time.perf_counter() - started, 1)
        figures["datastore_rows"] = sum(per_table.values())
        log(f"seeded {figures['datastore_rows']:,} rows in 15 tables in {figures['seed_s']} s")

        who = officer(container, TENANT)
        add_to_vault(container, who, "big", *BIG)
        add_to_vault(container, who, "small", *SMALL)
        add_datastore(
            container.deps, TENANT, ACTOR, "care-db",
            url=url, dataset=shop.DATASET_YAML, description="Company database (15 tables)",
        )  # fmt: skip
        check = check_datastore(container.deps, TENANT, "care-db")
        assert check.ok, check.errors
        # the small subject's UK national number cannot be read as a phone without a region
        assert {f.code for f in check.warnings} <= {"identity.unparseable"}, check.warnings

        cold, _ = timed_fulfil(container, "access", SMALL[0])  # imports, first connection
        figures["access_first_s"] = round(cold, 3)
        times, cpu, result = bench_access(container, BIG[0], ACCESS_BIG_RUNS)
        rows = int(str(result["rows"]))
        assert 55_000 <= rows <= 57_000, rows
        figures["access_56k_s"] = round(statistics.median(times), 3)
        figures["access_56k_runs_s"] = [round(t, 3) for t in times]
        figures["access_56k_cpu_s"] = round(cpu, 3)
        figures["rows_56k"] = rows
        figures["package_56k_bytes"] = result["package"]["bytes"]
        log(f"access 56k: {rows:,} rows, runs {figures['access_56k_runs_s']} s")

        times, cpu, result = bench_access(container, SMALL[0], ACCESS_SMALL_RUNS)
        figures["access_small_s"] = round(statistics.median(times), 4)
        figures["access_small_cpu_s"] = round(cpu, 4)
        figures["rows_small"] = int(str(result["rows"]))
        log(f"access small: {result['rows']} rows, median {figures['access_small_s']} s")

        rates, deleted, states = bench_erasure(container, who, engine, erase, erase_home)
        figures["erasure_rows_per_s"] = round(statistics.median(rates))
        figures["erasure_rows"] = deleted[0]
        figures["erasure_state"] = states[0]

        peak, delta = peak_in_child(container)
        figures["access_56k_peak_mb"] = round(peak)
        figures["access_56k_peak_delta_mb"] = round(delta)
        figures["access_56k_peak_how"] = (
            "peak RSS (VmHWM) of a separate process: one small access, then the big one"
        )
        figures["access_56k_tracemalloc_mb"] = round(traced_peak(container))
    print_table(figures)
    print(json.dumps(figures))


def print_table(figures: dict[str, object]) -> None:
    """The figures for people, with the targets."""
    rows = [
        ("access, 56k rows (median of 5)", f"{figures['access_56k_s']} s", "access_56k_s"),
        ("access, small (median of 20)", f"{figures['access_small_s']} s", "access_small_s"),
        (
            "erasure (median of 3)",
            f"{figures['erasure_rows_per_s']:,} rows/s",
            "erasure_rows_per_s",
        ),
    ]
    print(f"{'figure':<34}{'value':>16}  target    met")
    for label, value, key in rows:
        op, target = TARGETS[key]
        print(f"{label:<34}{value:>16}  {op} {target:<7} {met(key, float(str(figures[key])))}")
    print(
        f"{'access, 56k rows: peak RSS':<34}{figures['access_56k_peak_mb']:>13} MB  "
        f"(+{figures['access_56k_peak_delta_mb']} MB during fulfil; "
        f"tracemalloc {figures['access_56k_tracemalloc_mb']} MB)"
    )


if __name__ == "__main__":
    main()
