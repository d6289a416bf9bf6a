"""The vault on SQLite and PostgreSQL: encryption in place, least privilege, erasure, rotation."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.crypto.envelope import DecryptionFailed
from privault.errors import Forbidden, InvalidInput, NotFound, PolicyViolation
from privault.services.keys import rotate_keys
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import erase_subject, find_subjects, show_subject, update_subject
from privault.services.vault_import import create_subject, import_subjects
from privault.storage import tables as t
from tests.fixtures.grants import grant_full_values

CROSS = {"privault_cross_tenant": True}


def record(ref: str, email: str, **data: Any) -> dict[str, Any]:
    """A billing record for the telecom tenant."""
    values = {
        "user.name": f"Name of {ref}",
        "user.contact.address": f"{ref} Main Street",
        "cc.account.number": f"ACC-{ref}",
        "cc.payment.card": "4111 1111 1111 1111",
        **data,
    }
    return {
        "subject": ref,
        "identities": {"email": email, "phone": "+1 415 555 0101"},
        "data": values,
        "source": "direct",
        "purpose": "billing",
    }


@pytest.fixture
def vault_ready(container: Container) -> Container:
    """The manifest applied: tenants, keys, notices."""
    apply_manifest(container.deps)
    return container


def principal(container: Container, role: str, tenant: str = "bluewave") -> Principal:
    """A principal of ``role`` in ``tenant``."""
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    return Principal(tenant_id, tenant, role, "api_key", f"test-{role}")


@pytest.fixture
def officer(vault_ready: Container) -> Principal:
    """The privacy officer of the telecom tenant."""
    return principal(vault_ready, "privacy-officer")


def _import(container: Container, who: Principal, *records: dict[str, Any]) -> None:
    report = import_subjects(container.deps, who, enumerate(records, start=1))
    assert report.errors == []


def _reads(container: Container, who: Principal) -> int:
    with container.uow() as uow:
        uow.bind_tenant(who.tenant_id)
        stmt = (
            select(func.count())
            .select_from(t.AuditEvent)
            .where(t.AuditEvent.action == "vault:subject:read")
        )
        return int(uow.session.scalar(stmt) or 0)


def test_find_by_email_opens_every_value(vault_ready: Container, officer: Principal) -> None:
    """Lookup by a differently written email finds the subject and decrypts what the role may read."""
    _import(vault_ready, officer, record("c1", "Ana@Example.com"))
    [view] = find_subjects(vault_ready.deps, officer, "email", ["  ana@example.COM "], "billing")
    assert view.ref == "c1"
    assert view.data["user.name"].value.reveal() == "Name of c1"
    assert view.data["cc.payment.card"].value.reveal() == "****1111"  # no full_values grant
    assert view.data["cc.payment.card"].last_four
    assert view.data["user.name"].source == "direct"
    assert view.identities["email"][0].reveal() == "Ana@Example.com"
    assert "Ana" not in repr(view)


def test_phone_lookup_normalises_to_e164(vault_ready: Container, officer: Principal) -> None:
    """(415) 555-0101 in the tenant's region finds +1 415 555 0101."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    views = find_subjects(vault_ready.deps, officer, "phone", ["(415) 555-0101"], "billing")
    assert [v.ref for v in views] == ["c1"]


def test_every_read_writes_exactly_one_audit_event(
    vault_ready: Container, officer: Principal
) -> None:
    """One audit event per subject read, no values in it."""
    _import(vault_ready, officer, record("c1", "a@example.com"), record("c2", "b@example.com"))
    before = _reads(vault_ready, officer)
    show_subject(vault_ready.deps, officer, "c1", "billing")
    assert _reads(vault_ready, officer) == before + 1
    with vault_ready.uow() as uow:
        uow.bind_tenant(officer.tenant_id)
        details = uow.session.scalars(select(t.AuditEvent.details)).all()
    assert not any("Main Street" in d or "4111" in d or "example.com" in d for d in details)


