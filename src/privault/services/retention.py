"""Retention: the sweep that deletes what the manifest's rules say is due, its report, and status.

The sweep reads the vault in batches of ``batch_size`` values, in (subject, field) order behind a
cursor. Each batch's deletions, its counts in the report and the job's checkpoint (the cursor) are
committed in one transaction, so a worker killed mid-sweep is taken over from the last cursor:
nothing is deleted twice and nothing is missed. Values an active legal hold keeps are counted as held
and left alone. ``anonymise`` deletes the value too (the vault keeps no copy from which anything
could be re-identified) and is counted as anonymised. After the values, the dated collections of
connected datastores are swept by the same rules (``services.retention_datastores``), then subjects
whose contract ended long enough ago and minors are erased whole (``services.retention_erasure``),
keeping what a law still requires (counted per rule under ``kept_by_law``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from privault.core.manifest.model import RetentionRule
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.retention import (
    HANDLED_BY_REQUESTS,
    VAULT_EVENTS,
    Events,
    Hold,
    due_before,
    due_on,
    due_value,
    holding,
    why,
)
from privault.core.retention_ports import DueRow, HoldRecord, RulePlan, RunRecord, RunStatus
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.retention_datastores import DatedStatus, dated_status, sweep_datastores
from privault.services.retention_erasure import Ended, erase_due_subjects, tally
from privault.services.retention_kept import count_kept
from privault.services.retention_report import audited, empty_report
from privault.services.retention_subjects import SYSTEM_ACTOR, discover_minors
from privault.services.tenants import bind_tenant

Checkpoint = Callable[[UnitOfWork, dict[str, Any]], None]
SOON_DAYS = 30
SCAN_FACTOR, MIN_SCAN = 10, 100  # values read per batch: bounds each query whatever the plan

__all__ = [
    "SYSTEM_ACTOR",
    "Checkpoint",
    "RuleStatus",
    "Status",
    "SweepResult",
    "discover_minors",
    "plans",
    "status",
    "sweep",
]


def plans(view: TenantView, today: date) -> list[RulePlan]:
    """Every retention rule of the tenant as the due query needs it on ``today``."""
    return [
        RulePlan(
            r.key,
            tuple(r.categories),
            tuple(r.purposes),
            r.after,
            due_before(r.period, today) if r.after in VAULT_EVENTS else None,
        )
        for r in view.retention
    ]


# --- counting one batch --------------------------------------------------------------------------


@dataclass
class _Tally:
    """Counts a batch into the report; remembers the last subject so none is counted twice."""

    report: dict[str, Any]
    last_subject: int
    last_rules: set[str]
    rules: Sequence[RetentionRule]
    today: date
    holds: Sequence[Hold]
    delete: list[int] = field(default_factory=list)

    def add(self, row: DueRow) -> None:
        """Count one due value: held, or to delete/anonymise under its rule."""
        events = Events(
            row.collected_at, row.last_activity_at or row.updated_at, row.contract_end_on
        )
        due = due_value(self.rules, row.category, row.purpose, events, self.today)
        if due is None:  # the query is a superset only in theory: the rules decide
            return
        entry = self.report["rules"][due.rule.key]
        totals = self.report["totals"]
        if holding(self.holds, row.subject_id, row.category) is not None:
            entry["held"] += 1
            totals["held"] += 1
            return
        self.delete.append(row.id)
        entry["values"] += 1
        entry["categories"][row.category] = entry["categories"].get(row.category, 0) + 1
        totals["deleted" if due.rule.action == "delete" else "anonymised"] += 1
        self._subject(row.subject_id, due.rule.key, entry, totals)

    def _subject(
        self, subject_id: int, rule: str, entry: dict[str, Any], totals: dict[str, Any]
    ) -> None:
        if subject_id != self.last_subject:
            self.last_subject, self.last_rules = subject_id, set()
        if not self.last_rules:
            totals["subjects"] += 1
        if rule not in self.last_rules:
            self.last_rules.add(rule)
            entry["subjects"] += 1


# --- the sweep -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SweepResult:
    """A finished sweep."""

    run_id: int
    report: dict[str, Any]


def _begin(
    deps: Deps,
    view: TenantView,
    dry_run: bool,
    checkpoint: Checkpoint | None,
) -> dict[str, Any]:
    """Record a new run and the job's first checkpoint, in one transaction."""
    today = deps.clock.now().date()
    with deps.make_uow() as uow:
        bind_tenant(uow, view.tenant.key)
        run = uow.retention.start(deps.clock.now(), dry_run, empty_report(view, today, dry_run))
        state = {
            "run": run,
            "today": today.isoformat(),
            "dry_run": dry_run,
            "after": [0, ""],
            "last": [0, []],
            "phase": "values",
        }
        if checkpoint is not None:
            checkpoint(uow, state)
        uow.commit()
    return state


