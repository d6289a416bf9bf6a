"""The retention sweep in connected datastores: category rules applied to dated collections.

A collection the dataset dates (``privault.retention: {calls: {date: started_at, purpose: ...}}``)
is swept after the vault's values. A personal field is due when every rule covering each of its
categories (for the collection's purpose, or any purpose when none is declared) counts from
collection and has run its period from the row's date; a rule counting from another event (a
contract end, last activity) keeps the field, since a row does not know that event - whole subjects
whose contract ended are erased by ``retention_subjects``. A category hold keeps that category's
fields, a subject hold the subject's rows (found from the vault's identities), a tenant hold
everything. Each batch is one datastore transaction; the report and the job's checkpoint (the
datastore, the collection and the last primary key) are committed after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from privault.connectors.dated import DatedBatch, DatedScan
from privault.connectors.model import CollectionSpec, FieldSpec, is_personal
from privault.connectors.sql import SqlDatastore
from privault.core.manifest.model import RetentionEvent, RetentionRule
from privault.core.manifest.resolve import TenantView
from privault.core.ports import UnitOfWork
from privault.core.retention import Hold, due_before, due_on, hold_active
from privault.core.retention_ports import RunStatus
from privault.core.taxonomy import is_within
from privault.errors import PrivaultError
from privault.services.datastores import connected
from privault.services.deps import Deps
from privault.services.retention_subjects import subject_identities
from privault.services.tenants import bind_tenant

Save = Callable[[UnitOfWork, dict[str, Any]], None]
Change = Callable[[UnitOfWork, dict[str, Any]], None]
NOTHING_BY_DATE = (
    "nothing to sweep by date: no personal field has only rules counting from collection "
    "(or a hold keeps them)"
)


# --- which fields are due ------------------------------------------------------------------------


def _applies(rule: RetentionRule, category: str, purpose: str | None) -> bool:
    by_category = not rule.categories or any(is_within(category, c) for c in rule.categories)
    return by_category and (not rule.purposes or purpose is None or purpose in rule.purposes)


def field_rules(
    rules: Sequence[RetentionRule], field: FieldSpec, purpose: str | None, held: Sequence[str]
) -> tuple[tuple[RetentionRule, ...], ...] | None:
    """Per personal category of a field, the rules that decide when it goes; None when the field
    is never due by date (a category no rule covers, a rule counting from another event, a hold)."""
    per_category = []
    for category in filter(is_personal, field.categories):
        if any(is_within(category, h) for h in held):
            return None
        covering = tuple(r for r in rules if _applies(r, category, purpose))
        if not covering or any(r.after is not RetentionEvent.COLLECTED for r in covering):
            return None
        per_category.append(covering)
    return tuple(per_category) or None


@dataclass(frozen=True, slots=True)
class DatedPlan:
    """For one dated collection on ``today``: each due-able field's rules and the date bound."""

    collection: str
    today: date
    fields: Mapping[str, tuple[tuple[RetentionRule, ...], ...]]

    @property
    def before(self) -> datetime:
        """Rows collected at or after this instant have nothing due (a superset bound)."""
        rules = [r for per in self.fields.values() for group in per for r in group]
        return max(due_before(r.period, self.today) for r in rules)

    def due(self, when: datetime) -> dict[str, str]:
        """The fields due for a row collected at ``when``, each with the rule that names it (the
        rule whose due date is latest)."""
        out = {}
        for name, per_category in self.fields.items():
            latest = max((due_on(r.period, when), r.key) for group in per_category for r in group)
            if latest[0] <= self.today:
                out[name] = latest[1]
        return out


def dated_plan(
    view: TenantView, spec: CollectionSpec, today: date, held: Sequence[str]
) -> DatedPlan | None:
    """The collection's plan, or None when no personal field of it is ever due by date."""
    purpose = spec.dated.purpose if spec.dated else None
    fields = {}
    for field in spec.fields:
        if field.personal:
            rules = field_rules(view.retention, field, purpose, held)
            if rules is not None:
                fields[field.name] = rules
    return DatedPlan(spec.name, today, fields) if fields else None


# --- the phase -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    deps: Deps
    view: TenantView
    today: date
    dry_run: bool
    batch_size: int
    save: Save


