"""The CCPA verification levels (11 CCR §§7060-7062), the §7101(b) request log and the §7102
metrics, on SQLite and PostgreSQL, through the services with PRIVAULT_CCPA_VERIFICATION_LEVELS on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.config import Settings
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.request_records import Kind, Response
from privault.core.requests import DenialCode, State
from privault.errors import Conflict, InvalidInput, PolicyViolation
from privault.outbound.messenger import read_outbox
from privault.services.requests import (
    deny_request,
    open_request,
    request_log,
    request_metrics,
    show_request,
    sign_declaration,
    start,
    verify_codes,
    verify_manually,
)
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject

EMAIL = "ana.lima@example.com"
PHONE = "+14155550134"
STAFF = "staff:alice"
_CODE = re.compile(r"\bis (\d{6})\b")


@pytest.fixture
def c(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    """A container with the levels on, for a business over the §7102 threshold."""
    levels = {"ccpa_verification_levels": True, "ccpa_consumers_per_year": 10_000_000}
    built = Container(settings.model_copy(update=levels), clock=clock)
    apply_manifest(built.deps)
    yield built
    built.close()


def _subject(c: Container, identities: dict[str, str], **data: str) -> None:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    body = {"user.name": "Ana Lima", **data}
    create_subject(
        c.deps,
        officer,
        {"subject": "ana", "identities": identities, "data": body, "source": "direct",
         "purpose": "billing"},
    )  # fmt: skip


def _open(c: Container, kind: str = "access", jurisdiction: str = "us-ca") -> str:
    body = {
        "type": kind,
        "identities": {"email": [EMAIL], "phone": [PHONE]},
        "jurisdiction": jurisdiction,
    }
    return str(open_request(c.deps, "bluewave", body).ref)


def _enter_codes(c: Container, ref: str) -> Any:
    codes = [
        m["body"]
        for m in read_outbox(c.settings.outbox_path)
        if ref in m["subject"] and m["kind"] == "verification_code"
    ]
    found = [match.group(1) for b in codes if (match := _CODE.search(b))]
    return verify_codes(c.deps, "bluewave", ref, found)


def _actions(c: Container, ref: str) -> list[str]:
    return [e.action for e in show_request(c.deps, "bluewave", ref).events]


def test_specific_pieces_wait_for_three_matched_points_and_a_declaration(c: Container) -> None:
    """Two matched codes are not enough for access: the declaration and a third point verify it."""
    _subject(c, {"email": EMAIL, "phone": PHONE})
    ref = _open(c)
    entered = _enter_codes(c, ref)
    assert (entered.state, entered.verified) == (State.RECEIVED, 2)
    assert "1 more matched data point(s) (2 of 3)" in entered.missing
    assert "declaration" in entered.missing
    with pytest.raises(Conflict) as refused:
        start(c.deps, "bluewave", ref, STAFF)
    assert refused.value.code == "request.not_verified"
    declared = sign_declaration(c.deps, "bluewave", ref, "  Ana   Lima ")
    assert declared.state is State.RECEIVED
    assert "declaration" not in declared.missing
    done = verify_manually(c.deps, "bluewave", ref, STAFF, "asked", points=["postal_address"])
    assert done.state is State.VERIFIED
    view = show_request(c.deps, "bluewave", ref)
    signed = [e for e in view.events if e.action == "declaration_signed"]
    assert [(e.note, e.details["statement"]) for e in signed] == [("Ana Lima", "ccpa-7062c-1")]
    assert "awaiting_evidence" in _actions(c, ref)


def test_an_identity_the_vault_does_not_hold_counts_for_nothing(c: Container) -> None:
    """Both codes entered, only the email is Ana's: one point, deletion of ordinary data needs two."""
    _subject(c, {"email": EMAIL})
    ref = _open(c, "erasure")
    entered = _enter_codes(c, ref)
    assert entered.state is State.RECEIVED
    assert "(1 of 2)" in entered.missing
    assert "declaration" not in entered.missing
    done = verify_manually(c.deps, "bluewave", ref, STAFF, "call back", points=["address"])
    assert done.state is State.VERIFIED


