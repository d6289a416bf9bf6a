"""The rules of recording consent, run over the in-memory unit of work (milliseconds per test).

The storage side (locks, upserts, both engines) is tests/contract/test_consent.py's."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.manifest import Manifest
from privault.core.records import NoticeVersionRecord
from privault.errors import InvalidInput, NotFound, PolicyViolation
from privault.services.consent import (
    Evidence,
    Holder,
    current_state,
    honour_gpc,
    link_visitor,
    rebuild,
    record_choices,
)
from privault.services.decisions import Decider
from privault.services.deps import Deps
from tests.fakes import FakeDatabase, FakeUnitOfWork, fake_deps
from tests.fakes.tables import StoredState

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
WEB = Evidence(Method.FORM, Via.WEB)
VISITOR = "visitor-aaaaaaaaaaaaaaaa"
SMS = Choice(Kind.PURPOSE, "marketing-sms", True)


@pytest.fixture
def db() -> FakeDatabase:
    """Two tenants; bluewave has subjects s-1 to s-3."""
    db = FakeDatabase()
    bluewave = db.add_tenant("bluewave")
    db.add_tenant("northwind")
    for n in (1, 2, 3):
        db.add_subject(bluewave.id, f"s-{n}")
    return db


@pytest.fixture
def decider(manifest: Manifest) -> Decider:
    """A fresh decider over the contact-centre template."""
    return Decider(manifest)


def _deps(db: FakeDatabase, decider: Decider) -> Deps:
    """Use-case deps over ``db`` deciding with ``decider``; no key is read."""
    deps = fake_deps(db, decider.manifest, FixedClock(AT), Path("no-keys"))
    return replace(deps, decider=decider)


def _record(
    db: FakeDatabase,
    decider: Decider,
    holder: Holder,
    choices: list[Choice],
    evidence: Evidence = WEB,
    at: datetime = AT,
) -> list[int]:
    done = record_choices(_deps(db, decider), "bluewave", "test", holder, choices, evidence, at)
    return [e.id for e in done.events]


def _audit(db: FakeDatabase) -> list[tuple[str, str | None, dict[str, object]]]:
    chain = db.committed.audit_events.get(db.tenant_id("bluewave"), [])
    return [(e.action, e.subject, json.loads(e.details)) for e in chain]


def _state(db: FakeDatabase, decider: Decider, holder: Holder) -> dict[str, bool]:
    return {k: v.granted for k, v in current_state(_deps(db, decider), "bluewave", holder).items()}


def test_a_choice_is_one_ledger_event_one_audit_event_and_the_new_state(
    db: FakeDatabase, decider: Decider
) -> None:
    """Each choice appends an event, updates the holder's state and is audited, in one commit."""
    assert _record(db, decider, Holder(subject="s-1"), [SMS]) == [1]
    _record(db, decider, Holder(subject="s-1"), [Choice(Kind.PURPOSE, "marketing-sms", False)])
    assert _state(db, decider, Holder(subject="s-1")) == {"purpose:marketing-sms": False}
    assert [(a, s) for a, s, _ in _audit(db)] == [
        ("consent:grant", "uid-1"),
        ("consent:withdraw", "uid-1"),
    ]
    assert _audit(db)[0][2] == {
        "event": 1,
        "holder": "subject",
        "kind": "purpose",
        "method": "form",
        "scope": "marketing-sms",
        "via": "web",
    }
    assert db.commits == 2


def test_a_refused_choice_in_a_batch_writes_nothing(db: FakeDatabase, decider: Decider) -> None:
    """An unknown scope among the choices refuses the whole call before anything is stored."""
    with pytest.raises(NotFound):
        _record(db, decider, Holder(subject="s-1"), [SMS, Choice(Kind.PURPOSE, "no-such", True)])
    assert db.committed.consent_events == []
    assert db.commits == 0