def _batch(
    deps: Deps,
    view: TenantView,
    state: dict[str, Any],
    batch_size: int,
    checkpoint: Checkpoint | None,
) -> dict[str, Any] | None:
    """Sweep one batch; the state after it (None when nothing is left after the cursor)."""
    today = date.fromisoformat(state["today"])
    with deps.make_uow() as uow:
        bind_tenant(uow, view.tenant.key)
        after = (int(state["after"][0]), str(state["after"][1]))
        scan = max(batch_size * SCAN_FACTOR, MIN_SCAN)
        rows, cursor = uow.retention.due_batch(plans(view, today), after, batch_size, scan)
        if cursor is None and not rows:
            return None
        run = _run(uow, state)
        holds = [h.rule_view() for h in uow.holds.list(today=today)]
        last_subject, last_rules = state["last"]
        tally = _Tally(run.report, last_subject, set(last_rules), view.retention, today, holds)
        for row in rows:
            tally.add(row)
        if not state["dry_run"]:
            uow.retention.delete_values(tally.delete)
        run.report["totals"]["batches"] += 1
        state = state | {
            "after": list(cursor) if cursor is not None else [rows[-1].subject_id, rows[-1].field],
            "last": [tally.last_subject, sorted(tally.last_rules)],
            "batches": run.report["totals"]["batches"],
            "swept": run.report["totals"]["deleted"] + run.report["totals"]["anonymised"],
        }
        uow.retention.save(run.id, run.report, RunStatus.RUNNING, None)
        if checkpoint is not None:
            checkpoint(uow, state)
        uow.commit()
    return state


def _run(uow: UnitOfWork, state: dict[str, Any]) -> RunRecord:
    run = uow.retention.get(int(state["run"]))
    if run is None:
        raise LookupError("the retention run of this job is gone")
    return run


def _finish(
    deps: Deps,
    view: TenantView,
    state: dict[str, Any],
    actor: str,
    checkpoint: Checkpoint | None,
) -> SweepResult:
    """Close the run, audit it and mark the job's sweep done, in one transaction."""
    now = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, view.tenant.key)
        run = _run(uow, state)
        if run.status == "done":
            return SweepResult(run.id, run.report)
        uow.retention.save(run.id, run.report, RunStatus.DONE, now)
        record(uow, [Entry(actor, "retention:sweep", None, None, "ok", audited(run))], now)
        if checkpoint is not None:
            checkpoint(uow, state | {"phase": "done"})
        uow.commit()
    return SweepResult(run.id, run.report)


def sweep(
    deps: Deps,
    tenant_key: str,
    *,
    batch_size: int,
    dry_run: bool = False,
    actor: str = SYSTEM_ACTOR,
    progress: dict[str, Any] | None = None,
    checkpoint: Checkpoint | None = None,
) -> SweepResult:
    """Delete (or, with ``dry_run``, only count) every value that is due and not held, then what is
    due in the dated collections of connected datastores, then erase whole subjects that are due;
    write the report and audit it. ``progress``/``checkpoint`` come
    from a job: a sweep taken over continues from its cursor."""
    view = tenant_view(deps.manifest, tenant_key)
    state = dict(progress or {})
    if "run" not in state:
        state = _begin(deps, view, dry_run, checkpoint)
    if state.get("phase") == "values":
        while (after := _batch(deps, view, state, batch_size, checkpoint)) is not None:
            state = after
        state = state | {"phase": "datastores"}
    if state.get("phase") == "datastores":
        save = checkpoint or (lambda _uow, _state: None)
        state = sweep_datastores(deps, view, state, batch_size, save)
        state = state | {"phase": "subjects"}
    if state.get("phase") == "subjects":
        state = _whole_subjects(deps, view, state, checkpoint)
    return _finish(deps, view, state, actor, checkpoint)


