"""Find a person's rows: breadth-first over the dataset's references, one query per collection per hop."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Select, select

from privault.connectors.graph import Edge, active_edges, owner_links
from privault.connectors.identity import IdentityColumn, declared_columns
from privault.connectors.model import CollectionSpec, DatasetSpec
from privault.connectors.schema import Link
from privault.connectors.sqlbits import (
    any_in,
    batch_size,
    chunks,
    failing_as,
    key_in,
    keys_by_value,
    row_batch,
    split_wanted,
    sql_table,
)

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
class Traversal:
    """The person's rows per collection, the keys of shared parent rows whose children were not
    followed, the keys of rows reached only along up edges (rows the person's rows point at, which
    may be other people's too), and the rows each identity kind matched."""

    found: dict[str, Found]
    shared: dict[str, set[Any]]
    up_only: dict[str, set[Any]] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=dict)


IdentityColumns = Mapping[tuple[str, str], IdentityColumn]


@dataclass(slots=True)
class _Walk:
    conn: Connection
    dataset: DatasetSpec
    edges: dict[str, list[Edge]]
    foreign_keys: Callable[[], tuple[Link, ...]]
    holdable: frozenset[str]
    tracked: frozenset[str]  # collections an up edge leads to: whose rows are own is tracked
    found: dict[str, Found] = field(default_factory=dict)
    own: defaultdict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))
    matched: dict[str, int] = field(default_factory=dict)
    asked: defaultdict[tuple[str, str], set[Any]] = field(default_factory=lambda: defaultdict(set))
    free: dict[str, dict[str, set[Any]]] = field(default_factory=dict)
    held: dict[str, dict[Any, Sequence[Any]]] = field(default_factory=dict)
    owners: dict[str, tuple[Link, ...]] = field(default_factory=dict)

    def want(
        self, pending: dict[str, Wanted], target: str, name: str, values: set[Any], *, free: bool
    ) -> None:
        """Ask ``target`` for rows whose ``name`` holds one of ``values`` (each value once).

        ``free``: asked from a seed or along a down edge, so the rows are the person's own (only
        tracked for collections whose rows may be held back).
        """
        if free and target in self.tracked:
            self.free.setdefault(target, {}).setdefault(name, set()).update(values)
        fresh = values - self.asked[target, name]
        if fresh:
            self.asked[target, name] |= fresh
            pending.setdefault(target, {}).setdefault(name, []).extend(fresh)


def traverse(
    conn: Connection,
    dataset: DatasetSpec,
    identities: Mapping[str, Sequence[str]],
    foreign_keys: Callable[[], tuple[Link, ...]] = tuple,
    columns: IdentityColumns | None = None,
) -> Traversal:
    """Every row reachable from the identities, hop by hop, until no new values appear.

    Rows of a collection reached only along up edges (the person's rows point at them: an address)
    are held back from down edges (towards the other rows pointing at them) until the walk is
    otherwise done; then the ones no one else's row references are followed, the others are
    shared: returned, but their children are not. ``foreign_keys`` (called at most once, only
    when rows are held) adds the database's own foreign keys to the dataset's references.
    ``columns`` says how each identity field stores its values (default: guessed from its kind).
    """
    edges: dict[str, list[Edge]] = defaultdict(list)
    for edge in active_edges(dataset):
        edges[edge.source].append(edge)
    up_targets = frozenset(e.target for out in edges.values() for e in out if not e.down)
    walk = _Walk(conn, dataset, edges, _cached(foreign_keys), _holdable(edges), up_targets)
    pending = _seeds(walk, identities, columns or declared_columns(dataset))
    while pending:
        pending = _hop(walk, pending)
        if not pending:
            pending = _release(walk)
    found = {name: found for name, found in walk.found.items() if found.rows}
    shared = {name: set(rows) for name, rows in walk.held.items() if rows}
    return Traversal(found, shared, _up_only(walk, found), walk.matched)


def _up_only(walk: _Walk, found: dict[str, Found]) -> dict[str, set[Any]]:
    """Keys of the found rows that no seed and no down edge asked for."""
    out: dict[str, set[Any]] = {}
    for name in walk.tracked & set(found):
        key_of = found[name].key_of()
        keys = {key_of(row) for row in found[name].rows.values() if not _is_own(walk, name, row)}
        if keys:
            out[name] = keys
    return out


def _cached(load: Callable[[], tuple[Link, ...]]) -> Callable[[], tuple[Link, ...]]:
    cache: list[tuple[Link, ...]] = []

    def once() -> tuple[Link, ...]:
        if not cache:
            cache.append(load())
        return cache[0]

    return once


def _holdable(edges: dict[str, list[Edge]]) -> frozenset[str]:
    """Collections an up edge leads to and a down edge leaves: their rows may be held back."""
    up_targets = {e.target for out in edges.values() for e in out if not e.down}
    return frozenset(n for n in up_targets if any(e.down for e in edges.get(n, ())))


def _hop(walk: _Walk, pending: dict[str, Wanted]) -> dict[str, Wanted]:
    following: dict[str, Wanted] = {}
    for name, wanted in pending.items():
        new_rows = _fetch(walk, name, wanted)
        if name in walk.holdable:
            _follow(walk, name, new_rows, following, down=False)
            _follow(walk, name, _hold(walk, name, new_rows), following, up=False)
        else:
            _follow(walk, name, new_rows, following)
    return following


