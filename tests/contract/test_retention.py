"""Retention on SQLite and PostgreSQL (issue #6): rules from the manifest swept on the day they fall
due, legal holds, the report, dry runs, contract ends, minors, and sweeps taken over from a
checkpoint.

The clock is the test's FixedClock; jobs run through the real Worker (``drain``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.records import FieldRecord
from privault.core.retention_ports import RetentionSubject
from privault.errors import Conflict, InvalidInput, NotFound
from privault.jobs.worker import Worker
from privault.services.decisions import decide
from privault.services.legal_holds import add_hold, list_holds, release_hold
from privault.services.retention import status, sweep
from privault.services.retention_subjects import (
    discover_minors,
    mark_minor_by_ref,
    record_contract_end,
)
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject
from tests.audit_rows import audit_rows

OFFICER = "privacy-officer"
STAFF = "staff:alice"
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TRANSCRIPT_DUE = date(2026, 5, 31)  # 2 March + 90 days


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied."""
    apply_manifest(container.deps)
    return container


def _clock(c: Container) -> FixedClock:
    assert isinstance(c.clock, FixedClock)
    return c.clock


def _on(c: Container, day: date, hour: int = 12) -> None:
    _clock(c).at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _officer(c: Container, tenant: str, role: str = OFFICER) -> Principal:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    return Principal(tenant_id, tenant, role, "cli", "test")


def _subject(
    c: Container,
    ref: str,
    data: dict[str, Any],
    *,
    tenant: str = "bluewave",
    purpose: str = "customer-service",
    source: str = "direct",
    email: str | None = None,
    role: str = OFFICER,
) -> str:
    raw = {
        "subject": ref,
        "identities": {} if email == "" else {"email": email or f"{ref}@example.com"},
        "data": data,
        "source": source,
        "purpose": purpose,
    }
    return create_subject(c.deps, _officer(c, tenant, role), raw)


def _fields(c: Container, ref: str, tenant: str = "bluewave") -> list[str]:
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        subject = uow.subjects.get_by_ref(ref)
        assert subject is not None
        return sorted(f.field for f in uow.subjects.fields([subject.id]))


def _retention_subject(c: Container, uid: str, tenant: str = "bluewave") -> RetentionSubject:
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        found = uow.retention.subject(uid=uid)
    assert found is not None
    return found


def _audit(c: Container, tenant: str = "bluewave") -> list[tuple[str, str, dict[str, Any]]]:
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        rows = audit_rows(uow, 1000)
    return [(row[3], row[6], json.loads(row[7])) for row in rows]


def _sweep(c: Container, tenant: str = "bluewave", **kw: Any) -> dict[str, Any]:
    return sweep(c.deps, tenant, batch_size=kw.pop("batch_size", 50), **kw).report


def _ana(c: Container) -> str:
    """Ana: her name (kept until a month after her contract ends) and a call transcript (90 days)."""
    return _subject(c, "ana", {"user.name": "Ana Lima", "cc.call.transcript": "Hello, I'd like..."})


# --- due dates -----------------------------------------------------------------------------------


def test_a_value_due_on_day_n_is_swept_on_day_n_and_not_the_day_before(c: Container) -> None:
    """A transcript collected on 2 March under '90 days after collected' survives a sweep late on
    30 May and is gone after a sweep on 31 May; the name (no contract end yet) stays."""
    _ana(c)
    _on(c, TRANSCRIPT_DUE - timedelta(days=1), 23)
    report = _sweep(c)
    assert report["totals"]["deleted"] == 0
    assert _fields(c, "ana") == ["cc.call.transcript", "user.name"]
    _on(c, TRANSCRIPT_DUE, 0)
    report = _sweep(c)
    assert report["totals"]["deleted"] == 1
    assert _fields(c, "ana") == ["user.name"]