@pytest.mark.parametrize(
    ("holder", "choices"),
    [
        (Holder(subject="s-1"), []),
        (Holder(), [SMS]),
        (Holder(subject="s-1", visitor=VISITOR), [SMS]),
    ],
)
def test_a_call_names_choices_and_exactly_one_holder(
    db: FakeDatabase, decider: Decider, holder: Holder, choices: list[Choice]
) -> None:
    """No choices, no holder or both a subject and a visitor: consent.invalid."""
    with pytest.raises(InvalidInput) as raised:
        _record(db, decider, holder, choices)
    assert raised.value.code == "consent.invalid"


def test_a_restriction_is_lifted_only_where_the_person_is_told(
    db: FakeDatabase, decider: Decider
) -> None:
    """Lifting a restriction is refused here (Art. 18(3)), except when importing past lifts."""
    lift = Choice(Kind.RESTRICTION, "*", True)
    with pytest.raises(PolicyViolation) as raised:
        _record(db, decider, Holder(subject="s-1"), [lift])
    assert raised.value.code == "restriction.lift_elsewhere"
    assert _record(db, decider, Holder(subject="s-1"), [lift], Evidence(Method.IMPORT, Via.API))


@pytest.mark.parametrize(
    ("evidence", "refused"),
    [
        (Evidence(Method.AGENT, Via.PHONE, agent="a-7"), True),
        (Evidence(Method.AGENT, Via.PHONE, call_id="c-1"), True),
        (Evidence(Method.AGENT, Via.PHONE, agent="a-7", call_id="c-1"), False),
        (Evidence(Method.IVR, Via.IVR, call_id="c-1"), False),
        (Evidence(Method.IVR, Via.IVR), True),
    ],
)
def test_a_choice_by_phone_names_the_call_and_the_agent(
    db: FakeDatabase, decider: Decider, evidence: Evidence, refused: bool
) -> None:
    """Voice channels need the call id, and the agent unless it was the IVR."""
    if refused:
        with pytest.raises(InvalidInput) as raised:
            _record(db, decider, Holder(subject="s-1"), [SMS], evidence)
        assert raised.value.code == "consent.evidence_missing"
    else:
        assert _record(db, decider, Holder(subject="s-1"), [SMS], evidence)


def test_an_unknown_brand_is_refused(db: FakeDatabase, decider: Decider) -> None:
    """Evidence naming a brand the tenant does not have: brand.unknown."""
    with pytest.raises(NotFound) as raised:
        _record(db, decider, Holder(subject="s-1"), [SMS], Evidence(Method.FORM, Via.WEB, "acme"))
    assert raised.value.code == "brand.unknown"


def _publish(db: FakeDatabase, seq: int, version_id: str) -> None:
    tenant = db.tenant_id("bluewave")
    db.committed.notices.append(
        NoticeVersionRecord(tenant, seq, version_id, date(2026, 1, seq), "{}", "", "", AT)
    )


def test_the_event_cites_the_latest_notice_unless_one_is_named(
    db: FakeDatabase, decider: Decider
) -> None:
    """No version named: the latest published; a named one (by prefix) must exist."""
    _publish(db, 1, "aaaa1111")
    _publish(db, 2, "bbbb2222")
    _record(db, decider, Holder(subject="s-1"), [SMS])
    _record(db, decider, Holder(subject="s-1"), [SMS], Evidence(Method.FORM, Via.WEB, None, "aaaa"))
    named = Evidence(Method.FORM, Via.WEB, notice_version="cccc")
    with pytest.raises(NotFound) as raised:
        _record(db, decider, Holder(subject="s-1"), [SMS], named)
    assert raised.value.code == "notice.version_unknown"
    cited = [e.notice_version for _, e in db.committed.consent_events]
    assert cited == ["bbbb2222", "aaaa1111"]