def _whole_subjects(
    deps: Deps,
    view: TenantView,
    state: dict[str, Any],
    checkpoint: Checkpoint | None,
) -> dict[str, Any]:
    """Erase the subjects whose contract end or minority makes them due, by id behind a cursor; each
    outcome, and what the law kept, is counted in the report in the transaction that records it."""
    today = date.fromisoformat(state["today"])
    current = state | {"phase": "subjects", "subject_after": state.get("subject_after", 0)}

    def counted(uow: UnitOfWork, outcomes: Sequence[tuple[int, str, Ended]]) -> None:
        run = _run(uow, current)
        groups = run.report["whole_subjects"]
        current["subject_after"] = tally(groups, outcomes, current["subject_after"])
        for _, _, ended in outcomes:
            count_kept(run.report.setdefault("kept_by_law", {}), ended.kept)
        uow.retention.save(run.id, run.report, RunStatus.RUNNING, None)
        if checkpoint is not None:
            checkpoint(uow, dict(current))

    erase_due_subjects(
        deps,
        view,
        today,
        after_id=int(current["subject_after"]),
        dry_run=bool(current["dry_run"]),
        counted=counted,
    )
    return current


# --- status --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """What one rule has due: now, within the next 30 days, and the next day anything falls due."""

    key: str
    action: str
    why: str
    description: str
    due_now: int
    due_soon: int
    next_due: date | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Status:
    """What is due when, the active holds and the last sweep."""

    today: date
    rules: list[RuleStatus]
    holds: list[HoldRecord]
    last_run: RunRecord | None
    datastores: list[DatedStatus] = field(default_factory=list)


def _rule_status(
    uow: UnitOfWork, rule: RetentionRule, now: list[RulePlan], soon: list[RulePlan]
) -> RuleStatus:
    if rule.after not in VAULT_EVENTS:
        return RuleStatus(
            rule.key, rule.action, why(rule), rule.description, 0, 0, None, HANDLED_BY_REQUESTS
        )
    due_now = uow.retention.count_due(now, rule.key)
    due_soon = uow.retention.count_due(soon, rule.key) - due_now
    event = uow.retention.earliest_event(now, rule.key)
    next_due = due_on(rule.period, event) if event is not None else None
    return RuleStatus(
        rule.key, rule.action, why(rule), rule.description, due_now, due_soon, next_due
    )


def status(deps: Deps, tenant_key: str, *, batch_size: int = 1000) -> Status:
    """Per rule: how many values are due now and within 30 days, and the next due date (values a
    hold keeps are included: the holds are listed beside); the active holds; the last sweep; and
    per dated collection of the connected datastores, the rows due now and within 30 days (read
    in batches of ``batch_size``; rows a hold keeps are counted apart)."""
    view = tenant_view(deps.manifest, tenant_key)
    today = deps.clock.now().date()
    now, soon = plans(view, today), plans(view, today + timedelta(days=SOON_DAYS))
    with deps.read_uow() as uow:  # may lag a little: a replica's, if one keeps up
        bind_tenant(uow, tenant_key)
        rules = [_rule_status(uow, r, now, soon) for r in view.retention]
        holds = uow.holds.list(today=today)
        runs = uow.retention.recent(1)
    soon_day = today + timedelta(days=SOON_DAYS)
    stores = dated_status(deps, view, today, soon_day, batch_size)
    return Status(today, rules, holds, runs[0] if runs else None, stores)