def test_the_report_names_the_rule_why_and_counts_without_personal_data(c: Container) -> None:
    """The report says which rule, why ('90 days after collected'), what action, per category
    counts and subject counts; request-log rules are named as handled elsewhere; audited."""
    _ana(c)
    _subject(c, "ben", {"cc.call.transcript": "Bonjour"})
    _on(c, TRANSCRIPT_DUE)
    result = sweep(c.deps, "bluewave", batch_size=1)
    rule = result.report["rules"]["call-recordings"]
    assert rule["why"] == "90 days after collected"
    assert rule["action"] == "delete"
    assert rule["categories"] == {"cc.call.transcript": 2}
    assert (rule["values"], rule["subjects"], rule["held"]) == (2, 2, 0)
    assert result.report["elsewhere"] == {"privacy-request-log": "handled by request records"}
    assert result.report["totals"]["batches"] == 2
    text = json.dumps(result.report)
    assert "Ana" not in text
    assert "ana@example.com" not in text
    assert "Bonjour" not in text
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        run = uow.retention.get(result.run_id)
    assert run is not None
    assert run.status == "done"
    assert run.report == result.report
    sweeps = [d for a, _, d in _audit(c) if a == "retention:sweep"]
    assert sweeps[-1]["totals"]["deleted"] == 2
    assert sweeps[-1]["rules"]["call-recordings"] == {"values": 2, "held": 0}


def test_dry_run_reports_the_same_and_deletes_nothing(c: Container) -> None:
    """A dry run counts exactly what the real sweep then deletes."""
    _ana(c)
    _on(c, TRANSCRIPT_DUE)
    dry = _sweep(c, dry_run=True)
    assert dry["dry_run"] is True
    assert _fields(c, "ana") == ["cc.call.transcript", "user.name"]
    real = _sweep(c)
    assert dry["rules"] == real["rules"]
    assert _fields(c, "ana") == ["user.name"]


def test_last_activity_counts_from_the_subject_and_an_emptied_subject_keeps_its_row(
    c: Container,
) -> None:
    """Vulnerability notes go 30 days after the last activity (the subject's last change when none
    is recorded); the subject whose values are all gone keeps its empty row."""
    _subject(
        c,
        "cara",
        {"user.health_and_medical": "hearing aid"},
        purpose="vulnerability-support",
        role="agent",
        email="",
    )
    _on(c, date(2026, 3, 31))
    assert _sweep(c)["totals"]["deleted"] == 0
    _on(c, date(2026, 4, 1))
    assert _sweep(c)["rules"]["vulnerability-notes"]["values"] == 1
    assert _fields(c, "cara") == []
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        assert uow.subjects.get_by_ref("cara") is not None


def test_anonymise_deletes_the_value_and_counts_it_as_anonymised(c: Container) -> None:
    """Survey answers (6 months, anonymise) leave no value behind and are counted as anonymised."""
    _ana(c)
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        subject = uow.subjects.get_by_ref("ana")
        assert subject is not None
        row = FieldRecord(
            subject.id,
            "cc.survey.response",
            "cc.survey.response",
            "direct",
            "surveys",
            START,
            START,
            b"sealed",
        )
        uow.subjects.put_fields([row])
        uow.commit()
    _on(c, date(2026, 9, 2))
    report = _sweep(c)
    assert report["rules"]["survey-answers"]["action"] == "anonymise"
    assert report["totals"]["anonymised"] == 1
    assert "cc.survey.response" not in _fields(c, "ana")


# --- legal holds ---------------------------------------------------------------------------------


def test_a_subject_hold_keeps_its_values_until_released(c: Container) -> None:
    """Held values are counted as held and stay; once the hold is released they go."""
    _ana(c)
    hold = add_hold(c.deps, "bluewave", STAFF, scope="subject", reference="CASE-7", subject="ana")
    _on(c, TRANSCRIPT_DUE)
    report = _sweep(c)
    assert report["rules"]["call-recordings"]["held"] == 1
    assert report["totals"]["deleted"] == 0
    assert _fields(c, "ana") == ["cc.call.transcript", "user.name"]
    release_hold(c.deps, "bluewave", hold.id, STAFF)
    assert _sweep(c)["totals"]["deleted"] == 1
    assert _fields(c, "ana") == ["user.name"]
    holds = [d for a, _, d in _audit(c) if a == "retention:hold"]
    assert holds[0]["reference"] == "CASE-7"
    assert holds[1]["released"] is True


