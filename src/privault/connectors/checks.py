"""``datastores test``: the dataset compared with the database, its schema and its data.

Each finding has a stable code (listed in ``FINDING_CODES``, documented in docs/requests.md), a
severity (errors make the datastore not ok), where it is (``collection.field``), a message and a
hint. Values read to check them (identity samples) never reach a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, func, select
from sqlalchemy.engine import URL

from privault.connectors.erasure import skipped_fields
from privault.connectors.identity import IdentityColumn
from privault.connectors.indexes import index_findings
from privault.connectors.masking import masking_for
from privault.connectors.model import DatasetSpec
from privault.connectors.privileges import needs, permissions
from privault.connectors.results import DatastoreCheck, Finding
from privault.connectors.sampling import sample_findings
from privault.connectors.schema import DbSchema, comparable
from privault.connectors.sqlbits import failing_as, sql_table

FINDING_CODES = (
    "schema.missing_table",
    "schema.missing_column",
    "reference.type_mismatch",
    "reference.undirected",
    "identity.form_missed",
    "identity.unparseable",
    "identity.no_index",
    "permission.no_select",
    "permission.no_delete",
    "permission.no_update",
    "permission.read_only",
    "erasure.skipped",
    "erasure.cannot_mask",
    "collection.empty",
)
_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Probe:
    """How to reach the database and read its phones: the URL (SQLite: the file) and the region
    numbers without a country code are read in (the tenant's)."""

    url: URL
    phone_region: str | None = None


def run_checks(
    conn: Connection,
    dataset: DatasetSpec,
    schema: DbSchema,
    columns: Mapping[tuple[str, str], IdentityColumn],
    probe: Probe,
) -> DatastoreCheck:
    """Every check, in one read-only transaction (the caller rolls it back)."""
    findings = schema_findings(dataset, schema) + reference_findings(dataset, schema)
    findings += erasure_findings(dataset, schema)
    allowed = permissions(conn, probe.url, needs(dataset, schema))
    findings += allowed.findings
    readable = [c.name for c in dataset.collections if c.name in schema.columns]
    readable = [name for name in readable if name not in allowed.unreadable]
    rows = {name: _count(conn, name) for name in readable}
    findings += empty_findings(dataset, rows)
    looked_up = _looked_up(dataset, schema, columns, set(readable))
    findings += sample_findings(conn, looked_up, probe.phone_region)
    findings += index_findings(conn, looked_up)
    return DatastoreCheck(True, sorted(findings, key=lambda f: _ORDER[f.severity]), rows)


def _looked_up(
    dataset: DatasetSpec,
    schema: DbSchema,
    columns: Mapping[tuple[str, str], IdentityColumn],
    readable: set[str],
) -> list[IdentityColumn]:
    """The identity fields requests look up (not in skipped collections nor other people's) that
    the database has and the login may read."""
    searched = {c.name for c in dataset.collections if not c.skip and not c.others} & readable
    return [
        column
        for (name, field), column in columns.items()
        if name in searched and field in schema.columns[name]
    ]


def schema_findings(dataset: DatasetSpec, schema: DbSchema) -> list[Finding]:
    """Declared collections and fields the database lacks."""
    findings = []
    for collection in dataset.collections:
        columns = schema.columns.get(collection.name)
        if columns is None:
            findings.append(
                Finding(
                    "schema.missing_table",
                    "error",
                    collection.name,
                    "the database has no such table (that the login can see)",
                    "correct the collection's name or remove it from the dataset; on "
                    "MySQL/MariaDB, grant the login SELECT on the table",
                )
            )
            continue
        findings += [
            Finding(
                "schema.missing_column",
                "error",
                f"{collection.name}.{name}",
                f"the table {collection.name} has no such column (that the login can see)",
                "correct the field's name or remove the field from the dataset; on "
                "MySQL/MariaDB, grant the login SELECT on the column",
            )
            for name in collection.field_names
            if name not in columns
        ]
    return findings


def reference_findings(dataset: DatasetSpec, schema: DbSchema) -> list[Finding]:
    """References between columns whose types cannot hold equal values, and undirected ones."""
    findings = []
    for collection in dataset.collections:
        for field in collection.fields:
            for ref in field.references:
                where = f"{collection.name}.{field.name}"
                mine = schema.columns.get(collection.name, {}).get(field.name)
                theirs = schema.columns.get(ref.collection, {}).get(ref.field)
                if mine and theirs and not comparable(mine.family, theirs.family):
                    findings.append(
                        Finding(
                            "reference.type_mismatch",
                            "error",
                            where,
                            f"the reference to {ref.collection}.{ref.field} joins a {mine.family} "
                            f"column to a {theirs.family} one: their values cannot match",
                            "give both columns the same type, or correct the reference",
                        )
                    )
                if ref.direction is None:
                    findings.append(_undirected(where, f"{ref.collection}.{ref.field}"))
    return findings


def _undirected(where: str, target: str) -> Finding:
    return Finding(
        "reference.undirected",
        "warning",
        where,
        f"the reference to {target} has no direction and is followed both ways (from a row other "
        "people's rows also reference, never towards those rows)",
        "give it `direction: to` (this field holds the other's key) or `direction: from`",
    )


def erasure_findings(dataset: DatasetSpec, schema: DbSchema) -> list[Finding]:
    """Personal fields an erasure leaves: ``skip_processing`` ones, masked ones it cannot mask."""
    findings = [
        Finding(
            "erasure.skipped",
            "warning",
            f"{n.collection}.{n.field}",
            "personal data not erased: the collection is skip_processing",
            "process the collection, or erase the field by hand (a manual system)",
        )
        for n in skipped_fields(dataset)
    ]
    for collection in dataset.collections:
        if collection.delete_rows is False and not collection.skip:
            failures = masking_for(collection, schema, ()).failures
            findings += [
                Finding(
                    "erasure.cannot_mask",
                    "warning",
                    f"{collection.name}.{name}",
                    f"the collection is masked, and this field cannot be ({reason})",
                    "make the column nullable (or text), or let rows of the collection be deleted",
                )
                for name, reason in failures.items()
            ]
    return findings


def empty_findings(dataset: DatasetSpec, rows: Mapping[str, int]) -> list[Finding]:
    """Collections holding identities that have no rows at all (the wrong database, perhaps)."""
    return [
        Finding(
            "collection.empty",
            "info",
            c.name,
            "the table has no rows, so no request finds anyone here",
            "check that the URL names the database the application writes to",
        )
        for c in dataset.collections
        if rows.get(c.name) == 0 and any(f.identity for f in c.fields) and not (c.others or c.skip)
    ]


def _count(conn: Connection, name: str) -> int:
    with failing_as(name, "count"):
        query = select(func.count()).select_from(sql_table(name, []))
        return int(conn.execute(query).scalar_one())
