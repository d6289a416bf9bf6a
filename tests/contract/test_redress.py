"""Complaints (UK-CMPL-1), grievances (DPDP-GRV-1) and human reviews (GDPR-ADM-1), on SQLite and
PostgreSQL: each is received like any request on its own clock, and completed with an outcome that
is sent to the person naming the rule and the law.

The ``harbour`` tenant of the template is under ca-qc, ca, uk, eu, in and us-ca; its
``fraud-prevention`` purpose is given a solely automated decision here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import yaml

from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.core.requests import DenialCode, State
from privault.errors import InvalidInput, NotFound, PolicyViolation
from privault.outbound.messenger import read_outbox
from privault.services.fulfilment import fulfil
from privault.services.requests import (
    deny_request,
    open_request,
    show_request,
    verify_manually,
)
from privault.services.setup import apply_manifest

STAFF = "staff:alice"
PERSON = "asha@example.com"
CREDIT = {
    "name": "credit limit",
    "logic": "A score from payment history sets the limit.",
    "effects": "A low score means a lower limit or no credit.",
}


def _declare_decision(c: Container) -> None:
    """Give the fraud-prevention purpose a solely automated decision, and reload the manifest."""
    path = c.settings.manifest_path
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for purpose in document["purposes"]:
        if purpose["key"] == "fraud-prevention":
            purpose["automated_decision"] = CREDIT
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    c.reload_manifest()


@pytest.fixture
def c(container: Container, clock: FixedClock) -> Container:
    """The template with a declared automated decision, applied; the clock on 1 July 2026."""
    clock.at = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    _declare_decision(container)
    apply_manifest(container.deps)
    return container


def _open(c: Container, kind: str, jurisdiction: str, **extra: Any) -> Any:
    raw = {"type": kind, "identities": {"email": [PERSON]}, "jurisdiction": jurisdiction}
    return open_request(c.deps, "harbour", raw | extra)


def _verified(c: Container, kind: str, jurisdiction: str, **extra: Any) -> str:
    opened = _open(c, kind, jurisdiction, **extra)
    verify_manually(c.deps, "harbour", opened.ref, STAFF, "called the person back")
    return str(opened.ref)


def _last_to_person(c: Container, ref: str) -> str:
    bodies = [m["body"] for m in read_outbox(c.settings.outbox_path) if ref in m["subject"]]
    return str(bodies[-1])


def test_a_uk_complaint_is_acknowledged_at_once_within_its_30_days(c: Container) -> None:
    """DPA 2018 s.164A(3): received 1 July 2026, acknowledgement due 30 July, sent on receipt."""
    opened = _open(c, "complaint", "uk", details="You kept calling me after I objected.")
    assert (opened.due_on, opened.rule, opened.ack_due_on) == (
        date(2026, 7, 30),
        "UK-CMPL-1",
        date(2026, 7, 30),
    )
    receipt = [m for m in read_outbox(c.settings.outbox_path) if m["kind"] == "receipt"]
    assert "This confirms receipt as UK-CMPL-1 requires" in receipt[-1]["body"]


def test_a_complaint_is_closed_with_its_outcome_sent_naming_the_rule_and_the_law(
    c: Container,
) -> None:
    """s.164A(4)(b): the complainant is told the outcome; the text names UK-CMPL-1, s.164A and the ICO."""
    ref = _verified(c, "complaint", "uk")
    closed = fulfil(c.deps, "harbour", ref, STAFF, "We stopped the calls and apologise.")
    assert closed.state is State.COMPLETED
    sent = _last_to_person(c, ref)
    assert "We stopped the calls and apologise." in sent
    assert "UK-CMPL-1, DPA 2018 s.164A(3), (4)" in sent
    assert "You may complain to the Information Commissioner's Office" in sent
    assert show_request(c.deps, "harbour", ref).request.result["outcome"].startswith("We stop")


def test_a_complaint_without_its_outcome_is_refused_and_stays_open(c: Container) -> None:
    """Nothing is closed or sent without the outcome text."""
    ref = _verified(c, "complaint", "uk")
    before = len(read_outbox(c.settings.outbox_path))
    with pytest.raises(InvalidInput) as refused:
        fulfil(c.deps, "harbour", ref, STAFF, "  ")
    assert refused.value.code == "request.outcome_missing"
    assert show_request(c.deps, "harbour", ref).request.state is State.VERIFIED
    assert len(read_outbox(c.settings.outbox_path)) == before


def test_a_complaint_before_19_june_2026_or_outside_the_uk_is_refused(
    c: Container, clock: FixedClock
) -> None:
    """s.164A applies from 19 June 2026 and only under UK law."""
    with pytest.raises(PolicyViolation, match="right 'complaint' is not granted"):
        _open(c, "complaint", "eu")
    clock.at = datetime(2026, 6, 18, 12, tzinfo=UTC)
    with pytest.raises(PolicyViolation, match="only from 2026-06-19") as refused:
        _open(c, "complaint", "uk")
    assert refused.value.code == "request.right_unavailable"


def test_an_indian_grievance_answer_says_the_board_comes_after_it(c: Container) -> None:
    """DPDP Act s.13: due in 90 days; the answer says the grievance is used and the Board is next."""
    opened = _open(c, "grievance", "in")
    assert (opened.due_on, opened.rule) == (date(2026, 9, 29), "DPDP-GRV-1")
    ref = _verified(c, "grievance", "in")
    fulfil(c.deps, "harbour", ref, STAFF, "We corrected your address.")
    sent = _last_to_person(c, ref)
    assert "We corrected your address." in sent
    assert "DPDP-GRV-1" in sent
    assert "must do before complaining to the Data Protection Board of India" in sent
    assert "DPDP Act s.13(3)" in sent


def test_an_indian_refusal_says_a_grievance_must_come_before_the_board(c: Container) -> None:
    """s.13(3): a refused request under India's law points to a grievance first, not the Board."""
    ref = _verified(c, "access", "in")
    deny_request(c.deps, "harbour", ref, STAFF, DenialCode.EXEMPT, "We hold no data on you.")
    text = show_request(c.deps, "harbour", ref).request.denial_text or ""
    assert "you must first raise a grievance with us (DPDP Act s.13(3))" in text
    assert "You may complain to the Data Protection Board" not in text