def test_sensitive_data_raises_a_deletion_to_three_points(c: Container) -> None:
    """Ana holds a payment card: two matched codes leave her erasure short of three (§7062(d))."""
    _subject(c, {"email": EMAIL, "phone": PHONE}, **{"cc.payment.card": "4111111111111111"})
    ref = _open(c, "erasure")
    entered = _enter_codes(c, ref)
    assert entered.state is State.RECEIVED
    assert "(2 of 3)" in entered.missing
    assert "11 CCR §7062(d)" in entered.missing


def test_staff_below_the_level_are_refused_and_the_evidence_kept(c: Container) -> None:
    """A manual verification short of the level is refused; its points still count later."""
    _subject(c, {"email": EMAIL})
    ref = _open(c, "erasure")
    with pytest.raises(PolicyViolation) as short:
        verify_manually(c.deps, "bluewave", ref, STAFF, "letter", points=["Address "])
    assert short.value.code == "verification.insufficient"
    view = show_request(c.deps, "bluewave", ref)
    assert view.request.state is State.RECEIVED
    kept = [e.details for e in view.events if e.action == "verification_evidence"]
    assert kept == [{"points": ["address"], "account": False}]
    with pytest.raises(PolicyViolation):  # the same point twice is still one
        verify_manually(c.deps, "bluewave", ref, STAFF, "again", points=["address"])
    done = verify_manually(c.deps, "bluewave", ref, STAFF, "more", points=["last_order"])
    assert done.state is State.VERIFIED


def test_an_account_holder_is_verified_through_the_account(c: Container) -> None:
    """Re-authenticated through their account, an access request needs nothing more (§7061)."""
    ref = _open(c)
    done = verify_manually(c.deps, "bluewave", ref, STAFF, "signed in again", account=True)
    assert done.state is State.VERIFIED


def test_a_request_outside_california_keeps_the_codes(c: Container) -> None:
    """An EU access request is verified by its codes alone, and takes no declaration."""
    ref = _open(c, jurisdiction="eu")
    assert _enter_codes(c, ref).state is State.VERIFIED
    with pytest.raises(Conflict):
        sign_declaration(c.deps, "bluewave", ref, "Ana Lima")


def test_a_blank_declaration_is_refused_and_nothing_kept(c: Container) -> None:
    """A declaration needs a name; a refused one leaves no trace."""
    ref = _open(c)
    with pytest.raises(InvalidInput):
        sign_declaration(c.deps, "bluewave", ref, "   ")
    assert "declaration_signed" not in _actions(c, ref)


def test_the_request_log_has_the_7101b_fields_for_each_request(c: Container) -> None:
    """A denied and an open request: dates, nature, manner, response and basis."""
    denied = _open(c)
    deny_request(c.deps, "bluewave", denied, STAFF, DenialCode.WITHDRAWN, "withdrawn")
    pending = _open(c, "erasure")
    today = c.clock.now().date()
    log = request_log(c.deps, "bluewave", today - timedelta(days=1), today + timedelta(days=1))
    rows = {e.ref: e for e in log}
    assert set(rows) == {denied, pending}
    assert (rows[denied].response, rows[denied].denial_basis) == (Response.DENIED, "withdrawn")
    assert rows[denied].responded_on is not None
    assert (rows[pending].nature, rows[pending].manner) == ("erasure", "web")
    assert (rows[pending].response, rows[pending].responded_on) == (Response.PENDING, None)
    with pytest.raises(InvalidInput):
        request_log(c.deps, "bluewave", today, today - timedelta(days=1))


def test_the_metrics_count_the_year_of_receipt(c: Container) -> None:
    """This year's requests are counted for this year, none for the last; the duty is due."""
    denied = _open(c)
    deny_request(c.deps, "bluewave", denied, STAFF, DenialCode.IDENTITY_NOT_VERIFIED, "unverified")
    _open(c, "erasure")
    year = c.clock.now().year
    found = request_metrics(c.deps, "bluewave", year)
    know = next(k for k in found.kinds if k.kind is Kind.KNOW)
    assert (know.received, know.complied, know.denied) == (1, 0, 1)
    assert know.median_days is not None
    assert found.denied_because == {"not_verifiable": 1}
    assert (found.required, found.disclose_by) == (True, date(year + 1, 7, 1))
    last = request_metrics(c.deps, "bluewave")
    assert last.year == year - 1
    assert sum(k.received for k in last.kinds) == 0
    with pytest.raises(InvalidInput):
        request_metrics(c.deps, "bluewave", year + 1)
