"""The FCC's CPNI rules of a US carrier on SQLite and PostgreSQL (FCC-NOT-1, FCC-SAFE-1, FCC-AUTH-1,
FCC-AUTH-2): notices and their schedule, the campaign log, the certificate, the call-detail gate and
the alerts on account changes. Bluewave (US, processing CPNI) is a carrier; Harbour (no purpose of
its uses CPNI) is not."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.cpni import CampaignDraft, Delivery
from privault.core.secrets import Secret
from privault.errors import Conflict, InvalidInput
from privault.services import cpni, cpni_campaigns
from privault.services.consent import Holder, history
from privault.services.cpni_campaigns import Officer
from privault.services.fulfilment import fulfil
from privault.services.requests import open_request, verify_codes
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import update_subject
from privault.services.vault_import import create_subject
from privault.storage import tables as t

PIN = "cc.account.security_pin"
CALLS = "cc.telecom.call_detail"
ADDRESS = "user.contact.address"
PHONE = "+1 415 555 0100"


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied."""
    apply_manifest(container.deps)
    return container


def _officer(c: Container, tenant: str) -> Principal:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    return Principal(tenant_id, tenant, "privacy-officer", "cli", "test")


def _customer(
    c: Container, ref: str, tenant: str = "bluewave", phone: bool = True, **data: str
) -> Principal:
    """A customer with an e-mail address and a phone number, billed at an address."""
    officer = _officer(c, tenant)
    identities = {"email": f"{ref}@example.com"} | ({"phone": PHONE} if phone else {})
    raw = {
        "subject": ref,
        "identities": identities,
        "data": {"user.name": "Ada Lovelace", ADDRESS: "12 Elm Street", **data},
        "source": "direct",
        "purpose": "billing" if tenant == "bluewave" else "fraud-prevention",
    }
    create_subject(c.deps, officer, raw)
    return officer


def _set(c: Container, who: Principal, ref: str, purpose: str, **values: Any) -> None:
    raw = {"data": values.pop("data", {}), "identities": values.pop("identities", {})}
    raw |= {"source": "direct", "purpose": purpose}
    update_subject(c.deps, who, ref, raw)


def _outbox(c: Container) -> list[dict[str, Any]]:
    path = c.settings.outbox_path / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _actions(c: Container, tenant: str, action: str) -> list[tuple[str, dict[str, Any]]]:
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        rows = uow.session.execute(
            select(t.AuditEvent.outcome, t.AuditEvent.details)
            .where(t.AuditEvent.action == action)
            .order_by(t.AuditEvent.id)
        )
        return [(o, json.loads(d) if isinstance(d, str) else d) for o, d in rows]


# --- notices (FCC-NOT-1) -------------------------------------------------------------------------


def test_a_mailed_notice_starts_its_30_day_wait_on_the_third_day_after_mailing(
    c: Container,
) -> None:
    """Mailed on 2 March: the wait starts 5 March, approval from 4 April; renewal by 2 March 2028;
    the notice is a CPNI event of the ledger (kept: the ledger is append-only)."""
    _customer(c, "cust-1")
    sent = cpni.record_notice(c.deps, "bluewave", "staff:a", "cust-1", Delivery.MAIL)
    assert (sent.sent_on, sent.wait_starts) == (date(2026, 3, 2), date(2026, 3, 5))
    assert sent.approval_from == date(2026, 4, 4)
    assert sent.renew_by == date(2028, 3, 1)
    events = history(c.deps, "bluewave", Holder(subject="cust-1"))
    assert [(e.kind, e.method, e.channel) for e in events] == [("cpni", "notice_mail", "post")]


def test_an_electronic_notice_starts_its_wait_the_day_it_is_sent(c: Container) -> None:
    """Sent by e-mail on 2 March: approval from 1 April (30 days)."""
    _customer(c, "cust-1")
    sent = cpni.record_notice(c.deps, "bluewave", "staff:a", "cust-1", Delivery.ELECTRONIC)
    assert (sent.wait_starts, sent.approval_from) == (date(2026, 3, 2), date(2026, 4, 1))


def test_a_customer_who_opted_out_is_sent_no_notice_that_assumes_approval(c: Container) -> None:
    """An opt-out stands: recording a notice for that customer is refused, and the schedule skips it."""
    from privault.core.consent import Choice, Kind, Method, Via
    from privault.services.consent import Evidence, record_choices

    _customer(c, "cust-1")
    record_choices(
        c.deps,
        "bluewave",
        "staff:a",
        Holder(subject="cust-1"),
        [Choice(Kind.CPNI, "*", False)],
        Evidence(Method.FORM, Via.WEB),
        c.clock.now(),
    )
    with pytest.raises(Conflict) as refused:
        cpni.record_notice(c.deps, "bluewave", "a", "cust-1", Delivery.MAIL)
    assert refused.value.code == "cpni.opted_out"
    assert cpni.notices_due(c.deps, "bluewave") == []


