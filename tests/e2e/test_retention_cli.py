"""Retention from the command line and over HTTP (both engines), and the crash test: a real
``privault worker`` process killed in the middle of a sweep, then a second one finishing it.

The CLI commands run through ``typer.testing.CliRunner`` on a root app holding the test's container
(its clock is the fixed clock); the HTTP routes are mounted on ``create_app``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from privault.api.routes.retention import router
from privault.bootstrap import Container
from privault.cli import retention
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject, import_subjects

OFFICER = "privacy-officer"


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the manifest applied and Ana in bluewave's vault (a name and a transcript
    collected on 2 March 2026)."""
    apply_manifest(container.deps)
    create_subject(
        container.deps,
        _officer(container, "bluewave"),
        {
            "subject": "ana",
            "identities": {"email": "ana@example.com"},
            "data": {"user.name": "Ana Lima", "cc.call.transcript": "Hello"},
            "source": "direct",
            "purpose": "customer-service",
        },
    )
    return container


def _officer(c: Container, tenant: str) -> Principal:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    return Principal(tenant_id, tenant, OFFICER, "cli", "test")


def _run(c: Container, *args: str) -> tuple[int, str]:
    root = typer.Typer()

    @root.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = c

    subjects = typer.Typer()
    subjects.command("contract-end")(retention.contract_end)
    subjects.command("noop", hidden=True)(lambda: None)
    root.add_typer(retention.app, name="retention")
    root.add_typer(subjects, name="subjects")
    result = CliRunner().invoke(root, list(args))
    return result.exit_code, result.output


