"""consent ledger, consent states, purpose-limitation facts on subjects

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _tenant_column() -> sa.Column[int]:
    return sa.Column("tenant_id", _ID, nullable=False)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="RESTRICT",
    )


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("subjects") as batch:
        batch.add_column(sa.Column("exclusive_data", sa.Text(), nullable=True))
    op.create_table(
        "consent_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subject_id", _ID, nullable=True),
        sa.Column("visitor", sa.String(length=64), nullable=True),
        sa.Column("brand", sa.String(length=120), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=250), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("notice_version", sa.String(length=64), nullable=True),
        sa.Column("shown", sa.String(length=500), nullable=True),
        sa.Column("agent", sa.String(length=120), nullable=True),
        sa.Column("call_id", sa.String(length=64), nullable=True),
        sa.Column("ip_prefix", sa.String(length=50), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        _tenant_column(),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_consent_events_subject_id_subjects")
        ),
        _tenant_fk("consent_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    op.create_index("ix_consent_events_subject", "consent_events", ["subject_id"])
    op.create_index("ix_consent_events_visitor", "consent_events", ["visitor"])
    op.create_table(
        "consent_states",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("subject_id", _ID, nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_column(),
        _tenant_fk("consent_states"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_states")),
        sa.UniqueConstraint("holder", "tenant_id", name=op.f("uq_consent_states_holder")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("consent_states")
    op.drop_index("ix_consent_events_visitor", table_name="consent_events")
    op.drop_index("ix_consent_events_subject", table_name="consent_events")
    op.drop_table("consent_events")
    with op.batch_alter_table("subjects") as batch:
        batch.drop_column("exclusive_data")
