"""The typed ports store what they are given: each New… and …Change read back unchanged, on
SQLite and PostgreSQL alike."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privault.bootstrap import Container
from privault.core.cpni import CampaignStatus
from privault.core.cpni_ports import CampaignChange, CampaignRecord, NewCampaign
from privault.core.datastore_ports import ConnectionChange, NewDatastore, SealedUrl
from privault.core.job_ports import JobRecord, JobStatus, NewJob
from privault.core.ports import UnitOfWork
from privault.core.records import DatastoreKind, DatastoreRecord
from privault.core.staff_ports import NewSession, NewStaff, StaffChange
from privault.core.webhook_ports import (
    DeliveryChange,
    DeliveryRecord,
    DeliveryStatus,
    NewDelivery,
    NewWebhook,
    WebhookRecord,
)
from privault.services.tenants import bind_tenant, sync_tenants

AT = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
WORD = st.text("abcdefghijklmnopqrstuvwxyz.-_", min_size=1, max_size=20)
MOMENT = st.datetimes(  # hypothesis takes naive bounds and adds the zone
    datetime(2000, 1, 1),  # noqa: DTZ001
    datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
REFS = itertools.count()


@pytest.fixture
def ready(container: Container) -> Container:
    """The manifest's tenants exist."""
    for tenant in sync_tenants(container.deps):
        container.keyring.ensure_tenant(tenant.key)  # audited writes need the tenant's keys
    return container


@contextmanager
def _bound(container: Container) -> Iterator[UnitOfWork]:
    with container.uow() as uow:
        bind_tenant(uow, "bluewave")
        yield uow


def _hook(uow: UnitOfWork) -> int:
    return uow.webhooks.add(
        NewWebhook("https://hooks.example.com/a", ("*",), 1, b"key", b"name|secret", AT)
    )


def test_a_new_datastore_and_its_changes_read_back_unchanged(ready: Container) -> None:
    """A manual system, a connected datastore, a new connection and a test outcome."""
    url = SealedUrl(DatastoreKind.POSTGRESQL, 1, b"wrapped", b"sealed", "postgresql://u:***@db/crm")
    with _bound(ready) as uow:
        uow.datastores.add(NewDatastore("desk", "the front desk", "ann", None, None, AT))
        uow.datastores.add(NewDatastore("crm", "", None, "dataset: []", url, AT))
        uow.commit()
    with _bound(ready) as uow:
        assert uow.datastores.get("desk") == DatastoreRecord(
            "desk", DatastoreKind.MANUAL, "the front desk", "ann",
            None, None, None, None, None, None, None,
        )  # fmt: skip
        crm = uow.datastores.get("crm")
        assert crm == DatastoreRecord(
            "crm", DatastoreKind.POSTGRESQL, "", None, "dataset: []", 1, b"wrapped", b"sealed",
            "postgresql://u:***@db/crm", None, None,
        )  # fmt: skip
        uow.datastores.record_test("crm", AT, True)
        uow.commit()
    moved = SealedUrl(DatastoreKind.MYSQL, 2, b"w2", b"s2", "mysql://u:***@db2/crm")
    with _bound(ready) as uow:
        assert uow.datastores.get("crm").last_test_ok is True  # type: ignore[union-attr]
        uow.datastores.update("crm", ConnectionChange(AT, moved, "dataset: [x]"))
        uow.commit()
    with _bound(ready) as uow:
        assert uow.datastores.get("crm") == DatastoreRecord(
            "crm", DatastoreKind.MYSQL, "", None, "dataset: [x]", 2, b"w2", b"s2", "mysql://u:***@db2/crm",
            None, None,
        )  # fmt: skip


def test_a_new_webhook_reads_back_unchanged(ready: Container) -> None:
    """An endpoint's events come back as the tuple stored, the endpoint active."""
    with _bound(ready) as uow:
        new = NewWebhook("https://h.example.com", ("request.received", "request.denied"), 3,
                         b"k", b"n|s", AT)  # fmt: skip
        hook = uow.webhooks.add(new)
        uow.commit()
    with _bound(ready) as uow:
        assert uow.webhooks.endpoint(hook) == WebhookRecord(
            hook, new.url, new.events, 3, b"k", b"n|s", True
        )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(msg=WORD, event=WORD, body=TEXT, at=MOMENT)
def test_a_new_delivery_reads_back_unchanged(
    ready: Container, msg: str, event: str, body: str, at: datetime
) -> None:
    """Any queued delivery comes back pending, due when queued, with its body as given."""
    with _bound(ready) as uow:
        hook = _hook(uow)
        delivery = uow.webhooks.enqueue(NewDelivery(hook, msg, event, body, at))
        uow.commit()
    with _bound(ready) as uow:
        assert uow.webhooks.get_delivery(delivery) == DeliveryRecord(
            delivery, hook, msg, event, body, DeliveryStatus.PENDING, 0, None, at, None
        )


