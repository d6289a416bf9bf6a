"""a schema that distributes by tenant: tenant_id leads every tenant-owned table's primary key and is
part of every unique constraint and foreign key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 00:30:00.000000

Ids keep their values (each table keeps its one sequence). On PostgreSQL the constraints are
altered in place, in the migration's transaction. On SQLite each table is rebuilt (Alembic's batch
mode) with foreign keys off for the migration (``storage/migrate.py``) and checked once it is done;
there the primary key stays the row id and ``(tenant_id, id)`` becomes a unique constraint of the
primary key's name (``storage/tables.py``), which the composite foreign keys reference.
"""

from __future__ import annotations

import warnings

from alembic import op
from sqlalchemy import exc as sa_exc

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Every tenant-owned table but audit_heads (keyed by tenant_id alone already).
TABLES = (
    "api_keys",
    "audit_checkpoints",
    "audit_events",
    "consent_events",
    "consent_states",
    "cpni_campaigns",
    "datastores",
    "disclosures",
    "dpias",
    "identities",
    "incidents",
    "legal_holds",
    "notice_versions",
    "personal_data",
    "request_events",
    "request_packages",
    "request_tasks",
    "request_verifications",
    "requests",
    "retention_runs",
    "staff_sessions",
    "staff_users",
    "subjects",
    "visits",
    "webhook_deliveries",
    "webhooks",
)
# (table, column, parent, on delete)
FOREIGN_KEYS = (
    ("consent_events", "subject_id", "subjects", None),
    ("identities", "subject_id", "subjects", "CASCADE"),
    ("personal_data", "subject_id", "subjects", "CASCADE"),
    ("request_events", "request_id", "requests", "CASCADE"),
    ("request_packages", "request_id", "requests", "CASCADE"),
    ("request_tasks", "request_id", "requests", "CASCADE"),
    ("request_verifications", "request_id", "requests", "CASCADE"),
    ("staff_sessions", "staff_id", "staff_users", "CASCADE"),
    ("webhook_deliveries", "webhook_id", "webhooks", "CASCADE"),
)
# (table, constraint, columns before, columns after)
UNIQUES = (
    ("api_keys", "uq_api_keys_prefix", ["prefix"], ["prefix", "tenant_id"]),
    (
        "identities",
        "uq_identities_subject_id",
        ["subject_id", "kind", "blind_index"],
        ["subject_id", "kind", "blind_index", "tenant_id"],
    ),
    (
        "personal_data",
        "uq_personal_data_subject_id",
        ["subject_id", "field"],
        ["subject_id", "field", "tenant_id"],
    ),
    ("staff_sessions", "uq_staff_sessions_token_hash", ["token_hash"], ["token_hash", "tenant_id"]),
)


def _old_fk(table: str, column: str, parent: str) -> str:
    return f"fk_{table}_{column}_{parent}"


def _new_fk(table: str, parent: str) -> str:
    return f"fk_{table}_tenant_id_{parent}"


def _postgres(up: bool) -> None:
    """Alter the constraints in place (children's foreign keys first: they hang on the parents'
    primary keys)."""
    for table, column, parent, _ in FOREIGN_KEYS:
        name = _old_fk(table, column, parent) if up else _new_fk(table, parent)
        op.drop_constraint(name, table, type_="foreignkey")
    for table in TABLES:
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, ["tenant_id", "id"] if up else ["id"])
    for table, name, before, after in UNIQUES:
        op.drop_constraint(name, table, type_="unique")
        op.create_unique_constraint(name, table, after if up else before)
    for table, column, parent, ondelete in FOREIGN_KEYS:
        if up:
            op.create_foreign_key(
                _new_fk(table, parent),
                table,
                parent,
                ["tenant_id", column],
                ["tenant_id", "id"],
                ondelete=ondelete,
            )
        else:
            name = _old_fk(table, column, parent)
            op.create_foreign_key(name, table, parent, [column], ["id"], ondelete=ondelete)


def _sqlite(up: bool) -> None:
    """Rebuild each table with its new key, uniques and foreign keys. (SQLAlchemy warns that the
    copied ``id`` column was the whole key before: it is meant to change.)"""
    for table in TABLES:
        with (
            warnings.catch_warnings(),
            op.batch_alter_table(table, recreate="always") as batch,
        ):
            warnings.filterwarnings(
                "ignore", r".*specifies columns 'id' as primary_key=True", sa_exc.SAWarning
            )
            batch.create_primary_key(f"pk_{table}", ["tenant_id", "id"] if up else ["id"])
            for owner, name, before, after in UNIQUES:
                if owner == table:
                    batch.drop_constraint(name, type_="unique")
                    batch.create_unique_constraint(name, after if up else before)
            for owner, column, parent, ondelete in FOREIGN_KEYS:
                if owner != table:
                    continue
                if up:
                    batch.drop_constraint(_old_fk(table, column, parent), type_="foreignkey")
                    batch.create_foreign_key(
                        _new_fk(table, parent),
                        parent,
                        ["tenant_id", column],
                        ["tenant_id", "id"],
                        ondelete=ondelete,
                    )
                else:
                    batch.drop_constraint(_new_fk(table, parent), type_="foreignkey")
                    batch.create_foreign_key(
                        _old_fk(table, column, parent), parent, [column], ["id"], ondelete=ondelete
                    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # the primary key (tenant_id, id) serves what this index did
    op.drop_index("ix_api_keys_tenant_id", table_name="api_keys")
    if postgres:
        _postgres(up=True)
        # events by id across tenants (the newest, one by id): the key now leads with the tenant
        op.create_index("ix_audit_events_id", "audit_events", ["id"])
    else:
        _sqlite(up=True)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.drop_index("ix_audit_events_id", table_name="audit_events")
        _postgres(up=False)
    else:
        _sqlite(up=False)
    op.create_index("ix_api_keys_tenant_id", "api_keys", ["tenant_id"])
