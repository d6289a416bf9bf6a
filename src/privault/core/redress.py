"""Complaints, grievances and human reviews: requests answered by an outcome a person writes. Pure.

Each is a request of its own, received like any other, on its own clock from the law tables:

- a **complaint** to the controller (UK, DPA 2018 s.164A, from 19 June 2026): receipt acknowledged
  within 30 days beginning with the day it arrives, the outcome told without undue delay
  (``UK-CMPL-1``);
- a **grievance** (India, DPDP Act s.13): answered within the 90 days of the DPDP Rules; the person
  must exhaust it before complaining to the Data Protection Board (s.13(3)), and every answer says so
  (``DPDP-GRV-1``);
- a **human review** of a solely automated decision (GDPR Art. 22(3), UK Art. 22C): it names the
  decision, one the manifest declares (``purposes[].automated_decision``); a person reviews it, with
  the person's view, on the Art. 12(3) clock (``GDPR-ADM-1``).

Staff complete them with the outcome text, which is sent to the person with the rule and the law.
"""

from __future__ import annotations

from privault.core.jurisdictions import JURISDICTIONS, Jurisdiction, Right
from privault.core.manifest.model import AutomatedDecision
from privault.core.manifest.resolve import TenantView
from privault.core.requests import RequestRecord
from privault.errors import InvalidInput, NotFound, PolicyViolation

REDRESS_RIGHTS = frozenset({Right.COMPLAINT, Right.GRIEVANCE, Right.HUMAN_REVIEW})
OUTCOME_MAX = 4000  # characters of outcome text sent to the person

_WHAT = {
    Right.COMPLAINT: "Outcome of your complaint",
    Right.GRIEVANCE: "Our answer to your grievance",
    Right.HUMAN_REVIEW: "Outcome of the review of an automated decision",
}
_SECTION = {
    Right.COMPLAINT: "complaint",
    Right.GRIEVANCE: "grievance",
    Right.HUMAN_REVIEW: "human_review",
}


def automated_decisions(view: TenantView) -> dict[str, AutomatedDecision]:
    """The solely automated decisions the tenant's purposes declare, by purpose key."""
    return {p.key: p.automated_decision for p in view.purposes if p.automated_decision}


def check_decision(
    view: TenantView, right: Right, decision: str | None
) -> AutomatedDecision | None:
    """The automated decision a human review contests (None for any other request); refused where
    the manifest declares none, or names another."""
    if right is not Right.HUMAN_REVIEW:
        return None
    declared = automated_decisions(view)
    if not declared:
        raise PolicyViolation(
            f"{view.tenant.key} declares no solely automated decision (purposes[].automated_"
            "decision): there is nothing for a person to review (GDPR Art. 22(3))",
            code="request.no_automated_decision",
        )
    found = declared.get(decision or "")
    if found is None:
        raise NotFound(
            f"no automated decision '{decision}'; one of: {', '.join(sorted(declared))}",
            code="request.no_automated_decision",
        )
    return found


def check_outcome(outcome: str) -> str:
    """The outcome text, stripped; refused empty or too long (nothing is sent or closed)."""
    text = outcome.strip()
    if not text:
        raise InvalidInput(
            "write the outcome the person will receive", code="request.outcome_missing"
        )
    if len(text) > OUTCOME_MAX:
        raise InvalidInput(
            f"the outcome is {len(text)} characters; at most {OUTCOME_MAX}",
            code="request.outcome_missing",
        )
    return text


def _law(request: RequestRecord) -> Jurisdiction:
    return JURISDICTIONS[request.jurisdiction]


def basis(request: RequestRecord) -> str:
    """The rule and law an answer names, e.g. 'UK-CMPL-1, DPA 2018 s.164A(3), (4) ...'."""
    law = _law(request)
    section = law.cite(_SECTION[request.type]) or law.law
    return f"{request.rule}, {section}"


def _grievance_law(request: RequestRecord) -> Jurisdiction | None:
    """The law among the request's that requires a grievance before the regulator (India)."""
    laws = (JURISDICTIONS[k] for k in request.jurisdictions if k in JURISDICTIONS)
    return next((law for law in laws if Right.GRIEVANCE in law.rights), None)


def grievance_first(request: RequestRecord) -> str:
    """Under a law that requires a grievance before a complaint to the regulator (India, DPDP Act
    s.13(3)), what the person is told: first a grievance, or, after one, the Board ('' otherwise)."""
    law = _grievance_law(request)
    if law is None:
        return ""
    section = law.cite("grievance_first")
    if request.type is Right.GRIEVANCE:
        return (
            f"You have now used our grievance redressal, which you must do before complaining to "
            f"{law.authority} ({section}); if you are not satisfied, you may complain to it."
        )
    return (
        f"Before you may complain to {law.authority}, you must first raise a grievance with us "
        f"({section}): reply to this message, or write to us, quoting {request.ref}."
    )


def where_to_complain(request: RequestRecord) -> str:
    """Where the person may turn next: the authority of the law that set the clock and, under a
    law that requires it, a grievance first (India)."""
    law = _law(request)
    lines = [grievance_first(request)]
    if law.authority and Right.GRIEVANCE not in law.rights:
        lines.insert(0, f"You may complain to {law.authority}.")
    return "\n".join(line for line in lines if line)


def outcome_message(request: RequestRecord, outcome: str, decision: str | None) -> str:
    """The text sent when staff complete the request: what it was, the outcome, the basis, what next."""
    what = _WHAT[request.type]
    if decision:
        what += f" '{decision}'"
    lines = [f"{what} ({request.ref}; {basis(request)}):", outcome, where_to_complain(request)]
    return "\n".join(line for line in lines if line)
