"""Manifestly unfounded or excessive requests (GDPR Art. 12(5)) on both engines: a refusal or a fee
on those grounds carries its evidence, kept on the timeline; a fee its amount and currency; bad input
is refused and changes nothing. And the search scope of an access request (UK GDPR Art. 15(1A)).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.core.requests import DenialCode, PauseReason, State
from privault.core.search_scope import scope_of
from privault.core.unfounded import Fee, FeeGround, evidence_of
from privault.errors import InvalidInput, NotFound
from privault.outbound.messenger import read_outbox
from privault.services.requests import deny_request, open_request, pause_request, show_request
from privault.services.requests.search_scope import record_search_scope
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from tests.audit_rows import audit_rows

EMAIL = "ana.lima@example.com"
STAFF = "staff:alice"
FACTS = "The same access request was answered on 2 and 9 March; nothing has changed since."


@pytest.fixture
def c(container: Container) -> Container:
    """The template manifest applied."""
    apply_manifest(container.deps)
    return container


def _open(c: Container) -> str:
    body = {"type": "access", "identities": {"email": [EMAIL]}, "jurisdiction": "uk"}
    return str(open_request(c.deps, "northwind", body).ref)


def _event(c: Container, ref: str, action: str) -> dict[str, Any]:
    view = show_request(c.deps, "northwind", ref)
    [event] = [e for e in view.events if e.action == action]
    return event.details


def _state(c: Container, ref: str) -> State:
    return show_request(c.deps, "northwind", ref).request.state


@pytest.mark.parametrize("code", [DenialCode.MANIFESTLY_UNFOUNDED, DenialCode.EXCESSIVE])
def test_a_refusal_as_unfounded_or_excessive_needs_evidence(c: Container, code: DenialCode) -> None:
    """No evidence: refused (request.evidence_missing) and the request stays open."""
    ref = _open(c)
    with pytest.raises(InvalidInput) as caught:
        deny_request(c.deps, "northwind", ref, STAFF, code, "We will not answer this.")
    assert caught.value.code == "request.evidence_missing"
    assert "burden of proof" in caught.value.message
    assert _state(c, ref) is State.RECEIVED


def test_the_evidence_of_a_refusal_is_kept_with_the_earlier_requests_it_names(
    c: Container,
) -> None:
    """The facts and the earlier requests are on the timeline's denial; they are not sent."""
    earlier, ref = _open(c), _open(c)
    proof = evidence_of(FACTS, [earlier])
    deny_request(
        c.deps, "northwind", ref, STAFF, DenialCode.EXCESSIVE, "We answered this already.",
        evidence=proof,
    )  # fmt: skip
    assert _state(c, ref) is State.DENIED
    assert _event(c, ref, "denied")["evidence"] == {"facts": FACTS, "prior_requests": [earlier]}
    sent = [m for m in read_outbox(c.settings.outbox_path) if m["kind"] == "denial"]
    assert FACTS not in sent[-1]["body"]


def test_evidence_naming_an_unknown_request_is_refused_and_changes_nothing(c: Container) -> None:
    """An earlier request that does not exist: request.unknown, the request stays open."""
    ref = _open(c)
    proof = evidence_of(FACTS, ["R-ZZZZZZZZ"])
    with pytest.raises(NotFound) as caught:
        deny_request(c.deps, "northwind", ref, STAFF, DenialCode.EXCESSIVE, "No.", evidence=proof)
    assert caught.value.code == "request.unknown"
    assert _state(c, ref) is State.RECEIVED


def test_a_fee_records_its_amount_currency_costs_and_evidence_and_is_told(c: Container) -> None:
    """Paused awaiting a fee: the fee is on the timeline and the requester is told its amount."""
    ref = _open(c)
    fee = Fee(
        Decimal("25.00"), "GBP", FeeGround.EXCESSIVE, "two hours of staff time", evidence_of(FACTS)
    )
    pause_request(
        c.deps, "northwind", ref, STAFF, PauseReason.AWAITING_FEE, "the fee below", fee=fee
    )
    assert _state(c, ref) is State.PAUSED
    assert _event(c, ref, "paused")["fee"] == {
        "amount": "25.00",
        "currency": "GBP",
        "ground": "excessive",
        "costs": "two hours of staff time",
        "evidence": {"facts": FACTS, "prior_requests": []},
    }
    [sent] = [m for m in read_outbox(c.settings.outbox_path) if m["kind"] == "pause"]
    assert "The fee is 25.00 GBP; it covers: two hours of staff time." in sent["body"]


def test_a_pause_for_a_fee_names_the_fee_and_only_it_does(c: Container) -> None:
    """awaiting_fee without a fee, or a fee with another reason: request.fee_invalid, no pause."""
    ref = _open(c)
    fee = Fee(Decimal(10), "EUR", FeeGround.FURTHER_COPIES, "printing", evidence_of(FACTS))
    attempts = [(PauseReason.AWAITING_FEE, None), (PauseReason.AWAITING_CLARIFICATION, fee)]
    for reason, given in attempts:
        with pytest.raises(InvalidInput) as caught:
            pause_request(c.deps, "northwind", ref, STAFF, reason, "something", fee=given)
        assert caught.value.code == "request.fee_invalid"
    assert _state(c, ref) is State.RECEIVED


# --- the search scope of an access request (UK GDPR Art. 15(1A)) --------------------------------


def test_the_search_scope_is_kept_on_the_timeline_and_audited(c: Container) -> None:
    """Searched and left-out systems with their reasons: one timeline step, one audit entry."""
    ref = _open(c)
    scope = scope_of(["crm", "paper files"], {"tape-archive": "restored only for a court order"})
    record_search_scope(c.deps, "northwind", ref, STAFF, scope)
    assert _event(c, ref, "search_scope") == {
        "searched": ["crm", "paper files"],
        "left_out": [{"system": "tape-archive", "why": "restored only for a court order"}],
    }
    assert _state(c, ref) is State.RECEIVED  # a record, not a move
    with c.uow() as uow:
        bind_tenant(uow, "northwind")
        actions = [row[3] for row in audit_rows(uow, 1000)]
    assert "request:search_scope" in actions


def test_a_search_scope_is_only_for_access_and_portability(c: Container) -> None:
    """An erasure request: request.scope_invalid, nothing recorded."""
    body = {"type": "erasure", "identities": {"email": [EMAIL]}, "jurisdiction": "uk"}
    ref = open_request(c.deps, "northwind", body).ref
    with pytest.raises(InvalidInput) as caught:
        record_search_scope(c.deps, "northwind", ref, STAFF, scope_of(["crm"], {}))
    assert caught.value.code == "request.scope_invalid"
    events = show_request(c.deps, "northwind", ref).events
    assert "search_scope" not in [e.action for e in events]