def sweep_datastores(
    deps: Deps,
    view: TenantView,
    state: dict[str, Any],
    batch_size: int,
    save: Save,
) -> dict[str, Any]:
    """Sweep every dated collection of every connected datastore from the state's cursor; ``save``
    writes the report and the checkpoint in the transaction it is given."""
    ctx = _Context(
        deps,
        view,
        date.fromisoformat(state["today"]),
        bool(state["dry_run"]),
        batch_size,
        save,
    )
    setting = _setting(deps, view, ctx.today)
    current = dict(state)
    if setting.tenant_held:
        return _all_held(ctx, current, setting.stores)
    done = set(current.get("dated_done", []))
    for key, store in setting.stores:
        held_keys = _held_keys(store, setting.people) if setting.people else {}
        for spec in store.dataset.collections:
            if spec.dated is None or f"{key}/{spec.name}" in done:
                continue
            current = _collection(ctx, current, key, store, spec, setting.categories, held_keys)
            done.add(f"{key}/{spec.name}")
            current = current | {"dated_done": sorted(done), "dated_after": None}
    return current


@dataclass(frozen=True, slots=True)
class _Setting:
    """The connected datastores and what the active holds keep on a day."""

    stores: list[tuple[str, SqlDatastore]]
    tenant_held: bool
    categories: tuple[str, ...]  # held categories
    people: list[dict[str, list[str]]]  # the identities of held subjects


def _setting(deps: Deps, view: TenantView, today: date) -> _Setting:
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, view.tenant.key)
        active = [h for r in uow.holds.list(today=today) if hold_active(h := r.rule_view(), today)]
        stores = connected(deps, uow, view.tenant.key)
        people = _held_people(deps, uow, view, tenant.id, active)
    return _Setting(
        stores,
        any(h.scope == "tenant" for h in active),
        tuple(h.category for h in active if h.scope == "category" and h.category),
        people,
    )


def _held_people(
    deps: Deps, uow: UnitOfWork, view: TenantView, tenant_id: int, active: Sequence[Hold]
) -> list[dict[str, list[str]]]:
    """The identities of every subject an active subject hold keeps."""
    ids = sorted({h.subject_id for h in active if h.scope == "subject" and h.subject_id})
    people = [subject_identities(deps, uow, view, tenant_id, i) for i in ids]
    return [p for p in people if p]


def _held_keys(
    store: SqlDatastore, people: list[dict[str, list[str]]]
) -> dict[str, frozenset[Any]]:
    keys: dict[str, set[Any]] = {}
    for identities in people:
        for name, found in store.keys_of(identities).items():
            keys.setdefault(name, set()).update(found)
    return {name: frozenset(found) for name, found in keys.items()}


def _all_held(
    ctx: _Context, state: dict[str, Any], stores: list[tuple[str, SqlDatastore]]
) -> dict[str, Any]:
    def note(_uow: UnitOfWork, report: dict[str, Any]) -> None:
        for key, store in stores:
            for spec in store.dataset.collections:
                if spec.dated is not None:
                    _entry(report, key, spec.name)["problem"] = (
                        "a tenant legal hold keeps everything"
                    )

    return _save(ctx, state, note)


def _save(ctx: _Context, state: dict[str, Any], change: Change) -> dict[str, Any]:
    """Apply ``change`` to the run's report and checkpoint, in one transaction."""
    with ctx.deps.make_uow() as uow:
        bind_tenant(uow, ctx.view.tenant.key)
        run = uow.retention.get(int(state["run"]))
        if run is None:
            raise LookupError("the retention run of this job is gone")
        change(uow, run.report)
        uow.retention.save(run.id, run.report, RunStatus.RUNNING, None)
        ctx.save(uow, state)
        uow.commit()
    return state


def _entry(report: dict[str, Any], store: str, collection: str) -> dict[str, Any]:
    entry: dict[str, Any] = report.setdefault("datastores", {}).setdefault(store, {})
    return entry.setdefault(  # type: ignore[no-any-return]
        collection,
        {"deleted": 0, "masked": 0, "held": 0, "undated": 0, "not_erased": {}, "problem": None},
    )


def _collection(
    ctx: _Context,
    state: dict[str, Any],
    key: str,
    store: SqlDatastore,
    spec: CollectionSpec,
    held_categories: tuple[str, ...],
    held_keys: Mapping[str, frozenset[Any]],
) -> dict[str, Any]:
    """Sweep one dated collection batch by batch, from the saved cursor."""
    purpose = spec.dated.purpose if spec.dated else None
    if purpose is not None and ctx.view.purpose(purpose) is None:
        problem = f"purpose {purpose!r} is not a purpose of this tenant; nothing swept"
        return _save(ctx, state, _noting(key, spec.name, problem))
    plan = dated_plan(ctx.view, spec, ctx.today, held_categories)
    if plan is None:
        return _save(ctx, state, _noting(key, spec.name, NOTHING_BY_DATE))
    saved = state.get("dated_after")
    after = saved.get("after") if saved and saved.get("at") == f"{key}/{spec.name}" else None
    while True:
        try:
            held = held_keys.get(spec.name, frozenset())
            scan = DatedScan(plan.before, plan.due, after, ctx.batch_size, held)
            batch = store.sweep_dated(spec.name, scan, dry_run=ctx.dry_run)
        except PrivaultError as exc:
            return _save(ctx, state, _noting(key, spec.name, exc.message))
        after = batch.cursor
        state = state | {"dated_after": {"at": f"{key}/{spec.name}", "after": after}}
        state = _save(ctx, state, _counting(key, spec.name, batch))
        if after is None:
            return state