def test_a_delivery_change_keeps_what_it_does_not_name(ready: Container) -> None:
    """None leaves attempts and times alone; the status and error are always written."""
    with _bound(ready) as uow:
        hook = _hook(uow)
        delivery = uow.webhooks.enqueue(NewDelivery(hook, "msg_1", "request.received", "{}", AT))
        later = AT + timedelta(minutes=5)
        uow.webhooks.update_delivery(
            delivery, DeliveryChange(DeliveryStatus.PENDING, "503", 1, later)
        )
        uow.commit()
    with _bound(ready) as uow:
        found = uow.webhooks.get_delivery(delivery)
        assert found is not None
        assert (found.status, found.attempts, found.last_error) == (
            DeliveryStatus.PENDING,
            1,
            "503",
        )
        assert found.next_attempt_at == later
        uow.webhooks.update_delivery(delivery, DeliveryChange(DeliveryStatus.FAILED, "gone"))
        uow.commit()
    with _bound(ready) as uow:
        found = uow.webhooks.get_delivery(delivery)
        assert found is not None
        assert (found.status, found.attempts, found.next_attempt_at) == (
            DeliveryStatus.FAILED, 1, later,
        )  # fmt: skip


def test_a_new_login_its_changes_and_a_session_read_back_unchanged(ready: Container) -> None:
    """A login as stored; a change writes only its fields (None clears a lock-out)."""
    with _bound(ready) as uow:
        made = uow.staff.add(NewStaff("ann", "privacy-officer", "$argon2id$x", AT))
        session = uow.staff.add_session(NewSession(made.id, "h" * 64, "c" * 43, AT, AT))
        uow.commit()
    assert (made.username, made.role, made.password_hash) == (
        "ann",
        "privacy-officer",
        "$argon2id$x",
    )
    assert (made.failed_attempts, made.locked_until, made.disabled) == (0, None, False)
    assert (made.created_at, made.updated_at, made.last_login_at) == (AT, AT, None)
    later = AT + timedelta(minutes=15)
    with _bound(ready) as uow:
        uow.staff.update(made.id, StaffChange(failed_attempts=5, locked_until=later))
        uow.commit()
    with _bound(ready) as uow:
        locked = uow.staff.get("ann")
        assert locked is not None
        assert (locked.failed_attempts, locked.locked_until, locked.updated_at) == (5, later, AT)
        uow.staff.update(made.id, StaffChange(locked_until=None, updated_at=later))
        uow.commit()
    with _bound(ready) as uow:
        found = uow.staff.get("ann")
        opened = uow.staff.session_by_token("h" * 64)
    assert found is not None
    assert (found.failed_attempts, found.locked_until, found.updated_at) == (5, None, later)
    assert opened is not None
    assert (opened.id, opened.staff_id, opened.csrf_token) == (session, made.id, "c" * 43)
    assert (opened.created_at, opened.last_seen_at, opened.expires_at) == (AT, AT, AT)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=TEXT,
    cpni=st.lists(WORD, min_size=1, max_size=4).map(tuple),
    at=MOMENT,
    keep=st.dates(date(2000, 1, 1), date(2100, 1, 1)),
)
def test_a_new_campaign_reads_back_unchanged(
    ready: Container, text: str, cpni: tuple[str, ...], at: datetime, keep: date
) -> None:
    """Any logged campaign comes back as given, proposed and not yet reviewed."""
    new = NewCampaign(f"c-{next(REFS)}", text, cpni, text, "marketing", "user:ann", at, keep)
    with _bound(ready) as uow:
        made = uow.cpni.add_campaign(new)
        uow.commit()
    with _bound(ready) as uow:
        assert uow.cpni.campaign(new.ref) == made == CampaignRecord(
            made.id, new.ref, text, cpni, text, "marketing", CampaignStatus.PROPOSED, "user:ann",
            None, "", None, None, at, keep,
        )  # fmt: skip


def test_a_campaign_change_writes_the_review_then_the_launch(ready: Container) -> None:
    """A review sets status, reviewer, note and time; a launch only status and launch time."""
    new = NewCampaign(
        "spring", "d", ("cc.telecom",), "p", "marketing", "user:ann", AT, date(2028, 1, 1)
    )
    later = AT + timedelta(days=1)
    with _bound(ready) as uow:
        made = uow.cpni.add_campaign(new)
        review = CampaignChange(CampaignStatus.APPROVED, "user:bob", "fine", decided_at=AT)
        uow.cpni.update_campaign(made.id, review)
        uow.commit()
    with _bound(ready) as uow:
        uow.cpni.update_campaign(
            made.id, CampaignChange(CampaignStatus.LAUNCHED, launched_at=later)
        )
        uow.commit()
    with _bound(ready) as uow:
        found = uow.cpni.campaign("spring")
    assert found is not None
    assert (found.status, found.reviewer, found.review_note) == ("launched", "user:bob", "fine")
    assert (found.decided_at, found.launched_at) == (AT, later)


def test_a_new_job_reads_back_unchanged(ready: Container) -> None:
    """A queued job comes back as given: queued, untried, its payload decoded."""
    payload = {"subject": "s-1", "reason": "minor", "batch": [1, 2], "deep": {"ok": True}}
    new = NewJob("subject.erase", "bluewave", payload, AT, dedupe_key="k:1", max_attempts=3)
    with ready.uow() as uow:
        job = uow.jobs.enqueue(new, AT - timedelta(hours=1))
        uow.commit()
    assert job is not None
    with ready.uow() as uow:
        assert uow.jobs.get(job) == JobRecord(
            id=job,
            kind="subject.erase",
            tenant_key="bluewave",
            payload=payload,
            progress={},
            status=JobStatus.QUEUED,
            run_at=AT,
            attempts=0,
            max_attempts=3,
            locked_by=None,
            locked_until=None,
            last_error=None,
            dedupe_key="k:1",
            created_at=AT - timedelta(hours=1),
            finished_at=None,
        )
