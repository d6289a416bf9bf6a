"""Verifying a tenant's audit log: each event's MAC, the sealed chain, the signed checkpoints and the
checkpoint the witness keeps outside the database.

Incremental by default: from the position the last clean verification reached (kept by the witness),
after checking that position still holds the hash it had. In full (``full=True``, the
``audit.verify`` job) from the first event, with duplicates. Every problem is named with its place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature

from privault.core.audit import (
    GENESIS,
    ProblemKind,
    VerifyProblem,
    VerifyReport,
    chain_hash,
    checkpoint_message,
    event_hash,
    event_macs,
    mac_text,
)
from privault.core.ports import UnitOfWork
from privault.core.records import CheckpointRecord
from privault.services.audit import Entry, record
from privault.services.tenants import bind_tenant

if TYPE_CHECKING:
    from privault.services.deps import Deps

MAX_PROBLEMS = 100
BATCH = 20_000
Progress = Callable[[int], None]  # told how many events were checked so far


@dataclass
class _Walk:
    """What a walk has found so far."""

    problems: list[VerifyProblem] = field(default_factory=list)
    checked: int = 0
    late: int = 0
    macs_ok: int = 0
    macs_bad: list[VerifyProblem] = field(default_factory=list)

    def add(self, seq: int, kind: ProblemKind, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(VerifyProblem(seq, kind, message))

    def bad_mac(self, seq: int, message: str) -> None:
        if len(self.macs_bad) < MAX_PROBLEMS:
            self.macs_bad.append(VerifyProblem(seq, ProblemKind.MODIFIED, message))

    def mac_problems(self) -> list[VerifyProblem]:
        """Every MAC failing (and at least one checked) means the key, not each event, changed."""
        if self.macs_bad and not self.macs_ok:
            return [
                VerifyProblem(
                    self.macs_bad[0].seq,
                    ProblemKind.KEY_MISMATCH,
                    "no event's MAC matches the tenant's audit key: the key was replaced "
                    "(or every event was rewritten)",
                )
            ]
        return self.macs_bad


def verify(
    deps: Deps, tenant_key: str, *, full: bool = False, progress: Progress | None = None
) -> VerifyReport:
    """Verify the tenant's log (incrementally unless ``full``); a clean result moves the witness's
    verified mark, and the verification itself is audited."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        report, reached = _verify(uow, deps, tenant_key, full, progress)
    if report.ok and reached is not None:
        deps.witness.mark_verified(tenant_key, *reached)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        details = {
            "full": full,
            "from": report.start,
            "events": report.events,
            "unsealed": report.unsealed,
            "problems": sorted({p.kind.value for p in report.problems}),
        }
        outcome = "ok" if report.ok else "failed"
        record(
            uow,
            [Entry("system", "audit:verify", outcome=outcome, details=details)],
            deps.clock.now(),
        )
        uow.commit()
    return report


def _verify(
    uow: UnitOfWork, deps: Deps, tenant_key: str, full: bool, progress: Progress | None
) -> tuple[VerifyReport, tuple[int, str] | None]:
    walk = _Walk()
    start, prev = _start(uow, deps, tenant_key, full, walk)
    checkpoints = {c.seq: c for c in uow.audit.checkpoints(after=start)}
    seen: dict[int, str] = {}
    key = uow.audit_key()
    last = _walk_sealed(
        uow.audit.stream(start, BATCH),
        key,
        (start, prev),
        checkpoints,
        seen,
        walk,
        progress,
        start == 0,
    )
    unsealed = _walk_unsealed(uow.audit.stream_unsealed(BATCH), key, walk)
    _check_head(uow, walk, last)
    _check_checkpoints(deps, tenant_key, checkpoints, seen, walk)
    witnessed = _check_witness(uow, deps, tenant_key, walk)
    if full:
        for mac in uow.audit.duplicate_macs()[:MAX_PROBLEMS]:
            walk.add(
                0,
                ProblemKind.DUPLICATE,
                f"two or more events carry the MAC {mac[:16]}...: a copy was inserted",
            )
    problems = walk.problems + walk.mac_problems()
    report = VerifyReport(
        tenant_key,
        walk.checked,
        len(checkpoints),
        tuple(sorted(problems, key=lambda p: p.seq)),
        unsealed=unsealed,
        late=walk.late,
        start=start,
        witnessed=witnessed,
    )
    return report, last


def _start(
    uow: UnitOfWork, deps: Deps, tenant_key: str, full: bool, walk: _Walk
) -> tuple[int, str]:
    """Where the walk begins: the last clean verification's position if it still holds."""
    mark = None if full else deps.witness.verified(tenant_key)
    if mark is None:
        return 0, GENESIS
    seq, hash_ = mark
    if uow.audit.hash_at(seq) != hash_:
        walk.add(
            seq,
            ProblemKind.CHECKPOINT_MISMATCH,
            f"event {seq}, verified before, is missing or differs (history rewritten); "
            "the whole log was checked",
        )
        return 0, GENESIS
    return seq, hash_


