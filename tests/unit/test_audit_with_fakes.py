"""The rules of the audit log, run over the in-memory unit of work (milliseconds per test).

Appending and tampering on both engines is tests/contract/test_audit.py's."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from privault.core.audit import GENESIS, AuditEvent
from privault.core.clock import FixedClock
from privault.core.manifest import Manifest
from privault.crypto.keyring import LocalKeyring
from privault.errors import InvalidInput
from privault.services.audit import Entry, checkpoint, recent_events, record, seal
from privault.services.audit_verify import verify
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant
from tests.fakes import FakeDatabase, FakeUnitOfWork, fake_deps

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TENANT = "bluewave"


@pytest.fixture
def keyring(tmp_path: Path) -> LocalKeyring:
    """The tenant's keys in a temporary folder."""
    ring = LocalKeyring(tmp_path / "keys")
    ring.ensure_tenant(TENANT)
    return ring


@pytest.fixture
def db() -> FakeDatabase:
    """Two tenants, no events yet."""
    db = FakeDatabase()
    db.add_tenant(TENANT)
    db.add_tenant("northwind")
    return db


@pytest.fixture
def deps(db: FakeDatabase, manifest: Manifest, keyring: LocalKeyring) -> Deps:
    """Use cases over ``db`` at ``AT`` with the tenant's keys."""
    return fake_deps(db, manifest, FixedClock(AT), keyring)


def _read(n: int) -> Entry:
    return Entry(
        "test:x", "vault:subject:read", f"s{n}", "billing", "ok", {"fields": ["user.name"]}
    )


def _chain(deps: Deps, events: int = 20) -> None:
    """``events`` reads, then a signed checkpoint (one more event)."""
    with deps.make_uow() as uow:
        bind_tenant(uow, TENANT)
        record(uow, [_read(n) for n in range(events)], AT)
        uow.commit()
    checkpoint(deps, TENANT, "test:x")


def _problems(deps: Deps) -> list[tuple[int, str]]:
    return [(p.seq, p.kind) for p in verify(deps, TENANT, full=True).problems]


def _events(db: FakeDatabase) -> list[AuditEvent]:
    """The tenant's events in chain order (sealed ones first)."""
    events = db.committed.audit_events[db.tenant_id(TENANT)]
    events.sort(key=lambda e: (e.seq is None, e.seq or 0, e.id))
    return events


def test_entries_are_written_unsealed_then_chained_from_the_head(
    deps: Deps, db: FakeDatabase
) -> None:
    """Writing takes no head; sealing continues the sequence, each event naming the hash before it."""
    for batch in (2, 3):
        with deps.make_uow() as uow:
            bind_tenant(uow, TENANT)
            written = record(uow, [_read(n) for n in range(batch)], AT)
            uow.commit()
        assert all(e.seq is None and e.mac for e in written)
    sealed = seal(deps, TENANT)  # the first checkpoint is due at once: its event comes sixth
    assert (sealed.events, sealed.checkpoint is not None) == (5, True)
    events = _events(db)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e.prev_hash for e in events] == [GENESIS, *(e.hash for e in events[:-1])]
    assert db.committed.audit_heads[db.tenant_id(TENANT)][:2] == (6, events[-1].hash)


def test_identical_entries_get_different_macs(deps: Deps, db: FakeDatabase) -> None:
    """Two events with the same fields at the same time are two events (each has a nonce)."""
    with deps.make_uow() as uow:
        bind_tenant(uow, TENANT)
        first, second = record(uow, [_read(1), _read(1)], AT)
        uow.commit()
    assert first.mac != second.mac


def test_each_tenant_has_its_own_chain(deps: Deps, db: FakeDatabase) -> None:
    """Events of one tenant do not move another tenant's head."""
    for key in (TENANT, "northwind"):
        deps.keyring.ensure_tenant(key)
        with deps.make_uow() as uow:
            bind_tenant(uow, key)
            record(uow, [_read(0)], AT)
            uow.commit()
        assert seal(deps, key).head == 1


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (Entry("x", "vault:subject:peek"), "vocabulary"),
        (Entry("x", "vault:subject:read", outcome="maybe"), "outcome"),
    ],
)
def test_unknown_actions_and_outcomes_are_refused_before_anything_is_written(
    db: FakeDatabase, entry: Entry, message: str
) -> None:
    """The vocabulary is fixed: one bad entry refuses the batch, the head does not move."""
    with FakeUnitOfWork(db) as uow:
        bind_tenant(uow, TENANT)
        with pytest.raises(ValueError, match=message):
            record(uow, [_read(1), entry], AT)
        assert uow.audit.unsealed(None, 10) == []


