"""The consent ledger on SQLite and PostgreSQL: append-only, projection equals a rebuild, audited."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.decisions import Facts
from privault.errors import InvalidInput, NotFound, PolicyViolation
from privault.services.audit_verify import verify
from privault.services.consent import (
    Evidence,
    Holder,
    current_state,
    link_visitor,
    rebuild,
    record_choices,
)
from privault.services.decisions import Question, decide_many
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import show_subject
from privault.services.vault_import import create_subject
from privault.storage import tables as t

WEB = Evidence(Method.FORM, Via.WEB)
VISITORS = ["visitor-aaaaaaaaaaaaaaaa", "visitor-bbbbbbbbbbbbbbbb"]
TOPICS = [
    (Kind.PURPOSE, "marketing-sms"),
    (Kind.MARKETING, "bluewave-mobile:sms"),
    (Kind.MARKETING, "*:*"),
    (Kind.OBJECTION, "marketing"),
    (Kind.RESTRICTION, "*"),
    (Kind.CPNI, "*"),
    (Kind.COOKIE, "preference"),
    (Kind.SALE_SHARING, "*"),
]


@pytest.fixture
def ready(container: Container) -> tuple[Container, Principal]:
    """The manifest applied and three bluewave subjects."""
    apply_manifest(container.deps)
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    for n in (1, 2, 3):
        create_subject(
            container.deps,
            officer,
            {
                "subject": f"s-{n}",
                "identities": {"email": f"s{n}@example.com"},
                "data": {"user.name": f"S{n}"},
                "source": "direct",
                "purpose": "customer-service",
            },
        )
    return container, officer


def _record(c: Container, holder: Holder, choices: list[Choice], evidence: Evidence = WEB) -> None:
    record_choices(c.deps, "bluewave", "test", holder, choices, evidence, c.clock.now())


operation = st.one_of(
    st.tuples(
        st.just("choice"),
        st.sampled_from(["s-1", "s-2", *VISITORS]),
        st.sampled_from(TOPICS),
        st.booleans(),
    ),
    st.tuples(st.just("link"), st.sampled_from(VISITORS), st.sampled_from(["s-1", "s-2"])),
    st.tuples(st.just("tick"), st.integers(min_value=0, max_value=3)),
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_the_projection_always_equals_a_rebuild_from_the_ledger(
    ready: tuple[Container, Principal], ops: list[tuple[object, ...]]
) -> None:
    """Random choices, links and time steps through the services: stored state == rebuilt state."""
    c, _ = ready
    start = c.clock.at
    for op in ops:
        if op[0] == "tick":
            c.clock.at += timedelta(seconds=int(op[1]))  # type: ignore[call-overload]
        elif op[0] == "link":
            # refused (nothing written) when the visitor is already linked to the other subject
            with contextlib.suppress(InvalidInput):
                link_visitor(c.deps, "bluewave", "t", str(op[1]), str(op[2]), WEB, c.clock.now())
        else:
            _, who, (kind, scope), granted = op
            holder = (
                Holder(visitor=str(who))
                if str(who).startswith("visitor")
                else Holder(subject=str(who))
            )
            # refused (nothing written): an opt-in to sale/sharing after an opt-out (CCPA-OI-1)
            with contextlib.suppress(PolicyViolation):
                _record(c, holder, [Choice(kind, scope, bool(granted))])  # type: ignore[arg-type]
    report = rebuild(c.deps, "bluewave", "test", c.clock.now(), apply_fix=False)
    assert report.differing == []
    c.clock.at = start


def test_events_are_append_only_and_audited(ready: tuple[Container, Principal]) -> None:
    """Each choice is one new row and one audit event in the same transaction; the chain verifies."""
    c, _ = ready
    _record(c, Holder(subject="s-1"), [Choice(Kind.PURPOSE, "marketing-sms", True)])
    _record(c, Holder(subject="s-1"), [Choice(Kind.PURPOSE, "marketing-sms", False)])
    with c.uow() as uow:
        uow.session.info["privault_tenant_id"] = bind_tenant(uow, "bluewave").id
        rows = uow.session.execute(
            select(t.ConsentEvent.granted).order_by(t.ConsentEvent.id),
            execution_options={"privault_cross_tenant": True},
        ).all()
        actions = uow.session.scalars(
            select(t.AuditEvent.action)
            .where(t.AuditEvent.action.like("consent:%"))
            .order_by(t.AuditEvent.id)
        ).all()
    assert [bool(r[0]) for r in rows] == [True, False]
    assert list(actions) == ["consent:grant", "consent:withdraw"]
    assert verify(c.deps, "bluewave").ok


def test_a_failed_choice_writes_nothing(ready: tuple[Container, Principal]) -> None:
    """An unknown scope in a batch of choices rolls the whole call back."""
    c, _ = ready
    with pytest.raises(NotFound):
        _record(
            c,
            Holder(subject="s-1"),
            [Choice(Kind.PURPOSE, "marketing-sms", True), Choice(Kind.PURPOSE, "no-such", True)],
        )
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        assert uow.session.scalar(select(func.count()).select_from(t.ConsentEvent)) == 0


def test_tenants_never_see_each_others_consent(ready: tuple[Container, Principal]) -> None:
    """A visitor id recorded in one tenant has no state in another."""
    c, _ = ready
    _record(c, Holder(visitor=VISITORS[0]), [Choice(Kind.COOKIE, "preference", True)])
    assert current_state(c.deps, "bluewave", Holder(visitor=VISITORS[0]))
    assert current_state(c.deps, "northwind", Holder(visitor=VISITORS[0])) == {}


def test_linking_carries_the_visitors_choices_to_the_subject(
    ready: tuple[Container, Principal],
) -> None:
    """Choices made as a visitor count for the subject once linked, and later ones too."""
    c, _ = ready
    _record(c, Holder(visitor=VISITORS[0]), [Choice(Kind.COOKIE, "preference", True)])
    link_visitor(c.deps, "bluewave", "t", VISITORS[0], "s-3", WEB, c.clock.now())
    c.clock.at += timedelta(seconds=1)
    _record(c, Holder(visitor=VISITORS[0]), [Choice(Kind.SALE_SHARING, "*", False)])
    state = current_state(c.deps, "bluewave", Holder(subject="s-3"))
    assert state["cookie:preference"].granted is True
    assert state["sale_sharing:*"].granted is False


def test_the_vault_read_asks_the_decision(ready: tuple[Container, Principal]) -> None:
    """A restricted subject's data is withheld for customer service, naming POL-RES-1."""
    c, officer = ready
    _record(c, Holder(subject="s-2"), [Choice(Kind.RESTRICTION, "*", False)])
    from privault.errors import Forbidden

    with pytest.raises(Forbidden, match="POL-RES-1"):
        show_subject(c.deps, officer, "s-2", "customer-service")
    view = show_subject(c.deps, officer, "s-2", "privacy-requests")
    assert view.data["user.name"].value.reveal() == "S2"


