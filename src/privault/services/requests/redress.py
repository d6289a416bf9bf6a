"""Answering a complaint, a grievance or a human review: staff write the outcome, it is sent to the person.

One transaction locks the request, checks it is verified and open, closes it as completed with the
outcome (timeline, audit trail, webhook); the message goes out after the commit (``core.redress``).
"""

from __future__ import annotations

from privault.core.redress import REDRESS_RIGHTS, check_outcome, outcome_message
from privault.core.requests import RequestRecord, State
from privault.errors import Conflict
from privault.services.deps import Deps
from privault.services.requests.deps import load_request, open_details
from privault.services.requests.messages import send_on_commit, to_requester
from privault.services.requests.workflow import close_request

ANSWERABLE = (State.VERIFIED, State.IN_PROGRESS, State.EXTENDED, State.INCOMPLETE)


def answer_request(
    deps: Deps, tenant_key: str, ref: str, actor: str, outcome: str
) -> RequestRecord:
    """Complete a complaint, grievance or human review with its ``outcome``, sent to the person
    with the rule and the law (and, under India's law, the Board only after the grievance)."""
    text = check_outcome(outcome)
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        _check_answerable(request)
        details = open_details(deps, tenant_key, request)
        message = outcome_message(request, text, details.decision)
        result = {"outcome": text, "rule": request.rule, "decision": details.decision}
        subject = f"Your request {ref}: the outcome"
        told = to_requester(details, subject, message, "completed")
        send_on_commit(deps, uow, tenant_key, ref, told)
        closed = close_request(
            deps, uow, tenant_key, request, actor, complete=True, response=message, result=result
        )
        uow.commit()
    return closed


def _check_answerable(request: RequestRecord) -> None:
    if request.type not in REDRESS_RIGHTS:
        raise Conflict(
            f"{request.ref} is a request of type {request.type.value}: it is completed by "
            "fulfilment, not by an outcome text",
            code="request.invalid_transition",
        )
    if request.verified_at is None:
        raise Conflict(
            f"{request.ref} is not verified: verify the person first", code="request.not_verified"
        )
    if request.state not in ANSWERABLE:
        raise Conflict(
            f"a {request.state.value} request cannot be answered (closed requests stay closed)",
            code="request.invalid_transition",
        )
