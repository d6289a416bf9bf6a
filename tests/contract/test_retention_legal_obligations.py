"""What the law keeps when privault erases a whole subject by itself (issue #13, item 4), on SQLite and
PostgreSQL: a contract end and a minor's erasure keep what the tax-law rule (billing-records) still
requires, in the vault and in a connected datastore, restrict it to the law's use, and name the rule
and the law in the sweep's report and the audit trail.

privault's own database comes from the ``container`` fixture; the company database is the shop in a
SQLite file, its orders dated for billing.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.jobs.worker import Worker
from privault.services.datastores import add_datastore
from privault.services.decisions import decide
from privault.services.retention import sweep
from privault.services.retention_subjects import record_contract_end
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import update_subject
from privault.services.vault_import import create_subject
from tests.audit_rows import audit_rows
from tests.fixtures.shop import billing_dataset_text, create_shop, email, seed

STAFF = "staff:alice"
CUSTOMER = 3  # lives alone, two orders (each paid once)
TAX_LAW = "Income Tax Act (Canada) s. 230(4); 26 U.S.C. 6001"  # billing-records in the template
SEVEN_YEARS_ON = "2033-03-02"  # the test clock's day (2 March 2026) + 7 years
BILLS = {
    "user.name": "Customer 3",
    "user.contact.address": "3 High Street, Leeds",
    "cc.account.number": "ACC-3",
    "cc.payment.card": "4111 1111 1111 1003",  # payment-details: no law keeps it
}
KEPT_FIELDS = ["cc.account.number", "user.contact.address", "user.name"]
BY_LAW = {
    "law": TAX_LAW,
    "why": "7 years after collected",
    "purposes": ["legal-records"],
    "until": SEVEN_YEARS_ON,
    "subjects": 1,
    "values": 3,
    "rows": 4,  # two orders and their two payments
}


@pytest.fixture
def c(container: Container) -> Container:
    """The template manifest applied."""
    apply_manifest(container.deps)
    return container


@pytest.fixture
def shop(c: Container, tmp_path: Path) -> str:
    """A seeded shop in a SQLite file, connected to bluewave with its orders as bills; its URL."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = create_engine(url)
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))
    create_shop(engine)
    seed(engine, customers=4)
    engine.dispose()
    add_datastore(c.deps, "bluewave", STAFF, "shop", url=url, dataset=billing_dataset_text())
    return url


def _officer(c: Container) -> Principal:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    return Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")


def _customer(c: Container, data: dict[str, str], ref: str = "cust-3") -> str:
    """Customer 3 in the vault, collected for billing and found in the shop by e-mail."""
    officer = _officer(c)
    record = {"subject": ref, "identities": {"email": email(CUSTOMER)}, "data": data}
    return create_subject(c.deps, officer, record | {"source": "direct", "purpose": "billing"})


def _on(c: Container, day: date) -> None:
    assert isinstance(c.clock, FixedClock)
    c.clock.at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _ended(c: Container) -> date:
    """Customer 3's contract ends on 10 March 2026; the clock moves to the deletion day."""
    ended = record_contract_end(c.deps, "bluewave", "cust-3", date(2026, 3, 10), STAFF)
    _on(c, ended.delete_on)
    return ended.delete_on


def _sweep(c: Container) -> dict[str, Any]:
    return sweep(c.deps, "bluewave", batch_size=50).report


def _fields(c: Container, ref: str = "cust-3") -> list[str] | None:
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        subject = uow.subjects.get_by_ref(ref)
        if subject is None:
            return None
        return sorted(f.field for f in uow.subjects.fields([subject.id]))


def _scalar(url: str, sql: str) -> Any:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return found


def _audit(c: Container, action: str) -> list[dict[str, Any]]:
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        rows = audit_rows(uow, 1000)
    return [json.loads(row[7]) for row in rows if row[3] == action and row[6] == "ok"]


def _allowed(c: Container, purpose: str, ref: str = "cust-3") -> bool:
    return decide(c.deps, "bluewave", ref, purpose, at=c.clock.now()).allowed


