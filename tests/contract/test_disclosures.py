"""Disclosures to recipients and partner offers on SQLite and PostgreSQL (issue #6, items 4 and 5):
the register, VEND-1 / CCPA-SP-1 contract terms, minimisation, each subject's decision, the role's
grants, LAW-DISC-1 legal fields and withheld notices, the access report, offers with counts only.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.disclosures import (
    LegalFields,
    allowed_categories,
    check_legal,
    choose_transform,
    count_cell,
)
from privault.core.manifest.model import ContractTerms, Purpose, Recipient, RecipientType
from privault.errors import Forbidden, InvalidInput, NotFound, PolicyViolation
from privault.outbound.messenger import read_outbox
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.disclosures import Disclosed, disclose, list_disclosures
from privault.services.fulfilment import fulfil, staff_download
from privault.services.offers import send_offer
from privault.services.requests import open_request, verify_manually
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject
from tests.audit_rows import audit_rows

OFFICER = "privacy-officer"
STAFF = "staff:alice"
WEB = Evidence(Method.FORM, Via.WEB)
EMAIL = "ana.lima@example.com"
PHONE = "+14155550134"


# --- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied."""
    apply_manifest(container.deps)
    return container


def _clock(c: Container) -> FixedClock:
    assert isinstance(c.clock, FixedClock)
    return c.clock


def _principal(c: Container, tenant: str = "bluewave", role: str = OFFICER) -> Principal:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    return Principal(tenant_id, tenant, role, "cli", "test")


def _customer(
    c: Container,
    ref: str = "cust-1",
    *,
    email: str | None = EMAIL,
    phone: str | None = PHONE,
    tenant: str = "bluewave",
) -> None:
    """A customer with a name, an account number and agent notes (and an email and a phone)."""
    identities = {k: v for k, v in (("email", email), ("phone", phone)) if v}
    create_subject(
        c.deps,
        _principal(c, tenant),
        {
            "subject": ref,
            "identities": identities,
            "data": {
                "user.name": "Ana Lima",
                "cc.account.number": "ACC-778",
                "cc.call.agent_notes": "asked about roaming",
            },
            "source": "direct",
            "purpose": "customer-service",
        },
    )


def _disclose(c: Container, recipient: str, refs: list[str], purpose: str, **kw: Any) -> Disclosed:
    principal = kw.pop("principal", None) or _principal(c)
    return disclose(c.deps, principal, recipient, refs, purpose, **kw)


def _choose(c: Container, ref: str, *choices: Choice) -> None:
    record_choices(
        c.deps,
        "bluewave",
        "test",
        Holder(subject=ref),
        list(choices),
        WEB,
        c.clock.now(),
    )


def _audit(c: Container, action: str, tenant: str = "bluewave") -> list[tuple[str, dict[str, Any]]]:
    """(outcome, details) of the tenant's audit events of ``action``."""
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        rows = audit_rows(uow, 10_000)
    return [(row[6], json.loads(row[7])) for row in rows if row[3] == action]


def _access_report(c: Container) -> dict[str, Any]:
    """Open an access request for Ana, verify it by hand, fulfil it; data.json of the package."""
    body = {"type": "access", "identities": {"email": [EMAIL]}, "jurisdiction": "us-ca"}
    opened = open_request(c.deps, "bluewave", body)
    verify_manually(c.deps, "bluewave", opened.ref, STAFF, "called back on file number")
    fulfil(c.deps, "bluewave", opened.ref, STAFF)
    got = staff_download(c.deps, "bluewave", opened.ref, STAFF)
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        loaded: dict[str, Any] = json.loads(archive.read("data.json").decode("utf-8"))
    return loaded


def _disclosure_lines(package: dict[str, Any]) -> list[dict[str, str]]:
    """The report's recipients that are disclosures actually made."""
    return [r for r in package["report"]["recipients"] if "disclosed on" in r.get("detail", "")]


# --- the register and VEND-1 ---------------------------------------------------------------------


def test_a_category_the_vendor_may_not_receive_is_refused_and_audited(c: Container) -> None:
    """The payment processor is registered for names, addresses and payment data: not e-mail."""
    _customer(c)
    with pytest.raises(PolicyViolation) as caught:
        _disclose(c, "payment-processor", ["cust-1"], "billing", categories=["user.contact.email"])
    assert caught.value.code == "disclosure.refused"
    assert "user.contact.email" in str(caught.value)
    [(outcome, details)] = _audit(c, "disclosure:make")
    assert (outcome, details["recipient"], details["code"]) == (
        "denied",
        "payment-processor",
        "disclosure.refused",
    )
    assert list_disclosures(c.deps, _principal(c).tenant_key) == []