def test_a_category_hold_keeps_that_category_and_expires(c: Container) -> None:
    """A hold on cc.call keeps transcripts (a descendant) until its expiry day."""
    _ana(c)
    expiry = TRANSCRIPT_DUE + timedelta(days=10)
    add_hold(
        c.deps,
        "bluewave",
        STAFF,
        scope="category",
        reference="REG-1",
        category="cc.call",
        expires_on=expiry,
    )
    _on(c, TRANSCRIPT_DUE)
    assert _sweep(c)["totals"]["held"] == 1
    _on(c, expiry - timedelta(days=1))
    assert _fields(c, "ana") == ["cc.call.transcript", "user.name"]
    assert _sweep(c)["totals"]["held"] == 1
    _on(c, expiry)
    assert _sweep(c)["totals"]["deleted"] == 1
    assert list_holds(c.deps, "bluewave") == []
    assert len(list_holds(c.deps, "bluewave", include_ended=True)) == 1


def test_a_tenant_hold_keeps_everything(c: Container) -> None:
    """A tenant hold keeps every value of the tenant; other tenants are swept."""
    _ana(c)
    _subject(c, "nina", {"cc.call.transcript": "Hi"}, tenant="northwind")
    add_hold(c.deps, "bluewave", STAFF, scope="tenant", reference="LITIGATION-2026-01")
    _on(c, TRANSCRIPT_DUE)
    assert _sweep(c)["totals"] == {
        "deleted": 0,
        "anonymised": 0,
        "held": 1,
        "subjects": 0,
        "batches": 1,
        "datastore_rows": 0,
    }
    assert _sweep(c, "northwind")["totals"]["deleted"] == 1


def test_holds_are_validated(c: Container) -> None:
    """A hold needs a known scope, a reference, its target, and a future expiry."""
    _ana(c)
    with pytest.raises(InvalidInput) as bad_scope:
        add_hold(c.deps, "bluewave", STAFF, scope="planet", reference="X")
    assert bad_scope.value.code == "retention.invalid"
    with pytest.raises(InvalidInput):
        add_hold(c.deps, "bluewave", STAFF, scope="tenant", reference="")
    with pytest.raises(InvalidInput):
        add_hold(c.deps, "bluewave", STAFF, scope="subject", reference="X")
    with pytest.raises(InvalidInput):
        add_hold(c.deps, "bluewave", STAFF, scope="category", reference="X", category="nope.x")
    with pytest.raises(InvalidInput):
        add_hold(
            c.deps,
            "bluewave",
            STAFF,
            scope="tenant",
            reference="X",
            expires_on=START.date(),
        )
    with pytest.raises(NotFound) as unknown:
        add_hold(c.deps, "bluewave", STAFF, scope="subject", reference="X", subject="zed")
    assert unknown.value.code == "subject.unknown"
    with pytest.raises(NotFound) as no_hold:
        release_hold(c.deps, "bluewave", 999, STAFF)
    assert no_hold.value.code == "hold.unknown"
    hold = add_hold(c.deps, "bluewave", STAFF, scope="tenant", reference="X")
    release_hold(c.deps, "bluewave", hold.id, STAFF)
    with pytest.raises(Conflict):
        release_hold(c.deps, "bluewave", hold.id, STAFF)


# --- contract end --------------------------------------------------------------------------------


def test_a_contract_end_on_31_january_deletes_the_subject_by_the_end_of_february(
    c: Container,
) -> None:
    """Northwind (30 days, at most a month): recorded on 31 January 2027, the subject is still
    there on 27 February and erased by the worker on 28 February (crypto-shredded, audited)."""
    _clock(c).at = datetime(2027, 1, 20, 9, tzinfo=UTC)
    _subject(c, "nora", {"user.name": "Nora"}, tenant="northwind")
    ended = record_contract_end(c.deps, "northwind", "nora", date(2027, 1, 31), STAFF)
    assert ended.delete_on == date(2027, 2, 28)
    _on(c, date(2027, 2, 27), 23)
    Worker(c).drain()
    assert _retention_subject(c, ended.uid, "northwind").live
    _on(c, date(2027, 2, 28), 0)
    Worker(c).drain()
    assert not _retention_subject(c, ended.uid, "northwind").live
    actions = [(a, o, d) for a, o, d in _audit(c, "northwind")]
    assert ("subject:contract_end", "ok") in {(a, o) for a, o, _ in actions}
    erased = [d for a, o, d in actions if a == "vault:subject:erase" and o == "ok"]
    assert erased[-1]["reason"] == "retention:contract_end"
    assert erased[-1]["key"] == "destroyed"


