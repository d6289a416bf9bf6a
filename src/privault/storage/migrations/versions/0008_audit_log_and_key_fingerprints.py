"""the audit log written without a lock (MACs, sealing, witness) and the tenants' key fingerprints

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 18:40:00.000000

Events already in the chain keep their hashes (``core.audit.event_hash``) and have no MAC; the
sealer continues the chain from them. On PostgreSQL, ``xid`` defaults to the writing transaction's
id, which the decision cache follows (``storage/audit_repo.py``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _audit_up() -> None:
    """Events written unsealed, with a MAC; the head's time; the transaction id on PostgreSQL."""
    postgres = op.get_bind().dialect.name == "postgresql"
    xid_default = sa.text("(pg_current_xact_id()::text::bigint)") if postgres else None
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=True)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        batch.add_column(sa.Column("nonce", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("xid", sa.BigInteger(), nullable=True, server_default=xid_default)
        )
        batch.create_unique_constraint(op.f("uq_audit_events_mac"), ["mac", "tenant_id"])
        batch.create_index("ix_audit_events_tenant_xid", ["tenant_id", "xid"])
    with op.batch_alter_table("audit_heads") as batch:
        batch.add_column(
            sa.Column("at_us", sa.BigInteger(), nullable=False, server_default=sa.text("0"))
        )
    op.execute(
        "UPDATE audit_heads SET at_us = COALESCE((SELECT MAX(e.at_us) FROM audit_events e "
        "WHERE e.tenant_id = audit_heads.tenant_id), 0)"
    )


def _audit_down() -> None:
    unsealed = op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM audit_events WHERE seq IS NULL"))
    if unsealed:
        raise RuntimeError(
            f"{unsealed} audit events are not sealed yet: run 'privault audit seal' first"
        )
    with op.batch_alter_table("audit_heads") as batch:
        batch.drop_column("at_us")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_tenant_xid")
        batch.drop_constraint(op.f("uq_audit_events_mac"), type_="unique")
        batch.drop_column("xid")
        batch.drop_column("mac")
        batch.drop_column("nonce")
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)


def _keys_up() -> None:
    """The fingerprint of each tenant's keys, to refuse a missing or foreign key file."""
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("key_fingerprint", sa.String(length=64), nullable=True))


def _keys_down() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("key_fingerprint")


def upgrade() -> None:
    _audit_up()
    _keys_up()


def downgrade() -> None:
    _keys_down()
    _audit_down()
