"""A request's true day of receipt (issue #14): staff-entered dates, the tenant's establishment's
calendar and the team's working target, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.core.manifest.model import Establishment
from privault.errors import InvalidInput
from privault.services.deps import Deps
from privault.services.requests import open_request, show_request
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from tests.audit_rows import audit_rows

EMAIL = "ana@example.com"


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied (the clock reads 2 March 2026, 09:30 UTC)."""
    apply_manifest(container.deps)
    return container


def _open(deps: Deps, tenant: str = "bluewave", jurisdiction: str = "us-ca", **kwargs: Any) -> Any:
    body = {"type": "access", "identities": {"email": [EMAIL]}, "jurisdiction": jurisdiction}
    return open_request(deps, tenant, body, "staff:bob", **kwargs)


def _irish(c: Container, establishment: str | None) -> Deps:
    """Northwind as an EU-only controller, established in ``establishment``."""
    manifest = c.manifest
    seat = Establishment.model_validate(_split(establishment)) if establishment else None
    tenants = [
        t.model_copy(
            update={"jurisdictions": ["eu"], "default_jurisdiction": "eu", "establishment": seat}
        )
        if t.key == "northwind"
        else t
        for t in manifest.tenants
    ]
    return replace(c.deps, manifest=manifest.model_copy(update={"tenants": tenants}))


def _split(code: str) -> dict[str, str | None]:
    country, _, region = code.partition("-")
    return {"country": country, "region": region or None}


def test_a_letter_received_earlier_counts_from_its_day_and_says_so(c: Container) -> None:
    """Received 20 February, entered 2 March: due 6 April (45 days after 20 February); the
    timeline and the audit entry keep both dates."""
    opened = _open(c.deps, received=date(2026, 2, 20))
    assert (opened.received_on, opened.due_on) == (date(2026, 2, 20), date(2026, 4, 6))
    view = show_request(c.deps, "bluewave", opened.ref)
    assert view.request.received_on == date(2026, 2, 20)
    received = next(e for e in view.events if e.action == "received")
    assert received.details["received"] == "2026-02-20"
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        rows = audit_rows(uow, 1000)
    opens = [json.loads(row[7]) for row in rows if row[3] == "request:open"]
    assert opens[-1]["received_on"] == "2026-02-20"


@pytest.mark.parametrize(
    ("received", "message"),
    [(date(2026, 3, 3), "in the future"), (date(2025, 2, 28), "more than a year ago")],
    ids=["tomorrow", "over-a-year-back"],
)
def test_an_impossible_receipt_date_is_refused(c: Container, received: date, message: str) -> None:
    """Tomorrow, or more than a year back: refused with a clear error, nothing kept."""
    with pytest.raises(InvalidInput, match=message) as caught:
        _open(c.deps, received=received)
    assert caught.value.code == "request.invalid"


def test_the_working_target_is_set_earlier_by_the_setting(c: Container) -> None:
    """Due 16 April 2026 (a Thursday); 5 days earlier is Saturday 11 April: the target is Friday
    10 April."""
    opened = _open(c.deps)
    assert (opened.due_on, opened.target_on) == (date(2026, 4, 16), date(2026, 4, 10))
    none_early = replace(c.deps, settings=replace(c.deps.settings, target_days_early=0))
    assert _open(none_early).target_on == date(2026, 4, 16)


@pytest.mark.parametrize(
    ("establishment", "due"),
    [("IE", date(2026, 4, 27)), (None, date(2026, 4, 28))],
    ids=["irish-calendar", "default-netherlands"],
)
def test_an_irish_tenants_request_of_27_march_is_due_27_april(
    c: Container, establishment: str | None, due: date
) -> None:
    """27 April 2026 is King's Day in the Netherlands, a working day in Ireland (Reg. 1182/71)."""
    assert isinstance(c.clock, FixedClock)
    c.clock.at = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
    opened = _open(_irish(c, establishment), "northwind", jurisdiction="eu")
    assert (opened.rule, opened.due_on) == ("GDPR-DSR-1", due)
