"""The two-step opt-in to sale or sharing (CCPA-OI-1), run over the in-memory unit of work."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.manifest import Manifest
from privault.crypto.keyring import LocalKeyring
from privault.errors import Conflict, Forbidden, PolicyViolation
from privault.services.consent import Evidence, Holder, current_state, record_choices
from privault.services.opt_in import OptInRequest, confirm_sale_opt_in, request_sale_opt_in
from tests.fakes import FakeDatabase, fake_deps

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
WEB = Evidence(Method.FORM, Via.WEB)
HOLDER = Holder(subject="s-1")


@pytest.fixture
def keyring(tmp_path: Path) -> LocalKeyring:
    """The tenants' keys in a temporary folder."""
    ring = LocalKeyring(tmp_path / "keys")
    ring.ensure_tenant("bluewave")
    ring.ensure_tenant("northwind")
    return ring


@pytest.fixture
def db(manifest: Manifest, keyring: LocalKeyring) -> FakeDatabase:
    """bluewave's subject s-1, opted out of sale and sharing at AT."""
    db = FakeDatabase()
    tenant = db.add_tenant("bluewave")
    db.add_tenant("northwind")
    db.add_subject(tenant.id, "s-1")
    opt_out = Choice(Kind.SALE_SHARING, "*", False)
    deps = fake_deps(db, manifest, FixedClock(AT), keyring)
    record_choices(deps, "bluewave", "t", HOLDER, [opt_out], WEB, AT)
    return db


def _ask(
    db: FakeDatabase, keyring: LocalKeyring, manifest: Manifest, at: datetime, *, consumer: bool
) -> OptInRequest:
    deps = fake_deps(db, manifest, FixedClock(at), keyring)
    return request_sale_opt_in(deps, "bluewave", "t", HOLDER, WEB, consumer_initiated=consumer)


def _confirm(
    db: FakeDatabase, keyring: LocalKeyring, manifest: Manifest, token: str, at: datetime
) -> None:
    confirm_sale_opt_in(
        fake_deps(db, manifest, FixedClock(at), keyring), "bluewave", "t", token, WEB
    )


def test_a_request_then_a_separate_confirmation_opts_back_in(
    db: FakeDatabase, keyring: LocalKeyring, manifest: Manifest
) -> None:
    """Both steps are audited; the grant carries the request as its evidence."""
    asked = _ask(db, keyring, manifest, AT + timedelta(days=1), consumer=True)
    assert asked.expires_at == AT + timedelta(days=2)
    assert asked.ask_after == datetime(2027, 3, 2, 9, 30, tzinfo=UTC)
    _confirm(db, keyring, manifest, asked.token, AT + timedelta(days=1, hours=2))
    deps = fake_deps(db, manifest, FixedClock(AT), keyring)
    assert current_state(deps, "bluewave", HOLDER)["sale_sharing:*"].granted is True
    chain = db.committed.audit_events[db.tenant_id("bluewave")]
    assert [e.action for e in chain] == [
        "consent:withdraw",
        "consent:opt_in:request",
        "consent:grant",
    ]
    [_, (_, grant)] = db.committed.consent_events
    assert json.loads(grant.evidence)["opt_in"] == "two_step"


def test_the_business_may_not_ask_within_twelve_months_of_the_opt_out(
    db: FakeDatabase, keyring: LocalKeyring, manifest: Manifest
) -> None:
    """Cal. Civ. Code 1798.135(c)(4): only a request the consumer starts, until a year has passed."""
    with pytest.raises(PolicyViolation) as raised:
        _ask(db, keyring, manifest, AT + timedelta(days=364), consumer=False)
    assert raised.value.code == "consent.opt_in_too_soon"
    assert _ask(db, keyring, manifest, AT + timedelta(days=365), consumer=False).ask_after


@pytest.mark.parametrize("after", [timedelta(0), timedelta(hours=24, seconds=1)])
def test_a_confirmation_comes_after_the_request_and_within_a_day(
    db: FakeDatabase, keyring: LocalKeyring, manifest: Manifest, after: timedelta
) -> None:
    """The same instant is not a separate act; after 24 hours the request has lapsed."""
    asked = _ask(db, keyring, manifest, AT + timedelta(days=1), consumer=True)
    with pytest.raises(Conflict) as raised:
        _confirm(db, keyring, manifest, asked.token, AT + timedelta(days=1) + after)
    assert raised.value.code == "consent.opt_in_expired"


def test_a_token_is_good_for_its_own_tenant_only(
    db: FakeDatabase, keyring: LocalKeyring, manifest: Manifest
) -> None:
    """Another tenant's token, or a tampered one, is refused without a hint."""
    asked = _ask(db, keyring, manifest, AT + timedelta(days=1), consumer=True)
    later = AT + timedelta(days=1, hours=1)
    for tenant, token in (("northwind", asked.token), ("bluewave", asked.token[:-2] + "xx")):
        deps = fake_deps(db, manifest, FixedClock(later), keyring)
        with pytest.raises(Forbidden) as raised:
            confirm_sale_opt_in(deps, tenant, "t", token, WEB)
        assert raised.value.code == "consent.opt_in_invalid"
