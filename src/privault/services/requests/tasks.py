"""Manual tasks on a request: opened by staff (or for systems without a connector) and finished with a note."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from privault.core.ports import UnitOfWork
from privault.core.request_ports import TaskChange
from privault.core.requests import FINAL
from privault.errors import Conflict, InvalidInput, NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.requests.deps import load_request


def add_task(
    deps: Deps,
    tenant_key: str,
    ref: str,
    actor: str,
    system: str,
    description: str,
    assignee: str | None,
) -> int:
    """Open a manual task on an open request."""
    if not system.strip() or not description.strip():
        raise InvalidInput("a task names its system and what to do", code="request.task_invalid")
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if request.state in FINAL:
            raise Conflict(
                f"the request is {request.state.value}", code="request.invalid_transition"
            )
        task_id = uow.requests.add_task(
            request.id, system.strip(), description.strip(), assignee, at
        )
        uow.requests.add_event(request.id, at, actor, "task_opened", details={"task": task_id})
        _task_audit(uow, actor, ref, task_id, "opened", at)
        uow.commit()
    return task_id


def finish_task(
    deps: Deps,
    tenant_key: str,
    ref: str,
    task_id: int,
    actor: str,
    note: str,
    *,
    cancelled: bool = False,
) -> None:
    """Mark a manual task done (or cancelled), with a note of what was done."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        task = next((t for t in uow.requests.tasks(request.id) if t.id == task_id), None)
        if task is None:
            raise NotFound(f"request {ref} has no task {task_id}", code="request.task_unknown")
        if task.state != "open":
            raise Conflict(f"task {task_id} is already {task.state}")
        state: Literal["done", "cancelled"] = "cancelled" if cancelled else "done"
        change = TaskChange(state=state, note=note.strip(), done_at=at, done_by=actor)
        uow.requests.update_task(task_id, change)
        uow.requests.add_event(
            request.id, at, actor, f"task_{state}", note=note.strip(), details={"task": task_id}
        )
        _task_audit(uow, actor, ref, task_id, state, at)
        uow.commit()


def _task_audit(
    uow: UnitOfWork, actor: str, ref: str, task_id: int, what: str, at: datetime
) -> None:
    record(
        uow,
        [
            Entry(
                actor,
                "request:task",
                None,
                None,
                "ok",
                {"ref": ref, "task": task_id, "state": what},
            )
        ],
        at,
    )
