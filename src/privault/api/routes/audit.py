"""The audit log over HTTP: verify it (incrementally; in full as a job), take a signed checkpoint
(admin roles only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from privault.core.ids import Id
from privault.errors import Conflict
from privault.http.deps import AdminDep, ContainerDep
from privault.services.audit import checkpoint
from privault.services.audit_verify import verify
from privault.services.jobs import queue_job, tenant_job

router = APIRouter(prefix="/v1/audit", tags=["audit"])
FULL = "audit.verify"


class Problem(BaseModel):
    """Where the log does not hold (``seq`` 0: an unsealed event, or the log as a whole)."""

    seq: int
    kind: str
    message: str


class VerifyOut(BaseModel):
    """The result of verifying the tenant's log from ``start`` on."""

    ok: bool
    events: int
    unsealed: int
    late: int
    start: int
    witnessed: int | None
    checkpoints: int
    problems: list[Problem]


class CheckpointOut(BaseModel):
    """A signed checkpoint."""

    seq: int
    hash: str
    signature: str


class JobOut(BaseModel):
    """A full verification, queued or running or done (its progress holds the result)."""

    job: int
    status: str
    progress: dict[str, Any]


@router.get("/verify", response_model=VerifyOut)
def verify_log(principal: AdminDep, container: ContainerDep) -> VerifyOut:
    """Verify the events since the last clean verification (and the unsealed ones, the
    checkpoints and the witness); every problem with its position."""
    report = verify(container.deps, principal.tenant_key)
    problems = [Problem(seq=p.seq, kind=p.kind, message=p.message) for p in report.problems]
    return VerifyOut(
        ok=report.ok,
        events=report.events,
        unsealed=report.unsealed,
        late=report.late,
        start=report.start,
        witnessed=report.witnessed,
        checkpoints=report.checkpoints,
        problems=problems,
    )


@router.post("/verify/full", response_model=JobOut, status_code=202)
def verify_full(principal: AdminDep, container: ContainerDep) -> JobOut:
    """Queue a verification of the whole log (a worker runs it; follow it with GET)."""
    job = queue_job(container.deps, principal.tenant_key, FULL, principal.actor)
    if job is None:  # only jobs with a dedupe key are ever refused
        raise Conflict("the verification was not queued", code="conflict")
    return JobOut(job=job, status="queued", progress={})


@router.get("/verify/full/{job}", response_model=JobOut)
def verify_full_status(job: Id, principal: AdminDep, container: ContainerDep) -> JobOut:
    """How far a full verification got, and its result once done."""
    record = tenant_job(container.deps, principal.tenant_key, job, FULL)
    return JobOut(job=record.id, status=record.status.value, progress=record.progress)


@router.post("/checkpoint", response_model=CheckpointOut)
def take_checkpoint(principal: AdminDep, container: ContainerDep) -> CheckpointOut:
    """Seal what is committed and sign the head of the tenant's chain (also given to the witness)."""
    point = checkpoint(container.deps, principal.tenant_key, principal.actor)
    return CheckpointOut(seq=point.seq, hash=point.hash, signature=point.signature)
