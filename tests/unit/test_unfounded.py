"""Evidence and fees for manifestly unfounded or excessive requests (GDPR Art. 12(5)), as staff
enter them: what is accepted and what is refused, with its code."""

from __future__ import annotations

from decimal import Decimal

import pytest

from privault.core.requests import DenialCode
from privault.core.unfounded import (
    BURDEN_CODES,
    FeeGround,
    check_denial,
    evidence_of,
    fee_of,
    optional_evidence,
    optional_fee,
)
from privault.errors import InvalidInput

FACTS = "Fourth identical request in one month."


def test_only_unfounded_and_excessive_refusals_carry_the_burden_of_proof() -> None:
    """Art. 12(5): the controller demonstrates those two grounds; other codes need no evidence."""
    assert {DenialCode.MANIFESTLY_UNFOUNDED, DenialCode.EXCESSIVE} == BURDEN_CODES
    check_denial(DenialCode.NO_RIGHT, None)
    with pytest.raises(InvalidInput):
        check_denial(DenialCode.EXCESSIVE, None)


@pytest.mark.parametrize(
    ("facts", "prior"), [("", ()), ("too many", ()), (FACTS, ("R-1",)), (FACTS, ("req 2",))]
)
def test_evidence_too_short_or_naming_no_reference_is_refused(
    facts: str, prior: tuple[str, ...]
) -> None:
    """Under 20 characters of facts, or an earlier request not named R-XXXXXXXX: refused."""
    with pytest.raises(InvalidInput) as caught:
        evidence_of(facts, prior)
    assert caught.value.code == "request.evidence_missing"


def test_evidence_keeps_the_facts_and_each_earlier_request_once() -> None:
    """Facts trimmed; references de-duplicated in order."""
    proof = evidence_of(f"  {FACTS} ", ["R-AAAAAAAA", "R-AAAAAAAA", "R-BBBBBBBB"])
    assert proof.as_json() == {"facts": FACTS, "prior_requests": ["R-AAAAAAAA", "R-BBBBBBBB"]}


@pytest.mark.parametrize(
    ("amount", "currency", "ground", "costs"),
    [
        ("0", "GBP", "excessive", "staff time"),
        ("-5", "GBP", "excessive", "staff time"),
        ("12.345", "GBP", "excessive", "staff time"),
        ("NaN", "GBP", "excessive", "staff time"),
        ("ten", "GBP", "excessive", "staff time"),
        ("10", "pounds", "excessive", "staff time"),
        ("10", "GBP", "because", "staff time"),
        ("10", "GBP", "excessive", " "),
    ],
)
def test_a_fee_without_a_positive_amount_a_currency_a_ground_or_its_costs_is_refused(
    amount: str, currency: str, ground: str, costs: str
) -> None:
    """Each missing or malformed part: request.fee_invalid."""
    with pytest.raises(InvalidInput) as caught:
        fee_of(amount, currency, ground, costs, evidence_of(FACTS))
    assert caught.value.code == "request.fee_invalid"


def test_a_fee_is_kept_to_the_cent_and_told_with_its_costs() -> None:
    """25 GBP reads 25.00 GBP, with the administrative costs it covers."""
    fee = fee_of("25", "GBP", "further_copies", "printing and postage", evidence_of(FACTS))
    assert (fee.amount, fee.ground) == (Decimal(25), FeeGround.FURTHER_COPIES)
    assert fee.as_json()["amount"] == "25.00"
    assert fee.told() == "The fee is 25.00 GBP; it covers: printing and postage."


def test_the_edges_give_no_evidence_or_fee_when_nothing_was_entered() -> None:
    """Blank fields: None; an amount without evidence: refused."""
    assert optional_evidence("", ["  "]) is None
    assert optional_fee("", "", "excessive", "", None) is None
    with pytest.raises(InvalidInput) as caught:
        optional_fee("10", "EUR", "excessive", "staff time", None)
    assert caught.value.code == "request.evidence_missing"
