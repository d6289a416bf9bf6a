"""The worker and the job queue from the command line (both engines)."""

from __future__ import annotations

import json


def test_worker_once_runs_the_schedule_and_jobs_list_shows_it(cli) -> None:
    """`privault worker --once` runs every due periodic job of the tenants with work (a request
    and its webhook delivery in bluewave, every tenant's daily sweep); `jobs list --json` shows
    them done."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    hook = ("webhooks", "add", "http://127.0.0.1:9/hook", "--tenant", "bluewave")
    assert cli(*hook)[0] == 0
    opened = ("requests", "open", "--tenant", "bluewave", "--type", "access")
    assert cli(*opened, "--email", "ana@example.com", "--jurisdiction", "us-ca")[0] == 0
    code, out, err = cli("worker", "--once")
    assert code == 0, err
    assert "job(s) run" in out
    code, out, _ = cli("jobs", "list", "--json", "--limit", "100")
    jobs = json.loads(out)
    kinds = {(j["kind"], j["status"]) for j in jobs}
    assert ("requests.sweep", "done") in kinds
    assert ("webhooks.deliver", "done") in kinds
    assert ("retention.sweep", "done") in kinds
    assert {j["tenant"] for j in jobs if j["kind"] != "retention.sweep"} == {"bluewave"}


def test_jobs_run_queues_a_known_kind_and_refuses_an_unknown_one(cli) -> None:
    """`jobs run requests.sweep` queues it (the worker then runs it); an unknown kind is refused."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    code, out, _ = cli("jobs", "run", "requests.sweep", "--tenant", "bluewave")
    assert code == 0
    assert "queued" in out
    code, _, err = cli("jobs", "run", "no.such.kind", "--tenant", "bluewave")
    assert code == 2
    assert "unknown job kind" in err
    code, out, _ = cli("worker", "--once")
    assert code == 0
    code, out, _ = cli("jobs", "list", "--status", "queued", "--json")
    assert [j for j in json.loads(out) if j["kind"] == "requests.sweep"] == []
