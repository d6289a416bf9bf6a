"""The in-memory fakes (tests/fakes/) store what SQLite and PostgreSQL store: the same use cases over
both leave the same consent ledger, states and audit actions, so the unit tests over the fakes
speak for the real adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.ports import UnitOfWork
from privault.services.consent import Evidence, Holder, link_visitor, rebuild, record_choices
from privault.services.decisions import Decider
from privault.services.deps import Deps
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject
from tests.fakes import FakeDatabase, FakeUnitOfWork, fake_deps

WEB = Evidence(Method.FORM, Via.WEB, ip="203.0.113.9")
VISITOR = "visitor-aaaaaaaaaaaaaaaa"


def _story(deps: Deps, container: Container) -> None:
    """Choices by a subject and a visitor, a link, a refused opt-in, a rebuild."""
    at = container.clock.now()
    steps = [
        (Holder(subject="s-1"), [Choice(Kind.PURPOSE, "marketing-sms", True)]),
        (Holder(visitor=VISITOR), [Choice(Kind.COOKIE, "preference", True)]),
        (Holder(subject="s-2"), [Choice(Kind.SALE_SHARING, "*", False)]),
    ]
    for i, (holder, choices) in enumerate(steps):
        record_choices(deps, "bluewave", "t", holder, choices, WEB, at + timedelta(i))
    link_visitor(deps, "bluewave", "t", VISITOR, "s-2", WEB, at + timedelta(5))
    rebuild(deps, "bluewave", "t", at + timedelta(6), apply_fix=True)


def _stored(make_uow: Callable[[], UnitOfWork]) -> tuple[object, ...]:
    with make_uow() as uow:
        bind_tenant(uow, "bluewave")
        states = sorted(uow.consent.all_states())
        events = [
            (e.id, e.subject_id, e.visitor, e.kind, e.scope, e.granted, e.ip_prefix, e.at_us)
            for e in uow.consent.events()
        ]
        audit = [(e.action, e.details) for e in uow.audit.recent(100)]
        linked = uow.consent.linked_visitors(2)
    return states, events, [a for a in audit if a[0].startswith("consent:")], linked


def test_the_fakes_store_what_each_engine_stores(container: Container) -> None:
    """The same story over SQL and over the fakes: equal states, ledger rows and audit details."""
    c = container
    apply_manifest(c.deps)
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    for n in (1, 2):
        body = {"subject": f"s-{n}", "data": {"user.name": f"S{n}"}, "source": "direct"}
        create_subject(container.deps, officer, body | {"purpose": "billing"})
    db = FakeDatabase()
    for tenant in container.manifest.tenants:
        db.add_tenant(tenant.key)
    db.add_subject(tenant_id, "s-1")
    db.add_subject(tenant_id, "s-2")
    _story(replace(c.deps, decider=Decider(c.manifest)), container)
    _story(fake_deps(db, c.manifest, c.clock, c.keyring), container)
    stored = _stored(container.uow)
    assert stored == _stored(lambda: FakeUnitOfWork(db))
    states, events, audit, linked = stored
    assert (len(states), len(events), len(audit), linked) == (3, 4, 5, [VISITOR])