def test_billing_staff_read_billing_fields_and_nothing_else(
    vault_ready: Container, officer: Principal
) -> None:
    """The billing role sees account and card; name, address and identities are withheld with the rule."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    billing = principal(vault_ready, "billing-agent")
    view = show_subject(vault_ready.deps, billing, "c1", "billing")
    assert set(view.data) == {"cc.account.number", "cc.payment.card"}
    withheld = {w.field: w.rule for w in view.withheld}
    assert set(withheld) == {
        "user.name",
        "user.contact.address",
        "identity:email",
        "identity:phone",
    }
    assert all(rule.startswith("deny") for rule in withheld.values())
    assert view.identities == {}


def test_a_role_without_a_grant_is_denied_and_audited(
    vault_ready: Container, officer: Principal
) -> None:
    """No grant for the purpose: Forbidden naming the rule, and the denial is in the audit trail."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    agent = principal(vault_ready, "agent")
    before = _reads(vault_ready, agent)
    with pytest.raises(Forbidden) as caught:
        show_subject(vault_ready.deps, agent, "c1", "billing")
    assert "role 'agent' has no grant" in caught.value.message
    assert "Name of" not in caught.value.message
    assert _reads(vault_ready, agent) == before + 1


def test_payment_data_needs_an_explicit_grant(vault_ready: Container, officer: Principal) -> None:
    """A broad grant on 'user' does not reach payment data: its rule says so."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    view = show_subject(vault_ready.deps, officer, "c1", "customer-service")
    assert "cc.payment.card" in view.data  # the officer's grant names cc.payment.card explicitly
    auditor = principal(vault_ready, "auditor")
    view = show_subject(vault_ready.deps, auditor, "c1", "legal-records")
    rules = {w.field: w.rule for w in view.withheld}
    assert rules["cc.payment.card"].startswith("deny: payment data needs an explicit grant")


def _events(container: Container, who: Principal, action: str) -> list[tuple[str, str]]:
    """(purpose, details) of the tenant's audit events of one action, in order."""
    with container.uow() as uow:
        uow.bind_tenant(who.tenant_id)
        stmt = (
            select(t.AuditEvent.purpose, t.AuditEvent.details)
            .where(t.AuditEvent.action == action)
            .order_by(t.AuditEvent.id)
        )
        return [(str(p), str(d)) for p, d in uow.session.execute(stmt)]


def test_a_card_and_a_government_id_are_read_as_their_last_four(
    vault_ready: Container, officer: Principal
) -> None:
    """Without a full_values grant a read shows ****1111 and ****6789; other values are whole."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    national_id = "user.government_id.national_identification_number"
    update_subject(
        vault_ready.deps, officer, "c1",
        {"data": {national_id: "123-45-6789"}, "source": "direct", "purpose": "fraud-prevention"},
    )  # fmt: skip
    billing = show_subject(vault_ready.deps, officer, "c1", "billing")
    fraud = show_subject(vault_ready.deps, officer, "c1", "fraud-prevention")
    assert billing.data["cc.payment.card"].value.reveal() == "****1111"
    assert fraud.data[national_id].value.reveal() == "****6789"
    assert fraud.data[national_id].last_four
    assert billing.data["cc.account.number"].value.reveal() == "ACC-c1"
    assert not billing.data["cc.account.number"].last_four
    assert billing.full == {}
    assert _events(vault_ready, officer, "vault:field:read") == []


def test_a_role_granted_full_values_reads_the_whole_card_and_the_read_is_audited(
    vault_ready: Container, officer: Principal
) -> None:
    """billing-agent with full_values: [cc.payment.card] sees the card whole, bank accounts still by
    their last four, and a vault:field:read names the field and the grant (never the value)."""
    grant_full_values(vault_ready, "[cc.payment.card]")
    iban = "GB33 BUKB 2020 1555 5555 55"
    _import(
        vault_ready, officer, record("c1", "a@example.com", **{"cc.payment.bank_account": iban})
    )
    billing = principal(vault_ready, "billing-agent")
    view = show_subject(vault_ready.deps, billing, "c1", "billing")
    assert view.data["cc.payment.card"].value.reveal() == "4111 1111 1111 1111"
    assert not view.data["cc.payment.card"].last_four
    assert view.data["cc.payment.bank_account"].value.reveal() == "****5555"
    assert view.full == {"cc.payment.card": "allow: roles.billing-agent.grants[0].full_values"}
    [(purpose, details)] = _events(vault_ready, billing, "vault:field:read")
    assert purpose == "billing"
    assert json.loads(details) == {
        "fields": ["cc.payment.card"],
        "grants": ["roles.billing-agent.grants[0].full_values"],
    }
    assert "4111" not in details
    again = show_subject(vault_ready.deps, officer, "c1", "billing")
    assert again.data["cc.payment.card"].value.reveal() == "****1111"  # the officer is not granted
    assert len(_events(vault_ready, officer, "vault:field:read")) == 1


def test_unknown_purposes_and_categories_are_refused(
    vault_ready: Container, officer: Principal
) -> None:
    """Reads need a declared purpose; writes need a known category the purpose collects."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    with pytest.raises(NotFound):
        show_subject(vault_ready.deps, officer, "c1", "curiosity")
    with pytest.raises(PolicyViolation):
        create_subject(
            vault_ready.deps,
            officer,
            record("c9", "z@example.com", **{"user.behavior": "x"}),
        )


