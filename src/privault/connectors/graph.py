"""How values flow between collections: the query edges of a dataset's references.

Every reference is also a parent-child link (``child.column`` holds ``parent.column`` values): the
side whose field is its collection's primary key is the parent, else the side declaring the
reference is the child. An edge is *down* when it goes from a parent to the rows pointing at it.
"""

from __future__ import annotations

from dataclasses import dataclass

from privault.connectors.model import DatasetSpec
from privault.connectors.schema import Link


@dataclass(frozen=True, slots=True)
class Edge:
    """Values found in ``source.source_field`` query ``target WHERE target_field IN (...)``.

    ``down``: the target rows point at the source rows (parent -> children), as a ``from``
    reference or an undirected one used from its parent side.
    """

    source: str
    source_field: str
    target: str
    target_field: str
    down: bool = False


def declared_link(
    dataset: DatasetSpec, name: str, column: str, other: str, other_column: str
) -> Link:
    """The link a reference on ``name.column`` to ``other.other_column`` describes."""
    mine = dataset.collection(name)
    theirs = dataset.collection(other)
    mine_is_key = mine is not None and mine.primary_key == (column,)
    theirs_is_key = theirs is not None and theirs.primary_key == (other_column,)
    if mine_is_key and not theirs_is_key:
        return Link(other, (other_column,), name, (column,), declared=True)
    return Link(name, (column,), other, (other_column,), declared=True)


def declared_links(dataset: DatasetSpec) -> tuple[Link, ...]:
    """The parent-child link of every dataset reference."""
    links = {
        declared_link(dataset, collection.name, spec.name, ref.collection, ref.field): None
        for collection in dataset.collections
        for spec in collection.fields
        for ref in spec.references
    }
    return tuple(links)


def query_edges(dataset: DatasetSpec) -> tuple[Edge, ...]:
    """Every edge, Fides semantics: on field F of C, ``from`` X.y queries C by F; ``to`` queries X by y."""
    edges: dict[tuple[str, str, str, str], Edge] = {}
    for collection in dataset.collections:
        for field in collection.fields:
            for ref in field.references:
                link = declared_link(
                    dataset, collection.name, field.name, ref.collection, ref.field
                )
                pairs = []
                if ref.direction in ("from", None):
                    pairs.append((ref.collection, ref.field, collection.name, field.name))
                if ref.direction in ("to", None):
                    pairs.append((collection.name, field.name, ref.collection, ref.field))
                for pair in pairs:
                    down = (pair[2], (pair[3],)) == (link.child, link.child_columns)
                    edges.setdefault(pair, Edge(*pair, down=down))
    return tuple(edges.values())


def active_edges(dataset: DatasetSpec, *, through_others: bool = False) -> tuple[Edge, ...]:
    """The edges the traversal follows: none into or out of a ``skip_processing`` collection or
    one describing other people (staff, managers: never the requester's rows), nor along a field
    describing other people (a ticket's ``agent_id`` declared ``data_subjects: [employee]``)."""
    skipped = {c.name for c in dataset.collections if c.skip or c.others}
    others = {
        (c.name, f.name)
        for c in dataset.collections
        for f in c.fields
        if f.others and not through_others
    }
    return tuple(
        e
        for e in query_edges(dataset)
        if e.source not in skipped
        and e.target not in skipped
        and (e.source, e.source_field) not in others
        and (e.target, e.target_field) not in others
    )


def reachable(
    dataset: DatasetSpec, *, without: str | None = None, through_others: bool = False
) -> set[str]:
    """Collections a traversal from the identity fields can reach (never entering ``without``;
    ``through_others``: also along fields describing other people, which the traversal skips)."""
    seen = {
        c.name
        for c in dataset.collections
        if not c.skip and not c.others and c.name != without and any(f.identity for f in c.fields)
    }
    edges = [
        e
        for e in active_edges(dataset, through_others=through_others)
        if without not in (e.source, e.target)
    ]
    frontier = set(seen)
    while frontier:
        frontier = {e.target for e in edges if e.source in frontier} - seen
        seen |= frontier
    return seen


def owner_links(
    dataset: DatasetSpec, parent: str, foreign_keys: tuple[Link, ...] = ()
) -> tuple[Link, ...]:
    """Links into ``parent`` whose rows tell whether a parent row is someone else's too.

    The dataset's references plus the database ``foreign_keys`` they do not cover; none from a
    ``skip_processing`` collection (never queried), nor from a collection only reachable through
    ``parent`` (its rows are the parent's children, found after the check).
    """
    excluded = {c.name for c in dataset.collections if c.skip}
    excluded |= reachable(dataset) - reachable(dataset, without=parent) - {parent}
    links: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Link] = {}
    for link in (*declared_links(dataset), *foreign_keys):
        if link.parent == parent and link.child not in excluded:
            links.setdefault((link.child, link.child_columns, link.parent_columns), link)
    return tuple(links.values())


def undirected_references(dataset: DatasetSpec) -> list[str]:
    """``collection.field -> other.field`` for every reference without a direction."""
    return [
        f"{c.name}.{f.name} -> {r.collection}.{r.field}"
        for c in dataset.collections
        for f in c.fields
        for r in f.references
        if r.direction is None
    ]
