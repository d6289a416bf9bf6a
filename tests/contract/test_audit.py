"""The audit log on SQLite and PostgreSQL: an untouched log verifies, and every kind of tampering
done with raw SQL (what an attacker with the database password can do) is found and named."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from privault.bootstrap import Container
from privault.core.audit import ACTIONS, GENESIS, chain_hash, event_hash
from privault.core.clock import FixedClock
from privault.crypto.keyring import LocalKeyring
from privault.errors import Conflict, InvalidInput
from privault.services.audit import (
    Entry,
    accept_restore,
    checkpoint,
    record,
    seal,
    tenants_to_seal,
)
from privault.services.audit_verify import verify
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant

TENANT = "bluewave"


def _write(container: Container, count: int, actor: str = "test:x", at_shift: int = 0) -> None:
    with container.uow() as uow:
        bind_tenant(uow, TENANT)
        entries = [
            Entry(actor, "vault:subject:read", f"s{i}", "billing", "ok", {"fields": ["user.name"]})
            for i in range(count)
        ]
        record(uow, entries, container.clock.now() + timedelta(microseconds=at_shift))
        uow.commit()


@pytest.fixture
def chain(container: Container) -> Container:
    """A tenant with 20 events after the manifest's own, sealed, a checkpoint at the end (kept by
    the witness too), and two events written but not sealed yet."""
    apply_manifest(container.deps)
    _write(container, 20)
    checkpoint(container.deps, TENANT, "test:x")
    _write(container, 2, actor="test:late")
    return container


def _kinds(container: Container, *, full: bool = True) -> list[tuple[int, str]]:
    report = verify(container.deps, TENANT, full=full)
    return [(p.seq, p.kind.value) for p in report.problems]


def _sql(container: Container, statement: str) -> None:
    with container.engine.begin() as connection:
        tenant_id = connection.execute(
            text("SELECT id FROM tenants WHERE key = :k"), {"k": TENANT}
        ).scalar_one()
        connection.execute(text(statement), {"t": tenant_id})


def _scalar(container: Container, statement: str) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(text(statement)).scalar_one())


MINE = "tenant_id = (SELECT id FROM tenants WHERE key = 'bluewave')"


def _last(container: Container) -> int:
    return _scalar(container, f"SELECT max(seq) FROM audit_events WHERE {MINE}")


def _recompute(container: Container) -> None:
    """What an attacker does after deleting or moving events: renumber the sealed events 1..n in
    their current order, recompute every hash (the chain itself is not keyed) and the head."""
    with container.engine.begin() as connection:
        tenant_id = connection.execute(
            text("SELECT id FROM tenants WHERE key = :k"), {"k": TENANT}
        ).scalar_one()
        rows = connection.execute(
            text(
                "SELECT id, at_us, actor, action, subject, purpose, outcome, details, mac "
                "FROM audit_events WHERE tenant_id = :t AND seq IS NOT NULL ORDER BY seq"
            ),
            {"t": tenant_id},
        ).all()
        connection.execute(
            text("UPDATE audit_events SET seq = -seq WHERE tenant_id = :t AND seq IS NOT NULL"),
            {"t": tenant_id},
        )
        prev = GENESIS
        for seq, (
            event_id,
            at_us,
            actor,
            action,
            subject,
            purpose,
            outcome,
            details,
            mac,
        ) in enumerate(rows, start=1):
            digest = (
                chain_hash(prev, seq, mac)
                if mac is not None
                else event_hash(prev, seq, at_us, actor, action, subject, purpose, outcome, details)
            )
            connection.execute(
                text("UPDATE audit_events SET seq = :s, prev_hash = :p, hash = :h WHERE id = :i"),
                {"s": seq, "p": prev, "h": digest, "i": event_id},
            )
            prev = digest
        connection.execute(
            text("UPDATE audit_heads SET seq = :s, hash = :h WHERE tenant_id = :t"),
            {"s": len(rows), "h": prev, "t": tenant_id},
        )


def test_an_untouched_log_verifies_in_full_and_incrementally(chain: Container) -> None:
    """No problem; every sealed event counted, the unsealed ones' MACs checked, the witness read."""
    report = verify(chain.deps, TENANT, full=True)
    assert report.ok, report.problems
    assert report.events >= 21
    assert report.unsealed >= 2
    assert report.witnessed is not None
    assert report.checkpoints >= 2
    _write(chain, 5)
    seal(chain.deps, TENANT)
    again = verify(chain.deps, TENANT)
    assert again.ok
    assert again.start == report.start + report.events
    assert again.events >= 5 + 2  # only what was sealed since: the 5 and the 2 waiting before


