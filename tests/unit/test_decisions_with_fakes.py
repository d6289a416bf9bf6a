"""The decision cache's rules, run over the in-memory unit of work (milliseconds per test): what a
process remembers follows every change audited by another, the day, and a restored database."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.manifest import Manifest
from privault.core.records_ports import DpiaRecord, DpiaStatus
from privault.services.consent import Evidence, Holder, rebuild, record_choices
from privault.services.decisions import Decider, Question, decide_many
from privault.services.deps import Deps
from tests.fakes import FakeDatabase, fake_deps

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
WEB = Evidence(Method.FORM, Via.WEB)
SMS = "marketing-sms"


@pytest.fixture
def db() -> FakeDatabase:
    """bluewave with an adult s-1 and s-2, a minor s-3 who comes of age tomorrow."""
    db = FakeDatabase()
    tenant = db.add_tenant("bluewave")
    db.add_subject(tenant.id, "s-1")
    db.add_subject(tenant.id, "s-2")
    db.add_subject(tenant.id, "s-3", adult_on=date(2026, 3, 3))
    return db


def _deps(db: FakeDatabase, decider: Decider) -> Deps:
    """Use-case deps over ``db`` deciding with ``decider`` (one per process); no key is read."""
    deps = fake_deps(db, decider.manifest, FixedClock(AT), Path("no-keys"))
    return replace(deps, decider=decider)


def _ask(db: FakeDatabase, decider: Decider, question: Question, at: datetime = AT) -> bool:
    tenant = db.tenant_id("bluewave")
    [answer] = decide_many(_deps(db, decider), "bluewave", tenant, [question], at)
    return answer.allowed


def _choose(db: FakeDatabase, decider: Decider, holder: Holder, granted: bool) -> None:
    choice = Choice(Kind.PURPOSE, SMS, granted)
    record_choices(_deps(db, decider), "bluewave", "t", holder, [choice], WEB, AT)


def test_a_choice_recorded_by_another_process_reaches_the_next_batch(
    db: FakeDatabase, manifest: Manifest
) -> None:
    """Two deciders (two processes) over one database: the audit chain carries every change."""
    here, there = Decider(manifest), Decider(manifest)
    assert _ask(db, here, Question(SMS, subject="s-1")) is False
    _choose(db, there, Holder(subject="s-1"), True)
    assert _ask(db, here, Question(SMS, subject="s-1")) is True
    _choose(db, there, Holder(subject="s-1"), False)
    assert _ask(db, here, Question(SMS, subject="s-1")) is False


def test_a_restored_database_is_not_answered_from_the_cache(
    db: FakeDatabase, manifest: Manifest
) -> None:
    """After a restore the chain is another history, even at the same length: the cache is dropped."""
    here, there = Decider(manifest), Decider(manifest)
    backup = db.committed.copy()
    _choose(db, there, Holder(subject="s-1"), True)
    assert _ask(db, here, Question(SMS, subject="s-1")) is True
    db.committed = backup
    _choose(db, there, Holder(subject="s-2"), True)  # the same seq as the lost event
    assert _ask(db, here, Question(SMS, subject="s-1")) is False


def test_a_minor_is_answered_anew_on_the_day_they_come_of_age(
    db: FakeDatabase, manifest: Manifest
) -> None:
    """The cache is emptied when the day changes: consent counts once the subject is an adult."""
    decider = Decider(manifest)
    _choose(db, decider, Holder(subject="s-3"), True)
    assert _ask(db, decider, Question(SMS, subject="s-3")) is False
    assert _ask(db, decider, Question(SMS, subject="s-3"), AT + timedelta(days=1)) is True


def test_a_rebuild_drops_every_remembered_answer(db: FakeDatabase, manifest: Manifest) -> None:
    """Answers remembered from a projection that drifted are forgotten once a rebuild fixes it."""
    here, there = Decider(manifest), Decider(manifest)
    _choose(db, there, Holder(subject="s-1"), True)
    db.committed.consent_states.clear()  # the projection drifted, unaudited
    assert _ask(db, here, Question(SMS, subject="s-1")) is False
    rebuild(_deps(db, here), "bluewave", "t", AT, apply_fix=True)
    assert _ask(db, here, Question(SMS, subject="s-1")) is True


def test_unknown_subjects_and_visitors_are_answered(db: FakeDatabase, manifest: Manifest) -> None:
    """An unknown reference is denied; a visitor is answered from its own state."""
    decider = Decider(manifest)
    visitor = "visitor-aaaaaaaaaaaaaaaa"
    assert _ask(db, decider, Question(SMS, subject="nobody")) is False
    assert _ask(db, decider, Question(SMS, visitor=visitor)) is False
    _choose(db, decider, Holder(visitor=visitor), True)
    assert _ask(db, decider, Question(SMS, visitor=visitor)) is True


def test_a_purpose_needing_an_assessment_is_denied_until_one_is_approved(
    db: FakeDatabase, manifest: Manifest
) -> None:
    """GDPR-DPIA-1 denies a purpose marked ``requires_dpia`` until its assessment is approved."""

    def denials() -> set[str]:
        question = Question("vulnerability-support", subject="s-1")
        tenant = db.tenant_id("bluewave")
        deps = _deps(db, Decider(manifest))
        [answer] = decide_many(deps, "bluewave", tenant, [question], AT)
        return {r.rule for r in answer.reasons if not r.allowed}

    assert "GDPR-DPIA-1" in denials()
    status = DpiaStatus.APPROVED
    approved = DpiaRecord(
        1, "vulnerability-support", "t", status, "r", "m", "low", "dpo", AT, None, AT, AT
    )
    db.committed.dpias[db.tenant_id("bluewave")] = [approved]
    assert "GDPR-DPIA-1" not in denials()


def test_a_batch_asked_by_an_actor_is_audited_by_counts(
    db: FakeDatabase, manifest: Manifest
) -> None:
    """``decision:batch`` holds how many questions were allowed and denied, never who was asked."""
    questions = [Question("customer-service", subject="s-1"), Question(SMS, subject="s-2")]
    tenant = db.tenant_id("bluewave")
    decide_many(_deps(db, Decider(manifest)), "bluewave", tenant, questions, AT, actor="api:k1")
    [event] = db.committed.audit_events[db.tenant_id("bluewave")]
    assert (event.action, event.actor, event.subject) == ("decision:batch", "api:k1", None)
    assert json.loads(event.details) == {"allowed": 1, "denied": 1, "questions": 2}
