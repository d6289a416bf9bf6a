"""Every statement the contract tests run on a tenant-owned table names its tenant (issue #17), so
that a database distributed by tenant (Citus) routes it to one shard.

A statement that reads, changes or deletes rows of a tenant-owned table must compare ``tenant_id``
in its WHERE clause (or in a join's ON clause); an INSERT must write ``tenant_id``. The exceptions
are the few queries that run before the tenant is known or look across tenants on purpose (a key
by its prefix, a session or a request by its token, the worker's and sealer's scans): they carry
the ``CROSS_TENANT`` execution option, and a distributed database sends them to every shard
(docs/scale-out.md). Tests that tamper with the database in raw SQL are marked
``@pytest.mark.raw_sql`` and not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from privault.bootstrap import Container
from privault.storage.scoping import CROSS_TENANT
from privault.storage.tables import TENANT_OWNED_TABLES

_OWNED = "|".join(sorted(TENANT_OWNED_TABLES, key=len, reverse=True))
_TOUCHES = re.compile(
    rf"\b(?:FROM|JOIN|UPDATE|INTO)\s+\"?({_OWNED})\"?(?=[\s(,;]|$)", re.IGNORECASE
)
_FILTERS = re.compile(r"\btenant_id\b(?:\s*\+\s*0)?\s*(?:=|IN\b|IS\b)", re.IGNORECASE)


def unscoped(statement: str) -> str | None:
    """The tenant-owned table a statement reaches without naming its tenant, or None."""
    text = " ".join(statement.split())
    tables = _TOUCHES.findall(text)
    if not tables:
        return None
    head = text.lstrip("( ").split(" ", 1)[0].upper()
    if head == "INSERT":
        columns = text.split("(", 1)[1].split(")", 1)[0] if "(" in text else ""
        return None if re.search(r"\btenant_id\b", columns) else tables[0]
    if head in ("SELECT", "UPDATE", "DELETE", "WITH"):
        return None if _FILTERS.search(text) else tables[0]
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "raw_sql: the test runs its own SQL on tenant-owned tables (not checked)"
    )


@pytest.fixture(autouse=True)
def statements_name_their_tenant(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if privault ran a statement on a tenant-owned table without its tenant."""
    if "container" not in request.fixturenames or request.node.get_closest_marker("raw_sql"):
        yield
        return
    container: Container = request.getfixturevalue("container")
    found: list[str] = []

    def check(
        _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, *_: Any
    ) -> None:
        options = getattr(context, "execution_options", {}) if context is not None else {}
        if options.get(CROSS_TENANT):
            return
        table = unscoped(statement)
        if table is not None:
            found.append(f"{table}: {' '.join(statement.split())[:300]}")

    event.listen(container.engine, "before_cursor_execute", check)
    try:
        yield
    finally:
        event.remove(container.engine, "before_cursor_execute", check)
    assert not found, "statements without their tenant:\n" + "\n".join(dict.fromkeys(found))