def test_an_edited_sealed_event_is_found(chain: Container) -> None:
    """Changing one sealed event's details is reported at that event (its MAC fails)."""
    _sql(chain, "UPDATE audit_events SET details = '{}' WHERE tenant_id = :t AND seq = 10")
    assert (10, "modified") in _kinds(chain)


def test_an_edited_unsealed_event_is_found_before_it_is_sealed(chain: Container) -> None:
    """The MAC makes an event tamper-evident from its commit, not from its sealing."""
    _sql(chain, "UPDATE audit_events SET outcome = 'denied' WHERE tenant_id = :t AND seq IS NULL")
    problems = _kinds(chain, full=False)
    assert problems
    assert all(kind == "modified" for _, kind in problems)
    seal(chain.deps, TENANT)  # sealing does not launder it
    assert any(kind == "modified" for _, kind in _kinds(chain))


def test_a_deleted_event_is_found(chain: Container) -> None:
    """Deleting an event is reported where the gap is."""
    _sql(chain, "DELETE FROM audit_events WHERE tenant_id = :t AND seq = 12")
    problems = _kinds(chain)
    assert (13, "missing") in problems
    assert (13, "out_of_chain") in problems


def test_an_inserted_forgery_is_found(chain: Container) -> None:
    """An event written without the key has no valid MAC, wherever it is put."""
    _sql(
        chain,
        "INSERT INTO audit_events (tenant_id, at_us, actor, action, subject, purpose, outcome, "
        "details, nonce, mac) SELECT tenant_id, at_us, 'forger', action, subject, purpose, outcome, "
        "details, nonce, '" + "ab" * 32 + "' FROM audit_events WHERE tenant_id = :t AND seq = 14",
    )
    assert (0, "modified") in _kinds(chain, full=False)
    seal(chain.deps, TENANT)
    assert any(kind == "modified" for _, kind in _kinds(chain))


def test_a_copied_event_is_refused_by_the_database(chain: Container) -> None:
    """Replaying an exact copy of an event clashes with the unique MAC."""
    with pytest.raises(IntegrityError):
        _sql(
            chain,
            "INSERT INTO audit_events (tenant_id, at_us, actor, action, subject, purpose, outcome, "
            "details, nonce, mac) SELECT tenant_id, at_us, actor, action, subject, purpose, outcome, "
            "details, nonce, mac FROM audit_events WHERE tenant_id = :t AND seq = 14",
        )


def test_swapped_events_are_found(chain: Container) -> None:
    """Exchanging the positions of two events is reported at the first."""
    _sql(chain, "UPDATE audit_events SET seq = -5 WHERE tenant_id = :t AND seq = 5")
    _sql(chain, "UPDATE audit_events SET seq = 5 WHERE tenant_id = :t AND seq = 6")
    _sql(chain, "UPDATE audit_events SET seq = 6 WHERE tenant_id = :t AND seq = -5")
    assert (5, "out_of_chain") in _kinds(chain)


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_reordered_events_with_a_recomputed_chain_are_found_by_the_witness(
    chain: Container,
) -> None:
    """Swap two events, then recompute every hash: the chain is consistent again, but it is not
    the one the witness holds a signed checkpoint of."""
    _sql(chain, "UPDATE audit_events SET seq = -5 WHERE tenant_id = :t AND seq = 5")
    _sql(chain, "UPDATE audit_events SET seq = 5 WHERE tenant_id = :t AND seq = 6")
    _sql(chain, "UPDATE audit_events SET seq = 6 WHERE tenant_id = :t AND seq = -5")
    _recompute(chain)
    kinds = {kind for _, kind in _kinds(chain)}
    assert "witness_mismatch" in kinds
    assert "checkpoint_mismatch" in kinds


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_a_truncated_tail_is_found(chain: Container) -> None:
    """Deleting the newest sealed events and rewinding the head: the witness saw a longer chain."""
    last = _last(chain)
    _sql(chain, f"DELETE FROM audit_events WHERE tenant_id = :t AND seq > {last - 3}")
    _sql(chain, f"DELETE FROM audit_checkpoints WHERE tenant_id = :t AND seq > {last - 3}")
    _recompute(chain)
    kinds = {kind for _, kind in _kinds(chain)}
    assert "witness_ahead" in kinds


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_deleting_every_checkpoint_and_recomputing_the_chain_is_found(chain: Container) -> None:
    """The 23rd tamper case the database-only design missed: remove an event, recompute the
    chain and delete every checkpoint. The witness still holds the signed head."""
    _sql(chain, "DELETE FROM audit_events WHERE tenant_id = :t AND seq = 8")
    _sql(chain, "DELETE FROM audit_checkpoints WHERE tenant_id = :t")
    _recompute(chain)
    problems = _kinds(chain)
    assert {kind for _, kind in problems} >= {"witness_mismatch"}
    assert verify(chain.deps, TENANT).ok is False  # the incremental check finds it too


