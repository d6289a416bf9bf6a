"""Manifestly unfounded or excessive requests (GDPR and UK GDPR Art. 12(5)). Pure.

A request is answered free of charge. Where it is manifestly unfounded or excessive, "in particular
because of [its] repetitive character", the controller may refuse to act or charge "a reasonable fee
taking into account the administrative costs", and "shall bear the burden of demonstrating" that
character (Art. 12(5)). A further copy of the data may also carry a reasonable fee based on
administrative costs (Art. 15(3)). So a refusal or a fee on those grounds carries its evidence: the
facts that show it and the earlier requests it repeats; a fee also its amount, currency and the
administrative costs it covers. No statute fixes an amount: "reasonable" is shown by the costs named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from privault.core.requests import DenialCode
from privault.errors import InvalidInput

BURDEN_CODES = frozenset({DenialCode.MANIFESTLY_UNFOUNDED, DenialCode.EXCESSIVE})
"""Denial codes whose grounds the controller must demonstrate (Art. 12(5), last sentence)."""

MIN_FACTS = 20
"""The shortest statement of facts accepted as evidence (a policy choice, not a legal figure)."""

_REF = re.compile(r"^R-[A-Z0-9]{8}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class FeeGround(StrEnum):
    """Why a fee may be charged at all."""

    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"  # GDPR 12(5)(a)
    EXCESSIVE = "excessive"  # GDPR 12(5)(a)
    FURTHER_COPIES = "further_copies"  # GDPR 15(3)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What demonstrates that a request is manifestly unfounded or excessive."""

    facts: str
    prior_requests: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """How it is kept on the request's timeline."""
        return {"facts": self.facts, "prior_requests": list(self.prior_requests)}


@dataclass(frozen=True, slots=True)
class Fee:
    """A reasonable fee: its amount, currency, ground, the administrative costs it covers, and the
    evidence for its ground."""

    amount: Decimal
    currency: str
    ground: FeeGround
    costs: str
    evidence: Evidence

    def as_json(self) -> dict[str, Any]:
        """How it is kept on the request's timeline."""
        return {
            "amount": f"{self.amount:.2f}",
            "currency": self.currency,
            "ground": self.ground.value,
            "costs": self.costs,
            "evidence": self.evidence.as_json(),
        }

    def told(self) -> str:
        """The fee as the requester is told it."""
        return f"The fee is {self.amount:.2f} {self.currency}; it covers: {self.costs}."


def evidence_of(facts: str, prior_requests: Sequence[str] = ()) -> Evidence:
    """Evidence from staff input, or InvalidInput (request.evidence_missing) saying what is short."""
    text = facts.strip()
    if len(text) < MIN_FACTS:
        raise InvalidInput(
            "state the facts that show the request is manifestly unfounded or excessive "
            f"(at least {MIN_FACTS} characters): the controller bears the burden of proof "
            "(GDPR Art. 12(5))",
            code="request.evidence_missing",
        )
    refs = tuple(dict.fromkeys(r.strip() for r in prior_requests if r.strip()))
    bad = [r for r in refs if not _REF.fullmatch(r)]
    if bad:
        raise InvalidInput(
            f"an earlier request is named by its reference (R-XXXXXXXX), not {bad[0]!r}",
            code="request.evidence_missing",
        )
    return Evidence(text, refs)


def check_denial(code: DenialCode, evidence: Evidence | None) -> None:
    """A refusal as manifestly unfounded or excessive needs its evidence."""
    if code in BURDEN_CODES and evidence is None:
        raise InvalidInput(
            f"a refusal as {code.value} needs the evidence that shows it: the controller bears "
            "the burden of proof (GDPR Art. 12(5))",
            code="request.evidence_missing",
        )


def fee_of(amount: str, currency: str, ground: str, costs: str, evidence: Evidence) -> Fee:
    """A fee from staff input, or InvalidInput (request.fee_invalid) naming what is wrong."""
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        value = Decimal(0)
    exponent = value.as_tuple().exponent  # a letter for NaN and infinity
    if not isinstance(exponent, int) or exponent < -2 or value <= 0:
        raise InvalidInput(
            "a fee is an amount above zero with at most two decimals, e.g. 25.00",
            code="request.fee_invalid",
        )
    if not _CURRENCY.fullmatch(currency.strip()):
        raise InvalidInput(
            "a fee names its currency by its ISO 4217 code, e.g. EUR or GBP",
            code="request.fee_invalid",
        )
    try:
        why = FeeGround(ground)
    except ValueError:
        allowed = ", ".join(g.value for g in FeeGround)
        raise InvalidInput(
            f"a fee is charged only for a manifestly unfounded or excessive request or a further "
            f"copy (GDPR Art. 12(5), 15(3)); ground one of: {allowed}",
            code="request.fee_invalid",
        ) from None
    if not costs.strip():
        raise InvalidInput(
            "name the administrative costs the fee covers: only a reasonable fee based on them "
            "may be charged (GDPR Art. 12(5), 15(3))",
            code="request.fee_invalid",
        )
    return Fee(value, currency.strip(), why, costs.strip(), evidence)


def optional_evidence(facts: str, prior_requests: Sequence[str] = ()) -> Evidence | None:
    """Evidence as the edges receive it: None when nothing was given."""
    if not facts.strip() and not any(r.strip() for r in prior_requests):
        return None
    return evidence_of(facts, prior_requests)


def optional_fee(
    amount: str, currency: str, ground: str, costs: str, evidence: Evidence | None
) -> Fee | None:
    """A fee as the edges receive it: None when no amount was given; its evidence is required."""
    if not amount.strip():
        return None
    if evidence is None:
        raise InvalidInput(
            "a fee needs the evidence for its ground (GDPR Art. 12(5))",
            code="request.evidence_missing",
        )
    return fee_of(amount, currency, ground, costs, evidence)