def test_the_schedule_lists_first_notices_and_renewals_before_two_years(c: Container) -> None:
    """A customer never notified is due now; one notified 680 days ago is due its renewal on the
    second anniversary (listed 60 days ahead); one notified 600 days ago is not yet listed."""
    clock = c.clock
    assert isinstance(clock, FixedClock)
    start = clock.at
    for ref in ("old", "recent", "never"):
        _customer(c, ref)
    cpni.record_notice(c.deps, "bluewave", "a", "old", Delivery.ELECTRONIC)
    clock.at = start + timedelta(days=80)
    cpni.record_notice(c.deps, "bluewave", "a", "recent", Delivery.ELECTRONIC)
    clock.at = start + timedelta(days=680)
    due = cpni.notices_due(c.deps, "bluewave")
    assert [(d.ref, d.reason, d.due_on) for d in due] == [
        ("old", "renewal", start.date() + timedelta(days=730)),
        ("never", "first", clock.at.date()),
    ]


def test_cpni_use_cases_are_refused_for_a_tenant_the_rules_do_not_reach(c: Container) -> None:
    """Harbour is no US carrier: no notice, no campaign (cpni.not_carrier)."""
    _customer(c, "h-1", tenant="harbour")
    with pytest.raises(Conflict) as refused:
        cpni.record_notice(c.deps, "harbour", "a", "h-1", Delivery.MAIL)
    assert refused.value.code == "cpni.not_carrier"
    with pytest.raises(Conflict) as refused:
        cpni_campaigns.log_campaign(c.deps, "harbour", "a", _draft())
    assert refused.value.code == "cpni.not_carrier"


# --- campaigns and the certificate (FCC-SAFE-1) ----------------------------------------------------


def _draft(ref: str = "spring-upgrade") -> CampaignDraft:
    return CampaignDraft(
        ref, "Handset upgrade offer", ("cc.telecom.cpni",), "5G handsets", "cpni-marketing"
    )


def test_a_campaign_uses_cpni_only_after_a_supervisor_other_than_its_requester_approves(
    c: Container,
) -> None:
    """Logged (kept a year), launch refused while proposed, self-review refused, approved by a
    supervisor, then launched; each step audited."""
    made = cpni_campaigns.log_campaign(c.deps, "bluewave", "staff:sales", _draft())
    assert (made.status, made.retain_until) == ("proposed", date(2027, 3, 2))
    for attempt, code in (
        (
            lambda: cpni_campaigns.launch_campaign(
                c.deps, "bluewave", "staff:sales", "spring-upgrade"
            ),
            "cpni.campaign_unapproved",
        ),
        (
            lambda: cpni_campaigns.review_campaign(
                c.deps, "bluewave", "staff:sales", "spring-upgrade", approve=True
            ),
            "cpni.campaign_review",
        ),
    ):
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.code == code
    cpni_campaigns.review_campaign(c.deps, "bluewave", "staff:boss", "spring-upgrade", approve=True)
    done = cpni_campaigns.launch_campaign(c.deps, "bluewave", "staff:sales", "spring-upgrade")
    assert (done.status, done.reviewer) == ("launched", "staff:boss")
    changes = [d["change"] for _, d in _actions(c, "bluewave", "cpni:campaign")]
    assert changes == ["logged", "approved", "launched"]


def test_a_campaign_names_the_cpni_it_uses_and_what_it_offers(c: Container) -> None:
    """A campaign without CPNI categories or products is refused and nothing is logged."""
    bad = CampaignDraft("x", "Offer", ("user.name",), "", "cpni-marketing")
    with pytest.raises(InvalidInput):
        cpni_campaigns.log_campaign(c.deps, "bluewave", "staff:a", bad)
    assert cpni_campaigns.list_campaigns(c.deps, "bluewave", 2026) == []


def test_the_certificate_for_a_year_is_due_by_1_march_of_the_next(c: Container) -> None:
    """Drafted on 2 March 2026 for 2025: due 1 March 2026, so late; this year is refused."""
    officer = Officer("Grace Hopper", "Chief Compliance Officer", "none", "none received")
    made = cpni_campaigns.certificate(c.deps, "bluewave", "staff:a", 2025, officer)
    assert (made.due_on, made.late) == (date(2026, 3, 1), True)
    assert "Grace Hopper, Chief Compliance Officer" in made.text
    assert "personal knowledge" in made.text
    with pytest.raises(InvalidInput):
        cpni_campaigns.certificate(c.deps, "bluewave", "a", 2026, officer)
    assert [d["year"] for _, d in _actions(c, "bluewave", "cpni:certificate")] == [2025]


# --- the call-detail gate (FCC-AUTH-1) ----------------------------------------------------------