def test_batch_decisions_read_the_stored_state(ready: tuple[Container, Principal]) -> None:
    """decide_many answers each question from the projection and the subject's facts."""
    c, officer = ready
    _record(c, Holder(subject="s-1"), [Choice(Kind.PURPOSE, "marketing-sms", True)])
    questions = [Question("marketing-sms", subject=ref) for ref in ("s-1", "s-2", "gone")]
    answers = decide_many(c.deps, "bluewave", officer.tenant_id, questions, c.clock.now())
    assert [a.allowed for a in answers] == [True, False, False]
    assert isinstance(Facts(), Facts)


def test_a_fresh_visitor_linked_first_passes_later_choices_to_the_subject(
    ready: tuple[Container, Principal],
) -> None:
    """Linking a visitor with no choices yet still links: its later GPC opt-out reaches the subject."""
    c, _ = ready
    link_visitor(c.deps, "bluewave", "t", VISITORS[1], "s-1", WEB, c.clock.now())
    c.clock.at += timedelta(seconds=1)
    _record(c, Holder(visitor=VISITORS[1]), [Choice(Kind.SALE_SHARING, "*", False)])
    assert (
        current_state(c.deps, "bluewave", Holder(subject="s-1"))["sale_sharing:*"].granted is False
    )
    assert rebuild(c.deps, "bluewave", "t", c.clock.now(), apply_fix=False).differing == []


