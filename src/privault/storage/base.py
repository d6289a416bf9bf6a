"""What every tenant-scoped repository shares: its session and the tenant its unit of work is bound to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.orm import Session

from privault.storage.scoping import BOUND_TENANT, bound_tenant

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")
CHUNK = 900  # stays under SQLite's bound-parameter limit in IN lists
_VALUES = "privault_values"


@cache
def field_names(record: type[DataclassInstance]) -> tuple[str, ...]:
    """A record's field names in order: the columns a select reads, so that position equals name."""
    return tuple(f.name for f in fields(record))


def columns_of(entity: Any, record: type[DataclassInstance]) -> list[Any]:
    """The columns of ``entity`` (a mapped class or a ``Table``'s ``.c``) named like the record's
    fields, in field order; a field with no such column raises at import."""
    if hasattr(entity, "__getitem__"):
        return [entity[name] for name in field_names(record)]
    return [getattr(entity, name) for name in field_names(record)]


def record_of(record: type[R], row: object, **decoded: object) -> R:
    """``record`` built from the row's attributes of the same names; ``decoded`` gives the fields
    stored in another form (JSON text, joined lists, enum values), converted by the caller."""
    values = {name: getattr(row, name) for name in field_names(record) if name not in decoded}
    return record(**values, **decoded)


class BoundRepository:
    """A repository over one session; ``tenant_id`` is read from the unit of work when needed."""

    def __init__(self, session: Session, tenant_id: Callable[[], int]) -> None:
        self.session = session
        self._tenant_id = tenant_id

    @property
    def tenant_id(self) -> int:
        """The bound tenant (bulk statements write it on every new row themselves)."""
        return self._tenant_id()

    def rows_in(
        self, table: Table, columns: Sequence[str], column: str, values: Sequence[Any], **equal: Any
    ) -> list[Any]:
        """The bound tenant's rows of ``table`` whose ``column`` is one of ``values`` (and each
        ``equal`` column has its value): ``columns`` of each. A hot path: Core on the session's
        connection (no ORM layer), the statement's tenant given here from the bound tenant."""
        scope = {BOUND_TENANT: self.tenant_id, **equal}  # raises in an unbound unit of work
        connection = self.session.connection()
        if len(values) == 1:
            one = select_in(table, tuple(columns), column, tuple(equal), one=True)
            return list(connection.execute(one, {_VALUES: values[0], **scope}))
        statement = select_in(table, tuple(columns), column, tuple(equal))
        rows: list[Any] = []
        for i in range(0, len(values), CHUNK):
            chunk = list(values[i : i + CHUNK])
            rows.extend(connection.execute(statement, {_VALUES: chunk, **scope}))
        return rows


@cache
def select_in(
    table: Table,
    columns: tuple[str, ...],
    column: str,
    equal: tuple[str, ...] = (),
    *,
    one: bool = False,
) -> Select[Any]:
    """``SELECT columns FROM table WHERE tenant_id = <bound tenant> AND column IN <values> AND
    name = <name> ...`` (``column = <value>`` when ``one``: an IN list is re-rendered at every
    execution): built and compiled once per shape, its parameters given at each execution (hot
    paths build no statement per call)."""
    match = (
        table.c[column] == bindparam(_VALUES)
        if one
        else table.c[column].in_(bindparam(_VALUES, expanding=True))
    )
    return select(*(table.c[name] for name in columns)).where(
        table.c.tenant_id == bound_tenant(),
        match,
        *(table.c[name] == bindparam(name) for name in equal),
    )
