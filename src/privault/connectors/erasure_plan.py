"""Decide, row by row, what an erasure deletes, masks and keeps - before changing anything.

Rows still referenced by rows that stay (another person's, or this person's kept rows) are never
deleted. A row the person only points at (reached along up edges: a household address) that
someone else's row references is shared and left untouched. The person's own row (found from an
identity or as a child of their rows) that someone else's row depends on is kept with its
personal fields masked, and so is a row only this person's kept rows point at: nothing of the
person stays behind a row kept for someone else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from sqlalchemy import Connection, select

from privault.connectors.graph import declared_links
from privault.connectors.masking import Masking, masking_for
from privault.connectors.model import DatasetSpec
from privault.connectors.results import ErasureException, Retained
from privault.connectors.schema import DbSchema, Link
from privault.connectors.sqlbits import (
    chunks,
    failing_as,
    key_in,
    keys_by_value,
    row_batch,
    sql_table,
)
from privault.connectors.traversal import Found, Traversal

Rows = dict[Any, Sequence[Any]]  # primary key -> row


@dataclass(slots=True)
class ErasurePlan:
    """Rows to delete and to mask per collection, the rows retained and the deletion order."""

    found: dict[str, Found]
    schema: DbSchema
    masking: dict[str, Masking]
    up_only: dict[str, set[Any]] = field(default_factory=dict)
    delete: dict[str, Rows] = field(default_factory=dict)
    keep: dict[str, Rows] = field(default_factory=dict)
    shared: set[tuple[str, Any]] = field(default_factory=set)
    retained: list[Retained] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    referrers: dict[Link, list[tuple[Any, Any]]] = field(default_factory=dict)


def plan_erasure(
    conn: Connection,
    dataset: DatasetSpec,
    walked: Traversal | dict[str, Found],
    schema: DbSchema,
    exceptions: Sequence[ErasureException],
) -> ErasurePlan:
    """Classify the found rows, protect referenced ones and order the deletions.

    ``walked`` is a traversal (which rows are the person's own is known) or bare rows, all taken
    as the person's own.
    """
    masking = {c.name: masking_for(c, schema, exceptions) for c in dataset.collections}
    if isinstance(walked, Traversal):
        plan = ErasurePlan(walked.found, schema, masking, walked.up_only)
    else:
        plan = ErasurePlan(walked, schema, masking)
    _classify(plan)
    links = all_links(dataset, schema)
    while True:
        _protect(conn, plan, links)
        cycle = _order(plan, dataset, links)
        if not cycle:
            return plan
        for name in cycle:
            _move_to_keep(plan, name, list(plan.delete[name]), "cycle", _cycle_reason(cycle))


def _classify(plan: ErasurePlan) -> None:
    for name, found in plan.found.items():
        spec = found.spec
        if not spec.personal:
            continue
        exception = plan.masking[name].exception
        if exception is None and spec.delete_rows is not False:
            plan.delete[name] = dict(found.rows)
            continue
        plan.keep[name] = dict(found.rows)
        if exception is not None:
            reason = exception.rule + (f": {exception.note}" if exception.note else "")
            kept = ", ".join(plan.masking[name].kept)
            plan.retained += [
                Retained(name, key_text(k), exception.code, f"{reason} (kept: {kept})")
                for k in found.rows
            ]


def key_text(key: Any) -> str:
    """A primary key as text (composite keys joined by commas)."""
    return ",".join(map(str, key)) if isinstance(key, tuple) else str(key)


def all_links(dataset: DatasetSpec, schema: DbSchema) -> tuple[Link, ...]:
    """Every database foreign key, plus dataset references no foreign key already covers."""
    links = dict.fromkeys(schema.foreign_keys)
    known = {(k.child, k.child_columns, k.parent, k.parent_columns) for k in links}
    for link in declared_links(dataset):
        if (link.child, link.child_columns, link.parent, link.parent_columns) not in known:
            links[link] = None
    return tuple(links)


def _protect(conn: Connection, plan: ErasurePlan, links: tuple[Link, ...]) -> None:
    """Until nothing moves: keep every row about to be deleted that a staying row still references."""
    moved = True
    while moved:
        moved = False
        for link in links:
            if plan.delete.get(link.parent) and link.parent in plan.found:
                moved |= _protect_link(conn, plan, link)


def _protect_link(conn: Connection, plan: ErasurePlan, link: Link) -> bool:
    by_value = _parent_values(conn, plan, link)
    others: Counter[Any] = Counter()
    own: Counter[Any] = Counter()
    for child_key, value in _referrers(conn, plan, link, list(by_value)):
        if value in by_value:
            state = _child_state(plan, link, child_key)
            if state == "other":
                others[value] += 1
            elif state == "own":
                own[value] += 1
    for value, count in others.items():
        for key in by_value[value]:
            _retain_for_others(plan, link.parent, key, count, link.child)
    reason = "still referenced by {} kept rows of {}; personal fields masked"
    for value, count in own.items():
        if value not in others:
            keys = by_value[value]
            _move_to_keep(plan, link.parent, keys, "referenced", reason.format(count, link.child))
    return bool(others) or any(v not in others for v in own)


def _child_state(plan: ErasurePlan, link: Link, key: Any) -> str:
    """gone (deleted or its link masked), own (this person's row that stays) or other."""
    child = link.child
    if key is None or (child, key) in plan.shared:
        return "other"
    if key in plan.delete.get(child, {}):
        return "gone"
    if key in plan.keep.get(child, {}):
        masked = plan.masking[child].values
        return (
            "gone" if all(c in masked and masked[c] is None for c in link.child_columns) else "own"
        )
    return "own" if child in plan.found and key in plan.found[child].rows else "other"


def _parent_values(conn: Connection, plan: ErasurePlan, link: Link) -> dict[Any, list[Any]]:
    """Referenced value -> keys of the parent rows to delete that hold it."""
    rows = plan.delete[link.parent]
    spec = plan.found[link.parent].spec
    names = spec.field_names
    if not all(c in names for c in link.parent_columns):
        return _fetch_parent_values(conn, plan, link)
    return keys_by_value(rows, [names.index(c) for c in link.parent_columns])


def _fetch_parent_values(conn: Connection, plan: ErasurePlan, link: Link) -> dict[Any, list[Any]]:
    spec = plan.found[link.parent].spec
    pk, cols = list(spec.primary_key), list(link.parent_columns)
    tab = sql_table(link.parent, list(dict.fromkeys(pk + cols)))
    by_value: dict[Any, list[Any]] = {}
    with failing_as(link.parent):
        for piece in chunks(list(plan.delete[link.parent]), row_batch(conn, len(pk))):
            query = select(*(tab.c[c] for c in pk + cols)).where(
                key_in(tab, pk, piece, conn.dialect)
            )
            for row in conn.execute(query).all():
                key = row[0] if len(pk) == 1 else tuple(row[: len(pk)])
                value = row[len(pk)] if len(cols) == 1 else tuple(row[len(pk) :])
                by_value.setdefault(value, []).append(key)
    return by_value


def _referrers(
    conn: Connection, plan: ErasurePlan, link: Link, values: list[Any]
) -> list[tuple[Any, Any]]:
    """(child key or None, referenced value) for every child row holding one of ``values``."""
    cached = plan.referrers.get(link)
    if cached is not None:
        return cached
    key_columns = _child_key(plan, link.child)
    cols = list(link.child_columns)
    tab = sql_table(link.child, list(dict.fromkeys(key_columns + cols)))
    width, out = len(key_columns), []
    with failing_as(link.child):
        for piece in chunks(values, row_batch(conn, len(cols))):
            query = select(*(tab.c[c] for c in key_columns + cols)).where(
                key_in(tab, cols, piece, conn.dialect)
            )
            for row in conn.execute(query).all():
                key = None if not width else row[0] if width == 1 else tuple(row[:width])
                out.append((key, row[width] if len(cols) == 1 else tuple(row[width:])))
    plan.referrers[link] = out
    return out


def _child_key(plan: ErasurePlan, child: str) -> list[str]:
    if child in plan.found and plan.found[child].spec.primary_key:
        return list(plan.found[child].spec.primary_key)
    return list(plan.schema.primary_keys.get(child, ()))


def _retain_for_others(plan: ErasurePlan, name: str, key: Any, count: int, child: str) -> None:
    """Keep a row other people's rows reference: untouched when the person only points at it
    (shared), masked when it is the person's own row (others depend on it)."""
    if key not in plan.delete[name]:
        return
    if key in plan.up_only.get(name, ()):
        plan.delete[name].pop(key)
        plan.shared.add((name, key))
        reason = f"still referenced by {count} rows of {child} of other people; kept unchanged"
        plan.retained.append(Retained(name, key_text(key), "shared", reason))
        return
    reason = (
        f"other people's rows depend on it ({count} rows of {child}); kept, "
        "the person's fields masked"
    )
    _move_to_keep(plan, name, [key], "depended_on", reason)


def _move_to_keep(plan: ErasurePlan, name: str, keys: list[Any], code: str, reason: str) -> None:
    for key in keys:
        row = plan.delete[name].pop(key, None)
        if row is not None:
            plan.keep.setdefault(name, {})[key] = row
            plan.retained.append(Retained(name, key_text(key), code, reason))


def _order(plan: ErasurePlan, dataset: DatasetSpec, links: tuple[Link, ...]) -> list[str]:
    """Fill ``plan.order`` children first; on a cycle return its collections instead."""
    names = [n for n, rows in plan.delete.items() if rows]
    graph: dict[str, set[str]] = {n: set() for n in names}
    for link in links:
        if link.child in graph and link.parent in graph and link.child != link.parent:
            graph[link.parent].add(link.child)
    for name in names:
        spec = dataset.collection(name)
        graph[name] |= {a for a in (spec.erase_after if spec else ()) if a in graph and a != name}
    try:
        plan.order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        return list(dict.fromkeys(exc.args[1]))
    return []


def _cycle_reason(cycle: list[str]) -> str:
    path = " -> ".join([*cycle, cycle[0]])
    return f"foreign keys form a cycle ({path}); the row is masked instead of deleted"
