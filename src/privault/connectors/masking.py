"""Which personal fields of a kept row can be masked, to what, and why the others cannot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from privault.connectors.model import CollectionSpec, FieldSpec
from privault.connectors.results import ErasureException
from privault.connectors.schema import DbSchema
from privault.core.taxonomy import covers

ERASED = "[erased]"


@dataclass(frozen=True, slots=True)
class Masking:
    """For one collection: new values per column, columns that cannot be masked, and kept ones."""

    values: dict[str, Any]
    failures: dict[str, str]
    kept: tuple[str, ...]
    exception: ErasureException | None


def matching_exception(
    spec: CollectionSpec, exceptions: Sequence[ErasureException]
) -> ErasureException | None:
    """The first exception that covers a category of one of the collection's fields."""
    return next((e for e in exceptions if any(_excepted(f, (e,)) for f in spec.fields)), None)


def _excepted(field: FieldSpec, exceptions: Sequence[ErasureException]) -> bool:
    return any(covers(p, c) for e in exceptions for p in e.categories for c in field.categories)


def masking_for(
    spec: CollectionSpec, schema: DbSchema, exceptions: Sequence[ErasureException]
) -> Masking:
    """How the collection's personal fields are masked (excepted fields are kept as they are)."""
    matching = [e for e in exceptions if any(_excepted(f, (e,)) for f in spec.fields)]
    values: dict[str, Any] = {}
    failures: dict[str, str] = {}
    kept: list[str] = []
    for field in spec.fields:
        if not field.personal:
            continue
        if _excepted(field, matching):
            kept.append(field.name)
            continue
        reason, value = _mask_value(spec, field, schema)
        if reason:
            failures[field.name] = reason
        else:
            values[field.name] = value
    return Masking(values, failures, tuple(kept), matching[0] if matching else None)


def _mask_value(spec: CollectionSpec, field: FieldSpec, schema: DbSchema) -> tuple[str, Any]:
    """("", new value) or (reason, None): read_only, missing, primary_key, referenced, not_nullable."""
    column = schema.columns.get(spec.name, {}).get(field.name)
    reason = _blocked(spec, field, schema)
    if reason or column is None:
        return reason or "missing", None
    if column.nullable:
        return "", None
    if not column.is_string or _is_foreign_key(spec.name, field.name, schema):
        return "not_nullable", None
    fits = column.length is None or column.length >= len(ERASED)
    return "", ERASED if fits else ""


def _blocked(spec: CollectionSpec, field: FieldSpec, schema: DbSchema) -> str:
    if field.read_only:
        return "read_only"
    if field.name in spec.primary_key or field.name in schema.primary_keys.get(spec.name, ()):
        return "primary_key"
    if field.name in schema.referenced_columns(spec.name):
        return "referenced"
    return ""


def _is_foreign_key(table: str, name: str, schema: DbSchema) -> bool:
    return any(fk.child == table and name in fk.child_columns for fk in schema.foreign_keys)
