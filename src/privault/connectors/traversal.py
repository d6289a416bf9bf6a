"""Find a person's rows: breadth-first over the dataset's references, one query per collection per hop."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Select, select

from privault.connectors.graph import Edge, active_edges
from privault.connectors.model import CollectionSpec, DatasetSpec
from privault.connectors.sqlbits import any_in, batch_size, failing_as, split_wanted, sql_table

Wanted = dict[str, list[Any]]  # field -> values to look up


@dataclass(slots=True)
class Found:
    """The raw rows of one collection found for a person, keyed by primary key."""

    spec: CollectionSpec
    rows: dict[Any, Sequence[Any]] = field(default_factory=dict)

    def key_of(self) -> Callable[[Sequence[Any]], Any]:
        """The primary key of a row (a scalar for one column, a tuple for several)."""
        names = self.spec.field_names
        if not self.spec.primary_key:
            return tuple
        return itemgetter(*(names.index(k) for k in self.spec.primary_key))

    def values(self, name: str) -> set[Any]:
        """The distinct non-null values of one field across the rows."""
        index = self.spec.field_names.index(name)
        return {row[index] for row in self.rows.values()} - {None}


@dataclass(slots=True)
class _Walk:
    conn: Connection
    dataset: DatasetSpec
    edges: dict[str, list[Edge]]
    found: dict[str, Found] = field(default_factory=dict)
    asked: defaultdict[tuple[str, str], set[Any]] = field(default_factory=lambda: defaultdict(set))

    def want(self, pending: dict[str, Wanted], target: str, name: str, values: set[Any]) -> None:
        fresh = values - self.asked[target, name]
        if fresh:
            self.asked[target, name] |= fresh
            pending.setdefault(target, {}).setdefault(name, []).extend(fresh)


def traverse(
    conn: Connection, dataset: DatasetSpec, identities: Mapping[str, Sequence[str]]
) -> dict[str, Found]:
    """Every row reachable from the identities, hop by hop, until no new values appear."""
    edges: dict[str, list[Edge]] = defaultdict(list)
    for edge in active_edges(dataset):
        edges[edge.source].append(edge)
    walk = _Walk(conn, dataset, edges)
    pending = _seeds(walk, identities)
    while pending:
        following: dict[str, Wanted] = {}
        for name, wanted in pending.items():
            new_rows = _fetch(walk, name, wanted)
            _follow(walk, name, new_rows, following)
        pending = following
    return {name: found for name, found in walk.found.items() if found.rows}


def _seeds(walk: _Walk, identities: Mapping[str, Sequence[str]]) -> dict[str, Wanted]:
    pending: dict[str, Wanted] = {}
    for collection in walk.dataset.collections:
        if collection.skip:
            continue
        for spec in collection.fields:
            values = {v for v in identities.get(spec.identity or "", ()) if v}
            if spec.identity and values:
                walk.want(pending, collection.name, spec.name, values)
    return pending


def _fetch(walk: _Walk, name: str, wanted: Wanted) -> list[Sequence[Any]]:
    """One query (in batches) for the collection; the rows not seen before."""
    spec = walk.dataset.collection(name)
    assert spec is not None  # noqa: S101 - edges only name declared collections
    found = walk.found.setdefault(name, Found(spec))
    key_of, store = found.key_of(), found.rows
    new_rows: list[Sequence[Any]] = []
    tab = sql_table(name, spec.field_names)
    with failing_as(name):
        for piece in split_wanted(wanted, batch_size(walk.conn.dialect)):
            query = select(*tab.c).where(any_in(tab, piece, walk.conn.dialect))
            for row in _tuples(walk.conn, query):
                key = key_of(row)
                if key not in store:
                    store[key] = row
                    new_rows.append(row)
    return new_rows


def _tuples(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """The DBAPI's own row tuples: the columns are untyped, so SQLAlchemy would not convert them."""
    result = conn.execute(query)
    cursor = result.cursor
    rows = list(cursor.fetchall()) if cursor is not None else []
    result.close()
    return rows


def _follow(walk: _Walk, name: str, rows: list[Sequence[Any]], pending: dict[str, Wanted]) -> None:
    if not rows:
        return
    names = walk.found[name].spec.field_names
    for edge in walk.edges.get(name, ()):
        index = names.index(edge.source_field)
        values = {row[index] for row in rows} - {None}
        walk.want(pending, edge.target, edge.target_field, values)
