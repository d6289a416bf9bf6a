"""Invariants of the subject-request workflow under random staff actions (SQLite and PostgreSQL).

Hypothesis drives a request through random sequences of staff actions and time steps. Whatever the
sequence, every action either moves the request along ``core.requests.TRANSITIONS`` or is refused
with a privault error that changes nothing; the timeline is one unbroken chain of states, each
transition is audited once, closed requests stay closed, and the audit chain verifies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.core.requests import FINAL, TRANSITIONS, DenialCode, PauseReason, State
from privault.core.unfounded import evidence_of
from privault.errors import PrivaultError
from privault.services.audit_verify import verify
from privault.services.datastores import add_datastore
from privault.services.fulfilment import fulfil
from privault.services.requests import (
    deny_request,
    extend_request,
    finish_task,
    open_request,
    pause_request,
    resume_request,
    show_request,
    start,
    verify_manually,
)
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from tests.audit_rows import audit_rows

TENANT = "northwind"
STAFF = "staff:prop"
TOO_MANY = evidence_of("Fourth identical request this month.")
ACTIONS = ("verify", "start", "pause", "resume", "extend", "deny", "fulfil", "finish", "tick")


@pytest.fixture
def ready(container: Container) -> Container:
    """The template manifest applied, and a manual system (so fulfilment can be incomplete)."""
    apply_manifest(container.deps)
    add_datastore(container.deps, TENANT, "test", "crm", owner="it-team")
    return container


def _finish_tasks(c: Container, ref: str) -> None:
    for task in show_request(c.deps, TENANT, ref).tasks:
        if task.state == "open":
            finish_task(c.deps, TENANT, ref, task.id, STAFF, "done by hand")


def _act(c: Container, ref: str, action: str) -> Callable[[], object]:
    deps = c.deps
    return {
        "verify": lambda: verify_manually(deps, TENANT, ref, STAFF, "documents seen"),
        "start": lambda: start(deps, TENANT, ref, STAFF),
        "pause": lambda: pause_request(
            deps, TENANT, ref, STAFF, PauseReason.AWAITING_CLARIFICATION, "which account?"
        ),
        "resume": lambda: resume_request(deps, TENANT, ref, STAFF),
        "extend": lambda: extend_request(deps, TENANT, ref, STAFF, "complex request"),
        "deny": lambda: deny_request(
            deps, TENANT, ref, STAFF, DenialCode.EXCESSIVE, "too many", evidence=TOO_MANY
        ),
        "fulfil": lambda: fulfil(deps, TENANT, ref, STAFF),
        "finish": lambda: _finish_tasks(c, ref),
    }[action]


def _transitions_audited(c: Container, ref: str) -> int:
    with c.uow() as uow:
        bind_tenant(uow, TENANT)
        rows = audit_rows(uow, 1000)
    return sum(1 for row in rows if row[3] == "request:transition" and f'"{ref}"' in row[7])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=0, max_value=20)),
        min_size=1,
        max_size=12,
    )
)
def test_random_staff_actions_keep_the_workflow_consistent(
    ready: Container, steps: list[tuple[str, int]]
) -> None:
    """Each action moves along TRANSITIONS or is refused without a trace; the timeline chains."""
    c = ready
    clock = c.clock
    assert isinstance(clock, FixedClock)
    begin = clock.at
    opened = open_request(
        c.deps,
        TENANT,
        {"type": "access", "identities": {"email": ["prop@example.com"]}, "jurisdiction": "eu"},
    )
    ref = opened.ref
    try:
        for action, days in steps:
            if action == "tick":
                clock.at += timedelta(days=days)
                continue
            before = show_request(c.deps, TENANT, ref)
            try:
                _act(c, ref, action)()
            except PrivaultError:
                after = show_request(c.deps, TENANT, ref)
                assert after.request.state is before.request.state
                assert after.request.due_on == before.request.due_on
                assert len(after.events) == len(before.events)
                continue
            after = show_request(c.deps, TENANT, ref)
            if action == "finish":
                continue
            if before.request.state in FINAL:
                pytest.fail(f"{action} changed a {before.request.state.value} request")
            moved = [e for e in after.events[len(before.events) :] if e.to_state and e.from_state]
            current = before.request.state
            for event in moved:
                assert event.from_state == current.value
                assert State(str(event.to_state)) in TRANSITIONS[current]
                current = State(str(event.to_state))
            assert current is after.request.state
            assert after.request.due_on >= after.request.received_on
            if after.request.state in FINAL:
                assert after.request.closed_at is not None
                assert after.request.retain_until is not None
        view = show_request(c.deps, TENANT, ref)
        chained = [e for e in view.events if e.from_state and e.to_state]
        for earlier, later in pairwise(chained):
            assert earlier.to_state == later.from_state
        assert _transitions_audited(c, ref) == len(chained)
        assert verify(c.deps, TENANT).ok
    finally:
        clock.at = begin