def test_an_unknown_or_erased_subject_is_refused(db: FakeDatabase, decider: Decider) -> None:
    """Only a live subject of the tenant can choose: subject.unknown otherwise."""
    with FakeUnitOfWork(db) as uow:
        uow.bind_tenant(db.tenant_id("bluewave"))
        uow.subjects.erase(2, AT)
        uow.commit()
    for ref in ("s-2", "s-9"):
        with pytest.raises(NotFound) as raised:
            _record(db, decider, Holder(subject=ref), [SMS])
        assert raised.value.code == "subject.unknown"


def test_an_opt_in_to_sale_after_an_opt_out_takes_two_steps(
    db: FakeDatabase, decider: Decider
) -> None:
    """CCPA-OI-1: after an opt-out, a sale/sharing grant is refused unless it is the confirmed step."""
    holder = Holder(subject="s-1")
    _record(db, decider, holder, [Choice(Kind.SALE_SHARING, "*", False)])
    grant = Choice(Kind.SALE_SHARING, "*", True)
    with pytest.raises(PolicyViolation) as raised:
        _record(db, decider, holder, [grant])
    assert raised.value.code == "consent.opt_in_two_step"
    record_choices(_deps(db, decider), "bluewave", "t", holder, [grant], WEB, AT, two_step=True)
    assert _state(db, decider, holder) == {"sale_sharing:*": True}


def test_the_ip_address_is_truncated_and_the_evidence_kept(
    db: FakeDatabase, decider: Decider
) -> None:
    """The ledger keeps a /24 prefix, never the address, with the evidence given."""
    evidence = Evidence(Method.FORM, Via.WEB, ip="203.0.113.77", extra={"form": "v2"})
    _record(db, decider, Holder(subject="s-1"), [SMS], evidence)
    [(_, event)] = db.committed.consent_events
    assert event.ip_prefix == "203.0.113.0/24"
    assert json.loads(event.evidence) == {"form": "v2"}


def test_a_linked_visitors_choices_count_for_the_subject(
    db: FakeDatabase, decider: Decider
) -> None:
    """After a link, a visitor's choice changes the subject's state and its audit names the subject."""
    visitor = Holder(visitor=VISITOR)
    _record(db, decider, visitor, [Choice(Kind.COOKIE, "preference", True)])
    link_visitor(_deps(db, decider), "bluewave", "t", VISITOR, "s-3", WEB, AT)
    _record(db, decider, visitor, [Choice(Kind.SALE_SHARING, "*", False)], at=AT + timedelta(1))
    assert _state(db, decider, Holder(subject="s-3")) == {
        "cookie:preference": True,
        "sale_sharing:*": False,
    }
    actions = [(a, s, d["holder"]) for a, s, d in _audit(db)]
    assert actions == [
        ("consent:grant", None, "visitor"),
        ("consent:link", "uid-3", "visitor"),
        ("consent:withdraw", "uid-3", "visitor"),
    ]


def test_a_visitor_is_linked_to_one_subject_only(db: FakeDatabase, decider: Decider) -> None:
    """Linking a visitor already linked to another subject is refused and writes nothing."""
    link_visitor(_deps(db, decider), "bluewave", "t", VISITOR, "s-1", WEB, AT)
    with pytest.raises(InvalidInput) as raised:
        link_visitor(_deps(db, decider), "bluewave", "t", VISITOR, "s-2", WEB, AT)
    assert raised.value.code == "consent.invalid"
    assert len(db.committed.consent_events) == 1


def test_a_gpc_signal_is_recorded_once(db: FakeDatabase, decider: Decider) -> None:
    """The first signal opts out of sale/sharing (and more); the same signal again records nothing."""
    evidence = Evidence(Method.GPC, Via.WEB)
    deps = _deps(db, decider)
    assert honour_gpc(deps, "bluewave", Holder(visitor=VISITOR), evidence, AT)
    assert not honour_gpc(deps, "bluewave", Holder(visitor=VISITOR), evidence, AT)
    state = _state(db, decider, Holder(visitor=VISITOR))
    assert state["sale_sharing:*"] is False
    assert all(granted is False for granted in state.values())