def test_an_uncommitted_use_case_leaves_no_audit_event(db: FakeDatabase) -> None:
    """The audit entry is part of the use case's transaction: no commit, no event."""
    with FakeUnitOfWork(db) as uow:
        bind_tenant(uow, TENANT)
        record(uow, [_read(1)], AT)
    assert db.committed.audit_events == {}


def test_an_untouched_chain_verifies(deps: Deps) -> None:
    """Every event counted, the checkpoint's signature and hash match."""
    _chain(deps)
    report = verify(deps, TENANT)
    assert report.ok
    assert (report.events, report.checkpoints, report.witnessed) == (21, 1, 21)


def test_an_edited_event_is_found(deps: Deps, db: FakeDatabase) -> None:
    """Changing one event's details is reported at that event."""
    _chain(deps)
    events = _events(db)
    events[9] = dataclasses.replace(events[9], details="{}")
    assert _problems(deps) == [(10, "modified")]


def test_a_deleted_event_is_found_where_the_gap_is(deps: Deps, db: FakeDatabase) -> None:
    """Deleting an event: the next one is missing its predecessor and out of the chain."""
    _chain(deps)
    del _events(db)[11]
    assert _problems(deps) == [(13, "missing"), (13, "out_of_chain")]


def test_swapped_events_are_found(deps: Deps, db: FakeDatabase) -> None:
    """Exchanging the positions of two events is reported at the first."""
    _chain(deps)
    events = _events(db)
    fifth, sixth = events[4], events[5]
    events[4], events[5] = dataclasses.replace(sixth, seq=5), dataclasses.replace(fifth, seq=6)
    assert (5, "out_of_chain") in _problems(deps)


def test_a_truncated_tail_is_found_by_the_signed_checkpoint(deps: Deps, db: FakeDatabase) -> None:
    """Deleting the newest events and rewinding the head still fails: the checkpoint was signed."""
    _chain(deps)
    events = _events(db)
    del events[-3:]
    last = events[-1]
    assert last.seq is not None
    assert last.hash is not None
    db.committed.audit_heads[db.tenant_id(TENANT)] = (last.seq, last.hash, 0)
    assert {kind for _, kind in _problems(deps)} == {"witness_ahead", "checkpoint_mismatch"}


def test_a_forged_checkpoint_signature_is_found(deps: Deps, db: FakeDatabase) -> None:
    """A checkpoint whose signature does not verify is reported."""
    _chain(deps)
    [point] = db.committed.checkpoints[db.tenant_id(TENANT)]
    forged = dataclasses.replace(point, signature="00" + point.signature[2:])
    db.committed.checkpoints[db.tenant_id(TENANT)] = [forged]
    assert [kind for _, kind in _problems(deps)] == ["bad_signature"]


def test_the_witness_checkpoint_must_be_signed_by_the_tenants_key(deps: Deps) -> None:
    """A checkpoint planted in the witness without the key is named."""
    _chain(deps)
    point = deps.witness.latest(TENANT)
    assert point is not None
    deps.witness.publish(TENANT, dataclasses.replace(point, seq=point.seq + 1))
    assert (point.seq + 1, "bad_signature") in _problems(deps)


def test_a_clean_verification_moves_the_verified_mark(deps: Deps) -> None:
    """The next check starts where the last clean one ended; the verification is audited."""
    _chain(deps)
    first = verify(deps, TENANT)
    seal(deps, TENANT)  # the audit:verify event
    second = verify(deps, TENANT)
    assert first.ok
    assert second.ok
    assert (second.start, second.events) == (21, 1)
    verified = recent_events(deps, TENANT, action="audit:verify")
    assert len(verified) == 2


def test_recent_events_are_read_newest_first_by_page(deps: Deps) -> None:
    """Pages run backwards from ``before``; one action of the vocabulary can be picked."""
    _chain(deps, events=5)
    page = recent_events(deps, TENANT, limit=2)
    older = recent_events(deps, TENANT, before=page[-1].id, limit=2)
    checkpoints = recent_events(deps, TENANT, action="audit:checkpoint")
    assert [e.seq for e in page + older] == [6, 5, 4, 3]
    assert [e.seq for e in checkpoints] == [6]


@pytest.mark.parametrize(("action", "limit"), [("vault:subject:peek", 50), (None, 0), (None, 501)])
def test_a_page_names_a_known_action_and_holds_1_to_500_events(
    deps: Deps, action: str | None, limit: int
) -> None:
    """An unknown action or a page size out of range: input.invalid."""
    with pytest.raises(InvalidInput) as raised:
        recent_events(deps, TENANT, action=action, limit=limit)
    assert raised.value.code == "input.invalid"
