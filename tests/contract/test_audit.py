"""The audit chain on SQLite and PostgreSQL: verify passes untouched and finds every kind of tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from privault.bootstrap import Container
from privault.core.audit import ACTIONS
from privault.services.audit import Entry, checkpoint, record, verify
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant

TENANT = "bluewave"


@pytest.fixture
def chain(container: Container) -> Container:
    """A tenant with 20 events after the manifest's own, and a checkpoint at the end."""
    apply_manifest(container.deps)
    with container.uow() as uow:
        bind_tenant(uow, TENANT)
        entries = [
            Entry(
                "test:x", "vault:subject:read", f"s{i}", "billing", "ok", {"fields": ["user.name"]}
            )
            for i in range(20)
        ]
        record(uow, entries, container.clock.now())
        uow.commit()
    checkpoint(container.deps, TENANT, "test:x")
    return container


def _verify(container: Container) -> list[tuple[int, str]]:
    report = verify(container.deps, TENANT)
    return [(p.seq, p.kind) for p in report.problems]


def _sql(container: Container, statement: str) -> None:
    with container.engine.begin() as connection:
        tenant_id = connection.execute(
            text("SELECT id FROM tenants WHERE key = :k"), {"k": TENANT}
        ).scalar_one()
        connection.execute(text(statement), {"t": tenant_id})


def _max_seq(container: Container) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(text("SELECT max(seq) FROM audit_events")).scalar_one())


def test_an_untouched_chain_verifies(chain: Container) -> None:
    """No problem on an untouched log; every event counted."""
    report = verify(chain.deps, TENANT)
    assert report.ok
    assert report.events >= 20
    assert report.checkpoints >= 2


def test_an_edited_event_is_found(chain: Container) -> None:
    """Changing one event's details is reported at that event."""
    _sql(chain, "UPDATE audit_events SET details = '{}' WHERE tenant_id = :t AND seq = 10")
    assert (10, "modified") in _verify(chain)


def test_a_deleted_event_is_found(chain: Container) -> None:
    """Deleting an event is reported where the gap is."""
    _sql(chain, "DELETE FROM audit_events WHERE tenant_id = :t AND seq = 12")
    problems = _verify(chain)
    assert (13, "missing") in problems
    assert (13, "out_of_chain") in problems


def test_an_inserted_event_is_found(chain: Container) -> None:
    """Shifting later events and slipping one in breaks the chain at the insertion."""
    last = _max_seq(chain)
    # Move seqs 15.. up by one (two steps avoid the unique constraint), then insert a forged 15.
    _sql(chain, "UPDATE audit_events SET seq = seq + 1000000 WHERE tenant_id = :t AND seq >= 15")
    _sql(
        chain, "UPDATE audit_events SET seq = seq - 999999 WHERE tenant_id = :t AND seq >= 1000000"
    )
    _sql(
        chain,
        "INSERT INTO audit_events (tenant_id, seq, at_us, actor, action, subject, purpose, outcome, details,"
        " prev_hash, hash) SELECT tenant_id, 15, at_us, 'forger', action, subject, purpose, outcome, details,"
        " hash, hash FROM audit_events WHERE tenant_id = :t AND seq = 14",
    )
    problems = _verify(chain)
    assert problems[0] == (15, "modified")  # the forgery; renumbered events after it fail too
    assert any(kind == "head_mismatch" for _, kind in problems)
    assert _max_seq(chain) == last + 1


def test_swapped_events_are_found(chain: Container) -> None:
    """Exchanging the positions of two events is reported at the first."""
    _sql(chain, "UPDATE audit_events SET seq = -5 WHERE tenant_id = :t AND seq = 5")
    _sql(chain, "UPDATE audit_events SET seq = 5 WHERE tenant_id = :t AND seq = 6")
    _sql(chain, "UPDATE audit_events SET seq = 6 WHERE tenant_id = :t AND seq = -5")
    problems = _verify(chain)
    assert (5, "out_of_chain") in problems


def test_a_truncated_tail_is_found_by_the_signed_checkpoint(chain: Container) -> None:
    """Deleting the newest events and rewinding the head still fails: the checkpoint was signed."""
    last = _max_seq(chain)
    _sql(chain, f"DELETE FROM audit_events WHERE tenant_id = :t AND seq > {last - 3}")
    _sql(
        chain,
        "UPDATE audit_heads SET seq = (SELECT max(seq) FROM audit_events WHERE tenant_id = :t), "
        f"hash = (SELECT hash FROM audit_events WHERE tenant_id = :t AND seq = {last - 3}) WHERE tenant_id = :t",
    )
    problems = _verify(chain)
    assert any(kind == "checkpoint_mismatch" for _, kind in problems)


def test_a_forged_checkpoint_signature_is_found(chain: Container) -> None:
    """A checkpoint whose signature does not verify is reported."""
    _sql(
        chain,
        "UPDATE audit_checkpoints SET signature = '00' || substr(signature, 3) WHERE tenant_id = :t",
    )
    assert any(kind == "bad_signature" for _, kind in _verify(chain))


def test_unknown_actions_are_refused(chain: Container) -> None:
    """The vocabulary is fixed: an unlisted action is a programming error."""
    assert "vault:subject:read" in ACTIONS
    with chain.uow() as uow:
        bind_tenant(uow, TENANT)
        with pytest.raises(ValueError, match="vocabulary"):
            record(uow, [Entry("x", "vault:subject:peek")], chain.clock.now())


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
