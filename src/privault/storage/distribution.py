"""How the schema distributes over a Citus cluster: reference tables (the same rows on every node)
and tenant-owned tables distributed by ``tenant_id``, colocated so that a tenant's rows and their
foreign keys sit on one node (docs/scale-out.md)."""

from __future__ import annotations

from privault.storage.tables import REFERENCE_TABLES, TENANT_OWNED_TABLES, Base


def citus_statements() -> list[str]:
    """The SQL that distributes privault's tables on Citus, in an order it accepts: reference
    tables first (tenant-owned tables reference ``tenants``), then each tenant-owned table after
    the tables its foreign keys point to, all colocated with the first."""
    ordered = [table.name for table in Base.metadata.sorted_tables]
    references = [name for name in ordered if name in REFERENCE_TABLES]
    owned = [name for name in ordered if name in TENANT_OWNED_TABLES]
    statements = [f"SELECT create_reference_table('{name}');" for name in references]
    first, *rest = owned
    statements.append(f"SELECT create_distributed_table('{first}', 'tenant_id');")
    statements += [
        f"SELECT create_distributed_table('{name}', 'tenant_id', colocate_with => '{first}');"
        for name in rest
    ]
    return statements
