"""The audit trail over HTTP: verify the chain, take a signed checkpoint (admin roles only)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from privault.http.deps import AdminDep, ContainerDep
from privault.services.audit import checkpoint, verify

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class Problem(BaseModel):
    """Where the chain does not hold."""

    seq: int
    kind: str
    message: str


class VerifyOut(BaseModel):
    """The result of verifying the tenant's chain."""

    ok: bool
    events: int
    checkpoints: int
    problems: list[Problem]


class CheckpointOut(BaseModel):
    """A signed checkpoint."""

    seq: int
    hash: str
    signature: str


@router.get("/verify", response_model=VerifyOut)
def verify_chain(principal: AdminDep, container: ContainerDep) -> VerifyOut:
    """Walk the tenant's audit chain and report every problem with its position."""
    report = verify(container.deps, principal.tenant_key)
    problems = [Problem(seq=p.seq, kind=p.kind, message=p.message) for p in report.problems]
    return VerifyOut(
        ok=report.ok, events=report.events, checkpoints=report.checkpoints, problems=problems
    )


@router.post("/checkpoint", response_model=CheckpointOut)
def take_checkpoint(principal: AdminDep, container: ContainerDep) -> CheckpointOut:
    """Sign the current head of the tenant's chain."""
    point = checkpoint(container.deps, principal.tenant_key, principal.actor)
    return CheckpointOut(seq=point.seq, hash=point.hash, signature=point.signature)
