"""the remaining rules of the laws (RULES.md): each area adds its own tables or columns below

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


# Each area of work adds one pair of functions here (``_<area>_up`` / ``_<area>_down``) and calls
# them from ``upgrade`` / ``downgrade``. Downgrades run in reverse order.


def _cpni_up() -> None:
    """FCC-SAFE-1: the log of marketing campaigns using CPNI and their supervisory review."""
    ident = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "cpni_campaigns",
        sa.Column("id", ident, autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cpni_used", sa.Text(), nullable=False),
        sa.Column("products", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("tenant_id", ident, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_cpni_campaigns_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpni_campaigns")),
        sa.UniqueConstraint("ref", "tenant_id", name=op.f("uq_cpni_campaigns_ref")),
    )


def _cpni_down() -> None:
    op.drop_table("cpni_campaigns")


def upgrade() -> None:
    """Apply."""
    _cpni_up()


def downgrade() -> None:
    """Revert."""
    _cpni_down()
