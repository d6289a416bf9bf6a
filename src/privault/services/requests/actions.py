"""A staff action on a request, the one entry point the API, the admin console and the CLI call:
``take_action(deps, tenant, ref, action, actor)`` with a typed ``ActionIn``.

Which actions a request's state allows is a rule of ``core.requests`` (``allowed_actions``); each
use case checks its move again under the request's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from privault.core.requests import DenialCode, PauseReason, RequestRecord, StaffAction
from privault.core.unfounded import Evidence, Fee
from privault.errors import InvalidInput
from privault.services.deps import Deps
from privault.services.fulfilment import fulfil
from privault.services.requests.verification import verify_manually
from privault.services.requests.workflow import (
    deny_request,
    extend_request,
    pause_request,
    resume_request,
    start,
)

__all__ = ["ActionIn", "StaffAction", "take_action"]


@dataclass(frozen=True, slots=True)
class ActionIn:
    """A staff action with what it carries; each field is read by the actions its comment names."""

    kind: StaffAction
    note: str = ""  # verify: how the identity was checked
    points: tuple[str, ...] = ()  # verify: data points matched (11 CCR §7062)
    account: bool = False  # verify: re-authenticated through the account (§7061)
    reasons: str = ""  # extend: why more time is needed (sent)
    reason: PauseReason | None = None  # pause
    message: str = ""  # pause: what the requester must send (sent)
    fee: Fee | None = None  # pause awaiting a fee
    code: DenialCode | None = None  # deny
    text: str = ""  # deny: the text sent; complete: the outcome of a complaint, grievance, review
    evidence: Evidence | None = None  # deny: manifestly unfounded or excessive


Step = Callable[[Deps, str, str, str, ActionIn], RequestRecord]


def take_action(
    deps: Deps, tenant_key: str, ref: str, action: ActionIn, actor: str
) -> RequestRecord:
    """Take one staff action on a request; the request as it stands after it."""
    return _STEPS[action.kind](deps, tenant_key, ref, actor, action)


def _verify(deps: Deps, tenant_key: str, ref: str, actor: str, a: ActionIn) -> RequestRecord:
    return verify_manually(deps, tenant_key, ref, actor, a.note, points=a.points, account=a.account)


def _start(deps: Deps, tenant_key: str, ref: str, actor: str, a: ActionIn) -> RequestRecord:
    del a
    return start(deps, tenant_key, ref, actor)


def _extend(deps: Deps, tenant_key: str, ref: str, actor: str, a: ActionIn) -> RequestRecord:
    return extend_request(deps, tenant_key, ref, actor, a.reasons)


def _pause(deps: Deps, tenant_key: str, ref: str, actor: str, a: ActionIn) -> RequestRecord:
    if a.reason is None:
        raise InvalidInput("a pause needs its reason", code="request.pause_invalid")
    return pause_request(deps, tenant_key, ref, actor, a.reason, a.message, fee=a.fee)


def _resume(deps: Deps, tenant_key: str, ref: str, actor: str, a: ActionIn) -> RequestRecord:
    del a
    return resume_request(deps, tenant_key, ref, actor)


def _complete(deps: Deps, tenant_key: str, ref: str, actor: str, a: ActionIn) -> RequestRecord:
    return fulfil(deps, tenant_key, ref, actor, a.text)


def _deny(deps: Deps, tenant_key: str, ref: str, actor: str, a: ActionIn) -> RequestRecord:
    if a.code is None:
        raise InvalidInput("a denial needs its reason code", code="request.denial_invalid")
    denied = deny_request(deps, tenant_key, ref, actor, a.code, a.text, evidence=a.evidence)
    return cast(RequestRecord, denied)  # None only with only_if_unverified, which is not set


_STEPS: dict[StaffAction, Step] = {
    StaffAction.VERIFY: _verify,
    StaffAction.START: _start,
    StaffAction.EXTEND: _extend,
    StaffAction.PAUSE: _pause,
    StaffAction.RESUME: _resume,
    StaffAction.COMPLETE: _complete,
    StaffAction.DENY: _deny,
}
