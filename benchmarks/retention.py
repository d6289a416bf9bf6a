"""Retention benchmark: a sweep over 1,000,000 vault values of which 10 % are due (issue #6).

Set-up (not measured): 200,000 subjects x 5 values (name, email, address, account number, call
transcript, all for customer service), bulk-inserted as the vault's own repository stores them
(random bytes stand in for ciphertext: the sweep never decrypts). Half the subjects were created in
2020, so their transcripts are past the template's ``call-recordings`` rule (90 days after
collection): 100,000 values are due. Names, e-mails, addresses and account numbers fall under
``customer-data`` (a month after contract end) and no contract has ended, so they stay.

Measured: ``services.retention.sweep`` in-process with the default batch size (2,000 values per
transaction), on SQLite then PostgreSQL; the counts are checked. Target: <= 60 s each.
Scale down for a quick look with PRIVAULT_BENCH_SCALE=0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import deployment
from privault.bootstrap import Container
from privault.core.records import NewSubject, NewSubjectData
from privault.services.retention import sweep
from privault.services.tenants import bind_tenant

SCALE = float(os.environ.get("PRIVAULT_BENCH_SCALE", "1"))
SUBJECTS = int(200_000 * SCALE)
VALUES = 5 * SUBJECTS
DUE = SUBJECTS // 2
BATCH = 5_000  # subjects per set-up transaction
OLD = datetime(2020, 1, 6, 9, tzinfo=UTC)
NEW = datetime.now(UTC)
TARGETS = {
    "sweep_1m_s_sqlite": ("<=", 60),
    "sweep_1m_s_postgres": ("<=", 60),
}
FIELDS = (
    "user.name",
    "user.contact.email",
    "user.contact.address",
    "cc.account.number",
    "cc.call.transcript",
)


def log(message: str) -> None:
    """Progress on stderr; the figures go to stdout."""
    print(message, file=sys.stderr, flush=True)


def _subject(i: int, blob: bytes) -> NewSubjectData:
    at = OLD if i % 2 == 0 else NEW
    subject = NewSubject(secrets.token_hex(16), f"cust-{i}", 1, 1, blob, None, at)
    fields = [(f, f, "direct", "customer-service", blob) for f in FIELDS]
    return NewSubjectData(subject, fields, [])


def seed(container: Container) -> None:
    """SUBJECTS subjects x 5 values straight through the subject repository's bulk insert."""
    blob = secrets.token_bytes(60)
    started = time.perf_counter()
    for first in range(0, SUBJECTS, BATCH):
        with container.uow() as uow:
            bind_tenant(uow, "bluewave")
            uow.subjects.insert_new(
                [_subject(i, blob) for i in range(first, min(first + BATCH, SUBJECTS))]
            )
            uow.commit()
    log(f"  seeded {VALUES:,} values in {time.perf_counter() - started:.1f} s")


def bench_sweep(engine: str) -> float:
    """Seconds to sweep VALUES values of which DUE are due."""
    with deployment(engine) as container:
        seed(container)
        started = time.perf_counter()
        result = sweep(
            container.deps, "bluewave", batch_size=container.settings.retention_batch_size
        )
        elapsed = time.perf_counter() - started
        totals = result.report["totals"]
        assert totals["deleted"] == DUE, totals
        assert result.report["rules"]["call-recordings"]["subjects"] == DUE
        log(
            f"  {engine}: swept {DUE:,} of {VALUES:,} values in {elapsed:.1f} s ({totals['batches']} batches)"
        )
    return elapsed


def met(name: str, value: float) -> str:
    """'yes' or 'no' against TARGETS."""
    op, target = TARGETS[name]
    return "yes" if (value <= target if op == "<=" else value >= target) else "no"


def main() -> None:
    """Set up, measure; print a table and one JSON object last."""
    figures: dict[str, float | int] = {"values": VALUES, "due": DUE}
    for engine, key in (("sqlite", "sweep_1m_s_sqlite"), ("postgresql", "sweep_1m_s_postgres")):
        log(f"sweep on {engine}")
        figures[key] = round(bench_sweep(engine), 2)
    for key, (op, target) in TARGETS.items():
        print(f"{key:<24}{figures[key]:>10} s  {op} {target:<5} {met(key, float(figures[key]))}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
