"""Category rules reaching connected datastores (issue #6): the sweep masks or deletes what is due
in a dataset's dated collections on the day it falls due, never what a hold keeps, reports it per
rule and per collection, and a sweep taken over from its checkpoint changes nothing twice.

privault's own database is SQLite or PostgreSQL (the ``container`` fixture); the company database is
the shop in a SQLite file (the connector itself is tested on all three engines in test_connectors).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.services.datastores import add_datastore
from privault.services.legal_holds import add_hold, release_hold
from privault.services.retention import status, sweep
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject
from tests.fixtures.shop import create_shop, email, seed, shop_dataset_text

STAFF = "staff:alice"
LOGINS_DUE = date(2026, 1, 1)  # logins on 1 January 2025 + 1 year (fraud-signals)
STATS_DUE = date(2026, 2, 1)  # + 13 months (web-statistics), when no purpose is declared


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied."""
    apply_manifest(container.deps)
    return container


def _shop(
    c: Container, tmp_path: Path, purpose: str | None = "fraud-prevention", tenant: str = "bluewave"
) -> Path:
    """A seeded shop (4 customers, 3 logins each on 1 January 2025) connected to the tenant, its
    logins dated by ``at``."""
    db = tmp_path / "shop.db"
    engine = create_engine(f"sqlite:///{db}")
    create_shop(engine)
    seed(engine, customers=4)
    engine.dispose()
    document = yaml.safe_load(shop_dataset_text())
    entry: dict[str, Any] = {"date": "at"} | ({"purpose": purpose} if purpose else {})
    document["privault"] = {"retention": {"logins": entry}}
    add_datastore(
        c.deps, tenant, STAFF, "shop",
        url=f"sqlite:///{db}",
        dataset=yaml.safe_dump(document),
    )  # fmt: skip
    return db


