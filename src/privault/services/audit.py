"""The audit trail: append in the caller's transaction (fail closed), checkpoint, read, verify."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature

from privault.core.audit import (
    ACTIONS,
    GENESIS,
    OUTCOMES,
    AuditEvent,
    ProblemKind,
    VerifyProblem,
    VerifyReport,
    canonical_details,
    checkpoint_message,
    event_hash,
    to_micros,
)
from privault.core.ports import UnitOfWork
from privault.core.records import CheckpointRecord
from privault.crypto.keyring import Keyring
from privault.errors import InvalidInput
from privault.services.tenants import bind_tenant

if TYPE_CHECKING:  # services.deps imports services.decisions, which records audit events
    from privault.services.deps import Deps

MAX_PROBLEMS = 100
PAGE_MAX = 500


@dataclass(frozen=True, slots=True)
class Entry:
    """What happened, before it is chained."""

    actor: str
    action: str
    subject: str | None = None
    purpose: str | None = None
    outcome: str = "ok"
    details: dict[str, Any] | str = field(default_factory=dict)  # a str is already canonical JSON


def record(uow: UnitOfWork, entries: Sequence[Entry], at: datetime) -> list[AuditEvent]:
    """Chain and append entries inside the caller's transaction; if this fails, so does the use case."""
    for entry in entries:
        if entry.action not in ACTIONS:
            raise ValueError(f"'{entry.action}' is not in the audit vocabulary")
        if entry.outcome not in OUTCOMES:
            raise ValueError(f"'{entry.outcome}' is not an audit outcome")
    seq, prev = uow.audit.lock_head()
    at_us = to_micros(at)
    events = []
    for entry in entries:
        seq += 1
        details = (
            entry.details if isinstance(entry.details, str) else canonical_details(entry.details)
        )
        fields = (
            seq,
            at_us,
            entry.actor,
            entry.action,
            entry.subject,
            entry.purpose,
            entry.outcome,
            details,
        )
        digest = event_hash(prev, *fields)
        events.append(AuditEvent(*fields, prev, digest))
        prev = digest
    uow.audit.append(events)
    return events


def checkpoint(deps: Deps, tenant_key: str, actor: str) -> CheckpointRecord:
    """Sign the current head of the tenant's chain (and record that it was signed)."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        record(uow, [Entry(actor, "audit:checkpoint")], at)
        seq, head = uow.audit.lock_head()
        message = checkpoint_message(tenant_key, seq, head)
        signature = deps.keyring.signing_key(tenant_key).sign(message).hex()
        created = CheckpointRecord(seq, head, signature, at)
        uow.audit.add_checkpoint(created)
        uow.commit()
    return created


def recent_events(
    deps: Deps,
    tenant_key: str,
    *,
    action: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[AuditEvent]:
    """The tenant's newest events, newest first: one ``action`` of the vocabulary, or all; those
    before seq ``before`` (the next page). Details hold references and counts, never values."""
    if action is not None and action not in ACTIONS:
        raise InvalidInput(f"'{action}' is not an audit action", code="input.invalid")
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(f"a page holds 1 to {PAGE_MAX} events", code="input.invalid")
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return uow.audit.recent(limit, before=before, action=action)


def verify(deps: Deps, tenant_key: str, batch: int = 20_000) -> VerifyReport:
    """Walk the tenant's chain: every problem (modified, missing, inserted, reordered, truncated) with its seq."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return _walk(uow, deps.keyring, tenant_key, batch)


def _walk(uow: UnitOfWork, keyring: Keyring, tenant_key: str, batch: int) -> VerifyReport:
    """:func:`verify` in the unit of work bound to the tenant."""
    checkpoints = {c.seq: c for c in uow.audit.checkpoints()}
    problems: list[VerifyProblem] = []
    seen_at: dict[int, str] = {}
    expected_seq, prev, count = 1, GENESIS, 0
    for seq, at_us, actor, action, subject, purpose, outcome, details, stored in uow.audit.stream(
        batch
    ):
        count += 1
        if seq != expected_seq:
            _problem(
                problems,
                seq,
                ProblemKind.MISSING,
                f"events {expected_seq}..{seq - 1} are missing (deleted)",
            )
        text = f"{prev}\n{seq}\n{at_us}\n{actor}\n{action}\n{subject or ''}\n{purpose or ''}\n{outcome}\n{details}"
        if sha256(text.encode("utf-8")).hexdigest() != stored:  # rare: find out what is wrong
            _diagnose(uow, problems, prev, seq, text.split("\n", 1)[1], stored)
        if seq in checkpoints:
            seen_at[seq] = stored
        prev, expected_seq = stored, seq + 1
    _check_head(uow, problems, expected_seq - 1, prev)
    _check_checkpoints(keyring, tenant_key, checkpoints, seen_at, problems)
    return VerifyReport(tenant_key, count, len(checkpoints), tuple(problems))


def _diagnose(
    uow: UnitOfWork, problems: list[VerifyProblem], prev: str, seq: int, body: str, stored: str
) -> None:
    """The event does not hash to its stored value from the chain so far: out of chain, modified, or both."""
    prev_hash = uow.audit.prev_hash(seq)
    if prev_hash != prev:
        _problem(
            problems,
            seq,
            ProblemKind.OUT_OF_CHAIN,
            f"event {seq} does not follow the event before it (inserted, deleted or reordered)",
        )
    if sha256(f"{prev_hash}\n{body}".encode()).hexdigest() != stored:
        _problem(
            problems, seq, ProblemKind.MODIFIED, f"event {seq} was modified after it was written"
        )


def _problem(problems: list[VerifyProblem], seq: int, kind: ProblemKind, message: str) -> None:
    if len(problems) < MAX_PROBLEMS:
        problems.append(VerifyProblem(seq, kind, message))


def _check_head(
    uow: UnitOfWork, problems: list[VerifyProblem], last_seq: int, last_hash: str
) -> None:
    head_seq, head_hash = uow.audit.head()
    if (head_seq, head_hash) != (last_seq, last_hash) and not (head_seq == 0 and last_seq == 0):
        _problem(
            problems,
            head_seq,
            ProblemKind.HEAD_MISMATCH,
            f"the chain ends at event {last_seq} but its head says {head_seq} (events removed or added)",
        )


def _check_checkpoints(
    keyring: Keyring,
    tenant_key: str,
    checkpoints: dict[int, CheckpointRecord],
    seen_at: dict[int, str],
    problems: list[VerifyProblem],
) -> None:
    public = keyring.verify_key(tenant_key)
    for seq, point in sorted(checkpoints.items()):
        try:
            public.verify(
                bytes.fromhex(point.signature), checkpoint_message(tenant_key, seq, point.hash)
            )
        except (InvalidSignature, ValueError):
            _problem(
                problems,
                seq,
                ProblemKind.BAD_SIGNATURE,
                f"the checkpoint at event {seq} is not validly signed",
            )
            continue
        if seen_at.get(seq) != point.hash:
            what = "is missing" if seq not in seen_at else "differs from the signed checkpoint"
            _problem(
                problems,
                seq,
                ProblemKind.CHECKPOINT_MISMATCH,
                f"event {seq} {what} (history rewritten or truncated)",
            )