def _at(c: Container, day: date) -> None:
    assert isinstance(c.clock, FixedClock)
    c.clock.at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_retention_sweep_dry_run_then_for_real(c: Container) -> None:
    """`retention sweep --dry-run` names the rule and deletes nothing; `retention sweep` deletes."""
    _at(c, date(2026, 5, 31))
    code, out = _run(c, "retention", "sweep", "--tenant", "bluewave", "--dry-run")
    assert code == 0, out
    assert "call-recordings" in out
    assert "90 days after collected" in out
    assert "would delete 1" in out
    code, out = _run(c, "retention", "sweep", "--tenant", "bluewave", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["rules"]["call-recordings"]["values"] == 1
    code, out = _run(c, "retention", "sweep", "--tenant", "bluewave", "--json")
    assert json.loads(out)["totals"]["deleted"] == 0


def test_retention_status_and_holds(c: Container) -> None:
    """`status` says when things fall due; `hold add|list|release` manage holds."""
    code, out = _run(c, "retention", "status", "--tenant", "bluewave", "--json")
    assert code == 0, out
    rules = {r["rule"]: r for r in json.loads(out)["rules"]}
    assert rules["call-recordings"]["next_due"] == "2026-05-31"
    code, out = _run(
        c,
        "retention",
        "hold",
        "add",
        "--tenant",
        "bluewave",
        "--scope",
        "subject",
        "--subject",
        "ana",
        "--reference",
        "CASE-1",
        "--expires",
        "2027-01-01",
    )
    assert code == 0, out
    assert "hold 1 placed" in out
    code, out = _run(c, "retention", "hold", "list", "--tenant", "bluewave", "--json")
    assert [h["reference"] for h in json.loads(out)] == ["CASE-1"]
    code, out = _run(c, "retention", "status", "--tenant", "bluewave")
    assert "reference CASE-1 until 2027-01-01" in out
    code, out = _run(c, "retention", "hold", "release", "1", "--tenant", "bluewave")
    assert code == 0
    assert "released" in out
    code, out = _run(c, "retention", "hold", "list", "--tenant", "bluewave", "--json")
    assert json.loads(out) == []


def test_subjects_contract_end(c: Container) -> None:
    """`subjects contract-end REF --on DAY` records it and says when deletion is scheduled."""
    code, out = _run(
        c, "subjects", "contract-end", "ana", "--tenant", "bluewave", "--on", "2026-03-10"
    )
    assert code == 0, out
    assert "deletion scheduled on 2026-03-24" in out  # bluewave: 14 days
    code, out = _run(c, "subjects", "contract-end", "ana", "--tenant", "bluewave", "--on", "10/03")
    assert code != 0


@pytest.fixture
def client(c: Container) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The API with the retention routes and an admin key of bluewave."""
    app = create_app(c)
    if not any(getattr(r, "path", "") == "/v1/retention/status" for r in app.routes):
        app.include_router(router)
    made = create_api_key(c.deps, "bluewave", OFFICER, name="officer")
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client, {"Authorization": f"Bearer {made.token.reveal()}"}


def test_the_retention_api(client: tuple[TestClient, dict[str, str]], c: Container) -> None:
    """Status, a dry-run sweep, holds placed/listed/released, a contract end, over HTTP."""
    http, auth = client
    got = http.get("/v1/retention/status", headers=auth)
    assert got.status_code == 200, got.text
    assert {r["rule"] for r in got.json()["rules"]} >= {"call-recordings", "customer-data"}
    _at(c, date(2026, 6, 1))
    swept = http.post("/v1/retention/sweep?dry_run=true", headers=auth)
    assert swept.status_code == 200, swept.text
    assert swept.json()["report"]["rules"]["call-recordings"]["values"] == 1
    placed = http.post(
        "/v1/legal-holds", headers=auth, json={"scope": "tenant", "reference": "LIT-1"}
    )
    assert placed.status_code == 201, placed.text
    assert [h["reference"] for h in http.get("/v1/legal-holds", headers=auth).json()] == ["LIT-1"]
    bad = http.post("/v1/legal-holds", headers=auth, json={"scope": "subject", "reference": "X"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "retention.invalid"
    gone = http.delete(f"/v1/legal-holds/{placed.json()['id']}", headers=auth)
    assert gone.status_code == 200
    assert gone.json()["released_at"]
    assert http.delete("/v1/legal-holds/999", headers=auth).json()["code"] == "hold.unknown"
    ended = http.post("/v1/subjects/ana/contract-end", headers=auth, json={"on": "2026-06-01"})
    assert ended.status_code == 200, ended.text
    assert ended.json()["delete_on"] == "2026-06-15"
    assert http.get("/v1/retention/status").status_code == 401


# --- the crash test ------------------------------------------------------------------------------

DUE = 3000


def _seed(c: Container) -> None:
    """DUE subjects whose transcripts were collected in 2020 (due long ago by the system clock) and
    whose names are kept (no contract end)."""
    assert isinstance(c.clock, FixedClock)
    c.clock.at = datetime(2020, 1, 6, 9, tzinfo=UTC)
    lines = (
        (
            n,
            {
                "subject": f"crash-{n}",
                "data": {"user.name": "N", "cc.call.transcript": "t"},
                "source": "direct",
                "purpose": "customer-service",
            },
        )
        for n in range(DUE)
    )
    report = import_subjects(c.deps, _officer(c, "bluewave"), lines, batch_size=1000)
    assert report.errors == []


def _count(engine: Engine, field: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM personal_data WHERE field = :f"), {"f": field}
            ).scalar_one()
        )


def _sweep_job(engine: Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT status, progress FROM jobs WHERE kind = 'retention.sweep' "
                "AND tenant_key = 'bluewave'"
            )
        ).first()
    return {"status": row[0], "progress": json.loads(row[1])} if row else None


def _worker(c: Container) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "PRIVAULT_DATA_DIR": str(c.settings.data_dir),
        "PRIVAULT_DATABASE_URL": c.settings.sqlalchemy_url,
        "PRIVAULT_RETENTION_BATCH_SIZE": "20",
        "PRIVAULT_JOB_LEASE_SECONDS": "5",
        "PRIVAULT_WORKER_POLL_SECONDS": "0.2",
    }
    command = [sys.executable, "-c", "from privault.cli.app import main; main()", "worker"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(engine: Engine, done: Any, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = _sweep_job(engine)
        if job is not None and done(job):
            return job
        time.sleep(0.005)
    raise AssertionError(f"timed out; job: {_sweep_job(engine)}")


def test_killing_the_worker_mid_sweep_and_starting_another_finishes_it_exactly_once(
    container: Container,
) -> None:
    """SIGKILL after some batches: part is deleted; a second worker takes the job over after the
    lease and finishes; every due value is gone, nothing else, and the counts add up exactly."""
    c = container
    apply_manifest(c.deps)
    _seed(c)
    engine = create_engine(c.settings.sqlalchemy_url)  # plain reads: no write lock taken
    first = _worker(c)
    try:
        _wait(engine, lambda j: j["progress"].get("batches", 0) >= 3, 90)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    left = _count(engine, "cc.call.transcript")
    assert 0 < left < DUE, left
    assert _sweep_job(engine)["status"] == "running"  # type: ignore[index]
    second = _worker(c)
    try:
        _wait(engine, lambda j: j["status"] == "done", 120)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    assert _count(engine, "cc.call.transcript") == 0
    assert _count(engine, "user.name") == DUE
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        runs = uow.retention.recent(10)
    assert len(runs) == 1
    assert runs[0].status == "done"
    rule = runs[0].report["rules"]["call-recordings"]
    assert (rule["values"], rule["subjects"]) == (DUE, DUE)
    assert runs[0].report["totals"]["deleted"] == DUE
    engine.dispose()
