"""Retention in a company database: erase, batch by batch, the fields whose rules are due by date.

A dated collection (``privault.retention`` in the dataset) keeps in one field when each row's data
was collected. The sweep reads its rows in primary-key order behind a cursor, asks the caller which
personal fields of each row are due (``due(collected_at) -> {field: rule}``), and then:

- a row whose personal fields are all due is deleted, unless other rows still reference it: then its
  personal fields are masked instead (the erasure plan of subject requests decides, so a shared row
  is never deleted from under another row);
- a row with only some fields due has those fields masked (``NULL``, or ``[erased]`` for a text
  column that may not be null); a field that cannot be masked (a key, a referenced or read-only
  column) is counted as not erased, with the reason;
- rows of held subjects (``held`` keys) are counted and left alone.

A field already masked (``NULL``, ``[erased]`` or empty) is not erased again, so a daily sweep does
not count old rows over and over, and a batch repeated after a crash changes and counts nothing
twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, tuple_, update

from privault.connectors.erasure_plan import plan_erasure
from privault.connectors.masking import ERASED, masking_for
from privault.connectors.model import CollectionSpec, DatasetSpec
from privault.connectors.schema import DbSchema
from privault.connectors.sqlbits import chunks, failing_as, key_in, row_batch, sql_table
from privault.connectors.traversal import Found
from privault.errors import InvalidInput

DueFields = Callable[[datetime], Mapping[str, str]]  # collected at -> {due field: rule key}
_ERASED = (None, ERASED, "")  # what masking leaves: a field holding one is not erased again
_SLACK = timedelta(days=1)  # the SQL filter is a superset: time zones and text dates differ


@dataclass(slots=True)
class DatedBatch:
    """What one batch of a dated collection did, and where the next batch starts."""

    cursor: list[Any] | None  # the last primary key read (None: the collection is done)
    rows_due: int = 0  # rows with a field due (not held, not erased before)
    rows_deleted: int = 0
    rows_masked: int = 0
    held: int = 0
    undated: int = 0
    values: dict[str, int] = field(default_factory=dict)  # rule key -> field values erased
    not_erased: dict[str, int] = field(default_factory=dict)  # "field: reason" -> rows


def collected_at(value: Any) -> datetime | None:
    """A row's collection time as an aware UTC instant (naive times are read as UTC), or None."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


@dataclass(frozen=True, slots=True)
class DatedScan:
    """One batch of a dated collection: at most ``limit`` rows after the primary key ``after``
    whose date is before ``before`` (with a day's slack); ``due`` decides exactly; rows whose keys
    are ``held`` are counted and left alone."""

    before: datetime
    due: DueFields
    after: Sequence[Any] | None
    limit: int
    held: frozenset[Any] = frozenset()


def sweep_dated(
    conn: Connection, dataset: DatasetSpec, spec: CollectionSpec, schema: DbSchema, scan: DatedScan
) -> DatedBatch:
    """Erase what is due in the scan's rows."""
    batch, whole, partial = _decide(conn, spec, scan)
    _erase_whole(conn, dataset, spec, schema, whole, batch)
    for names, keys in partial.items():
        _mask(conn, spec, schema, names, keys, batch)
    return batch


def count_dated(conn: Connection, spec: CollectionSpec, scan: DatedScan) -> DatedBatch:
    """What ``sweep_dated`` would erase in the same rows, changing nothing (``rows_due``,
    ``values``, ``held`` and ``undated`` are counted; nothing is deleted or masked)."""
    return _decide(conn, spec, scan)[0]


Partial = dict[tuple[str, ...], list[Any]]  # the due fields -> keys of the rows to mask them in