def test_bluewave_deletes_14_days_after_the_contract_end(c: Container) -> None:
    """A tenant's stricter policy (14 days) wins over the month."""
    _ana(c)
    ended = record_contract_end(c.deps, "bluewave", "ana", date(2026, 3, 10), STAFF)
    assert ended.delete_on == date(2026, 3, 24)


def test_a_held_subject_is_kept_at_contract_end_and_erased_by_the_sweep_after_release(
    c: Container,
) -> None:
    """The day's erase job finishes counting the subject 'held'; after the hold's release the
    daily sweep erases it."""
    _ana(c)
    hold = add_hold(c.deps, "bluewave", STAFF, scope="subject", reference="CASE-9", subject="ana")
    ended = record_contract_end(c.deps, "bluewave", "ana", date(2026, 3, 10), STAFF)
    _on(c, ended.delete_on)
    Worker(c).drain()
    assert _retention_subject(c, ended.uid).live
    with c.uow() as uow:
        jobs = [j for j in uow.jobs.recent(limit=100) if j.kind == "subjects.erase_due"]
    assert jobs[0].status == "done"
    assert jobs[0].progress["outcomes"] == {"contract_end": {"held": 1}}
    release_hold(c.deps, "bluewave", hold.id, STAFF)
    report = _sweep(c)
    assert report["whole_subjects"] == {"contract_end": {"erased": 1}}
    assert not _retention_subject(c, ended.uid).live


def test_contract_end_of_an_unknown_subject_is_refused(c: Container) -> None:
    """No subject, no contract end."""
    with pytest.raises(NotFound) as caught:
        record_contract_end(c.deps, "bluewave", "ghost", date(2026, 3, 10), STAFF)
    assert caught.value.code == "subject.unknown"


# --- minors --------------------------------------------------------------------------------------


def test_a_minor_is_suppressed_at_once_and_erased(c: Container) -> None:
    """A 16-year-old: stored, then at once every decision says no (subject:minor audited, erasure
    queued); discovery finds nobody left to suppress; the worker erases the subject."""
    _subject(
        c,
        "kid",
        {"user.name": "Kid", "user.demographic.date_of_birth": "2010-01-01"},
        purpose="fraud-prevention",
    )
    now = decide(c.deps, "bluewave", "kid", "customer-service", at=c.clock.now())
    assert not now.allowed
    assert [a for a, _, _ in _audit(c)].count("subject:minor") == 1
    assert discover_minors(c.deps, "bluewave") == []  # already suppressed: once only
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        kid = uow.retention.subject(ref="kid")
    assert kid is not None
    Worker(c).drain()
    assert not _retention_subject(c, kid.uid).live


def test_a_minor_is_marked_once_and_an_adult_never(c: Container) -> None:
    """mark_minor_by_ref: a 17-year-old is suppressed when stored and not again; an adult never."""
    _subject(
        c,
        "teen",
        {"user.name": "T", "user.demographic.date_of_birth": "2009-06-01"},
        purpose="fraud-prevention",
    )
    _subject(
        c,
        "adult",
        {"user.name": "A", "user.demographic.date_of_birth": "1990-06-01"},
        purpose="fraud-prevention",
    )
    with c.uow() as uow:
        assert not mark_minor_by_ref(uow, c.decider, "bluewave", "adult", c.clock.now(), STAFF)
    with c.uow() as uow:
        assert not mark_minor_by_ref(uow, c.decider, "bluewave", "teen", c.clock.now(), STAFF)
    assert [a for a, _, _ in _audit(c)].count("subject:minor") == 1


# --- status and crash safety ---------------------------------------------------------------------


def test_status_says_what_is_due_now_soon_and_next(c: Container) -> None:
    """Per rule: due now, within 30 days, the next due date; the holds; the last run."""
    _ana(c)
    _on(c, TRANSCRIPT_DUE - timedelta(days=10))
    hold = add_hold(c.deps, "bluewave", STAFF, scope="tenant", reference="X")
    now = status(c.deps, "bluewave")
    rules = {r.key: r for r in now.rules}
    calls = rules["call-recordings"]
    assert (calls.due_now, calls.due_soon, calls.next_due) == (0, 1, TRANSCRIPT_DUE)
    assert rules["customer-data"].next_due is None
    assert rules["privacy-request-log"].note == "handled by request records"
    assert [h.id for h in now.holds] == [hold.id]
    _on(c, TRANSCRIPT_DUE)
    assert {r.key: r for r in status(c.deps, "bluewave").rules}["call-recordings"].due_now == 1


