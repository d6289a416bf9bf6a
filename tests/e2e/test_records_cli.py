"""``privault ropa``, ``privault dpia`` and ``privault incidents`` from the command line (both engines).

Runs the records Typer apps with Typer's CliRunner and the test's container as the root object (the
same object the ``privault`` root callback builds).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

import privault.cli.incident_exceptions  # noqa: F401  (adds exempt, delay, lift-delay)
from privault.bootstrap import Container
from privault.cli.records import dpia_app, incidents_app, ropa_app
from privault.core.clock import FixedClock
from privault.errors import PolicyViolation
from privault.services.setup import apply_manifest


@pytest.fixture
def run(container: Container):
    """Invoke one of the records apps with the container; returns the Result."""
    apply_manifest(container.deps)
    runner = CliRunner()

    def invoke(app: typer.Typer, *args: str) -> Result:
        return runner.invoke(app, list(args), obj=container)

    return invoke


def test_ropa_export_in_three_formats(run, tmp_path: Path) -> None:
    """CSV to a file (one row per purpose), JSON and HTML to stdout."""
    target = tmp_path / "ropa.csv"
    result = run(ropa_app, "export", "--tenant", "harbour", "--format", "csv", "-o", str(target))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [r["purpose"] for r in rows][:2] == ["fraud-prevention", "legal-records"]
    as_json = run(ropa_app, "export", "--tenant", "harbour", "--format", "json")
    assert json.loads(as_json.output)["article"] == "GDPR Art. 30(1)"
    html = run(ropa_app, "export", "--tenant", "bluewave", "--format", "html")
    assert "Records of processing activities" in html.output
    bad = run(ropa_app, "export", "--tenant", "harbour", "--format", "pdf")
    assert bad.exit_code != 0


def test_dpia_add_list_decide(run) -> None:
    """A DPIA closes the gap `dpia list --missing` shows."""
    missing = run(dpia_app, "list", "--tenant", "bluewave", "--missing", "--json")
    assert json.loads(missing.output) == [{"purpose": "vulnerability-support", "state": "missing"}]
    added = run(
        dpia_app,
        "add",
        "--tenant",
        "bluewave",
        "--purpose",
        "vulnerability-support",
        "--title",
        "Health notes",
        "--residual-risk",
        "low",
    )
    assert added.exit_code == 0, added.output
    dpia_id = re.search(r"DPIA (\d+)", added.output)
    assert dpia_id
    neither = run(dpia_app, "decide", dpia_id.group(1), "--tenant", "bluewave", "--reviewer", "DPO")
    assert neither.exit_code != 0
    decided = run(
        dpia_app,
        "decide",
        dpia_id.group(1),
        "--tenant",
        "bluewave",
        "--approve",
        "--reviewer",
        "DPO",
        "--review-on",
        "2027-03-01",
    )
    assert decided.exit_code == 0, decided.output
    assert "approved" in decided.output
    assert (
        "no purpose lacks its DPIA"
        in run(dpia_app, "list", "--tenant", "bluewave", "--missing").output
    )
    listed = json.loads(run(dpia_app, "list", "--tenant", "bluewave", "--json").output)
    assert listed[0]["state"] == "approved"


def test_incident_open_notify_notice_close(run, container: Container, tmp_path: Path) -> None:
    """Open, see the clocks, a late notice refused without its reason, the notice file, close."""
    opened = run(
        incidents_app,
        "open",
        "--tenant",
        "northwind",
        "--title",
        "Lost laptop",
        "--risk",
        "high",
        "--category",
        "user.name",
        "--subjects",
        "12",
        "--regime",
        "gdpr",
        "--aware-at",
        "2026-03-02T08:00:00+00:00",
    )
    assert opened.exit_code == 0, opened.output
    ref = re.search(r"I-[0-9A-Z]{8}", opened.output)
    assert ref
    assert "GDPR-BR-2" in opened.output
    clock = container.clock
    assert isinstance(clock, FixedClock)
    clock.at = clock.at + timedelta(days=2)
    listed = run(incidents_app, "list", "--tenant", "northwind", "--json")
    states = [k["state"] for k in json.loads(listed.output)[0]["clocks"]]
    assert states[0].startswith("overdue")
    late = run(incidents_app, "notify", ref.group(0), "--tenant", "northwind", "--to", "controller")
    assert isinstance(late.exception, PolicyViolation)
    told = run(
        incidents_app,
        "notify",
        ref.group(0),
        "--tenant",
        "northwind",
        "--to",
        "controller",
        "--late-reason",
        "found on Monday",
    )
    assert told.exit_code == 0, told.output
    naive = run(
        incidents_app,
        "notify",
        ref.group(0),
        "--tenant",
        "northwind",
        "--to",
        "authority",
        "--at",
        "2026-03-03T08:00:00",
    )
    assert naive.exit_code != 0
    target = tmp_path / "notice.md"
    notice = run(
        incidents_app,
        "notice",
        ref.group(0),
        "--tenant",
        "northwind",
        "--to",
        "authority",
        "-o",
        str(target),
    )
    assert notice.exit_code == 0, notice.output
    assert "dpo@northwind.example" in target.read_text()
    shown = run(incidents_app, "show", ref.group(0), "--tenant", "northwind")
    assert "found on Monday" in shown.output
    closed = run(
        incidents_app,
        "close",
        ref.group(0),
        "--tenant",
        "northwind",
        "--waive-reason",
        "the controller notifies",
    )
    assert closed.exit_code == 0, closed.output
    assert "kept until 2031-03-02" in closed.output


# --- GDPR 34(3) exceptions and law-enforcement delays (issue #14) ---------------------------


def _open_incident(run, tenant: str, regime: str) -> str:
    """Open a high-risk incident under one regime; its reference."""
    opened = run(
        incidents_app,
        "open",
        "--tenant",
        tenant,
        "--title",
        "Exposed export",
        "--risk",
        "high",
        "--subjects",
        "900",
        "--regime",
        regime,
    )
    assert opened.exit_code == 0, opened.output
    found = re.search(r"I-[0-9A-Z]{8}", opened.output)
    assert found
    return found.group(0)


def test_exempt_under_34_3_c_opens_the_public_notice(run) -> None:
    """The exception is recorded; a bad code exits non-zero; the public notice renders."""
    ref = _open_incident(run, "harbour", "gdpr")
    bad = run(incidents_app, "exempt", ref, "--tenant", "harbour", "--code", "34(3)(x)",
              "--justification", "why")  # fmt: skip
    assert bad.exit_code != 0
    done = run(incidents_app, "exempt", ref, "--tenant", "harbour", "--code", "34(3)(c)",
               "--justification", "no addresses for most people")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "public communication is now due" in done.output
    shown = json.loads(run(incidents_app, "show", ref, "--tenant", "harbour", "--json").output)
    subjects = next(k for k in shown["clocks"] if k["notify"] == "subjects")
    assert (subjects["exception"], subjects["state"]) == ("34(3)(c)", "waived")
    notice = run(incidents_app, "notice", ref, "--tenant", "harbour", "--to", "public")
    assert "security incident" in notice.output


def test_delay_refuses_customer_notice_until_lifted(run) -> None:
    """FCC: law enforcement told, a delay recorded, customer notice refused, the delay lifted."""
    ref = _open_incident(run, "bluewave", "fcc")
    told = run(incidents_app, "notify", ref, "--tenant", "bluewave", "--to", "law_enforcement")
    assert told.exit_code == 0, told.output
    too_long = run(incidents_app, "delay", ref, "--tenant", "bluewave", "--until", "2026-06-30",
                   "--directed-on", "2026-03-02", "--reference", "USSS 1")  # fmt: skip
    assert too_long.exit_code != 0
    delayed = run(incidents_app, "delay", ref, "--tenant", "bluewave", "--until", "2026-03-31",
                  "--directed-on", "2026-03-02", "--reference", "USSS 1")  # fmt: skip
    assert delayed.exit_code == 0, delayed.output
    shown = json.loads(run(incidents_app, "show", ref, "--tenant", "bluewave", "--json").output)
    customers = next(k for k in shown["clocks"] if k["notify"] == "subjects")
    assert customers["state"] == "delayed until 2026-03-31 (law enforcement)"
    refused = run(incidents_app, "notify", ref, "--tenant", "bluewave", "--to", "subjects")
    assert refused.exit_code != 0
    lifted = run(incidents_app, "lift-delay", ref, "--tenant", "bluewave", "--reference", "ok")
    assert lifted.exit_code == 0, lifted.output
    now = run(incidents_app, "notify", ref, "--tenant", "bluewave", "--to", "subjects")
    assert now.exit_code == 0, now.output