def test_deleting_every_checkpoint_alone_is_found(chain: Container) -> None:
    """The checkpoint the witness holds must be in the database too."""
    _sql(chain, "DELETE FROM audit_checkpoints WHERE tenant_id = :t")
    assert "witness_mismatch" in {kind for _, kind in _kinds(chain)}


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_no_checkpoint_is_signed_over_a_rewritten_chain(chain: Container) -> None:
    """After a recompute the worker's and the officer's checkpoints are refused, so the witness
    never moves past the rewrite."""
    _sql(chain, "DELETE FROM audit_events WHERE tenant_id = :t AND seq = 8")
    _recompute(chain)
    with pytest.raises(Conflict) as caught:
        checkpoint(chain.deps, TENANT, "test:x")
    assert caught.value.code == "audit.rewritten"
    assert {kind for _, kind in _kinds(chain)} & {"witness_mismatch", "witness_ahead"}


def test_a_forged_checkpoint_signature_is_found(chain: Container) -> None:
    """A checkpoint whose signature does not verify is reported."""
    _sql(
        chain,
        "UPDATE audit_checkpoints SET signature = '00' || substr(signature, 3) WHERE tenant_id = :t",
    )
    assert any(kind == "bad_signature" for _, kind in _kinds(chain))


def test_a_replaced_key_is_found(
    chain: Container, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Another install's keys for the same tenant: no MAC and no signature verifies."""
    other = LocalKeyring(tmp_path_factory.mktemp("other-install"))
    other.ensure_tenant(TENANT)
    chain.settings.keyring_path.joinpath(f"{TENANT}.json").write_bytes(
        other.folder.joinpath(f"{TENANT}.json").read_bytes()
    )
    fresh = Container(chain.settings, clock=chain.clock)
    try:
        kinds = {kind for _, kind in _kinds(fresh)}
    finally:
        fresh.close()
    assert {"key_mismatch", "bad_signature"} <= kinds


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_events_are_sealed_in_time_order(container: Container) -> None:
    """Written out of time order (the later event committed first), sealed in time order."""
    apply_manifest(container.deps)
    _write(container, 1, actor="test:later", at_shift=2_000)
    _write(container, 1, actor="test:earlier", at_shift=1_000)
    seal(container.deps, TENANT)
    with container.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT at_us, actor FROM audit_events WHERE seq IS NOT NULL ORDER BY seq")
        ).all()
    times = [at for at, _ in rows]
    assert times == sorted(times)
    actors = [a for _, a in rows]
    assert actors.index("test:earlier") < actors.index("test:later")
    assert verify(container.deps, TENANT, full=True).late == 0


def test_concurrent_writers_lose_nothing_and_the_log_verifies(container: Container) -> None:
    """Eight threads append at once (no lock between them); every event is sealed exactly once."""
    apply_manifest(container.deps)
    before = _scalar(container, f"SELECT count(*) FROM audit_events WHERE {MINE}")
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(25):
                _write(container, 1)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    seal(container.deps, TENANT)
    assert _scalar(container, f"SELECT count(*) FROM audit_events WHERE {MINE}") == before + 200
    unsealed = f"SELECT count(*) FROM audit_events WHERE {MINE} AND seq IS NULL"
    assert _scalar(container, unsealed) == 0
    assert _last(container) == before + 200
    assert verify(container.deps, TENANT, full=True).ok


