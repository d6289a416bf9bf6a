"""Erasure and access on generated foreign-key graphs, on real SQLite and PostgreSQL databases.

Hypothesis builds a schema (people, a shared ``place`` table they point at, and child tables hanging
off people or other children) and rows owned by a few people, with cross references from one
person's rows to another's that only the database's foreign keys describe. After erasing one person:

- no foreign key breaks;
- no other person's row changes (nor a place someone else also lives at);
- no personal field of the person remains in any of their rows (deleted, or kept and masked),
  except the fields the result names as not erased;
- access finds exactly the person's rows and the places they point at.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
    text,
)
from sqlalchemy.engine import make_url

from privault.connectors import SqlDatastore, load_dataset
from privault.connectors.masking import ERASED
from tests.fixtures.scratch import POSTGRES_URL, engine_for

ERASED_PERSON = 0
PERSONAL = {"email", "name", "label", "note"}


@dataclass
class ChildTable:
    """``t{index}``: rows hang off ``parent`` (their owner's row); ``cross`` points at any row."""

    index: int
    parent: str
    cross: str | None
    owner_personal: bool  # the owner reference is categorised user.unique_id
    owner_nullable: bool

    @property
    def name(self) -> str:
        """The table name."""
        return f"t{self.index}"


@dataclass
class Graph:
    """A generated schema and its rows: table -> list of row dicts, each with its owner."""

    children: list[ChildTable]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    owners: dict[tuple[str, int], frozenset[int]] = field(default_factory=dict)


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    """A schema of 1-4 child tables and rows for 2-4 people."""
    people = draw(st.integers(2, 4))
    places = draw(st.integers(1, 3))
    children: list[ChildTable] = []
    for index in range(draw(st.integers(1, 4))):
        earlier = ["person", *(c.name for c in children)]
        children.append(
            ChildTable(
                index,
                draw(st.sampled_from(earlier)),
                draw(st.none() | st.sampled_from(earlier)),
                draw(st.booleans()),
                draw(st.booleans()),
            )
        )
    graph = Graph(children)
    graph.rows["place"] = [{"id": p, "label": f"place {p}"} for p in range(places)]
    graph.rows["person"] = []
    for p in range(people):
        place = draw(st.none() | st.integers(0, places - 1))
        mail = draw(st.sampled_from([f"person{p}@example.com", f"Person{p}@Example.COM"]))
        graph.rows["person"].append({"id": p, "email": mail, "name": f"N{p}", "place_id": place})
        graph.owners["person", p] = frozenset({p})
    for child in children:
        _child_rows(draw, graph, child)
    for place in graph.rows["place"]:
        users = {p["id"] for p in graph.rows["person"] if p["place_id"] == place["id"]}
        graph.owners["place", place["id"]] = frozenset(users)
    return graph


def _child_rows(draw: st.DrawFn, graph: Graph, child: ChildTable) -> None:
    parents = graph.rows[child.parent]
    crosses = graph.rows[child.cross] if child.cross else []
    rows = []
    for n in range(draw(st.integers(0, 4)) if parents else 0):
        parent = draw(st.sampled_from(parents))
        target = draw(st.none() | st.sampled_from(crosses)) if crosses else None
        owner = graph.owners[child.parent, parent["id"]]
        rows.append(
            {
                "id": n,
                "owner_id": parent["id"],
                "cross_id": target["id"] if target else None,
                "note": f"{child.name}-{n} of {sorted(owner)}",
            }
        )
        graph.owners[child.name, n] = owner
    graph.rows[child.name] = rows


def schema(graph: Graph) -> MetaData:
    """The tables, with real foreign keys (cross references only in the database)."""
    meta = MetaData()
    Table("place", meta, Column("id", Integer, primary_key=True, autoincrement=False),
          Column("label", String(40)))  # fmt: skip
    Table("person", meta, Column("id", Integer, primary_key=True, autoincrement=False),
          Column("email", String(60), nullable=False), Column("name", String(40)),
          Column("place_id", Integer, ForeignKey("place.id")))  # fmt: skip
    for child in graph.children:
        columns = [
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("owner_id", Integer, ForeignKey(f"{child.parent}.id"),
                   nullable=child.owner_nullable),
            Column("note", String(60)),
        ]  # fmt: skip
        if child.cross:
            columns.append(Column("cross_id", Integer, ForeignKey(f"{child.cross}.id")))
        Table(child.name, meta, *columns)
    return meta


def dataset(graph: Graph) -> str:
    """The Fides dataset: children found from their owner's row; people point at places."""

    def ref(target: str, direction: str) -> dict[str, Any]:
        return {"references": [{"dataset": "g", "field": f"{target}.id", "direction": direction}]}

    key = {
        "name": "id",
        "data_categories": ["system.operations"],
        "fides_meta": {"primary_key": True},
    }
    collections: list[dict[str, Any]] = [
        {"name": "place", "fields": [key, {"name": "label", "data_categories": ["user.contact.address"]}]},
        {"name": "person", "fields": [
            key,
            {"name": "email", "data_categories": ["user.contact.email"], "fides_meta": {"identity": "email"}},
            {"name": "name", "data_categories": ["user.name"]},
            {"name": "place_id", "data_categories": ["system.operations"], "fides_meta": ref("place", "to")},
        ]},
    ]  # fmt: skip
    for child in graph.children:
        owner_category = "user.unique_id" if child.owner_personal else "system.operations"
        fields = [
            key,
            {"name": "owner_id", "data_categories": [owner_category], "fides_meta": ref(child.parent, "from")},
            {"name": "note", "data_categories": ["user.content.private"]},
        ]  # fmt: skip
        if child.cross:
            fields.append({"name": "cross_id", "data_categories": ["system.operations"]})
        collections.append({"name": child.name, "fields": fields})
    return yaml.safe_dump({"fides_key": "g", "name": "Generated", "collections": collections})


def build(engine: Engine, graph: Graph) -> None:
    """Create the tables and insert the rows."""
    meta = schema(graph)
    meta.create_all(engine)
    with engine.begin() as conn:
        for tab in meta.sorted_tables:
            if graph.rows.get(tab.name):
                conn.execute(insert(tab), graph.rows[tab.name])


def snapshot(engine: Engine, graph: Graph) -> dict[tuple[str, int], dict[str, Any]]:
    """Every row by (table, id)."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    with engine.connect() as conn:
        for tab in schema(graph).sorted_tables:
            for row in conn.execute(select(tab)).mappings():
                out[tab.name, row["id"]] = dict(row)
    return out


def dangling(engine: Engine, graph: Graph) -> list[str]:
    """Foreign keys whose referenced row is missing."""
    problems = []
    with engine.connect() as conn:
        for tab in schema(graph).sorted_tables:
            for fk in tab.foreign_keys:
                parent = fk.column.table.name
                query = (
                    f"SELECT COUNT(*) FROM {tab.name} WHERE {fk.parent.name} IS NOT NULL AND "
                    f"{fk.parent.name} NOT IN (SELECT id FROM {parent})"
                )
                if conn.execute(text(query)).scalar_one():
                    problems.append(f"{tab.name}.{fk.parent.name}")
    return problems


def check_erasure(url: str, graph: Graph) -> None:
    """Erase person 0 and check the invariants."""
    engine = engine_for(url)
    build(engine, graph)
    before = snapshot(engine, graph)
    store = SqlDatastore(url, load_dataset(dataset(graph)))
    access = store.access({"email": [f"person{ERASED_PERSON}@example.com"]})
    result = store.erase({"email": [f"person{ERASED_PERSON}@example.com"]})
    store.close()
    after = snapshot(engine, graph)
    engine.dispose()
    found = {(name, k[0]) for name, rows in access.collections.items() for k in rows.primary_keys}
    own = {key for key, owners in graph.owners.items() if ERASED_PERSON in owners}
    pointed_at = {("place", p["place_id"]) for p in graph.rows["person"] if p["id"] == 0}
    assert found == {k for k in own if k[0] != "place"} | (pointed_at - {("place", None)})
    assert not dangling_after(url, graph)
    not_erased = {(n.collection, n.field) for n in result.not_erased}
    for key, row in before.items():
        owners = graph.owners[key]
        if owners != frozenset({ERASED_PERSON}):
            assert after.get(key) == row, f"{key} of {sorted(owners)} changed"
        elif key in after:
            for column, value in after[key].items():
                if column in PERSONAL and (key[0], column) not in not_erased:
                    assert value in (None, ERASED), f"{key}.{column} still holds personal data"


def dangling_after(url: str, graph: Graph) -> list[str]:
    """Dangling foreign keys in the database at ``url``."""
    engine = engine_for(url)
    try:
        return dangling(engine, graph)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def postgres_schemas() -> Iterator[list[str]]:
    """Schemas created by the PostgreSQL examples, dropped at the end."""
    created: list[str] = []
    yield created
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        for name in created:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(graph=graphs())
def test_erasure_on_generated_graphs_sqlite(graph: Graph, tmp_path: Path) -> None:
    """SQLite: no broken key, no other person's row changed, nothing personal of the person left."""
    check_erasure(f"sqlite:///{tmp_path / (uuid.uuid4().hex + '.db')}", graph)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(graph=graphs())
def test_erasure_on_generated_graphs_postgresql(graph: Graph, postgres_schemas: list[str]) -> None:
    """PostgreSQL: the same invariants, each example in a schema of its own."""
    name = f"pv_graph_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    admin.dispose()
    postgres_schemas.append(name)
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={name}"})
    check_erasure(url.render_as_string(hide_password=False), graph)
