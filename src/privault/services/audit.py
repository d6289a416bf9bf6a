"""The audit log: append in the caller's transaction (fail closed, no lock), seal, checkpoint, read.

A use case appends its events with :func:`record`: each gets a keyed MAC and is inserted, nothing
else is locked. :func:`seal` (the worker, every few seconds, and on demand) chains the committed
events in time order and :func:`checkpoint` signs the head and hands it to the witness outside the
database. Verification is in ``services/audit_verify.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from secrets import token_hex
from typing import TYPE_CHECKING, Any

from privault.core.audit import (
    ACTIONS,
    OUTCOMES,
    AuditEvent,
    canonical_details,
    chain_hash,
    checkpoint_message,
    event_mac,
    mac_text,
    to_micros,
)
from privault.core.ports import UnitOfWork
from privault.core.records import CheckpointRecord
from privault.errors import Conflict, InvalidInput
from privault.services.tenants import bind_tenant

if TYPE_CHECKING:  # services.deps imports services.decisions, which records audit events
    from privault.services.deps import Deps

PAGE_MAX = 500
SEAL_BATCH = 20_000  # events chained per transaction of the sealer


@dataclass(frozen=True, slots=True)
class Entry:
    """What happened, before it is written."""

    actor: str
    action: str
    subject: str | None = None
    purpose: str | None = None
    outcome: str = "ok"
    details: dict[str, Any] | str = field(default_factory=dict)  # a str is already canonical JSON


@dataclass(frozen=True, slots=True)
class Sealed:
    """What one round of sealing did."""

    events: int
    head: int
    checkpoint: CheckpointRecord | None


def record(uow: UnitOfWork, entries: Sequence[Entry], at: datetime) -> list[AuditEvent]:
    """Write entries with their MACs inside the caller's transaction; if this fails, so does the
    use case. Takes no lock: the worker seals them into the chain once committed."""
    for entry in entries:
        if entry.action not in ACTIONS:
            raise ValueError(f"'{entry.action}' is not in the audit vocabulary")
        if entry.outcome not in OUTCOMES:
            raise ValueError(f"'{entry.outcome}' is not an audit outcome")
    key = uow.audit_key()
    at_us = to_micros(at)
    events = []
    for entry in entries:
        details = (
            entry.details if isinstance(entry.details, str) else canonical_details(entry.details)
        )
        fields = (at_us, entry.actor, entry.action, entry.subject, entry.purpose, entry.outcome)
        nonce = token_hex(12)
        mac = event_mac(key, mac_text(nonce, *fields, details))
        events.append(AuditEvent(None, *fields, details, None, None, nonce, mac))
    uow.audit.append(events)
    return events


def seal(deps: Deps, tenant_key: str, *, delay: timedelta = timedelta(0)) -> Sealed:
    """Chain the committed events written at least ``delay`` ago, oldest first, in short
    transactions; take a checkpoint when one is due (``deps.audit.checkpoint_every``)."""
    until = to_micros(deps.clock.now() - delay) if delay else None
    total, head = 0, 0
    while True:
        with deps.make_uow() as uow:
            bind_tenant(uow, tenant_key)
            sealed, head = _seal_batch(uow, until)
            uow.commit()
        total += sealed
        if sealed < SEAL_BATCH:
            break
    point = None
    if _checkpoint_due(deps, tenant_key, head):
        point = checkpoint(deps, tenant_key, "system")
    return Sealed(total, head, point)


def tenants_to_seal(deps: Deps) -> list[str]:
    """The tenants (by key) with events to seal or a sealed tail past their last checkpoint: the
    worker seals only these (a thousand quiet tenants cost one query)."""
    with deps.make_uow() as uow, uow.reading():
        due = uow.audit.tenants_to_seal()
        return sorted(tenant.key for tenant in uow.tenants.list() if tenant.id in due)


def _seal_batch(uow: UnitOfWork, until: int | None) -> tuple[int, int]:
    """Chain up to SEAL_BATCH unsealed events after the locked head: (how many, new head seq)."""
    seq, prev, last_us = uow.audit.lock_head()
    events = uow.audit.unsealed(until, SEAL_BATCH)
    chained = []
    for event in events:
        seq += 1
        digest = chain_hash(prev, seq, event.mac or "")
        chained.append(replace(event, seq=seq, prev_hash=prev, hash=digest))
        prev, last_us = digest, max(last_us, event.at_us)
    uow.audit.seal(chained, (seq, prev, last_us))
    return len(chained), seq


def _checkpoint_due(deps: Deps, tenant_key: str, head: int) -> bool:
    """A checkpoint is due once the chain has grown past the witness's and the last one is
    ``checkpoint_every`` old: sealed events never wait for more events to be witnessed."""
    latest = deps.witness.latest(tenant_key)
    if latest is None:
        return head > 0
    grown = head > latest.seq
    return grown and deps.clock.now() - latest.created_at >= deps.audit.checkpoint_every


def checkpoint(deps: Deps, tenant_key: str, actor: str) -> CheckpointRecord:
    """Seal what is committed, sign the chain's head, store the checkpoint and give it to the
    witness. Refused (Conflict, audit.rewritten) when the chain no longer holds the witness's checkpoint: a
    checkpoint is never signed over a rewritten history."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        record(uow, [Entry(actor, "audit:checkpoint")], at)
        uow.commit()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        _seal_batch(uow, None)
        seq, head, _ = uow.audit.lock_head()
        _refuse_if_rewritten(uow, deps, tenant_key, seq)
        signature = deps.keyring.signing_key(tenant_key).sign(
            checkpoint_message(tenant_key, seq, head)
        )
        created = CheckpointRecord(seq, head, signature.hex(), at)
        uow.audit.add_checkpoint(created)
        uow.commit()
    deps.witness.publish(tenant_key, created)  # after the commit: the witness never runs ahead
    return created