def test_a_bad_line_is_reported_and_the_rest_imports(
    vault_ready: Container, officer: Principal
) -> None:
    """Line 2 fails validation; lines 1 and 3 import; nothing of line 2 is written."""
    bad = record("c2", "not-an-email")
    lines = [
        (1, record("c1", "a@example.com")),
        (2, bad),
        (3, record("c3", "c@example.com")),
        (4, "not json"),
    ]
    report = import_subjects(vault_ready.deps, officer, lines)
    assert report.imported == 2
    assert [n for n, _ in report.errors] == [2, 4]
    assert "not-an-email" not in report.errors[0][1]
    with vault_ready.uow() as uow:
        uow.bind_tenant(officer.tenant_id)
        refs = set(uow.session.scalars(select(t.Subject.ref)))
    assert refs == {"c1", "c3"}


def test_a_duplicate_subject_is_refused_not_overwritten(
    vault_ready: Container, officer: Principal
) -> None:
    """Importing an existing reference again is an error for that line."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    report = import_subjects(vault_ready.deps, officer, [(7, record("c1", "x@example.com"))])
    assert report.errors == [(7, "subject 'c1' already exists")]


def _copy_ciphertext(
    container: Container, who: Principal, from_ref: str, to_ref: str, field: str, to_field: str
) -> None:
    with container.uow() as uow:
        uow.bind_tenant(who.tenant_id)
        ids = dict(uow.session.execute(select(t.Subject.ref, t.Subject.id)).all())
        blob = uow.session.scalar(
            select(t.PersonalData.ciphertext).where(
                t.PersonalData.subject_id == ids[from_ref], t.PersonalData.field == field
            )
        )
        uow.session.execute(
            update(t.PersonalData)
            .where(t.PersonalData.subject_id == ids[to_ref], t.PersonalData.field == to_field)
            .values(ciphertext=blob)
        )
        uow.commit()


def test_a_ciphertext_copied_to_another_subject_does_not_open(
    vault_ready: Container, officer: Principal
) -> None:
    """The associated data binds the subject: a moved value fails to open."""
    _import(vault_ready, officer, record("c1", "a@example.com"), record("c2", "b@example.com"))
    _copy_ciphertext(vault_ready, officer, "c1", "c2", "user.name", "user.name")
    with pytest.raises(DecryptionFailed):
        show_subject(vault_ready.deps, officer, "c2", "billing")


def test_a_ciphertext_copied_to_another_field_does_not_open(
    vault_ready: Container, officer: Principal
) -> None:
    """The associated data binds the field too."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    _copy_ciphertext(vault_ready, officer, "c1", "c1", "user.name", "user.contact.address")
    with pytest.raises(DecryptionFailed):
        show_subject(vault_ready.deps, officer, "c1", "billing")