def test_a_purpose_the_recipient_is_not_registered_for_is_refused(c: Container) -> None:
    """The carrier partner provisions service (customer-service), it does not bill."""
    _customer(c)
    with pytest.raises(PolicyViolation) as caught:
        _disclose(c, "carrier-partner", ["cust-1"], "billing")
    assert "registered for purposes customer-service" in str(caught.value)


def test_an_unknown_recipient_or_purpose_is_named(c: Container) -> None:
    """recipient.unknown and purpose.unknown; both audited as refused."""
    _customer(c)
    with pytest.raises(NotFound) as unknown:
        _disclose(c, "data-broker", ["cust-1"], "billing")
    assert unknown.value.code == "recipient.unknown"
    with pytest.raises(NotFound) as purpose:
        _disclose(c, "carrier-partner", ["cust-1"], "web-analytics")
    assert purpose.value.code == "purpose.unknown"
    assert [o for o, _ in _audit(c, "disclosure:make")] == ["denied", "denied"]


def test_an_allowed_disclosure_is_minimised_recorded_and_in_the_access_report(
    c: Container,
) -> None:
    """To the carrier partner for customer service: name, account number and phone, never the
    e-mail or the agent's notes; one register row; listed in Ana's right-to-know report."""
    _customer(c)
    done = _disclose(c, "carrier-partner", ["cust-1"], "customer-service")
    assert done.subjects == ("cust-1",)
    assert done.refused == ()
    assert done.transform == "identity"
    assert done.categories == ("cc.account.number", "user.contact.phone_number", "user.name")
    [sent] = done.payload.reveal()["subjects"]
    assert sent == {
        "subject": "cust-1",
        "data": {"cc.account.number": "ACC-778", "user.name": "Ana Lima"},
        "identities": {"phone": [PHONE]},
    }
    assert "Ana" not in repr(done)
    [(row, ref)] = list_disclosures(c.deps, _principal(c).tenant_key, subject_ref="cust-1")
    assert (ref, row.recipient, row.purpose, row.batch) == (
        "cust-1",
        "carrier-partner",
        "customer-service",
        done.batch,
    )
    assert row.categories == done.categories
    assert row.actor == "cli:test"
    [(outcome, details)] = _audit(c, "disclosure:make")
    assert (outcome, details["batch"]) == ("ok", done.batch)
    package = _access_report(c)
    [line] = _disclosure_lines(package)
    assert line["label"] == "Wholesale carrier and installation partner"
    assert "disclosed on 2026-03-02 for Customer service" in line["detail"]
    [made] = package["data"]["vault"]["disclosures"]
    assert made["recipient"] == "Wholesale carrier and installation partner"
    assert made["date"] == "2026-03-02"
    assert made["categories"] == "cc.account.number, user.contact.phone_number, user.name"


def test_a_partner_without_a_contract_gets_aggregates_only(c: Container) -> None:
    """VEND-1: the marketing-insights partner has no DPA or service-provider terms."""
    with pytest.raises(PolicyViolation) as caught:
        _disclose(
            c,
            "marketing-insights",
            ["v-1"],
            "web-analytics",
            transform="identity",
            principal=_principal(c, "northwind"),
        )
    assert "accepts only aggregate" in str(caught.value)


def _vendor(**terms: bool) -> Recipient:
    return Recipient(
        key="vendor",
        name="Vendor",
        type=RecipientType.PROCESSOR,
        purposes=["billing"],
        categories=["user.contact", "user.name"],
        transforms=["identity", "pseudonymise", "aggregate"],
        contract=ContractTerms(**terms),
    )


def test_identifiable_data_needs_a_dpa_or_service_provider_terms() -> None:
    """VEND-1 / CCPA-SP-1: no terms, no identity or pseudonyms; aggregates are the default."""
    bare = _vendor()
    assert choose_transform(bare, None) == "aggregate"
    for wanted in ("identity", "pseudonymise"):
        with pytest.raises(PolicyViolation) as caught:
            choose_transform(bare, wanted)
        assert "VEND-1" in str(caught.value)
    assert choose_transform(_vendor(dpa=True, no_own_marketing=True), None) == "identity"
    with pytest.raises(PolicyViolation) as marketing:
        choose_transform(_vendor(service_provider_terms=True), "identity")
    assert "own marketing" in str(marketing.value)
    with pytest.raises(InvalidInput):
        choose_transform(bare, "encrypt")


