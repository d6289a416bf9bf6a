"""The retention sweep's report: every rule named with its action, the state it leaves the data in
and, for an anonymisation, its record (QC-ANON-1); and what the audit trail keeps of it."""

from __future__ import annotations

from datetime import date
from typing import Any

from privault.core.manifest.resolve import TenantView
from privault.core.retention import (
    HANDLED_BY_REQUESTS,
    VAULT_EVENTS,
    anonymisation_record,
    end_state,
    why,
)
from privault.core.retention_ports import RunRecord


def empty_report(view: TenantView, today: date, dry_run: bool) -> dict[str, Any]:
    """The report before anything is counted: every rule named, with its action and why."""
    rules = {
        r.key: {
            "action": r.action,
            "state": end_state(r).value,
            "anonymisation": anonymisation_record(r),
            "why": why(r),
            "description": r.description,
            "categories": {},
            "values": 0,
            "held": 0,
            "subjects": 0,
            "datastore_values": 0,
        }
        for r in view.retention
        if r.after in VAULT_EVENTS
    }
    return {
        "today": today.isoformat(),
        "dry_run": dry_run,
        "rules": rules,
        "elsewhere": {
            r.key: HANDLED_BY_REQUESTS for r in view.retention if r.after not in VAULT_EVENTS
        },
        "totals": {
            "deleted": 0,
            "anonymised": 0,
            "held": 0,
            "subjects": 0,
            "batches": 0,
            "datastore_rows": 0,
        },
        "datastores": {},
        "whole_subjects": {},
        "kept_by_law": {},
    }


def audited(run: RunRecord) -> dict[str, Any]:
    """What the audit trail keeps of a sweep: counts per rule, never subjects."""
    report = run.report
    return {
        "run": run.id,
        "dry_run": run.dry_run,
        "totals": report["totals"],
        "rules": {k: _audited_rule(v) for k, v in report["rules"].items()},
        "datastores": report.get("datastores", {}),
        "whole_subjects": report.get("whole_subjects", {}),
        "kept_by_law": report.get("kept_by_law", {}),
    }


def _audited_rule(entry: dict[str, Any]) -> dict[str, Any]:
    """A rule's counts, and for an anonymisation its record (QC-ANON-1)."""
    counts = {"values": entry["values"], "held": entry["held"]}
    record_ = entry.get("anonymisation")
    return counts | {"anonymisation": record_} if record_ else counts