def test_a_staff_erasure_of_data_the_law_keeps_is_refused(
    vault_ready: Container, officer: Principal
) -> None:
    """A billing subject's bills are kept 7 years for tax law: shredding them is refused, naming the
    rule and its law, and nothing is erased."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    with pytest.raises(PolicyViolation) as refused:
        erase_subject(vault_ready.deps, officer, "c1", "privacy-requests", "request:1")
    assert refused.value.code == "retention.kept_by_law"
    assert "billing-records" in str(refused.value)
    assert "Income Tax Act" in str(refused.value)
    shown = show_subject(vault_ready.deps, officer, "c1", "billing")
    assert "user.name" in shown.data


def test_erasure_destroys_the_data_key(vault_ready: Container, officer: Principal) -> None:
    """After erasure the wrapped key and values are gone, and saved ciphertexts cannot be opened."""
    service = {"user.name": "Ana", "cc.account.number": "ACC-1"}
    _import(
        vault_ready,
        officer,
        {**record("c1", "a@example.com"), "data": service, "purpose": "customer-service"},
    )
    with vault_ready.uow() as uow:
        uow.bind_tenant(officer.tenant_id)
        subject = uow.subjects.get_by_ref("c1")
        assert subject is not None
        saved = uow.subjects.fields([subject.id])
    erased = erase_subject(vault_ready.deps, officer, "c1", "privacy-requests", "request:1")
    assert erased.fields == 2
    assert erased.identities == 2
    with vault_ready.uow() as uow:
        uow.bind_tenant(officer.tenant_id)
        [tomb] = uow.subjects.get_many([subject.id])
        assert tomb.wrapped_key is None
        assert tomb.erased_at is not None
        assert uow.subjects.fields([subject.id]) == []
    # A backup holds the old ciphertexts and the old wrapped key record; without the key they are noise.
    assert subject.wrapped_key is not None
    assert saved
    with pytest.raises(NotFound):
        show_subject(vault_ready.deps, officer, "c1", "billing")
    assert find_subjects(vault_ready.deps, officer, "email", ["a@example.com"], "billing") == []


def test_erasure_needs_an_erase_grant(vault_ready: Container, officer: Principal) -> None:
    """The billing role cannot erase."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    with pytest.raises(Forbidden):
        erase_subject(vault_ready.deps, principal(vault_ready, "billing-agent"), "c1", "billing")
    with pytest.raises(InvalidInput):
        erase_subject(vault_ready.deps, officer, "c1", "privacy-requests", "the customer Ana asked")


def test_update_replaces_a_value_and_derives_minority(
    vault_ready: Container, officer: Principal
) -> None:
    """A new value replaces the old; a date of birth under 18 marks the subject a minor."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    body = {"data": {"user.name": "Ana B"}, "source": "agent-call", "purpose": "billing"}
    update_subject(vault_ready.deps, officer, "c1", body)
    view = show_subject(vault_ready.deps, officer, "c1", "billing")
    assert view.data["user.name"].value.reveal() == "Ana B"
    assert view.data["user.name"].source == "agent-call"
    assert not view.is_minor


def test_tenants_do_not_see_each_others_subjects(
    vault_ready: Container, officer: Principal
) -> None:
    """The same email in another tenant finds nothing there (different keys, different rows)."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    other = principal(vault_ready, "privacy-officer", tenant="northwind")
    assert (
        find_subjects(vault_ready.deps, other, "email", ["a@example.com"], "customer-service") == []
    )