def test_categories_are_the_narrower_of_each_matching_pair() -> None:
    """Prefix matching both ways: ``user.contact`` covers ``user.contact.email`` and vice versa."""
    recipient = _vendor()
    purpose = Purpose(
        key="billing", name="Billing", categories=["user.contact.address", "user.name"]
    )
    assert allowed_categories(recipient, purpose) == ("user.contact.address", "user.name")
    assert count_cell(3, "anonymise") == "<5"
    assert count_cell(3, "aggregate") == 3


CARRIER = """    purposes: [customer-service]
    categories: [user.name, user.contact.address, user.contact.phone_number, cc.account.number]
"""


@pytest.fixture
def wide(container: Container) -> Container:
    """The template with the carrier partner also taking pseudonyms, aggregates and anonymised counts."""
    path = container.settings.manifest_path
    text = path.read_text(encoding="utf-8")
    assert CARRIER in text
    more = CARRIER + "    transforms: [identity, pseudonymise, aggregate, anonymise]\n"
    path.write_text(text.replace(CARRIER, more), encoding="utf-8")
    apply_manifest(container.deps)
    return container


def test_aggregate_disclosures_carry_counts_only_and_stay_out_of_the_report(
    wide: Container,
) -> None:
    """An aggregate gives counts per category, no value or reference; anonymised counts hide small
    cells. Both are registered, and neither is personal data for the access report."""
    c = wide
    _customer(c)
    _customer(c, "cust-2", email="b@example.com", phone=None)
    done = _disclose(
        c, "carrier-partner", ["cust-1", "cust-2"], "customer-service", transform="aggregate"
    )
    payload = done.payload.reveal()
    assert "subjects" not in payload
    assert payload["counts"] == {
        "subjects": 2,
        "categories": {"cc.account.number": 2, "user.contact.phone_number": 1, "user.name": 2},
    }
    anonymised = _disclose(
        c, "carrier-partner", ["cust-1"], "customer-service", transform="anonymise"
    )
    assert anonymised.payload.reveal()["counts"]["subjects"] == "<5"
    text = json.dumps([payload, anonymised.payload.reveal()])
    assert "Ana" not in text
    assert "cust-1" not in text
    assert len(list_disclosures(c.deps, _principal(c).tenant_key)) == 3
    assert _disclosure_lines(_access_report(c)) == []


def test_pseudonymised_disclosures_are_keyed_hmacs_stable_per_recipient(wide: Container) -> None:
    """Pseudonymise: every value and the subject become ``p_`` + an HMAC; the same value gives the
    same pseudonym in the next disclosure, and it is listed in the access report (still personal)."""
    c = wide
    _customer(c)
    first = _disclose(
        c, "carrier-partner", ["cust-1"], "customer-service", transform="pseudonymise"
    )
    again = _disclose(
        c, "carrier-partner", ["cust-1"], "customer-service", transform="pseudonymise"
    )
    [one] = first.payload.reveal()["subjects"]
    [two] = again.payload.reveal()["subjects"]
    assert one == two
    assert sorted(one["data"]) == ["cc.account.number", "user.name"]
    values = [one["subject"], *one["data"].values(), *one["identities"]["phone"]]
    assert all(v.startswith("p_") and len(v) == 34 for v in values)
    assert len(set(values)) == len(values)
    assert "Ana" not in json.dumps(one)
    assert PHONE not in json.dumps(one)
    assert len(_disclosure_lines(_access_report(c))) == 2


# --- the subjects' decisions and the role's grants ------------------------------------------------


def test_a_subject_whose_decision_denies_the_purpose_is_refused_and_named(c: Container) -> None:
    """A restricted subject (GDPR Art. 18) is left out naming the rule; the other proceeds."""
    _customer(c)
    _customer(c, "cust-2", email="b@example.com", phone="+14155550199")
    _choose(c, "cust-2", Choice(Kind.RESTRICTION, "*", False))
    done = _disclose(c, "carrier-partner", ["cust-1", "cust-2", "ghost"], "customer-service")
    assert done.subjects == ("cust-1",)
    refused = {r.subject: r.rule for r in done.refused}
    assert refused["cust-2"].startswith("POL-RES-1")
    assert refused["ghost"].startswith("SUBJECT")
    outcomes = sorted(o for o, _ in _audit(c, "disclosure:make"))
    assert outcomes == ["denied", "denied", "ok"]
    with pytest.raises(PolicyViolation) as caught:
        _disclose(c, "carrier-partner", ["cust-2"], "customer-service")
    assert "cust-2: POL-RES-1" in str(caught.value)