def test_contract_end_keeps_the_bills_the_tax_law_requires_in_vault_and_datastore(
    c: Container, shop: str
) -> None:
    """The sweep on the deletion day erases the card and the customer's row, keeps the billed
    values and the orders (unlinked), and names billing-records, its law and until when."""
    _customer(c, BILLS)
    _ended(c)
    report = _sweep(c)
    assert report["whole_subjects"] == {"contract_end": {"partial": 1}}
    assert report["kept_by_law"] == {"billing-records": BY_LAW}
    assert _fields(c) == KEPT_FIELDS
    assert _scalar(shop, f"SELECT COUNT(*) FROM customers WHERE id = {CUSTOMER}") == 0
    assert _scalar(shop, "SELECT COUNT(*) FROM orders WHERE customer_id IS NULL") == 2
    [swept] = _audit(c, "retention:sweep")
    assert swept["kept_by_law"] == {"billing-records": BY_LAW}
    [erased] = _audit(c, "vault:subject:erase")
    assert erased["reason"] == "retention:contract_end"
    assert [(r["field"], r["rule"], r["law"], r["until"]) for r in erased["retained"]] == [
        (f, "billing-records", TAX_LAW, SEVEN_YEARS_ON) for f in KEPT_FIELDS
    ]
    assert {(r["collection"], r["rule"], r["law"]) for r in erased["retained_rows"]} == {
        ("orders", "billing-records", TAX_LAW),
        ("payments", "billing-records", TAX_LAW),
    }
    assert "Customer 3" not in json.dumps([report, swept, erased])  # names and counts only


def test_what_a_contract_end_keeps_may_be_used_for_the_law_alone(c: Container, shop: str) -> None:
    """After the contract-end erasure every decision for another purpose says no, naming the
    restriction (marketing was allowed before); the legal-obligation purpose still may."""
    _customer(c, BILLS)
    assert _allowed(c, "marketing-email")
    _ended(c)
    _sweep(c)
    for purpose in ("marketing-email", "customer-service", "billing"):
        answer = decide(c.deps, "bluewave", "cust-3", purpose, at=c.clock.now())
        assert not answer.allowed, purpose
        assert any(r.rule == "POL-RES-1" and not r.allowed for r in answer.reasons), purpose
    assert _allowed(c, "legal-records")


def test_the_contract_end_job_keeps_the_bills_and_later_sweeps_only_count_them(
    c: Container, shop: str
) -> None:
    """The erase job on the deletion day keeps the bills (outcome partial, audited with rule and
    law); the next sweep finds nothing more to erase and counts the subject as kept by law."""
    _customer(c, BILLS)
    _ended(c)
    Worker(c).drain()
    with c.uow() as uow:
        [job] = [j for j in uow.jobs.recent(limit=100) if j.kind == "subjects.erase_due"]
    assert job.progress["outcomes"] == {"contract_end": {"partial": 1}}
    [erased] = _audit(c, "vault:subject:erase")
    assert {r["law"] for r in erased["retained"]} == {TAX_LAW}
    report = _sweep(c)
    assert report["whole_subjects"] == {"contract_end": {"kept": 1}}
    assert report["kept_by_law"]["billing-records"]["values"] == 3
    assert len(_audit(c, "vault:subject:erase")) == 1  # nothing more erased, nothing audited
    assert _fields(c) == KEPT_FIELDS


def test_once_the_tax_period_has_run_the_sweep_erases_what_was_kept(
    c: Container, shop: str
) -> None:
    """Seven years on, the sweep deletes the kept values under billing-records and then erases the
    emptied subject whole."""
    _customer(c, BILLS)
    _ended(c)
    _sweep(c)
    _on(c, date.fromisoformat(SEVEN_YEARS_ON))
    report = _sweep(c)
    assert report["rules"]["billing-records"]["values"] == 3
    assert report["whole_subjects"] == {"contract_end": {"erased": 1}}
    assert report["kept_by_law"] == {}
    assert _fields(c) is None


def test_a_minors_bills_are_kept_by_law_and_everything_else_erased(c: Container, shop: str) -> None:
    """POL-MIN-1 is a policy and gives way to the tax law: a 16-year-old customer's billed values
    and orders stay (restricted since discovery: only the legal purpose may use them); the date of
    birth, the card and the customer's row go; the report names the rule and the law."""
    _customer(c, BILLS, ref="kid-3")
    born = {"user.demographic.date_of_birth": date(2010, 1, 1).isoformat()}
    update_subject(
        c.deps, _officer(c), "kid-3",
        {"data": born, "source": "direct", "purpose": "fraud-prevention"},
    )  # fmt: skip
    assert not _allowed(c, "customer-service", ref="kid-3")
    report = _sweep(c)
    assert report["whole_subjects"] == {"minor": {"partial": 1}}
    assert report["kept_by_law"] == {"billing-records": BY_LAW}
    assert _fields(c, "kid-3") == KEPT_FIELDS
    assert _scalar(shop, f"SELECT COUNT(*) FROM customers WHERE id = {CUSTOMER}") == 0
    assert _scalar(shop, "SELECT COUNT(*) FROM orders WHERE customer_id IS NULL") == 2
    assert not _allowed(c, "marketing-email", ref="kid-3")
    assert _allowed(c, "legal-records", ref="kid-3")