def _ips(db: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        found = list(conn.execute(text("SELECT ip FROM logins ORDER BY id")).scalars())
    engine.dispose()
    return found


def _on(c: Container, day: date) -> None:
    assert isinstance(c.clock, FixedClock)
    c.clock.at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _sweep(c: Container, tenant: str = "bluewave", **kw: Any) -> dict[str, Any]:
    return sweep(c.deps, tenant, batch_size=kw.pop("batch_size", 50), **kw).report


def test_a_dated_field_is_erased_on_the_day_it_falls_due_and_not_before(
    c: Container, tmp_path: Path
) -> None:
    """The IPs of logins collected on 1 January 2025 go on 1 January 2026 (fraud-signals, 1 year);
    the report names the rule and counts per collection; the customer link has no date rule and
    stays."""
    db = _shop(c, tmp_path)
    _on(c, date(2025, 12, 31))
    before = _sweep(c)
    assert before["datastores"]["shop"]["logins"]["masked"] == 0
    assert "[erased]" not in _ips(db)
    _on(c, LOGINS_DUE)
    report = _sweep(c)
    assert report["rules"]["fraud-signals"]["datastore_values"] == 12
    assert report["datastores"]["shop"]["logins"] == {
        "deleted": 0,
        "masked": 12,
        "held": 0,
        "undated": 0,
        "not_erased": {},
        "problem": None,
    }
    assert report["totals"]["datastore_rows"] == 12
    assert _ips(db) == ["[erased]"] * 12
    assert _sweep(c)["datastores"]["shop"]["logins"]["masked"] == 0  # the next day: nothing again


def test_without_a_purpose_every_rule_on_the_category_applies_and_the_longest_wins(
    c: Container, tmp_path: Path
) -> None:
    """At northwind IP addresses are also web statistics (13 months): with no purpose declared for
    the logins, they are kept till then."""
    db = _shop(c, tmp_path, purpose=None, tenant="northwind")
    _on(c, LOGINS_DUE)
    assert _sweep(c, "northwind")["datastores"]["shop"]["logins"]["masked"] == 0
    _on(c, STATS_DUE)
    report = _sweep(c, "northwind")
    assert report["rules"]["web-statistics"]["datastore_values"] == 12
    assert report["rules"]["fraud-signals"]["datastore_values"] == 0
    assert _ips(db) == ["[erased]"] * 12


def test_a_purpose_the_tenant_lacks_is_reported_and_nothing_is_swept(
    c: Container, tmp_path: Path
) -> None:
    db = _shop(c, tmp_path, purpose="no-such-purpose")
    _on(c, STATS_DUE)
    entry = _sweep(c)["datastores"]["shop"]["logins"]
    assert "purpose 'no-such-purpose' is not a purpose of this tenant" in entry["problem"]
    assert "[erased]" not in _ips(db)


def _officer(c: Container) -> Principal:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    return Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")


def test_holds_keep_a_subjects_rows_a_category_and_the_whole_tenant(
    c: Container, tmp_path: Path
) -> None:
    """A subject hold keeps customer 1's logins (found from the vault's identities); a category
    hold on user.device keeps every IP; a tenant hold keeps everything."""
    db = _shop(c, tmp_path)
    raw = {"subject": "c1", "identities": {"email": email(1)}, "data": {"user.name": "C One"},
           "source": "direct", "purpose": "customer-service"}  # fmt: skip
    create_subject(c.deps, _officer(c), raw)
    tenant = add_hold(c.deps, "bluewave", STAFF, scope="tenant", reference="LIT-1")
    category = add_hold(
        c.deps, "bluewave", STAFF, scope="category", reference="REG-2", category="user.device"
    )
    add_hold(c.deps, "bluewave", STAFF, scope="subject", reference="CASE-9", subject="c1")
    _on(c, LOGINS_DUE)
    held = _sweep(c)["datastores"]["shop"]["logins"]
    assert held["problem"] == "a tenant legal hold keeps everything"
    release_hold(c.deps, "bluewave", tenant.id, STAFF)
    assert _sweep(c)["datastores"]["shop"]["logins"]["masked"] == 0
    release_hold(c.deps, "bluewave", category.id, STAFF)
    entry = _sweep(c)["datastores"]["shop"]["logins"]
    assert (entry["masked"], entry["held"]) == (9, 3)
    assert _ips(db)[:3] != ["[erased]"] * 3
    assert _ips(db)[3:] == ["[erased]"] * 9


class _Crash(Exception):
    """Stands for the worker dying."""


def test_a_sweep_taken_over_mid_datastore_masks_and_counts_every_row_once(
    c: Container, tmp_path: Path
) -> None:
    """The worker dies after a datastore batch committed but before its checkpoint; the sweep
    resumed from the last checkpoint erases the rest and masks nothing twice. The interrupted
    batch's 2 rows were erased in the shop's own transaction, which privault's report did not
    share: they are not counted (a report never counts more than was erased)."""
    db = _shop(c, tmp_path)
    _on(c, LOGINS_DUE)
    saved: dict[str, Any] = {}
    calls = {"datastore": 0}

    def dying(_uow: Any, progress: dict[str, Any]) -> None:
        if progress.get("phase") == "datastores" and progress.get("dated_after"):
            calls["datastore"] += 1
            if calls["datastore"] == 3:
                raise _Crash
        saved.clear()
        saved.update(progress)

    with pytest.raises(_Crash):
        sweep(c.deps, "bluewave", batch_size=2, checkpoint=dying)
    assert _ips(db).count("[erased]") == 6  # the third batch reached the shop, not the checkpoint
    report = sweep(c.deps, "bluewave", batch_size=2, progress=dict(saved)).report
    assert _ips(db) == ["[erased]"] * 12
    assert report["datastores"]["shop"]["logins"]["masked"] == 10
    assert report["rules"]["fraud-signals"]["datastore_values"] == 10


def test_status_counts_rows_due_now_and_soon_in_dated_collections(
    c: Container, tmp_path: Path
) -> None:
    """12 days before: all 12 logins fall due within 30 days; on the day: 12 due now; after the
    sweep: none. A held subject's rows are counted apart. Status changes nothing."""
    db = _shop(c, tmp_path)
    _on(c, date(2025, 12, 20))
    [early] = status(c.deps, "bluewave", batch_size=5).datastores
    assert (early.datastore, early.collection, early.due_now, early.due_soon) == (
        "shop",
        "logins",
        0,
        12,
    )
    raw = {"subject": "c1", "identities": {"email": email(1)}, "data": {"user.name": "C One"},
           "source": "direct", "purpose": "customer-service"}  # fmt: skip
    create_subject(c.deps, _officer(c), raw)
    add_hold(c.deps, "bluewave", STAFF, scope="subject", reference="CASE-9", subject="c1")
    _on(c, LOGINS_DUE)
    [due] = status(c.deps, "bluewave", batch_size=5).datastores
    assert (due.due_now, due.due_soon, due.held, due.problem) == (9, 0, 3, None)
    assert "[erased]" not in _ips(db)
    _sweep(c)
    [after] = status(c.deps, "bluewave").datastores
    assert (after.due_now, after.held) == (0, 3)


def test_status_says_why_a_dated_collection_has_nothing_counted(
    c: Container, tmp_path: Path
) -> None:
    _shop(c, tmp_path, purpose="no-such-purpose")
    [entry] = status(c.deps, "bluewave").datastores
    assert entry.problem == "purpose 'no-such-purpose' is not a purpose of this tenant"