def _walk_sealed(
    rows: Iterable[tuple[Any, ...]],
    key: bytes,
    begin: tuple[int, str],
    checkpoints: dict[int, CheckpointRecord],
    seen: dict[int, str],
    walk: _Walk,
    progress: Progress | None,
    from_genesis: bool,
) -> tuple[int, str]:
    """Check every sealed event's MAC and its link to the one before; returns the last (seq, hash)."""
    expected, prev = begin[0] + 1, begin[1]
    keyed, last_us, checked = not from_genesis, -1, 0
    mac_of, link, text_of = event_macs(key), chain_hash, mac_text  # locals: a million turns
    for seq, at_us, actor, action, subject, purpose, outcome, details, nonce, mac, stored in rows:
        checked += 1
        if seq != expected:
            walk.add(
                seq, ProblemKind.MISSING, f"events {expected}..{seq - 1} are missing (deleted)"
            )
        if mac is None:
            if keyed:
                walk.add(
                    seq,
                    ProblemKind.UNKEYED,
                    f"event {seq} has no MAC after keyed events (inserted)",
                )
            want = event_hash(prev, seq, at_us, actor, action, subject, purpose, outcome, details)
        else:
            keyed = True
            text = text_of(nonce or "", at_us, actor, action, subject, purpose, outcome, details)
            if mac_of(text) == mac:
                walk.macs_ok += 1
            else:
                walk.bad_mac(seq, f"event {seq} was modified after it was written (its MAC fails)")
            want = link(prev, seq, mac)
        if want != stored:
            walk.add(
                seq,
                ProblemKind.OUT_OF_CHAIN,
                f"event {seq} does not follow the event before it (inserted, deleted, reordered "
                "or its hash edited)",
            )
        if at_us < last_us:
            walk.late += 1
        last_us = at_us
        if seq in checkpoints:
            seen[seq] = stored
        prev, expected = stored, seq + 1
        if checked % BATCH == 0 and progress is not None:
            progress(checked)
    walk.checked = checked
    return expected - 1, prev


def _walk_unsealed(rows: Iterable[tuple[Any, ...]], key: bytes, walk: _Walk) -> int:
    """Check the MACs of events written but not yet sealed; how many there are."""
    count, mac_of = 0, event_macs(key)
    for event_id, at_us, actor, action, subject, purpose, outcome, details, nonce, mac in rows:
        count += 1
        text = mac_text(nonce or "", at_us, actor, action, subject, purpose, outcome, details)
        if mac is not None and mac_of(text) == mac:
            walk.macs_ok += 1
        else:
            walk.bad_mac(
                0, f"unsealed event (id {event_id}) was modified or forged (its MAC fails)"
            )
    return count


def _check_head(uow: UnitOfWork, walk: _Walk, last: tuple[int, str]) -> None:
    head_seq, head_hash = uow.audit.head()
    if (head_seq, head_hash) != last and not (head_seq == 0 and last[0] == 0):
        walk.add(
            head_seq,
            ProblemKind.HEAD_MISMATCH,
            f"the chain ends at event {last[0]} but its head says {head_seq} (events removed or added)",
        )


def _signed(deps: Deps, tenant_key: str, point: CheckpointRecord) -> bool:
    try:
        deps.keyring.verify_key(tenant_key).verify(
            bytes.fromhex(point.signature), checkpoint_message(tenant_key, point.seq, point.hash)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _check_checkpoints(
    deps: Deps,
    tenant_key: str,
    checkpoints: dict[int, CheckpointRecord],
    seen: dict[int, str],
    walk: _Walk,
) -> None:
    for seq, point in sorted(checkpoints.items()):
        if not _signed(deps, tenant_key, point):
            walk.add(
                seq,
                ProblemKind.BAD_SIGNATURE,
                f"the checkpoint at event {seq} is not validly signed",
            )
            continue
        if seen.get(seq) != point.hash:
            what = "is missing" if seq not in seen else "differs from the signed checkpoint"
            walk.add(
                seq,
                ProblemKind.CHECKPOINT_MISMATCH,
                f"event {seq} {what} (history rewritten or truncated)",
            )


def _check_witness(uow: UnitOfWork, deps: Deps, tenant_key: str, walk: _Walk) -> int | None:
    """Compare the database with the checkpoint kept outside it; its position, if any."""
    point = deps.witness.latest(tenant_key)
    if point is None:
        if uow.audit.checkpoints():
            walk.add(
                0,
                ProblemKind.WITNESS_MISMATCH,
                "the witness holds no checkpoint but the database has some (the witness was lost or replaced)",
            )
        return None
    if not _signed(deps, tenant_key, point):
        walk.add(
            point.seq,
            ProblemKind.BAD_SIGNATURE,
            f"the witness's checkpoint at event {point.seq} is not validly signed by the "
            "tenant's key (the key was replaced)",
        )
        return point.seq
    head_seq, _ = uow.audit.head()
    if head_seq < point.seq:
        walk.add(
            point.seq,
            ProblemKind.WITNESS_AHEAD,
            f"the witness holds a checkpoint at event {point.seq} but the chain ends at "
            f"{head_seq} (the tail was truncated)",
        )
    elif uow.audit.hash_at(point.seq) != point.hash:
        walk.add(
            point.seq,
            ProblemKind.WITNESS_MISMATCH,
            f"event {point.seq} differs from the checkpoint the witness holds (the chain was rewritten or recomputed)",
        )
    stored = uow.audit.checkpoints(after=point.seq - 1)
    if not stored or stored[0].seq != point.seq:
        walk.add(
            point.seq,
            ProblemKind.WITNESS_MISMATCH,
            f"the checkpoint at event {point.seq} the witness holds is missing from the database (checkpoints deleted)",
        )
    return point.seq