def _caller(c: Container) -> Principal:
    officer = _customer(c, "caller", **{CALLS: "2026-02-28 +14155550199 12m"})
    _set(c, officer, "caller", "fraud-prevention", data={PIN: "harbour-kite-42"})
    return officer


@pytest.mark.parametrize(
    ("given", "outcome"),
    [(None, "not_given"), ("wrong-kite-99", "failed"), ("harbour-kite-42", "passed")],
)
def test_call_detail_is_shown_on_an_inbound_call_only_after_the_password(
    c: Container, given: str | None, outcome: str
) -> None:
    """Without the right password call detail is withheld (rule FCC-AUTH-1) and the address and
    number of record are offered instead; the check is audited, never the password."""
    officer = _caller(c)
    password = Secret(given) if given else None
    seen = cpni.inbound_call(c.deps, officer, "caller", "billing", password)
    assert seen.password == outcome
    if outcome == "passed":
        assert CALLS in seen.view.data
        assert seen.masked == []
    else:
        assert CALLS not in seen.view.data
        assert seen.masked == [CALLS]
        assert any(w.rule.startswith("FCC-AUTH-1") for w in seen.view.withheld)
        assert seen.alternatives == [
            "send to the address of record",
            "call back at the telephone number of record",
        ]
    audited = _actions(c, "bluewave", "cpni:call_detail")
    assert audited == [("ok" if outcome == "passed" else "denied", {"password": outcome})]


# --- account-change alerts (FCC-AUTH-2) ---------------------------------------------------------


def test_a_changed_address_is_told_to_the_existing_contact_without_the_new_address(
    c: Container,
) -> None:
    """A text to the number of record held before the change, naming the kind of change only."""
    officer = _customer(c, "cust-1")
    _set(c, officer, "cust-1", "billing", data={ADDRESS: "99 New Road"})
    [sent] = _outbox(c)
    assert (sent["channel"], sent["to"]) == ("sms", "+14155550100")
    assert sent["kind"] == "cpni_account_change"
    assert "address of record" in sent["body"]
    assert "99 New Road" not in sent["body"]
    assert _actions(c, "bluewave", "cpni:alert") == [
        ("ok", {"changed": ["address of record"], "channel": "sms"})
    ]


def test_a_new_contact_is_never_the_one_told(c: Container) -> None:
    """A new phone number: the e-mail held is told (the customer had no number before); a new
    e-mail address then: the number now on record is told, never the new address."""
    officer = _customer(c, "cust-1", phone=False)
    _set(c, officer, "cust-1", "billing", identities={"phone": "+1 415 555 0177"})
    _set(c, officer, "cust-1", "billing", identities={"email": "new@example.com"})
    assert [m["to"] for m in _outbox(c)] == ["cust-1@example.com", "+14155550177"]


def test_a_password_built_from_biographical_data_is_refused_and_nothing_changes(
    c: Container,
) -> None:
    """A PIN holding the customer's phone number's last four is refused; no value, no alert."""
    officer = _customer(c, "cust-1")
    with pytest.raises(InvalidInput) as refused:
        _set(c, officer, "cust-1", "fraud-prevention", data={PIN: "zebra0100"})
    assert refused.value.code == "cpni.password"
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        held = uow.session.scalars(select(t.PersonalData.category)).all()
    assert PIN not in held
    assert _outbox(c) == []


def test_a_tenant_not_under_the_cpni_rules_sends_no_alert(c: Container) -> None:
    """Harbour's address change is written without a CPNI alert."""
    officer = _customer(c, "h-1", tenant="harbour")
    _set(c, officer, "h-1", "fraud-prevention", data={ADDRESS: "1 Other Street"})
    assert _outbox(c) == []
    assert _actions(c, "harbour", "cpni:alert") == []


def test_a_rectified_address_is_told_to_the_existing_contact_after_the_request_closes(
    c: Container,
) -> None:
    """A verified rectification request correcting the address alerts the number of record."""
    _customer(c, "cust-1")
    body = {
        "type": "rectification",
        "identities": {"email": ["cust-1@example.com"]},
        "jurisdiction": "us-ca",
        "corrections": {ADDRESS: "7 Harbour Lane"},
    }
    opened = open_request(c.deps, "bluewave", body)
    codes = [re.search(r"\b(\d{6})\b", m["body"]) for m in _outbox(c)]
    verify_codes(c.deps, "bluewave", opened.ref, [m.group(1) for m in codes if m])
    fulfil(c.deps, "bluewave", opened.ref, "staff:a")
    [alert] = [m for m in _outbox(c) if m["kind"] == "cpni_account_change"]
    assert alert["to"] == "+14155550100"
    assert "address of record" in alert["body"]
    assert "7 Harbour Lane" not in alert["body"]
    assert [o for o, _ in _actions(c, "bluewave", "cpni:alert")] == ["ok"]
