"""What every tenant-scoped repository shares: its session and the tenant its unit of work is bound to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


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
