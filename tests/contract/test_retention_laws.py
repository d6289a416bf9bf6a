"""Retention rules of particular laws on SQLite and PostgreSQL: India's dormancy erasure (DPDP-ERA-1:
a declared platform tells a person inactive for almost three years, waits at least 48 hours, then
erases her; others are left alone) and Québec's anonymisation record (QC-ANON-1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.jobs.worker import Worker
from privault.outbound.messenger import read_outbox
from privault.services.retention import sweep
from privault.services.retention_dormancy import notify_dormant
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject
from tests.audit_rows import audit_rows

CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
THREE_YEARS = datetime(2029, 1, 5, tzinfo=UTC)  # the day the three years end


@pytest.fixture
def template(template: str) -> str:
    """The contact-centre template with Harbour declared an Indian e-commerce platform."""
    marker = "  - key: harbour\n    name: Harbour Contact Group\n"
    assert marker in template
    return template.replace(marker, marker + "    dpdp_platform: e_commerce\n")


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the manifest applied and one Harbour subject created on ``CREATED``."""
    apply_manifest(container.deps)
    _at(container, CREATED)
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "harbour").id
    officer = Principal(tenant_id, "harbour", "privacy-officer", "cli", "test")
    raw = {
        "subject": "priya",
        "identities": {"email": "priya@example.com"},
        "data": {"user.name": "Priya"},
        "source": "direct",
        "purpose": "fraud-prevention",
    }
    create_subject(container.deps, officer, raw)
    return container


def _at(c: Container, when: datetime) -> None:
    assert isinstance(c.clock, FixedClock)
    c.clock.at = when


def _live(c: Container) -> bool:
    with c.uow() as uow:
        bind_tenant(uow, "harbour")
        found = uow.retention.subject(ref="priya")  # an erased subject loses its ref
    return found is not None and found.live


def _notices(c: Container) -> list[dict[str, Any]]:
    return [m for m in read_outbox(c.settings.outbox_path) if m["kind"] == "dormancy_notice"]


def _audit(c: Container) -> list[tuple[str, dict[str, Any]]]:
    with c.uow() as uow:
        bind_tenant(uow, "harbour")
        rows = audit_rows(uow, 1000)
    return [(row[3], json.loads(row[7])) for row in rows]


def test_a_person_inactive_three_years_is_told_then_erased_after_the_notice(c: Container) -> None:
    """Eight days before the three years end nobody is told; seven days before, Priya is told once
    (audited); the erasure waits for the day the three years end, then erases her."""
    _at(c, THREE_YEARS - timedelta(days=8))
    assert notify_dormant(c.deps, "harbour").noticed == 0
    _at(c, THREE_YEARS - timedelta(days=7))
    assert notify_dormant(c.deps, "harbour").noticed == 1
    assert notify_dormant(c.deps, "harbour").already == 1  # told once
    [notice] = _notices(c)
    assert notice["to"] == "priya@example.com"
    assert "2029-01-05" in notice["body"]
    [details] = [d for a, d in _audit(c) if a == "subject:dormancy:notice"]
    assert details["rule"] == "DPDP-ERA-1"
    assert details["delivered"] is True
    _at(c, THREE_YEARS - timedelta(hours=1))
    Worker(c).drain()
    assert _live(c)
    _at(c, THREE_YEARS + timedelta(hours=1))
    Worker(c).drain()
    assert not _live(c)
    erased = [d for a, d in _audit(c) if a == "vault:subject:erase"]
    assert [d["reason"] for d in erased] == ["retention:dormant"]


def test_a_notice_sent_late_still_leaves_48_hours_before_the_erasure(c: Container) -> None:
    """Told an hour before the three years end, Priya keeps her data for 48 hours after the notice."""
    told = THREE_YEARS - timedelta(hours=1)
    _at(c, told)
    assert notify_dormant(c.deps, "harbour").noticed == 1
    _at(c, told + timedelta(hours=47))
    Worker(c).drain()
    assert _live(c)
    _at(c, told + timedelta(hours=48, minutes=1))
    Worker(c).drain()
    assert not _live(c)


def test_a_tenant_that_is_no_declared_platform_erases_nobody_for_dormancy(c: Container) -> None:
    """Bluewave declares no DPDP platform: its sweep sends no notice, however old its subjects."""
    _at(c, THREE_YEARS + timedelta(days=400))
    assert notify_dormant(c.deps, "bluewave").noticed == 0
    assert _notices(c) == []


def test_an_anonymisation_records_its_purpose_supervisor_and_risk_analysis(c: Container) -> None:
    """Harbour's survey answers are anonymised: the sweep's report and its audit entry carry the
    rule's purpose, supervisor and re-identification risk analysis, and the state it leaves."""
    report = sweep(c.deps, "harbour", batch_size=50).report
    rule = report["rules"]["survey-answers"]
    assert rule["state"] == "anonymised"
    assert rule["anonymisation"]["supervisor"] == "Chief Privacy Officer"
    assert rule["anonymisation"]["risk_analysis"].startswith("RA-2026-01")
    assert report["rules"]["job-applications"]["state"] == "destroyed"
    [details] = [d for a, d in _audit(c) if a == "retention:sweep"]
    assert details["rules"]["survey-answers"]["anonymisation"] == rule["anonymisation"]
    assert "anonymisation" not in details["rules"]["job-applications"]
