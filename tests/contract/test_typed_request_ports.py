"""The requests port stores what it is given: a ``NewRequest``, ``NewPackage`` and each ``…Change``
read back unchanged, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from privault.bootstrap import Container
from privault.core.jurisdictions import Right
from privault.core.ports import UnitOfWork
from privault.core.records import PackageRecord
from privault.core.request_ports import (
    NewPackage,
    NewRequest,
    RequestChange,
    TaskChange,
    VerificationChange,
)
from privault.core.requests import (
    Channel,
    DenialCode,
    PauseSpan,
    RequestRecord,
    State,
    TaskRecord,
    VerificationRecord,
)
from privault.services.tenants import bind_tenant, sync_tenants

AT = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
LATER = AT + timedelta(days=3)
NEW = NewRequest(
    ref="R-ABC123",
    type=Right.ACCESS,
    channel=Channel.AGENT_DESKTOP,
    brand=None,
    jurisdictions=("gb", "fr"),
    jurisdiction="gb",
    rule="one calendar month",
    deadline_explanation="UK GDPR: one month",
    received_at=AT,
    received_on=AT.date(),
    due_on=date(2026, 4, 2),
    ack_due_on=None,
    acknowledged_at=AT,
    verification="pending",
    kek_version=1,
    wrapped_key=b"wrapped",
    sealed=b"sealed",
    token_hash="t" * 64,
    created_at=AT,
    updated_at=AT,
)


@pytest.fixture
def ready(container: Container) -> Container:
    """The manifest's tenants exist."""
    for tenant in sync_tenants(container.deps):
        container.keyring.ensure_tenant(tenant.key)  # audited writes need the tenant's keys
    return container


@contextmanager
def _bound(container: Container) -> Iterator[UnitOfWork]:
    with container.uow() as uow:
        bind_tenant(uow, "bluewave")
        yield uow


def _added(ready: Container) -> RequestRecord:
    with _bound(ready) as uow:
        made = uow.requests.add(NEW)
        uow.commit()
    return made


def test_a_new_request_reads_back_received_unpaused_and_unanswered(ready: Container) -> None:
    """A new request comes back as given, received, with no pauses, subject or result yet."""
    made = _added(ready)
    with _bound(ready) as uow:
        found = uow.requests.get(NEW.ref)
    assert found == made == RequestRecord(
        made.id, made.tenant_id, NEW.ref, Right.ACCESS, State.RECEIVED, None, Channel.AGENT_DESKTOP,
        None, ("gb", "fr"), "gb", "one calendar month", "UK GDPR: one month", AT, AT.date(),
        date(2026, 4, 2), None, AT, False, "", (), None, None, "pending", None, None, None, "", {},
        None, None, AT, AT, 1, b"wrapped", b"sealed", "t" * 64,
    )  # fmt: skip


def test_a_request_change_writes_only_its_fields(ready: Container) -> None:
    """A pause, a resume (``None`` clears the state to resume) and a denial, each read back."""
    made = _added(ready)
    spans = (PauseSpan(date(2026, 3, 3), None, "awaiting_identity"),)
    pause = RequestChange(state=State.PAUSED, resume_state=State.RECEIVED, pauses=spans)
    with _bound(ready) as uow:
        uow.requests.update(made.id, pause)
        uow.commit()
    with _bound(ready) as uow:
        paused = uow.requests.get(NEW.ref)
        ended = (replace(spans[0], end=date(2026, 3, 5)),)
        resume = RequestChange(state=State.RECEIVED, resume_state=None, pauses=ended)
        uow.requests.update(made.id, resume)
        uow.commit()
    assert paused == replace(made, state=State.PAUSED, resume_state=State.RECEIVED, pauses=spans)
    deny = RequestChange(
        state=State.DENIED,
        denial_code=DenialCode.IDENTITY_NOT_VERIFIED,
        result={"runs": [{"rows": 2}], "note": "ü"},
        closed_at=LATER,
        retain_until=date(2028, 3, 5),
        updated_at=LATER,
    )
    with _bound(ready) as uow:
        uow.requests.update(made.id, deny)
        uow.commit()
    with _bound(ready) as uow:
        found = uow.requests.get(NEW.ref)
    assert found == replace(
        made,
        state=State.DENIED,
        pauses=ended,
        denial_code=DenialCode.IDENTITY_NOT_VERIFIED.value,
        result={"runs": [{"rows": 2}], "note": "ü"},
        closed_at=LATER,
        retain_until=date(2028, 3, 5),
        updated_at=LATER,
    )


def test_code_and_task_changes_and_a_new_package_read_back(ready: Container) -> None:
    """A code's counters and verified time, a task's outcome, a package not yet downloaded."""
    made = _added(ready)
    with _bound(ready) as uow:
        uow.requests.add_verification(made.id, "email", 0, "h" * 64, AT)
        task = uow.requests.add_task(made.id, "desk", "act on it", None, AT)
        (code,) = uow.requests.verifications(made.id)
        uow.requests.update_verification(code.id, VerificationChange(attempts=2, sends=3))
        uow.requests.update_verification(code.id, VerificationChange(verified_at=LATER))
        done = TaskChange(state="done", note="erased by hand", done_at=LATER, done_by="ann")
        uow.requests.update_task(task, done)
        new = NewPackage(made.id, "p" * 64, "access.zip", 512, 1, b"w", b"s", LATER, AT)
        uow.requests.add_package(new)
        uow.commit()
    with _bound(ready) as uow:
        assert uow.requests.verifications(made.id) == [
            VerificationRecord(code.id, made.id, "email", 0, "h" * 64, AT, 2, 3, LATER)
        ]
        assert uow.requests.tasks(made.id) == [
            TaskRecord(task, made.id, "desk", "act on it", None, "done", "erased by hand", AT,
                       LATER, "ann"),
        ]  # fmt: skip
        package = uow.requests.latest_package(made.id)
    assert package == PackageRecord(
        package.id if package else 0, made.id, "access.zip", 512, 1, b"w", b"s", LATER, 0
    )