def test_a_role_without_a_disclose_grant_is_refused(c: Container) -> None:
    """Least privilege: agents read and write customer data, they do not disclose it."""
    _customer(c)
    with pytest.raises(Forbidden) as caught:
        _disclose(
            c,
            "carrier-partner",
            ["cust-1"],
            "customer-service",
            principal=_principal(c, role="agent"),
        )
    assert caught.value.code == "access.denied"
    [(outcome, details)] = _audit(c, "disclosure:make")
    assert (outcome, details["code"]) == ("denied", "access.denied")


def test_an_acquirer_gets_data_for_its_purposes_only(c: Container) -> None:
    """The buyer in a merger is registered for legal records: that is allowed and recorded the
    same way; anything else is refused."""
    principal = _principal(c, "harbour")
    create_subject(
        c.deps,
        principal,
        {
            "subject": "emp-1",
            "identities": {"email": "emp@example.com"},
            "data": {"user.name": "Eve Park"},
            "source": "direct",
            "purpose": "legal-records",
        },
    )
    with pytest.raises(PolicyViolation):
        _disclose(c, "acquirer", ["emp-1"], "fraud-prevention", principal=principal)
    done = _disclose(c, "acquirer", ["emp-1"], "legal-records", principal=principal)
    assert done.categories == ("user.contact.email", "user.name")
    [(row, ref)] = list_disclosures(c.deps, principal.tenant_key)
    assert (row.recipient, ref, row.legal_basis) == ("acquirer", "emp-1", None)


# --- LAW-DISC-1: authorities and withheld notices -------------------------------------------------


def test_an_authority_disclosure_needs_its_legal_basis_and_document(c: Container) -> None:
    """Without both the legal basis and the order's reference: disclosure.invalid; with them the
    register keeps both."""
    _customer(c)
    for kw in (
        {},
        {"legal_basis": "Court order (18 U.S.C. 2703(d))"},
        {"document_ref": "No. 26-114"},
    ):
        with pytest.raises(InvalidInput) as caught:
            _disclose(c, "law-enforcement", ["cust-1"], "legal-records", **kw)
        assert caught.value.code == "disclosure.invalid"
    done = _disclose(
        c,
        "law-enforcement",
        ["cust-1"],
        "legal-records",
        legal_basis="Court order (18 U.S.C. 2703(d))",
        document_ref="No. 26-114",
    )
    [(row, _)] = list_disclosures(c.deps, _principal(c).tenant_key, recipient="law-enforcement")
    assert (row.legal_basis, row.document_ref, row.batch) == (
        "Court order (18 U.S.C. 2703(d))",
        "No. 26-114",
        done.batch,
    )
    assert "user.contact.email" in done.categories


def test_withholding_notice_needs_an_order_and_an_expiry() -> None:
    """A gag or delay order reference and a future expiry, and the legal footing, or nothing."""
    authority = Recipient(key="police", name="Police", type=RecipientType.AUTHORITY)
    today = date(2026, 3, 2)
    bad = [
        LegalFields("Warrant", "W-1", withhold_reference="Delay order 7"),
        LegalFields("Warrant", "W-1", notice_withheld_until=date(2026, 4, 1)),
        LegalFields("Warrant", "W-1", today, "Delay order 7"),
    ]
    for fields in bad:
        with pytest.raises(InvalidInput):
            check_legal(authority, fields, today)
    acquirer = Recipient(key="buyer", name="Buyer", type=RecipientType.ACQUIRER)
    with pytest.raises(InvalidInput):
        check_legal(
            acquirer,
            LegalFields(notice_withheld_until=date(2026, 4, 1), withhold_reference="NDA"),
            today,
        )
    ok = check_legal(
        authority,
        LegalFields("Warrant", "W-1", date(2026, 4, 1), " D-7 "),
        today,
    )
    assert ok.withhold_reference == "D-7"


def test_a_withheld_disclosure_stays_out_of_the_access_report_until_the_order_expires(
    c: Container,
) -> None:
    """LAW-DISC-1: while the delay order runs the subject's report does not show the disclosure;
    from its expiry date it does."""
    _customer(c)
    until = date(2026, 3, 20)
    done = _disclose(
        c,
        "law-enforcement",
        ["cust-1"],
        "legal-records",
        legal_basis="Subpoena",
        document_ref="GJ-2026-031",
        notice_withheld_until=until,
        withhold_reference="Delay order under 18 U.S.C. 2705(b)",
    )
    assert done.notice_withheld_until == until
    assert _disclosure_lines(_access_report(c)) == []
    _clock(c).at += timedelta(days=17)  # 19 March: still withheld
    assert _disclosure_lines(_access_report(c)) == []
    _clock(c).at += timedelta(days=1)  # 20 March: the order has expired
    [line] = _disclosure_lines(_access_report(c))
    assert line["label"] == "Courts, regulators and law enforcement"
    assert "2026-03-02" in line["detail"]


