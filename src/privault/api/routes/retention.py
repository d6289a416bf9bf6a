"""Retention over HTTP (admin roles): status, sweeps, legal holds, contract ends."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from privault.core.ids import Id
from privault.core.retention_ports import HoldRecord
from privault.http.deps import AdminDep, ContainerDep
from privault.services import legal_holds
from privault.services import retention as svc
from privault.services.retention_subjects import discover_minors, record_contract_end

router = APIRouter(tags=["retention"])


class RuleStatusOut(BaseModel):
    """What one rule has due."""

    rule: str
    why: str
    action: str
    due_now: int
    due_next_30_days: int
    next_due: date | None
    note: str | None


class HoldOut(BaseModel):
    """A legal hold (the subject is not named: the audit trail does that)."""

    id: int
    scope: str
    category: str | None
    reference: str
    reason: str
    created_by: str
    created_at: datetime
    expires_on: date | None
    released_at: datetime | None


class DatedOut(BaseModel):
    """What one dated collection of a connected datastore has due (rows, not values)."""

    datastore: str
    collection: str
    due_now: int
    due_next_30_days: int
    held: int
    undated: int
    problem: str | None


class StatusOut(BaseModel):
    """What is due when, and the active holds."""

    today: date
    rules: list[RuleStatusOut]
    holds: list[HoldOut]
    last_run: int | None
    datastores: list[DatedOut]


class SweepOut(BaseModel):
    """A sweep's report: per rule, what went and why (counts only)."""

    run: int
    report: dict[str, Any]


class HoldIn(BaseModel):
    """A hold to place."""

    scope: Literal["subject", "tenant", "category"]
    reference: str = Field(min_length=1, max_length=200)
    subject: str | None = Field(default=None, description="The subject's ref (scope subject).")
    category: str | None = Field(default=None, description="The category (scope category).")
    expires_on: date | None = None
    reason: str = Field(default="", max_length=500)


class ContractEndIn(BaseModel):
    """The day the subject's contract ended."""

    on: date


class ContractEndOut(BaseModel):
    """The contract end and the deletion it scheduled."""

    on: date
    delete_on: date


def _hold(h: HoldRecord) -> HoldOut:
    return HoldOut(
        id=h.id,
        scope=h.scope,
        category=h.category,
        reference=h.reference,
        reason=h.reason,
        created_by=h.created_by,
        created_at=h.created_at,
        expires_on=h.expires_on,
        released_at=h.released_at,
    )


@router.get("/v1/retention/status", response_model=StatusOut)
def retention_status(container: ContainerDep, principal: AdminDep) -> StatusOut:
    """Per rule: values due now, in the next 30 days, and the next due date; the active holds."""
    found = svc.status(
        container.deps,
        principal.tenant_key,
        batch_size=container.settings.retention_batch_size,
    )
    rules = [
        RuleStatusOut(
            rule=r.key,
            why=r.why,
            action=r.action,
            due_now=r.due_now,
            due_next_30_days=r.due_soon,
            next_due=r.next_due,
            note=r.note,
        )
        for r in found.rules
    ]
    last = found.last_run.id if found.last_run else None
    stores = [
        DatedOut(
            datastore=d.datastore,
            collection=d.collection,
            due_now=d.due_now,
            due_next_30_days=d.due_soon,
            held=d.held,
            undated=d.undated,
            problem=d.problem,
        )
        for d in found.datastores
    ]
    return StatusOut(
        today=found.today,
        rules=rules,
        holds=[_hold(h) for h in found.holds],
        last_run=last,
        datastores=stores,
    )


@router.post("/v1/retention/sweep", response_model=SweepOut)
def retention_sweep(
    container: ContainerDep,
    principal: AdminDep,
    dry_run: bool = Query(False, description="Report what is due; delete nothing."),
) -> SweepOut:
    """Run a sweep now, in this request (a worker runs one every day anyway)."""
    if not dry_run:
        discover_minors(container.deps, principal.tenant_key, principal.actor)
    result = svc.sweep(
        container.deps,
        principal.tenant_key,
        batch_size=container.settings.retention_batch_size,
        dry_run=dry_run,
        actor=principal.actor,
    )
    return SweepOut(run=result.run_id, report=result.report)


@router.post("/v1/legal-holds", response_model=HoldOut, status_code=status.HTTP_201_CREATED)
def place_hold(body: HoldIn, container: ContainerDep, principal: AdminDep) -> HoldOut:
    """Place a legal hold on a subject, the tenant, or a category."""
    hold = legal_holds.add_hold(
        container.deps,
        principal.tenant_key,
        principal.actor,
        scope=body.scope,
        reference=body.reference,
        subject=body.subject,
        category=body.category,
        expires_on=body.expires_on,
        reason=body.reason,
    )
    return _hold(hold)


@router.get("/v1/legal-holds", response_model=list[HoldOut])
def list_holds(
    container: ContainerDep,
    principal: AdminDep,
    all_: bool = Query(False, alias="all", description="Released and expired holds too."),
) -> list[HoldOut]:
    """The legal holds, oldest first."""
    holds = legal_holds.list_holds(container.deps, principal.tenant_key, include_ended=all_)
    return [_hold(h) for h in holds]


@router.delete("/v1/legal-holds/{hold_id}", response_model=HoldOut)
def release_hold(hold_id: Id, container: ContainerDep, principal: AdminDep) -> HoldOut:
    """Release a legal hold."""
    hold = legal_holds.release_hold(container.deps, principal.tenant_key, hold_id, principal.actor)
    return _hold(hold)


@router.post("/v1/subjects/{ref}/contract-end", response_model=ContractEndOut)
def contract_end(
    ref: str, body: ContractEndIn, container: ContainerDep, principal: AdminDep
) -> ContractEndOut:
    """Record the day a subject's contract ended; its deletion is scheduled per the policy."""
    ended = record_contract_end(container.deps, principal.tenant_key, ref, body.on, principal.actor)
    return ContractEndOut(on=ended.on, delete_on=ended.delete_on)