def _refuse_if_rewritten(uow: UnitOfWork, deps: Deps, tenant_key: str, seq: int) -> None:
    witnessed = deps.witness.latest(tenant_key)
    if witnessed is None:
        return
    if seq < witnessed.seq or uow.audit.hash_at(witnessed.seq) != witnessed.hash:
        raise Conflict(
            f"the audit chain of '{tenant_key}' no longer contains the checkpoint at event "
            f"{witnessed.seq} kept by the witness: no checkpoint is signed; run 'privault audit "
            "verify --full'",
            code="audit.rewritten",
        )


@dataclass(frozen=True, slots=True)
class Restored:
    """What accepting a restore did: the witness's checkpoint set aside (where, its position), the
    restored chain's head, and the new checkpoint."""

    set_aside: str
    witnessed: int
    head: int
    checkpoint: CheckpointRecord


def accept_restore(deps: Deps, tenant_key: str, actor: str, reason: str) -> Restored:
    """After the database was restored to an earlier point, the witness holds a checkpoint the
    chain no longer reaches, and no checkpoint is signed (``audit.rewritten``). Accepting the
    restore sets the witness's file aside (kept as evidence, never deleted), records what was lost
    (``audit:restore``: the witness's position and hash, the chain's head, ``reason``) and takes a
    new checkpoint. Refused without a reason, and when the chain still holds the witness's
    checkpoint (nothing was lost: ``audit.not_restored``)."""
    if not reason.strip():
        raise InvalidInput("say why the restore is accepted (--reason)", code="input.invalid")
    witnessed = deps.witness.latest(tenant_key)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        head, _ = uow.audit.head()
        holds = witnessed is None or (
            head >= witnessed.seq and uow.audit.hash_at(witnessed.seq) == witnessed.hash
        )
    if holds or witnessed is None:
        raise Conflict(
            f"the audit chain of '{tenant_key}' still holds the witness's checkpoint: there is no "
            "restore to accept",
            code="audit.not_restored",
        )
    at = deps.clock.now()
    where = deps.witness.set_aside(tenant_key, at) or ""
    details = {
        "witness_seq": witnessed.seq,
        "witness_hash": witnessed.hash,
        "head_seq": head,
        "set_aside": where,
        "reason": reason.strip()[:500],
    }
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        record(uow, [Entry(actor, "audit:restore", outcome="ok", details=details)], at)
        uow.commit()
    point = checkpoint(deps, tenant_key, actor)
    return Restored(where, witnessed.seq, head, point)


def recent_events(
    deps: Deps,
    tenant_key: str,
    *,
    action: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[AuditEvent]:
    """The tenant's newest events, newest first, sealed or not: one ``action`` of the vocabulary,
    or all; those with an id below ``before`` (the next page). Details hold references and counts,
    never values."""
    if action is not None and action not in ACTIONS:
        raise InvalidInput(f"'{action}' is not an audit action", code="input.invalid")
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(f"a page holds 1 to {PAGE_MAX} events", code="input.invalid")
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return uow.audit.recent(limit, before=before, action=action)