def test_unknown_actions_are_refused(chain: Container) -> None:
    """The vocabulary is fixed: an unlisted action is a programming error."""
    assert "vault:subject:read" in ACTIONS
    with chain.uow() as uow:
        bind_tenant(uow, TENANT)
        with pytest.raises(ValueError, match="vocabulary"):
            record(uow, [Entry("x", "vault:subject:peek")], chain.clock.now())


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_configuration_changes_are_audited(chain: Container) -> None:
    """API key creation and revocation, notice publication and manifest application leave events."""
    from privault.services.api_keys import create_api_key, revoke_api_key

    created = create_api_key(chain.deps, TENANT, "agent", name="x", actor="test:ops")
    revoke_api_key(chain.deps, TENANT, created.record.prefix, actor="test:ops")
    with chain.engine.connect() as connection:
        actions = set(connection.execute(text("SELECT action FROM audit_events")).scalars())
    assert {
        "config:api_key:create",
        "config:api_key:revoke",
        "config:notice:publish",
        "config:manifest:apply",
        "keys:tenant:create",
        "audit:checkpoint",
    } <= actions


def test_a_change_committed_after_the_mark_was_read_is_replayed(chain: Container) -> None:
    """The decision cache's guarantee without a lock: an event written by a transaction that was
    still open when the cache read its mark is found from that mark once it commits (the reader
    only reads, so on SQLite too it runs while the writer holds the write lock)."""
    with chain.uow() as uow:
        bind_tenant(uow, TENANT)
        first, _, _ = uow.audit.change_mark()
    with chain.uow() as writer:
        bind_tenant(writer, TENANT)
        record(writer, [Entry("test:x", "consent:withdraw", "uid-late")], chain.clock.now())
        writer.session.flush()
        with chain.uow() as reader, reader.reading():  # refreshed while the writer is open
            bind_tenant(reader, TENANT)
            seen = reader.audit.changes_since(first, ["consent:withdraw"])
            mark, _, _ = reader.audit.change_mark()
        assert ("consent:withdraw", "uid-late") not in seen
        writer.commit()
    with chain.uow() as uow:
        bind_tenant(uow, TENANT)
        assert ("consent:withdraw", "uid-late") in uow.audit.changes_since(
            mark, ["consent:withdraw"]
        )


def test_a_copy_inserted_after_dropping_the_unique_mac_is_found(chain: Container) -> None:
    """PostgreSQL: drop the constraint, insert an exact copy: the full verification names it."""
    if chain.engine.dialect.name == "sqlite":
        pytest.skip("SQLite cannot drop a table's unique constraint without rebuilding the table")
    _sql(chain, "ALTER TABLE audit_events DROP CONSTRAINT uq_audit_events_mac")
    try:
        _sql(
            chain,
            "INSERT INTO audit_events (tenant_id, at_us, actor, action, subject, purpose, "
            "outcome, details, nonce, mac) SELECT tenant_id, at_us, actor, action, subject, "
            "purpose, outcome, details, nonce, mac FROM audit_events WHERE tenant_id = :t AND seq = 14",
        )
        assert "duplicate" in {kind for _, kind in _kinds(chain)}
    finally:  # the schema outlives the test: put the constraint back for the next ones
        _sql(
            chain,
            "DELETE FROM audit_events a USING audit_events b WHERE a.mac = b.mac "
            "AND a.tenant_id = b.tenant_id AND a.id > b.id AND a.tenant_id = :t",
        )
        _sql(
            chain,
            "ALTER TABLE audit_events ADD CONSTRAINT uq_audit_events_mac UNIQUE (mac, tenant_id)",
        )