def test_tenants_never_see_each_others_consent(db: FakeDatabase, decider: Decider) -> None:
    """A visitor's state in one tenant does not exist in another."""
    _record(db, decider, Holder(visitor=VISITOR), [Choice(Kind.COOKIE, "preference", True)])
    deps = _deps(db, decider)
    assert current_state(deps, "bluewave", Holder(visitor=VISITOR))
    assert current_state(deps, "northwind", Holder(visitor=VISITOR)) == {}


def test_a_rebuild_finds_and_fixes_a_projection_that_drifted(
    db: FakeDatabase, decider: Decider
) -> None:
    """A state that differs from its ledger is reported; with the fix, replaced and audited."""
    _record(db, decider, Holder(subject="s-1"), [SMS])
    key = (db.tenant_id("bluewave"), "s:1")
    db.committed.consent_states[key] = StoredState("{}", 1)
    deps = _deps(db, decider)
    assert rebuild(deps, "bluewave", "t", AT, apply_fix=False).differing == ["s:1"]
    assert rebuild(deps, "bluewave", "t", AT, apply_fix=True).differing == ["s:1"]
    assert rebuild(deps, "bluewave", "t", AT, apply_fix=False).differing == []
    assert _state(db, decider, Holder(subject="s-1")) == {"purpose:marketing-sms": True}
    assert [a for a, _, _ in _audit(db)][-3:] == ["consent:rebuild"] * 3


VISITORS = [VISITOR, "visitor-bbbbbbbbbbbbbbbb"]
SCOPES = {
    Kind.PURPOSE: ("marketing-sms", "marketing-email"),
    Kind.MARKETING: ("bluewave-mobile:sms", "*:*"),
    Kind.OBJECTION: ("marketing",),
    Kind.COOKIE: ("preference",),
}
TOPICS = [(kind, scope) for kind, scopes in SCOPES.items() for scope in scopes] + [
    (kind, "*") for kind in (Kind.RESTRICTION, Kind.CPNI, Kind.SALE_SHARING, Kind.LIMIT_SPI)
]


@dataclass(frozen=True, slots=True)
class Step:
    """A choice by ``who`` (a subject ref or a visitor id) on ``topic``; or, without a topic, a
    link of the visitor ``who`` to the subject ``to``."""

    who: str
    topic: tuple[Kind, str] | None
    granted: bool = False
    to: str = ""


steps = st.one_of(
    st.builds(
        Step, st.sampled_from(["s-1", "s-2", *VISITORS]), st.sampled_from(TOPICS), st.booleans()
    ),
    st.builds(Step, st.sampled_from(VISITORS), st.none(), to=st.sampled_from(["s-1", "s-2"])),
)


def _apply(db: FakeDatabase, decider: Decider, step: Step, at: datetime) -> None:
    """One step; the refusals the rules make (a second link, a one-step opt-in) write nothing."""
    try:
        if step.topic is None:
            link_visitor(_deps(db, decider), "bluewave", "t", step.who, step.to, WEB, at)
            return
        holder = Holder(visitor=step.who) if step.who in VISITORS else Holder(subject=step.who)
        choice = Choice(step.topic[0], step.topic[1], step.granted)
        _record(db, decider, holder, [choice], WEB, at)
    except (InvalidInput, PolicyViolation):
        pass


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(steps, min_size=1, max_size=15))
def test_the_projection_always_equals_a_rebuild_from_the_ledger(
    manifest: Manifest, ops: list[Step]
) -> None:
    """Random choices and links through the use cases: the stored states equal a rebuild."""
    db = FakeDatabase()
    tenant = db.add_tenant("bluewave")
    db.add_subject(tenant.id, "s-1")
    db.add_subject(tenant.id, "s-2")
    decider = Decider(manifest)
    for i, op in enumerate(ops):
        _apply(db, decider, op, AT + timedelta(seconds=i))
    assert rebuild(_deps(db, decider), "bluewave", "t", AT, apply_fix=False).differing == []