# --- partner offers ------------------------------------------------------------------------------


def _offer_subjects(c: Container) -> None:
    """yes: consented to marketing texts; objected: consented, then objected to marketing;
    never: no consent; email-only: consented but has no phone."""
    _customer(c, "yes", email=None, phone="+14155550101")
    _customer(c, "objected", email=None, phone="+14155550102")
    _customer(c, "never", email=None, phone="+14155550103")
    _customer(c, "email-only", email="e@example.com", phone=None)
    consent = Choice(Kind.PURPOSE, "marketing-sms", True)
    for ref in ("yes", "objected", "email-only"):
        _choose(c, ref, consent)
    _choose(c, "objected", Choice(Kind.OBJECTION, "marketing", False))


def test_an_offer_reaches_only_the_subjects_allowed_and_reports_counts(c: Container) -> None:
    """The partner's offer goes out by SMS from the tenant to the one subject allowed; the
    result and the audit hold counts only."""
    _offer_subjects(c)
    result = send_offer(
        c.deps,
        "bluewave",
        "carrier-partner",
        "marketing-sms",
        "sms",
        "Faster fibre",
        "Our partner's fibre is now available in your area.",
        "bluewave-mobile",
        actor=STAFF,
    )
    assert (result.eligible, result.sent, result.failed) == (3, 1, 0)
    assert result.suppressed == {"POL-CONS-3": 1, "POL-OBJ-1": 1}
    assert "+1415" not in json.dumps(result.counts())
    offers = [m for m in read_outbox(c.settings.outbox_path) if m["kind"] == "partner_offer"]
    assert [m["to"] for m in offers] == ["+14155550101"]
    assert offers[0]["channel"] == "sms"
    assert "/u/" in offers[0]["body"]  # the unsubscribe link
    [(outcome, details)] = _audit(c, "offer:send")
    assert outcome == "ok"
    assert (details["eligible"], details["to_send"], details["partner"]) == (
        3,
        1,
        "carrier-partner",
    )
    assert "+1415" not in json.dumps(details)


def test_an_offer_needs_a_partner_and_a_marketing_purpose_on_its_channel(c: Container) -> None:
    """A processor is not a partner; customer service is not marketing; e-mail is not SMS."""
    wrong = [
        ("payment-processor", "marketing-sms", "sms"),
        ("carrier-partner", "customer-service", "sms"),
        ("carrier-partner", "marketing-email", "sms"),
        ("carrier-partner", "marketing-phone", "phone"),
    ]
    for partner, purpose, channel in wrong:
        with pytest.raises(InvalidInput) as caught:
            send_offer(c.deps, "bluewave", partner, purpose, channel, "Hi", "Offer")
        assert caught.value.code == "offer.invalid"
    with pytest.raises(NotFound):
        send_offer(c.deps, "bluewave", "carrier-partner", "marketing-sms", "sms", "Hi", "x", "acme")
    assert _audit(c, "offer:send") == []


@pytest.fixture
def assessed(container: Container) -> Container:
    """The template with customer service marked as needing an impact assessment."""
    path = container.settings.manifest_path
    text = path.read_text(encoding="utf-8")
    marker = "  - key: customer-service\n    name: Customer service\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + "    requires_dpia: true\n"), encoding="utf-8")
    apply_manifest(container.deps)
    return container


def test_a_purpose_needing_an_assessment_discloses_nothing_until_one_is_approved(
    assessed: Container,
) -> None:
    """GDPR Art. 35: refused (and audited) while the DPIA is missing or a draft; allowed once it
    is approved."""
    from privault.services.dpias import NewDpia, add_dpia, decide_dpia

    c = assessed
    _customer(c)
    with pytest.raises(PolicyViolation) as refused:
        _disclose(c, "carrier-partner", ["cust-1"], "customer-service")
    assert refused.value.code == "disclosure.refused"
    assert "impact assessment" in refused.value.message
    draft = add_dpia(c.deps, "bluewave", "t", NewDpia("customer-service", "Service DPIA"))
    with pytest.raises(PolicyViolation):
        _disclose(c, "carrier-partner", ["cust-1"], "customer-service")
    decide_dpia(
        c.deps, "bluewave", "t", draft.dpia.id, "approved", reviewer="dpo",
        residual_risk="low", review_on=c.clock.now().date() + timedelta(days=365),
    )  # fmt: skip
    done = _disclose(c, "carrier-partner", ["cust-1"], "customer-service")
    assert done.subjects