@pytest.mark.parametrize("law", ["eu", "uk"])
def test_a_human_review_of_a_declared_decision_is_answered_on_the_one_month_clock(
    c: Container, law: str
) -> None:
    """Art. 22(3) / UK 22C: due 1 month on (1 August 2026 is a Saturday: 3 August); the outcome
    names the decision contested and GDPR-ADM-1."""
    opened = _open(c, "human_review", law, decision="fraud-prevention", details="I pay on time.")
    assert (opened.due_on, opened.rule) == (date(2026, 8, 3), "GDPR-ADM-1")
    ref = _verified(c, "human_review", law, decision="fraud-prevention")
    fulfil(c.deps, "harbour", ref, STAFF, "A person reviewed it; your limit is raised.")
    sent = _last_to_person(c, ref)
    assert "review of an automated decision 'fraud-prevention'" in sent
    assert "GDPR-ADM-1" in sent
    assert "22" in sent


def test_a_human_review_names_a_decision_the_manifest_declares(c: Container) -> None:
    """An unknown decision is refused, listing the declared ones; nothing is stored."""
    with pytest.raises(NotFound, match="one of: fraud-prevention") as refused:
        _open(c, "human_review", "eu", decision="billing")
    assert refused.value.code == "request.no_automated_decision"
    with pytest.raises(InvalidInput):
        _open(c, "human_review", "eu")  # no decision named


def test_a_human_review_is_refused_where_the_manifest_declares_no_decision(
    container: Container,
) -> None:
    """Without purposes[].automated_decision there is nothing for a person to review."""
    apply_manifest(container.deps)
    raw = {
        "type": "human_review",
        "identities": {"email": [PERSON]},
        "jurisdiction": "eu",
        "decision": "fraud-prevention",
    }
    with pytest.raises(PolicyViolation) as refused:
        open_request(container.deps, "harbour", raw)
    assert refused.value.code == "request.no_automated_decision"


def test_a_human_review_is_not_offered_under_californian_law(c: Container) -> None:
    """Art. 22 is EU and UK law: under us-ca alone (with harbour's own ca-qc) it is refused."""
    with pytest.raises(PolicyViolation, match="right 'human_review' is not granted"):
        _open(c, "human_review", "us-ca", decision="fraud-prevention")