def _noting(store: str, collection: str, problem: str) -> Change:
    """Write why a collection was not swept (a datastore failure, an unknown purpose)."""

    def note(_uow: UnitOfWork, report: dict[str, Any]) -> None:
        _entry(report, store, collection)["problem"] = problem

    return note


def _counting(store: str, collection: str, batch: DatedBatch) -> Change:
    def count(_uow: UnitOfWork, report: dict[str, Any]) -> None:
        _count(report, store, collection, batch)

    return count


def _count(report: dict[str, Any], store: str, collection: str, batch: DatedBatch) -> None:
    entry = _entry(report, store, collection)
    entry["deleted"] += batch.rows_deleted
    entry["masked"] += batch.rows_masked
    entry["held"] += batch.held
    entry["undated"] += batch.undated
    for label, rows in batch.not_erased.items():
        entry["not_erased"][label] = entry["not_erased"].get(label, 0) + rows
    for rule, values in batch.values.items():
        rules = report["rules"]
        if rule in rules:
            rules[rule]["datastore_values"] = rules[rule].get("datastore_values", 0) + values
    totals = report["totals"]
    totals["datastore_rows"] = (
        totals.get("datastore_rows", 0) + batch.rows_deleted + batch.rows_masked
    )


# --- status --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatedStatus:
    """What one dated collection has due: rows with a field due now, rows falling due within the
    next ``soon`` days, rows a hold keeps, rows without a readable date, or why none is counted."""

    datastore: str
    collection: str
    due_now: int = 0
    due_soon: int = 0
    held: int = 0
    undated: int = 0
    problem: str | None = None


def dated_status(
    deps: Deps, view: TenantView, today: date, soon: date, batch_size: int
) -> list[DatedStatus]:
    """Per dated collection of every connected datastore, what a sweep on ``today`` would erase
    and what falls due by ``soon`` (read-only: every row dated before the bound is read)."""
    setting = _setting(deps, view, today)
    out = []
    for key, store in setting.stores:
        held_keys = _held_keys(store, setting.people) if setting.people else {}
        for spec in store.dataset.collections:
            if spec.dated is not None:
                held = held_keys.get(spec.name, frozenset())
                out.append(
                    _status_of(view, setting, key, store, spec, (today, soon), batch_size, held)
                )
    return out


def _status_of(
    view: TenantView,
    setting: _Setting,
    key: str,
    store: SqlDatastore,
    spec: CollectionSpec,
    days: tuple[date, date],
    batch_size: int,
    held: frozenset[Any],
) -> DatedStatus:
    purpose = spec.dated.purpose if spec.dated else None
    if setting.tenant_held:
        return DatedStatus(key, spec.name, problem="a tenant legal hold keeps everything")
    if purpose is not None and view.purpose(purpose) is None:
        return DatedStatus(
            key, spec.name, problem=f"purpose {purpose!r} is not a purpose of this tenant"
        )
    plans = [dated_plan(view, spec, day, setting.categories) for day in days]
    if plans[1] is None:
        return DatedStatus(key, spec.name, problem=NOTHING_BY_DATE)
    try:
        now, by_soon = (_scan(store, spec.name, plan, batch_size, held) for plan in plans)
    except PrivaultError as exc:
        return DatedStatus(key, spec.name, problem=exc.message)
    return DatedStatus(
        key, spec.name, now.rows_due, by_soon.rows_due - now.rows_due, by_soon.held, by_soon.undated
    )


def _scan(
    store: SqlDatastore, name: str, plan: DatedPlan | None, batch_size: int, held: frozenset[Any]
) -> DatedBatch:
    """Every batch of a read-only scan, added up (nothing when no field can be due)."""
    total = DatedBatch(None)
    after: list[Any] | None = None
    while plan is not None:
        batch = store.count_dated(name, DatedScan(plan.before, plan.due, after, batch_size, held))
        total.rows_due += batch.rows_due
        total.held += batch.held
        total.undated += batch.undated
        if batch.cursor is None:
            break
        after = batch.cursor
    return total