def _decide(
    conn: Connection, spec: CollectionSpec, scan: DatedScan
) -> tuple[DatedBatch, dict[Any, Sequence[Any]], Partial]:
    """Read the next rows and sort them: wholly due (to delete), partly due (to mask), or not."""
    if spec.dated is None:
        raise InvalidInput(
            f"collection {spec.name!r} is not dated in the dataset", code="datastore.invalid"
        )
    date_field = spec.dated.field
    rows = _read(conn, spec, date_field, scan.before, scan.after, scan.limit)
    key_of = Found(spec).key_of()
    batch = DatedBatch(list(_as_tuple(key_of(rows[-1]))) if len(rows) == scan.limit else None)
    whole: dict[Any, Sequence[Any]] = {}
    partial: Partial = {}
    personal = tuple(f.name for f in spec.fields if f.personal)
    date_index = spec.field_names.index(date_field)
    at = {name: spec.field_names.index(name) for name in personal}
    for row in rows:
        key = key_of(row)
        fields = _due_fields(batch, row[date_index], scan.due, key in scan.held, personal)
        live = {f: r for f, r in fields.items() if row[at[f]] not in _ERASED}
        if not live:  # nothing due, or erased by an earlier sweep
            continue
        batch.rows_due += 1
        for rule in live.values():
            batch.values[rule] = batch.values.get(rule, 0) + 1
        if len(fields) == len(personal):
            whole[key] = row
        else:
            partial.setdefault(tuple(sorted(live)), []).append(key)
    return batch, whole, partial


def _due_fields(
    batch: DatedBatch, raw: Any, due: DueFields, is_held: bool, personal: tuple[str, ...]
) -> dict[str, str]:
    """The row's due personal fields, or none when it is held or undated."""
    when = collected_at(raw)
    if when is None:
        batch.undated += 1
        return {}
    fields = {f: r for f, r in due(when).items() if f in personal}
    if fields and is_held:
        batch.held += 1
        return {}
    return fields


def _as_tuple(key: Any) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


def _read(
    conn: Connection,
    spec: CollectionSpec,
    date_field: str,
    before: datetime,
    after: Sequence[Any] | None,
    limit: int,
) -> list[Sequence[Any]]:
    """The next rows in primary-key order whose date is before ``before`` (plus the slack)."""
    tab = sql_table(spec.name, spec.field_names)
    pk = [tab.c[k] for k in spec.primary_key]
    bound = (before + _SLACK).astimezone(UTC).replace(tzinfo=None)
    query = select(*tab.c).where(tab.c[date_field] < bound)
    if after:
        query = query.where(pk[0] > after[0] if len(pk) == 1 else tuple_(*pk) > tuple_(*after))
    with failing_as(spec.name):
        return list(conn.execute(query.order_by(*pk).limit(limit)).all())


def _erase_whole(
    conn: Connection,
    dataset: DatasetSpec,
    spec: CollectionSpec,
    schema: DbSchema,
    rows: dict[Any, Sequence[Any]],
    batch: DatedBatch,
) -> None:
    """Delete rows wholly due; those other rows still reference are masked instead."""
    if not rows:
        return
    plan = plan_erasure(conn, dataset, {spec.name: Found(spec, dict(rows))}, schema, ())
    gone = list(plan.delete.get(spec.name, {}))
    pk = list(spec.primary_key)
    tab = sql_table(spec.name, pk)
    with failing_as(spec.name, "deletion"):
        for piece in chunks(gone, row_batch(conn, len(pk))):
            batch.rows_deleted += conn.execute(
                delete(tab).where(key_in(tab, pk, piece, conn.dialect))
            ).rowcount
    kept = [k for k in rows if k not in set(gone)]
    personal = tuple(f.name for f in spec.fields if f.personal)
    _mask(conn, spec, schema, personal, kept, batch)


def _mask(
    conn: Connection,
    spec: CollectionSpec,
    schema: DbSchema,
    names: tuple[str, ...],
    keys: list[Any],
    batch: DatedBatch,
) -> None:
    """Mask ``names`` in the rows ``keys``; fields that cannot be masked are counted, not erased."""
    if not keys:
        return
    only = replace(spec, fields=tuple(f for f in spec.fields if f.name in names))
    masking = masking_for(only, schema, ())
    for name, reason in masking.failures.items():
        label = f"{name}: {reason}"
        batch.not_erased[label] = batch.not_erased.get(label, 0) + len(keys)
    if not masking.values:
        return
    pk = list(spec.primary_key)
    tab = sql_table(spec.name, list(dict.fromkeys([*pk, *masking.values])))
    values = {tab.c[c]: v for c, v in masking.values.items()}
    with failing_as(spec.name, "masking"):
        for piece in chunks(keys, row_batch(conn, len(pk))):
            batch.rows_masked += conn.execute(
                update(tab).where(key_in(tab, pk, piece, conn.dialect)).values(values)
            ).rowcount