class _Crash(Exception):
    """Stands for the worker dying."""


def test_a_sweep_taken_over_from_its_checkpoint_deletes_nothing_twice_and_misses_nothing(
    c: Container,
) -> None:
    """A sweep that dies after 2 batches (its third batch rolled back) and is resumed from the
    saved progress deletes every due value exactly once."""
    for n in range(9):
        _subject(c, f"s{n}", {"user.name": "X", "cc.call.transcript": "t"})
    _on(c, TRANSCRIPT_DUE)
    saved: dict[str, Any] = {}
    calls = {"n": 0}

    def dying(uow: Any, progress: dict[str, Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 4:  # start + 2 batches committed; the third batch dies
            raise _Crash
        saved.clear()
        saved.update(progress)

    with pytest.raises(_Crash):
        sweep(c.deps, "bluewave", batch_size=2, checkpoint=dying)
    assert sum(1 for n in range(9) if "cc.call.transcript" in _fields(c, f"s{n}")) == 5
    result = sweep(c.deps, "bluewave", batch_size=2, progress=dict(saved))
    assert result.report["totals"]["deleted"] == 9
    assert result.report["rules"]["call-recordings"]["subjects"] == 9
    assert all(_fields(c, f"s{n}") == ["user.name"] for n in range(9))


def _ended_subjects(c: Container, count: int) -> list[str]:
    """``count`` bluewave subjects whose contract ended on 10 March 2026 (due on the 24th)."""
    uids = []
    for n in range(count):
        ref = f"ended-{n}"
        _subject(c, ref, {"user.name": f"Ended {n}"})
        uids.append(record_contract_end(c.deps, "bluewave", ref, date(2026, 3, 10), STAFF).uid)
    return uids


def test_a_sweep_erases_many_subjects_in_batches_each_audited_once(
    c: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of 4 (the batch size patched down): 11 due subjects erased, 2 held ones kept and
    audited as denied, 1 whose contract has not ended left alone; one audit event per erased
    subject with its own counts; the report counts each once."""
    from privault.services import retention_erasure

    monkeypatch.setattr(retention_erasure, "ERASE_BATCH", 4)
    uids = _ended_subjects(c, 13)
    _subject(c, "still-a-customer", {"user.name": "Still"})
    for ref in ("ended-3", "ended-8"):
        add_hold(c.deps, "bluewave", STAFF, scope="subject", reference="CASE-1", subject=ref)
    _on(c, date(2026, 3, 24))
    report = _sweep(c)
    assert report["whole_subjects"] == {"contract_end": {"erased": 11, "held": 2}}
    live = {uid: _retention_subject(c, uid).live for uid in uids}
    assert [uid for uid, alive in live.items() if alive] == [uids[3], uids[8]]
    erasures = [
        d
        for a, o, d in _audit(c)
        if a == "vault:subject:erase" and d.get("reason", "").startswith("retention")
    ]
    ok = [d for d in erasures if d.get("key") == "destroyed"]
    assert len(ok) == 11
    # the name went in the sweep's rule phase (a month after the contract end): the e-mail is left
    assert [(d["fields"], d["identities"]) for d in ok] == [(0, 1)] * 11
    assert sum(1 for d in erasures if "hold" in d) == 2
    assert _fields(c, "still-a-customer") == ["user.name"]


def test_a_batch_that_fails_is_done_again_subject_by_subject(
    c: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure inside a batch rolls it back whole; its subjects are then erased one by one:
    every subject erased and audited exactly once."""
    from privault.errors import StorageError
    from privault.storage.vault_repo import SqlSubjects

    uids = _ended_subjects(c, 5)
    calls = {"n": 0}
    real = SqlSubjects.erase_many

    def failing_once(self: SqlSubjects, ids: Any, at: datetime) -> Any:
        calls["n"] += 1
        result = real(self, ids, at)  # written, then rolled back with the batch
        if calls["n"] == 1:
            raise StorageError("the database went away mid-batch")
        return result

    monkeypatch.setattr(SqlSubjects, "erase_many", failing_once)
    _on(c, date(2026, 3, 24))
    report = _sweep(c)
    assert report["whole_subjects"] == {"contract_end": {"erased": 5}}
    assert not any(_retention_subject(c, uid).live for uid in uids)
    ok = [d for a, o, d in _audit(c) if a == "vault:subject:erase" and d.get("key") == "destroyed"]
    assert len(ok) == 5


def test_erase_many_counts_each_subjects_rows_and_touches_no_one_else(c: Container) -> None:
    """The bulk crypto-shred: values and identities deleted per subject, counted per subject;
    another subject untouched."""
    _subject(c, "a", {"user.name": "A", "cc.call.transcript": "hello"})
    _subject(c, "b", {"user.name": "B"})
    _subject(c, "other", {"user.name": "O"})
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        ids = [uow.subjects.get_by_ref(ref).id for ref in ("a", "b")]  # type: ignore[union-attr]
        counts = uow.subjects.erase_many(ids, START)
        uow.commit()
    assert counts == {ids[0]: (2, 1), ids[1]: (1, 1)}
    assert _fields(c, "other") == ["user.name"]
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        assert uow.subjects.get_by_ref("a") is None
        assert uow.subjects.fields(ids) == []


def test_contract_ends_due_the_same_day_share_one_job_that_erases_them_in_batches(
    c: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seven contract ends recorded for the same deletion day queue one job; the worker runs it at
    midnight of that day and erases all seven in batches (of 3 here), counting each; a contract
    end recorded after its deletion day has passed gets a job of its own, run at once."""
    from privault.services import retention_erasure

    monkeypatch.setattr(retention_erasure, "ERASE_BATCH", 3)
    for n in range(7):
        _subject(c, f"same-{n}", {"user.name": f"Same {n}"})
    ends = [
        record_contract_end(c.deps, "bluewave", f"same-{n}", date(2026, 3, 10), STAFF)
        for n in range(7)
    ]
    assert len({end.job for end in ends}) == 1
    _on(c, date(2026, 3, 24), 0)
    Worker(c).drain()
    assert not any(_retention_subject(c, end.uid).live for end in ends)
    with c.uow() as uow:
        [job] = [j for j in uow.jobs.recent(limit=100) if j.kind == "subjects.erase_due"]
    assert job.status == "done"
    assert job.progress["outcomes"] == {"contract_end": {"erased": 7}}
    _subject(c, "late", {"user.name": "Late"})
    late = record_contract_end(c.deps, "bluewave", "late", date(2026, 3, 1), STAFF)
    assert late.job != job.id
    Worker(c).drain()
    assert not _retention_subject(c, late.uid).live


def test_past_due_erasures_recorded_apart_join_the_job_waiting_to_run(c: Container) -> None:
    """Two contract ends whose deletion day has passed, recorded a minute apart, join one waiting
    job (not one each, with keys that would grow)."""
    for ref in ("late-1", "late-2"):
        _subject(c, ref, {"user.name": ref})
    _on(c, date(2026, 4, 1))
    first = record_contract_end(c.deps, "bluewave", "late-1", date(2026, 3, 1), STAFF)
    _clock(c).at += timedelta(minutes=1)
    second = record_contract_end(c.deps, "bluewave", "late-2", date(2026, 3, 1), STAFF)
    assert first.job == second.job
    Worker(c).drain()
    assert not _retention_subject(c, first.uid).live
    assert not _retention_subject(c, second.uid).live


def test_a_subject_erased_meanwhile_is_counted_gone_not_erased_twice(
    c: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL, where two jobs may erase at once: a subject another transaction erases after
    the batch read it is left out of the batch's erasure, counted 'gone', audited once."""
    if c.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the batch's read and erasure cannot be interleaved")
    from privault.services import retention_erasure

    uids = _ended_subjects(c, 3)
    real = retention_erasure._whole

    def erased_meanwhile(*args: Any) -> Any:
        whole = real(*args)
        with c.uow() as other:
            bind_tenant(other, "bluewave")
            other.subjects.erase_many([whole[0].id], START)
            other.commit()
        return whole

    monkeypatch.setattr(retention_erasure, "_whole", erased_meanwhile)
    _on(c, date(2026, 3, 24))
    report = _sweep(c)
    assert report["whole_subjects"] == {"contract_end": {"erased": 2, "gone": 1}}
    assert not any(_retention_subject(c, uid).live for uid in uids)
    ok = [d for a, o, d in _audit(c) if a == "vault:subject:erase" and d.get("key") == "destroyed"]
    assert len(ok) == 2