def test_the_sealer_visits_only_tenants_with_something_to_seal(chain: Container) -> None:
    """Quiet tenants cost the sealer nothing; a tenant with unsealed events, or a sealed tail its
    last checkpoint does not cover, is visited until a checkpoint witnesses that tail, which
    happens within the checkpoint interval even if no further event comes."""
    deps, clock = chain.deps, chain.clock
    assert isinstance(clock, FixedClock)
    for tenant in chain.manifest.tenants:  # everyone sealed and witnessed
        seal(deps, tenant.key)
        if tenant.key != TENANT:
            checkpoint(deps, tenant.key, "test:x")
    clock.at += deps.audit.checkpoint_every
    seal(deps, TENANT)  # the two late events: sealed and, the interval passed, witnessed
    assert tenants_to_seal(deps) == []
    _write(chain, 3, actor="test:quiet")
    assert tenants_to_seal(deps) == [TENANT]
    sealed = seal(deps, TENANT)  # the last checkpoint is fresh: none yet
    assert sealed.events == 3
    assert sealed.checkpoint is None
    assert tenants_to_seal(deps) == [TENANT]  # the tail is sealed but not witnessed
    clock.at += deps.audit.checkpoint_every
    quiet = seal(deps, TENANT)  # nothing new to seal: the tail is witnessed all the same
    assert quiet.events == 0
    assert quiet.checkpoint is not None
    witnessed = deps.witness.latest(TENANT)
    assert witnessed is not None
    assert witnessed.seq == quiet.checkpoint.seq >= sealed.head
    assert tenants_to_seal(deps) == []
    assert verify(deps, TENANT, full=True).ok


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_a_restore_to_an_earlier_point_is_accepted_by_name_and_witnessed_anew(
    chain: Container,
) -> None:
    """A database restored from a backup ends before the witness's checkpoint: no checkpoint is
    signed and verification says so; accepting the restore (with a reason) sets the witness's
    file aside, records what was lost, and the log verifies again. Nothing to accept: refused."""
    deps = chain.deps
    seal(deps, TENANT)
    witnessed = checkpoint(deps, TENANT, "test:x")
    last = witnessed.seq
    _sql(chain, f"DELETE FROM audit_events WHERE tenant_id = :t AND seq > {last - 4}")
    _sql(chain, f"DELETE FROM audit_checkpoints WHERE tenant_id = :t AND seq > {last - 4}")
    _recompute(chain)  # what the backup holds: a consistent chain, four events shorter
    with pytest.raises(Conflict) as refused:
        checkpoint(deps, TENANT, "test:x")
    assert refused.value.code == "audit.rewritten"
    assert "witness_ahead" in {kind for _, kind in _kinds(chain)}
    with pytest.raises(InvalidInput):
        accept_restore(deps, TENANT, "test:officer", "  ")
    done = accept_restore(deps, TENANT, "test:officer", "restored the 02:00 backup (INC-7)")
    assert (done.witnessed, done.head) == (last, last - 4)
    assert done.checkpoint.seq > last - 4
    assert Path(done.set_aside).exists()  # the old witness file is kept
    assert verify(deps, TENANT, full=True).ok
    with chain.uow() as uow:
        bind_tenant(uow, TENANT)
        [event] = [e for e in uow.audit.recent(50) if e.action == "audit:restore"]
    details = json.loads(event.details)
    assert (details["witness_seq"], details["head_seq"]) == (last, last - 4)
    assert details["reason"] == "restored the 02:00 backup (INC-7)"
    with pytest.raises(Conflict) as nothing:
        accept_restore(deps, TENANT, "test:officer", "again")
    assert nothing.value.code == "audit.not_restored"


def test_the_decision_caches_reads_of_the_log_use_an_index(chain: Container) -> None:
    """SQLite: the change mark and the changes since it are index lookups, not a walk over the
    tenant's log (a decision batch asks both: sorting the tenant's events cost a decision batch
    18 ms at 30,000 subjects)."""
    if chain.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads them by the xid index; its plans depend on its statistics")
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM audit_events" in statement:
            statements.append((statement, params))

    event.listen(chain.engine, "before_cursor_execute", seen)
    try:
        with chain.uow() as uow:
            bind_tenant(uow, TENANT)
            mark, newest, _ = uow.audit.change_mark()
            uow.audit.mac_of(newest)
            uow.audit.changes_since(mark - 5, ["consent:grant"])
    finally:
        event.remove(chain.engine, "before_cursor_execute", seen)
    assert len(statements) == 3
    with chain.engine.connect() as connection:
        for statement, params in statements:
            plan = " | ".join(
                str(row[-1])
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            assert "TEMP B-TREE" not in plan, plan  # no sort of the tenant's events
            assert "USING INDEX" not in plan, plan  # no walk along a tenant index: the rowid
