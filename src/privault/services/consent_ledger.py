"""Reading the consent ledger for review (the admin console): the newest events first, a page at a
time, of the whole tenant or of one subject (with its linked visitors' events), of one kind and
scope. Each event comes with its subject's ref; identities are never read."""

from __future__ import annotations

from dataclasses import dataclass

from privault.core.consent import Kind
from privault.core.ports import UnitOfWork
from privault.core.records import ConsentEventRecord
from privault.errors import InvalidInput
from privault.services.consent import subject_by_ref
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

PAGE_MAX = 500
KINDS: tuple[str, ...] = tuple(k.value for k in Kind)


@dataclass(frozen=True, slots=True)
class LedgerQuery:
    """Which events: of a subject (by ref), of a kind and scope, before an event id (paging)."""

    subject: str | None = None
    kind: str | None = None
    scope: str | None = None
    before: int | None = None
    limit: int = 50


def _check(query: LedgerQuery) -> None:
    if query.kind is not None and query.kind not in KINDS:
        raise InvalidInput(f"'{query.kind}' is not a kind of consent event", code="consent.invalid")
    if query.scope is not None and query.kind is None:
        raise InvalidInput("a scope goes with its kind", code="consent.invalid")
    if not 1 <= query.limit <= PAGE_MAX:
        raise InvalidInput(f"a page holds 1 to {PAGE_MAX} events", code="input.invalid")


def ledger(
    deps: Deps, tenant_key: str, query: LedgerQuery
) -> list[tuple[ConsentEventRecord, str | None]]:
    """The events the query selects, newest first, each with its subject's ref (None: a visitor
    not linked, or an erased subject)."""
    _check(query)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return _page(uow, query)


def _page(uow: UnitOfWork, query: LedgerQuery) -> list[tuple[ConsentEventRecord, str | None]]:
    subject_id, visitors = None, []
    if query.subject is not None:
        subject_id = subject_by_ref(uow, query.subject).id
        visitors = uow.consent.linked_visitors(subject_id)
    rows = uow.consent.recent(
        subject_id=subject_id,
        visitors=visitors,
        kind=query.kind,
        scope=query.scope,
        before_id=query.before,
        limit=query.limit,
    )
    ids = sorted({r.subject_id for r in rows if r.subject_id is not None})
    refs = {s.id: s.ref for s in uow.subjects.get_many(ids)}
    return [(r, refs.get(r.subject_id) if r.subject_id else None) for r in rows]
