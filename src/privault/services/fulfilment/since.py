"""A right-to-know date range applied to datastore rows (Cal. Civ. Code 1798.130(a)(2)(B)).

A dated collection (``privault.retention``'s ``dated`` field in the dataset: the day each row's data
was collected) keeps only the rows collected from the first day of the range. A collection without
one carries no collection date: its rows are all kept, and it is named so that the package can say
so. A value that does not read as a date keeps its row (nothing is withheld on a guess).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from privault.connectors.model import DatasetSpec
from privault.connectors.results import AccessResult, CollectionRows, JsonValue


@dataclass
class Since:
    """Applied to each datastore's access result; remembers the undated collections it kept whole."""

    lookback: date
    undated: set[str] = field(default_factory=set)  # "datastore.collection"

    def __call__(self, key: str, dataset: DatasetSpec, found: AccessResult) -> AccessResult:
        """The result with each dated collection's older rows left out."""
        kept: dict[str, CollectionRows] = {}
        for name, rows in found.collections.items():
            spec = dataset.collection(name)
            column = spec.dated.field if spec and spec.dated else None
            if column is None or column not in rows.columns:
                if rows.personal and rows.rows:
                    self.undated.add(f"{key}.{name}")
                kept[name] = rows
                continue
            kept[name] = _recent(rows, rows.columns.index(column), self.lookback)
        return replace(found, collections=kept)


def _recent(rows: CollectionRows, index: int, lookback: date) -> CollectionRows:
    """The rows whose date column is on or after ``lookback`` (with their primary keys)."""
    keep = [i for i, row in enumerate(rows.rows) if _on_or_after(row[index], lookback)]
    keys = rows.primary_keys
    return replace(
        rows,
        rows=[rows.rows[i] for i in keep],
        primary_keys=[keys[i] for i in keep] if len(keys) == len(rows.rows) else keys,
    )


def _on_or_after(value: JsonValue, lookback: date) -> bool:
    try:
        return date.fromisoformat(str(value)[:10]) >= lookback
    except ValueError:
        return True