def _seeds(
    walk: _Walk, identities: Mapping[str, Sequence[str]], columns: IdentityColumns
) -> dict[str, Wanted]:
    """Find the rows each identity field matches (the database compares, in the field's stored
    form), count them per identity kind, and ask for what they lead to."""
    following: dict[str, Wanted] = {}
    for collection in walk.dataset.collections:
        if collection.skip or collection.others:
            continue
        for spec in collection.fields:
            given = [v for v in identities.get(spec.identity or "", ()) if v]
            if not spec.identity or spec.others or not given:
                continue
            column = columns[collection.name, spec.name]
            matched, new_rows = _match(walk, collection.name, column, column.candidates(given))
            walk.matched[spec.identity] = walk.matched.get(spec.identity, 0) + matched
            _follow(walk, collection.name, new_rows, following)
    return following


def _match(
    walk: _Walk, name: str, column: IdentityColumn, candidates: list[Any]
) -> tuple[int, list[Sequence[Any]]]:
    """(rows matched, rows not seen before) for one identity field; the rows are the person's own."""
    spec = walk.dataset.collection(name)
    assert spec is not None  # noqa: S101 - seeds only name declared collections
    found = walk.found.setdefault(name, Found(spec))
    key_of, store, own = found.key_of(), found.rows, walk.own[name]
    tab = sql_table(name, spec.field_names)
    matched = 0
    new_rows: list[Sequence[Any]] = []
    with failing_as(name):
        for piece in chunks(candidates, batch_size(walk.conn.dialect)):
            condition = column.condition(tab.c[column.field], walk.conn.dialect, piece)
            for row in _tuples(walk.conn, select(*tab.c).where(condition)):
                key = key_of(row)
                matched += 1
                own.add(key)
                if key not in store:
                    store[key] = row
                    new_rows.append(row)
    return matched, new_rows


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


def _follow(
    walk: _Walk,
    name: str,
    rows: Sequence[Sequence[Any]],
    pending: dict[str, Wanted],
    *,
    down: bool = True,
    up: bool = True,
) -> None:
    """Ask every collection an edge leads to (down edges, up edges or both) for the rows' values."""
    if not rows:
        return
    names = walk.found[name].spec.field_names
    for edge in walk.edges.get(name, ()):
        if not (down if edge.down else up):
            continue
        index = names.index(edge.source_field)
        values = {row[index] for row in rows} - {None}
        walk.want(pending, edge.target, edge.target_field, values, free=edge.down)


def _hold(walk: _Walk, name: str, rows: list[Sequence[Any]]) -> list[Sequence[Any]]:
    """The rows that are the person's own; the others (reached only along up edges) are held."""
    key_of, held = walk.found[name].key_of(), walk.held.setdefault(name, {})
    own = []
    for row in rows:
        if _is_own(walk, name, row):
            own.append(row)
        else:
            held[key_of(row)] = row
    return own


def _is_own(walk: _Walk, name: str, row: Sequence[Any]) -> bool:
    """Whether a seed or a down edge asked for the row (not only an up edge)."""
    found = walk.found[name]
    if walk.own.get(name) and found.key_of()(row) in walk.own[name]:
        return True
    names = found.spec.field_names
    free = walk.free.get(name, {})
    return any(row[names.index(f)] in values for f, values in free.items())


def _release(walk: _Walk) -> dict[str, Wanted]:
    """Follow the down edges of held rows that are own or that no one else's row references."""
    following: dict[str, Wanted] = {}
    for name, held in walk.held.items():
        if not held:
            continue
        candidates = {k: row for k, row in held.items() if not _is_own(walk, name, row)}
        shared = _shared_keys(walk, name, candidates)
        rows = [held.pop(k) for k in [k for k in held if k not in shared]]
        _follow(walk, name, rows, following, up=False)
    return following


def _shared_keys(walk: _Walk, name: str, rows: dict[Any, Sequence[Any]]) -> set[Any]:
    """Keys of the rows a row outside the person's found rows references: one query per link."""
    if not rows:
        return set()
    names = walk.found[name].spec.field_names
    shared: set[Any] = set()
    for link in _owner_links(walk, name):
        by_value = keys_by_value(rows, [names.index(c) for c in link.parent_columns])
        for value in _foreign_values(walk, link, list(by_value)):
            shared.update(by_value.get(value, ()))
    return shared


def _owner_links(walk: _Walk, name: str) -> tuple[Link, ...]:
    """Dataset links into ``name`` plus database foreign keys into it that none covers."""
    cached = walk.owners.get(name)
    if cached is not None:
        return cached
    declared = set(walk.found[name].spec.field_names)
    links = owner_links(walk.dataset, name, walk.foreign_keys())
    walk.owners[name] = tuple(k for k in links if declared.issuperset(k.parent_columns))
    return walk.owners[name]


def _foreign_values(walk: _Walk, link: Link, values: list[Any]) -> set[Any]:
    """The ``values`` some ``link.child`` row that is not one of the person's found rows holds."""
    spec = walk.dataset.collection(link.child)
    found = walk.found.get(link.child)
    key_columns = list(spec.primary_key or spec.field_names) if spec is not None else []
    whole = spec is not None and (not spec.primary_key or len(spec.primary_key) > 1)
    cols = list(link.child_columns)
    tab = sql_table(link.child, list(dict.fromkeys(key_columns + cols)))
    width, out = len(key_columns), set()
    with failing_as(link.child):
        for piece in chunks(values, row_batch(walk.conn, len(cols))):
            query = select(*(tab.c[c] for c in key_columns + cols)).where(
                key_in(tab, cols, piece, walk.conn.dialect)
            )
            for row in _tuples(walk.conn, query):
                key = tuple(row[:width]) if whole else row[0] if width else None
                value = row[width] if len(cols) == 1 else tuple(row[width:])
                if found is None or key not in found.rows:
                    out.add(value)
    return out
