"""Carry out an erasure plan: mask kept rows, then delete children before parents, in batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, update

from privault.connectors.erasure_plan import ErasurePlan, plan_erasure
from privault.connectors.model import DatasetSpec
from privault.connectors.results import ErasureException, ErasureResult, NotErased
from privault.connectors.schema import reflect
from privault.connectors.sqlbits import chunks, failing_as, key_in, row_batch, sql_table
from privault.connectors.traversal import Traversal


def run_erasure(
    conn: Connection,
    dataset: DatasetSpec,
    walked: Traversal,
    exceptions: Sequence[ErasureException],
) -> ErasureResult:
    """Plan, then mask and delete on ``conn`` (the caller commits or rolls back)."""
    plan = plan_erasure(conn, dataset, walked, reflect(conn), exceptions)
    result = ErasureResult(retained=list(plan.retained))
    for name, rows in plan.keep.items():
        _mask(conn, plan, name, list(rows), result)
    for name in plan.order:
        _delete(conn, plan, name, result)
    result.not_erased += skipped_fields(dataset)
    return result


def skipped_fields(dataset: DatasetSpec) -> list[NotErased]:
    """Personal fields of ``skip_processing`` collections: never queried, so never erased."""
    return [
        NotErased(c.name, f.name, 0, "skip_processing")
        for c in dataset.collections
        if c.skip
        for f in c.fields
        if f.personal
    ]


def _mask(
    conn: Connection, plan: ErasurePlan, name: str, keys: list[Any], result: ErasureResult
) -> None:
    masking = plan.masking[name]
    result.not_erased += [NotErased(name, f, len(keys), r) for f, r in masking.failures.items()]
    if not masking.values or not keys:
        return
    pk = list(plan.found[name].spec.primary_key)
    tab = sql_table(name, list(dict.fromkeys([*pk, *masking.values])))
    values = {tab.c[column]: value for column, value in masking.values.items()}
    count = 0
    with failing_as(name, "masking"):
        for piece in chunks(keys, row_batch(conn, len(pk))):
            count += conn.execute(
                update(tab).where(key_in(tab, pk, piece, conn.dialect)).values(values)
            ).rowcount
    result.masked[name] = dict.fromkeys(masking.values, count)


def _delete(conn: Connection, plan: ErasurePlan, name: str, result: ErasureResult) -> None:
    keys = list(plan.delete[name])
    pk = list(plan.found[name].spec.primary_key)
    tab = sql_table(name, pk)
    count = 0
    with failing_as(name, "deletion"):
        for piece in chunks(keys, row_batch(conn, len(pk))):
            count += conn.execute(delete(tab).where(key_in(tab, pk, piece, conn.dialect))).rowcount
    result.deleted[name] = count
