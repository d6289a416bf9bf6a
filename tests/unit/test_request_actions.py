"""Which staff actions a request's state allows (``core.requests.allowed_actions``), and the one
entry point that takes them (``services.requests.actions.take_action``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest

from privault.core.requests import RequestRecord, StaffAction, State, allowed_actions
from privault.errors import InvalidInput
from privault.services.deps import Deps
from privault.services.requests import actions
from privault.services.requests.actions import ActionIn, take_action

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _request(state: State, *, verified: bool = False, extended: bool = False) -> RequestRecord:
    """A request record with only what the rule reads filled in."""
    fields = dict.fromkeys(RequestRecord.__dataclass_fields__)
    fields |= {"state": state, "verified_at": AT if verified else None, "extended": extended}
    return RequestRecord(**fields)  # type: ignore[arg-type]


def test_a_received_request_can_be_verified_extended_paused_or_denied() -> None:
    """Not verified yet: no start and no completion; tasks may be opened."""
    found = allowed_actions(_request(State.RECEIVED))
    assert found == {"verify", "extend", "pause", "deny", "task"}


def test_a_verified_request_can_be_started_and_completed() -> None:
    """Verified: start, complete, extend, pause, deny; never verified twice."""
    found = allowed_actions(_request(State.VERIFIED, verified=True))
    assert found == {"start", "extend", "pause", "complete", "deny", "task"}


def test_a_paused_request_is_resumed_not_extended_paused_or_completed() -> None:
    """Paused: resume (or start, or deny); the clock must run again before extending."""
    found = allowed_actions(_request(State.PAUSED, verified=True))
    assert found == {"start", "resume", "deny", "task"}


def test_the_one_extension_is_not_offered_twice() -> None:
    """Extended once: everything but another extension."""
    found = allowed_actions(_request(State.EXTENDED, verified=True, extended=True))
    assert found == {"start", "pause", "complete", "deny", "task"}


@pytest.mark.parametrize("state", [State.COMPLETED, State.DENIED])
@pytest.mark.parametrize("verified", [True, False])
def test_a_closed_request_allows_nothing(state: State, verified: bool) -> None:
    """Completed or denied: no action, no new task."""
    assert allowed_actions(_request(state, verified=verified)) == frozenset()


def test_every_staff_action_is_reachable_from_some_state() -> None:
    """Each action of ``StaffAction`` is offered in at least one state."""
    offered: set[str] = set()
    for state in State:
        for verified in (True, False):
            offered |= allowed_actions(_request(state, verified=verified))
    assert {a.value for a in StaffAction} <= offered


@pytest.mark.parametrize(
    ("kind", "code"),
    [(StaffAction.PAUSE, "request.pause_invalid"), (StaffAction.DENY, "request.denial_invalid")],
)
def test_a_pause_needs_its_reason_and_a_denial_its_code(kind: StaffAction, code: str) -> None:
    """Refused before anything is read or written, whichever edge sent the action."""
    with pytest.raises(InvalidInput) as refused:
        take_action(cast(Deps, None), "bluewave", "R-1", ActionIn(kind), "staff:alice")
    assert refused.value.code == code


def test_every_staff_action_has_one_use_case() -> None:
    """The dispatch covers the whole vocabulary."""
    assert set(actions._STEPS) == set(StaffAction)