def test_concurrent_first_choices_for_one_subject_lose_nothing(
    ready: tuple[Container, Principal],
) -> None:
    """Two writers recording a subject's first choices at once: both land in the projection."""
    import threading

    c, _ = ready
    topics = [
        (Kind.PURPOSE, "marketing-sms"),
        (Kind.CPNI, "*"),
        (Kind.LIMIT_SPI, "*"),
        (Kind.SALE_SHARING, "*"),
    ]
    barrier = threading.Barrier(len(topics))
    errors: list[BaseException] = []

    def write(kind: Kind, scope: str) -> None:
        try:
            barrier.wait()
            _record(c, Holder(subject="s-2"), [Choice(kind, scope, True)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=topic) for topic in topics]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    state = current_state(c.deps, "bluewave", Holder(subject="s-2"))
    assert sorted(state) == sorted(f"{k.value}:{s}" for k, s in topics)
    assert rebuild(c.deps, "bluewave", "t", c.clock.now(), apply_fix=False).differing == []


def test_a_processes_cached_facts_follow_changes_made_by_another(
    ready: tuple[Container, Principal],
) -> None:
    """Two processes (two containers): consent, creation, erasure and a minor's birth date made in
    one are seen by the other's next batch, through the audit chain."""
    from privault.services.vault import erase_subject, update_subject

    c, officer = ready
    other = Container(c.settings, clock=c.clock)
    other.manifest  # noqa: B018 - its own manifest object, so its own decider and cache
    assert other.decider is not c.decider

    def ask(ref: str, purpose: str = "marketing-sms") -> bool:
        [answer] = decide_many(
            c.deps,
            "bluewave",
            officer.tenant_id,
            [Question(purpose, subject=ref)],
            c.clock.now(),
        )
        return answer.allowed

    assert ask("s-1") is False
    assert ask("s-9", "customer-service") is False  # unknown, remembered as such
    record_choices(
        other.deps, "bluewave", "t", Holder(subject="s-1"),
        [Choice(Kind.PURPOSE, "marketing-sms", True)], WEB, c.clock.now(),
    )  # fmt: skip
    assert ask("s-1") is True
    create_subject(
        other.deps, officer,
        {"subject": "s-9", "data": {"user.name": "Nine"}, "source": "direct", "purpose": "customer-service"},
    )  # fmt: skip
    assert ask("s-9", "customer-service") is True
    born = {"user.demographic.date_of_birth": "2010-01-01"}  # 16: a minor, not a child
    body = {"data": born, "source": "direct", "purpose": "fraud-prevention"}
    update_subject(other.deps, officer, "s-1", body)
    assert ask("s-1") is False  # now a minor: no marketing
    erase_subject(other.deps, officer, "s-2", "privacy-requests")
    assert ask("s-2", "customer-service") is False
    other.close()


def test_decide_answers_one_question_for_the_library(ready: tuple[Container, Principal]) -> None:
    """decide(tenant, subject, purpose, categories, at) is the one-question form of decide_many."""
    from privault.services.decisions import decide

    c, _ = ready
    _record(c, Holder(subject="s-3"), [Choice(Kind.OBJECTION, "marketing", False)])
    answer = decide(
        c.deps,
        "bluewave",
        "s-3",
        "marketing-email",
        ["user.contact.email"],
        at=c.clock.now(),
    )
    assert answer.allowed is False
    assert [r.rule for r in answer.reasons if not r.allowed] == ["POL-OBJ-1"]
    with pytest.raises(NotFound):
        decide(c.deps, "nowhere", "s-3", "marketing-email", at=c.clock.now())
