"""privault behind PgBouncer in transaction mode (issue #17): each transaction may run on another
server connection, so nothing may rely on session state, and psycopg must not prepare statements
(PgBouncer 1.18, Debian's, does not keep them). Migrations, imports, lookups from several threads,
consent, decisions, a request, the worker and the audit log's sealing and verification all run
through the pooler. ``scripts/start-pgbouncer.sh`` starts it and prints the URL; CI sets
PRIVAULT_TEST_PGBOUNCER_URL from it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from privault.bootstrap import Container
from privault.config import Settings
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.jobs.worker import Worker
from privault.services.audit import checkpoint, seal
from privault.services.audit_verify import verify
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.decisions import Question, decide_many
from privault.services.requests import open_request
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import find_subjects
from privault.services.vault_import import import_subjects
from privault.storage import migrate
from tests.subject_records import subject_record

POOLED = os.environ.get("PRIVAULT_TEST_PGBOUNCER_URL")
pytestmark = pytest.mark.skipif(
    not POOLED, reason="no PgBouncer here: scripts/start-pgbouncer.sh starts one (CI does)"
)
TENANT = "bluewave"


@pytest.fixture
def pooled(tmp_path: Path, template: str, clock: FixedClock) -> Iterator[Container]:
    """A container whose database is reached through PgBouncer, on an emptied database."""
    assert POOLED is not None
    direct = create_engine(POOLED.replace(":6432/", ":5432/"))
    with direct.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    direct.dispose()
    data = tmp_path / "data"
    data.mkdir()
    (data / "privault.yaml").write_text(template, encoding="utf-8")
    settings = Settings(data_dir=data, database_url=POOLED, db_prepared_statements=False)
    container = Container(settings, clock=clock)
    migrate.upgrade(container.engine)
    apply_manifest(container.deps)
    yield container
    container.close()


def _customer(i: int) -> dict[str, object]:
    return subject_record(f"cust-{i}", f"user{i}@example.com", f"Customer {i}")


def test_privault_works_through_pgbouncer_in_transaction_mode(pooled: Container) -> None:
    """The same use cases as on a direct connection, many times over (past psycopg's threshold for
    preparing a statement), from several threads at once."""
    deps = pooled.deps
    with pooled.uow() as uow:
        tenant_id = bind_tenant(uow, TENANT).id
    who = Principal(tenant_id, TENANT, "privacy-officer", "api_key", "test")
    report = import_subjects(deps, who, enumerate((_customer(i) for i in range(40)), 1))
    assert report.imported == 40
    errors: list[BaseException] = []

    def lookups(start: int) -> None:
        try:
            for i in range(start, start + 10):
                [view] = find_subjects(deps, who, "email", [f"user{i}@example.com"], "billing")
                assert view.ref == f"cust-{i}"
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=lookups, args=(n * 10,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    evidence = Evidence(Method.FORM, Via.WEB, ip="203.0.113.9")
    choice = Choice(Kind.MARKETING, "bluewave-mobile:sms", granted=True)
    for i in range(8):
        holder = Holder(subject=f"cust-{i}")
        record_choices(deps, TENANT, "test", holder, [choice], evidence, pooled.clock.now())
    question = Question("marketing-sms", subject="cust-1", brand="bluewave-mobile")
    for _ in range(8):
        [answer] = decide_many(deps, TENANT, tenant_id, [question], pooled.clock.now())
        assert answer.allowed
    body = {
        "type": "access",
        "identities": {"email": ["user3@example.com"]},
        "jurisdiction": "us-ca",
    }
    assert open_request(deps, TENANT, body, "test").ref.startswith("R-")
    Worker(pooled, name="pooled").drain()
    seal(deps, TENANT)
    checkpoint(deps, TENANT, "test")
    assert verify(deps, TENANT, full=True).ok
