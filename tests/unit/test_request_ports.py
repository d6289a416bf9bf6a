"""The values the requests port stores are written to columns by field name, so every field must name
a column of its table: a misspelt field fails here, not in a database."""

from __future__ import annotations

from dataclasses import fields

import pytest

from privault.core.request_ports import (
    NewPackage,
    NewRequest,
    RequestChange,
    TaskChange,
    VerificationChange,
)
from privault.storage import tables as t

WRITTEN = [
    (NewRequest, t.Request),
    (RequestChange, t.Request),
    (VerificationChange, t.RequestVerification),
    (TaskChange, t.RequestTask),
    (NewPackage, t.RequestPackage),
]


@pytest.mark.parametrize(("value", "table"), WRITTEN, ids=[v.__name__ for v, _ in WRITTEN])
def test_every_field_of_a_stored_request_value_names_a_column(value: type, table: type) -> None:
    """Each field of ``NewRequest``, ``RequestChange``, ... is a column of the table it is written to."""
    columns = set(table.__table__.columns.keys())
    assert {f.name for f in fields(value)} - columns == set()


def test_a_change_never_writes_a_requests_identity_or_tenant() -> None:
    """A change cannot move a request to another id, reference or tenant."""
    assert {f.name for f in fields(RequestChange)}.isdisjoint({"id", "ref", "tenant_id"})
