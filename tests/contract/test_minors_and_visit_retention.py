"""Where the vault meets retention: children under 13 need verified parental consent, minors are
suppressed the moment their age is known, the visit log follows its retention rule, and erasing a
subject unlinks its visits. Both engines."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.errors import PolicyViolation
from privault.jobs.worker import Worker
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.decisions import decide
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import erase_subject, update_subject
from privault.services.vault_import import create_subject
from privault.services.visits import Hit, record_visit

DOB = "user.demographic.date_of_birth"
VISITOR = "visitor-0123456789abcdef"
WEB_TENANT = "northwind"  # offers statistics cookies


@pytest.fixture
def c(container: Container) -> Container:
    """The template manifest applied."""
    apply_manifest(container.deps)
    return container


def _officer(c: Container, tenant: str = "bluewave") -> Principal:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    return Principal(tenant_id, tenant, "privacy-officer", "cli", "test")


def _born(c: Container, years: int) -> str:
    today = c.clock.now().date()
    return date(today.year - years, today.month, 1).isoformat()


def _create(
    c: Container, ref: str, data: dict[str, Any], tenant: str = "bluewave", **extra: Any
) -> str:
    return create_subject(
        c.deps,
        _officer(c, tenant),
        {
            "subject": ref,
            "identities": {"email": f"{ref}@example.com"},
            "data": data,
            "source": "direct",
            "purpose": "fraud-prevention",
            **extra,
        },
    )


def _allowed(c: Container, ref: str, purpose: str = "customer-service") -> bool:
    return decide(c.deps, "bluewave", ref, purpose, at=c.clock.now()).allowed


def _queued_erasures(c: Container) -> list[Any]:
    with c.uow() as uow:
        return [j for j in uow.jobs.recent(limit=50) if j.kind == "subjects.erase_due"]


def test_a_child_under_13_cannot_be_collected_without_parental_consent(c: Container) -> None:
    """COPPA §312.5: refused, and nothing stored; with verified parental consent it is stored (and,
    being a minor, suppressed at once with its erasure queued)."""
    with pytest.raises(PolicyViolation) as refused:
        _create(c, "kid-1", {"user.name": "Kid", DOB: _born(c, 10)})
    assert refused.value.code == "collection.child_without_consent"
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        assert uow.subjects.get_by_ref("kid-1") is None
    consent = {"method": "signed_form", "reference": "form-2026-0042"}
    _create(c, "kid-1", {"user.name": "Kid", DOB: _born(c, 10)}, parental_consent=consent)
    assert not _allowed(c, "kid-1")
    assert len(_queued_erasures(c)) == 1


def test_a_minor_found_by_a_date_of_birth_update_is_suppressed_at_once(c: Container) -> None:
    """POL-MIN-1: an adult-looking customer turns out to be 16: from that write on, every decision
    says no, and an erasure job is queued; the worker erases the subject."""
    _create(c, "teen-1", {"user.name": "Teen"})
    assert _allowed(c, "teen-1")
    update_subject(
        c.deps,
        _officer(c),
        "teen-1",
        {"data": {DOB: _born(c, 16)}, "source": "direct", "purpose": "fraud-prevention"},
    )
    assert not _allowed(c, "teen-1")
    [job] = _queued_erasures(c)
    assert job.status == "queued"
    Worker(c, name="w").drain()
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        assert uow.subjects.get_by_ref("teen-1") is None  # crypto-shredded


def test_an_adult_is_not_suppressed(c: Container) -> None:
    """A 30-year-old's date of birth changes nothing."""
    _create(c, "adult-1", {"user.name": "Adult", DOB: _born(c, 30)})
    assert _allowed(c, "adult-1")
    assert _queued_erasures(c) == []


def _statistics_consent(c: Container, subject: str) -> None:
    """The visitor accepts statistics cookies and is linked to the subject."""
    web = Evidence(Method.ACCEPT, Via.WEB)
    record_choices(
        c.deps,
        WEB_TENANT,
        "t",
        Holder(visitor=VISITOR),
        [Choice(Kind.COOKIE, "statistics", True)],
        web,
        c.clock.now(),
    )
    from privault.services.consent import link_visitor

    link_visitor(c.deps, WEB_TENANT, "t", VISITOR, subject, web, c.clock.now())


def _visit(c: Container) -> Any:
    return record_visit(
        c.deps,
        "truncate",
        WEB_TENANT,
        Hit("/plans", None, "Mozilla/5.0 Firefox/128.0", "203.0.113.9", VISITOR),
        c.clock.now(),
    )


def _visits(c: Container) -> list[tuple[Any, ...]]:
    from sqlalchemy import select

    from privault.storage import tables as t

    with c.uow() as uow:
        bind_tenant(uow, WEB_TENANT)
        rows = uow.session.execute(select(t.Visit.client, t.Visit.visitor, t.Visit.subject_id))
        return [tuple(r) for r in rows]


def test_erasing_a_subject_unlinks_its_visits(c: Container) -> None:
    """A consenting visitor's visits name the subject; erasure leaves the visits, naming nobody."""
    _create(c, "web-1", {"user.name": "Web"}, WEB_TENANT)
    _statistics_consent(c, "web-1")
    _visit(c)
    [(_, visitor, subject)] = _visits(c)
    assert visitor == VISITOR
    assert subject is not None
    erase_subject(c.deps, _officer(c, WEB_TENANT), "web-1", "customer-service", "request:1")
    [(_, _, subject)] = _visits(c)
    assert subject is None


def test_the_retention_sweep_anonymises_visits_past_the_statistics_rule(c: Container) -> None:
    """web-statistics (13 months, anonymise): a 14-month-old visit loses its client, visitor and
    subject when the daily retention job runs; a recent one keeps them."""
    _create(c, "web-2", {"user.name": "Web"}, WEB_TENANT)
    _statistics_consent(c, "web-2")
    clock = c.clock
    assert isinstance(clock, FixedClock)
    start = clock.at
    _visit(c)  # old
    clock.at = start + timedelta(days=430)
    _visit(c)  # recent
    Worker(c, name="w").drain()
    rows = sorted(_visits(c), key=lambda r: r[0] is None)
    assert rows[0][0] is not None  # the recent visit keeps its (truncated) client
    assert rows[1] == (None, None, None)  # the old one names nobody
