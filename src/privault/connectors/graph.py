"""How values flow between collections: the query edges of a dataset's references."""

from __future__ import annotations

from dataclasses import dataclass

from privault.connectors.model import DatasetSpec


@dataclass(frozen=True, slots=True)
class Edge:
    """Values found in ``source.source_field`` query ``target WHERE target_field IN (...)``."""

    source: str
    source_field: str
    target: str
    target_field: str


def query_edges(dataset: DatasetSpec) -> tuple[Edge, ...]:
    """Every edge, Fides semantics: on field F of C, ``from`` X.y queries C by F; ``to`` queries X by y."""
    edges: dict[Edge, None] = {}
    for collection in dataset.collections:
        for field in collection.fields:
            for ref in field.references:
                if ref.direction in ("from", None):
                    edges[Edge(ref.collection, ref.field, collection.name, field.name)] = None
                if ref.direction in ("to", None):
                    edges[Edge(collection.name, field.name, ref.collection, ref.field)] = None
    return tuple(edges)


def active_edges(dataset: DatasetSpec) -> tuple[Edge, ...]:
    """The edges the traversal follows: none into or out of a ``skip_processing`` collection."""
    skipped = {c.name for c in dataset.collections if c.skip}
    return tuple(
        e for e in query_edges(dataset) if e.source not in skipped and e.target not in skipped
    )


def reachable(dataset: DatasetSpec) -> set[str]:
    """Collections a traversal from the identity fields can reach."""
    seen = {c.name for c in dataset.collections if not c.skip and any(f.identity for f in c.fields)}
    edges = active_edges(dataset)
    frontier = set(seen)
    while frontier:
        frontier = {e.target for e in edges if e.source in frontier} - seen
        seen |= frontier
    return seen
