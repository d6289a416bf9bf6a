"""A retention sweep's report (``services.retention.sweep``) in rows a page can show: per rule, per
datastore collection, and the subjects erased whole. Counts only, as the report holds them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RuleLine:
    """What one rule swept (or would sweep) in the vault and in datastores."""

    key: str
    action: str
    why: str
    values: int
    subjects: int
    held: int
    datastore_values: int
    categories: str


@dataclass(frozen=True, slots=True)
class StoreLine:
    """One dated collection of a connected datastore."""

    store: str
    collection: str
    deleted: int
    masked: int
    held: int
    undated: int
    not_erased: str
    problem: str


@dataclass(frozen=True, slots=True)
class Report:
    """The report's sections, ready to show."""

    dry_run: bool
    today: str
    rules: list[RuleLine]
    elsewhere: list[tuple[str, str]]
    stores: list[StoreLine]
    whole_subjects: list[tuple[str, str]]
    totals: dict[str, int]


def _counts(counts: dict[str, Any]) -> str:
    return ", ".join(f"{label.replace('_', ' ')} {n}" for label, n in sorted(counts.items()))


def _rule(key: str, r: dict[str, Any]) -> RuleLine:
    return RuleLine(
        key,
        str(r.get("action", "")),
        str(r.get("why", "")),
        int(r.get("values", 0)),
        int(r.get("subjects", 0)),
        int(r.get("held", 0)),
        int(r.get("datastore_values", 0)),
        _counts(r.get("categories", {})),
    )


def _store(store: str, name: str, c: dict[str, Any]) -> StoreLine:
    return StoreLine(
        store,
        name,
        int(c.get("deleted", 0)),
        int(c.get("masked", 0)),
        int(c.get("held", 0)),
        int(c.get("undated", 0)),
        _counts(c.get("not_erased", {})),
        str(c.get("problem") or ""),
    )


def report_view(report: dict[str, Any]) -> Report:
    """The sections of a report (a report from before a section existed shows it empty)."""
    stores = report.get("datastores", {})
    return Report(
        bool(report.get("dry_run")),
        str(report.get("today", "")),
        [_rule(k, r) for k, r in sorted(report.get("rules", {}).items())],
        sorted(report.get("elsewhere", {}).items()),
        [_store(s, n, c) for s, cs in sorted(stores.items()) for n, c in sorted(cs.items())],
        [
            (reason.replace("_", " "), _counts(counts))
            for reason, counts in sorted(report.get("whole_subjects", {}).items())
        ],
        {k: int(v) for k, v in report.get("totals", {}).items()},
    )