def test_the_operation_fails_if_its_audit_event_cannot_be_written(
    vault_ready: Container, officer: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail closed: when appending the audit event fails, the write is rolled back."""
    from privault.storage.audit_repo import SqlAudit

    def broken(self: SqlAudit, events: object) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(SqlAudit, "append", broken)
    with pytest.raises(RuntimeError):
        create_subject(vault_ready.deps, officer, record("c1", "a@example.com"))
    monkeypatch.undo()
    with vault_ready.uow() as uow:
        uow.bind_tenant(officer.tenant_id)
        assert uow.subjects.existing_refs(["c1"]) == set()


def test_rotation_under_concurrent_reads_loses_nothing(
    vault_ready: Container, officer: Principal
) -> None:
    """Readers keep reading while every subject key is re-wrapped; every value still opens."""
    records = [record(f"c{i}", f"u{i}@example.com") for i in range(60)]
    _import(vault_ready, officer, *records)
    failures: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                views = find_subjects(
                    vault_ready.deps,
                    officer,
                    "email",
                    [f"u{i}@example.com" for i in range(0, 60, 7)],
                    "billing",
                )
                assert len(views) == 9
                assert all(v.data["user.name"].value.reveal().startswith("Name of") for v in views)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    rotation = rotate_keys(vault_ready.deps, "bluewave", "test", batch=7)
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []
    assert rotation.rewrapped == 60
    assert rotation.remaining == {rotation.version: 60}
    views = find_subjects(
        vault_ready.deps,
        officer,
        "email",
        [f"u{i}@example.com" for i in range(60)],
        "billing",
    )
    assert sorted(v.data["cc.account.number"].value.reveal() for v in views) == sorted(
        f"ACC-c{i}" for i in range(60)
    )


@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_raw_sql_sees_only_ciphertext(vault_ready: Container, officer: Principal) -> None:
    """What is stored is not the value."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    with vault_ready.engine.connect() as connection:
        blobs = [
            bytes(row[0])
            for row in connection.execute(text("SELECT ciphertext FROM personal_data"))
        ]
        indexes = [row[0] for row in connection.execute(text("SELECT blind_index FROM identities"))]
    assert blobs
    assert not any(b"Main Street" in b or b"4111" in b for b in blobs)
    assert not any("example.com" in i for i in indexes)


def test_a_date_of_birth_under_the_minor_age_marks_a_minor(
    vault_ready: Container, officer: Principal
) -> None:
    """The policy's minor age (18) decides; the day of the 18th birthday ends minority."""
    _import(vault_ready, officer, record("c1", "a@example.com"), record("c2", "b@example.com"))
    today = vault_ready.clock.now().date()
    young = {
        "data": {"user.demographic.date_of_birth": today.replace(year=today.year - 13).isoformat()},
        "source": "credit-agency",
        "purpose": "fraud-prevention",
    }
    adult = {
        "data": {"user.demographic.date_of_birth": today.replace(year=today.year - 18).isoformat()},
        "source": "credit-agency",
        "purpose": "fraud-prevention",
    }
    update_subject(vault_ready.deps, officer, "c1", young)
    update_subject(vault_ready.deps, officer, "c2", adult)
    with vault_ready.uow() as uow:  # the minor is suppressed at once, so look at the stored fact
        uow.bind_tenant(officer.tenant_id)
        minor, grown = uow.subjects.get_by_ref("c1"), uow.subjects.get_by_ref("c2")
    assert minor is not None
    assert grown is not None
    assert minor.adult_on is not None
    assert minor.adult_on > today
    assert grown.adult_on == today
    assert not show_subject(vault_ready.deps, officer, "c2", "fraud-prevention").is_minor
    bad = {**young, "data": {"user.demographic.date_of_birth": "13/05/2012"}}
    with pytest.raises(InvalidInput):
        update_subject(vault_ready.deps, officer, "c1", bad)


def test_a_lookup_for_a_consent_based_purpose_reads_and_audits(
    vault_ready: Container, officer: Principal
) -> None:
    """A lookup for a purpose that rests on consent reads the re-consent mark in its read-only
    stretch and still stores its audit event: nothing is shown without consent, and the read is
    recorded."""
    _import(vault_ready, officer, record("c1", "a@example.com"))
    before = _reads(vault_ready, officer)
    with pytest.raises(Forbidden):
        find_subjects(vault_ready.deps, officer, "email", ["a@example.com"], "marketing-sms")
    assert _reads(vault_ready, officer) == before + 1
