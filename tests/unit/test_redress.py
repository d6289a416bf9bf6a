"""Complaints, grievances and human reviews as pure rules: what a human review must name, what the
answers say, and how the request form carries the decision (RULES.md UK-CMPL-1, DPDP-GRV-1,
GDPR-ADM-1)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from privault.core.jurisdictions import Right
from privault.core.manifest import Manifest
from privault.core.manifest.model import AutomatedDecision
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.notice_elements import automated_decisions_statement
from privault.core.redress import (
    OUTCOME_MAX,
    check_decision,
    check_outcome,
    outcome_message,
    where_to_complain,
)
from privault.core.requests import RequestRecord, parse_request
from privault.errors import InvalidInput, NotFound, PolicyViolation
from privault.web.forms import RequestForm

CREDIT = AutomatedDecision(name="credit limit", logic="A score sets it.", effects="Less credit.")


def _with_decision(manifest: Manifest) -> TenantView:
    view = tenant_view(manifest, "harbour")
    purposes = tuple(
        p.model_copy(update={"automated_decision": CREDIT}) if p.key == "fraud-prevention" else p
        for p in view.purposes
    )
    return replace(view, purposes=purposes)


def _request(kind: Right, jurisdictions: tuple[str, ...], rule: str) -> RequestRecord:
    """A request record with only what the answers read filled in."""
    fields = dict.fromkeys(RequestRecord.__dataclass_fields__)
    fields |= {"ref": "R-ABCDEFGH", "type": kind, "jurisdictions": jurisdictions}
    fields |= {"jurisdiction": jurisdictions[0], "rule": rule}
    return RequestRecord(**fields)  # type: ignore[arg-type]


def test_a_human_review_needs_a_decision_the_manifest_declares(manifest: Manifest) -> None:
    """None declared: refused; an undeclared one: refused listing the declared; other rights: None."""
    plain = tenant_view(manifest, "harbour")
    with pytest.raises(PolicyViolation, match="declares no solely automated decision"):
        check_decision(plain, Right.HUMAN_REVIEW, "fraud-prevention")
    declared = _with_decision(manifest)
    with pytest.raises(NotFound, match="one of: fraud-prevention"):
        check_decision(declared, Right.HUMAN_REVIEW, "billing")
    assert check_decision(declared, Right.HUMAN_REVIEW, "fraud-prevention") == CREDIT
    assert check_decision(plain, Right.ACCESS, None) is None


def test_only_a_human_review_names_a_decision() -> None:
    """The request says which decision it contests, and no other request names one."""
    base = {"identities": {"email": ["a@example.com"]}}
    with pytest.raises(InvalidInput):
        parse_request(base | {"type": "human_review"})
    with pytest.raises(InvalidInput):
        parse_request(base | {"type": "access", "decision": "fraud-prevention"})
    item = parse_request(base | {"type": "human_review", "decision": "fraud-prevention"})
    assert item.decision == "fraud-prevention"


def test_an_outcome_is_required_and_bounded() -> None:
    """Empty or over OUTCOME_MAX characters: refused with request.outcome_missing."""
    for bad in ("", "   ", "x" * (OUTCOME_MAX + 1)):
        with pytest.raises(InvalidInput) as refused:
            check_outcome(bad)
        assert refused.value.code == "request.outcome_missing"
    assert check_outcome("  Done.  ") == "Done."


def test_a_complaint_outcome_names_the_rule_the_section_and_the_ico() -> None:
    """UK-CMPL-1 with DPA 2018 s.164A, then the ICO (UK GDPR Art. 77)."""
    text = outcome_message(_request(Right.COMPLAINT, ("uk",), "UK-CMPL-1"), "Fixed.", None)
    assert text.startswith("Outcome of your complaint (R-ABCDEFGH; UK-CMPL-1, DPA 2018 s.164A")
    assert "Fixed." in text
    assert "You may complain to the Information Commissioner's Office" in text


def test_india_sends_a_person_to_a_grievance_before_the_board() -> None:
    """DPDP Act s.13(3): any other request points to a grievance; a grievance's answer to the Board."""
    access = where_to_complain(_request(Right.ACCESS, ("in", "ca-qc"), "DPDP-GRV-1"))
    assert "you must first raise a grievance with us (DPDP Act s.13(3))" in access
    answered = where_to_complain(_request(Right.GRIEVANCE, ("in",), "DPDP-GRV-1"))
    assert "You have now used our grievance redressal" in answered
    assert "You may complain to the Data Protection Board" not in answered


def test_the_form_carries_the_contested_decision_in_its_choice() -> None:
    """The choice ``human_review:<purpose>`` becomes the type and the decision."""
    form = RequestForm("eu", "human_review:fraud-prevention", "a@example.com")
    raw = form.as_request(None)
    assert (raw["type"], raw["decision"]) == ("human_review", "fraud-prevention")
    assert RequestForm("eu", "access", "a@example.com").as_request(None)["decision"] is None


def test_the_notice_describes_a_declared_decision_and_the_review(manifest: Manifest) -> None:
    """Art. 13(2)(f): the decision, its logic and effects, and the right to a human review."""
    text = automated_decisions_statement(_with_decision(manifest))
    assert "credit limit (Fraud prevention and security): A score sets it. Less credit." in text
    assert "ask for a person to review such a decision" in text
    assert "We make no decisions about you" in automated_decisions_statement(
        tenant_view(manifest, "harbour")
    )
