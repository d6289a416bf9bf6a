"""The admin console's registers and dashboard over HTTP, on both engines: each page shows what the
services recorded (consent events, suppression, holds and sweeps, disclosures, records and DPIAs,
incidents and their clocks, the audit log and its verification, the dashboard's figures); each needs
a sign-in and the role the API asks for; every change is CSRF-protected."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.audit import AuditEvent
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.requests import DenialCode
from privault.jobs.worker import Worker
from privault.services import dpias, incidents, legal_holds
from privault.services import requests as svc
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.disclosures import disclose
from privault.services.tenants import bind_tenant
from tests.e2e.admin_helpers import (
    EMAIL,
    TENANT,
    app_client,
    csrf,
    parse,
    post,
    prepare,
    sign_in,
)

PAGES = (
    "/admin/dashboard",
    "/admin/consent",
    "/admin/suppression",
    "/admin/retention",
    "/admin/disclosures",
    "/admin/records",
    "/admin/incidents",
    "/admin/audit",
)
REGISTERS = (
    "/admin/retention",
    "/admin/disclosures",
    "/admin/records",
    "/admin/incidents",
    "/admin/audit",
)
PHONE_AGENT = Evidence(
    Method.AGENT, Via.PHONE, agent="agent-9", call_id="call-1", shown="script v2: texts"
)


@pytest.fixture
def console(container: Container) -> Container:
    """The manifest applied, three staff logins, Ada (ref ``ada``) in the vault."""
    return prepare(container)


@pytest.fixture
def client(console: Container) -> Iterator[TestClient]:
    """A browser, not signed in."""
    with app_client(console) as browser:
        yield browser


@pytest.fixture
def officer(client: TestClient) -> TestClient:
    """The browser signed in as the privacy officer (an admin role)."""
    assert sign_in(client).status_code == 303
    return client


def _choose(c: Container, *choices: Choice, evidence: Evidence = PHONE_AGENT) -> None:
    record_choices(c.deps, TENANT, "test", Holder(subject="ada"), choices, evidence, c.clock.now())


def _events(c: Container) -> list[AuditEvent]:
    with c.uow() as uow:
        bind_tenant(uow, TENANT)
        return list(reversed(uow.audit.recent(500)))


def _open(c: Container, kind: str = "access") -> svc.Opened:
    raw = {"type": kind, "identities": {"email": [EMAIL]}, "jurisdiction": "us-ca"}
    return svc.open_request(c.deps, TENANT, raw, "test")


def _text(html: str) -> str:
    """The page's text without tags (whitespace folded), to read it as a person would."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- access ---------------------------------------------------------------------------------------


def test_every_page_needs_a_sign_in(client: TestClient) -> None:
    """Without a session each page, download and form sends the visitor to the sign-in page."""
    downloads = ("/admin/suppression.csv?channel=email", "/admin/records/ropa.csv")
    for url in (*PAGES, *downloads, "/admin/incidents/I-AAAAAAAA"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/admin/login?next=/admin/")
    for url in ("/admin/retention/holds", "/admin/retention/sweep", "/admin/audit/verify"):
        response = client.post(url, data={}, follow_redirects=False)
        assert response.headers["location"] == "/admin/login?next=/admin"


def test_the_registers_are_for_admin_roles(console: Container, client: TestClient) -> None:
    """The auditor gets 403 on the registers (as over the API) and cannot place a hold or sweep;
    the dashboard tells them what they can do instead of showing the figures."""
    assert sign_in(client, "aud").status_code == 303
    for url in (*REGISTERS, "/admin/records/ropa.csv"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "this needs an admin role; yours is 'Auditor'" in unescape(response.text)
    token = csrf(client, "/admin/consent")
    placed = client.post(
        "/admin/retention/holds",
        data={"csrf": token, "scope": "tenant", "reference": "AUD-1"},
        follow_redirects=False,
    )
    assert placed.status_code == 403
    swept = client.post("/admin/retention/sweep", data={"csrf": token}, follow_redirects=False)
    assert swept.status_code == 403
    assert legal_holds.list_holds(console.deps, TENANT) == []
    assert "retention:sweep" not in [e.action for e in _events(console)]
    dashboard = client.get("/admin/dashboard")
    assert dashboard.status_code == 200
    assert "not an admin role" in dashboard.text
    assert "overdue-count" not in dashboard.text


def test_every_page_is_labelled_captioned_and_in_the_navigation(officer: TestClient) -> None:
    """lang, one main and one h1, labelled fields, captioned tables, scoped header cells; the
    navigation marks the page as current."""
    for url in PAGES:
        response = officer.get(url)
        assert response.status_code == 200, url
        parse(response.text)
    page = officer.get("/admin/retention").text
    assert '<a href="/admin/retention" aria-current="page">Retention</a>' in page


# --- dashboard ------------------------------------------------------------------------------------


def test_the_dashboard_counts_an_overdue_request_and_draws_its_charts(
    console: Container, officer: TestClient, clock: FixedClock
) -> None:
    """An access request left open past its due date is counted overdue, with a link to the queue
    filtered to overdue; one denied after two days gives the median; the charts are SVG with their
    tables; a consent choice shows in the consent rates."""
    start = clock.at
    late = _open(console, "access")
    closed = _open(console, "erasure")
    clock.at = start + timedelta(days=2)
    svc.deny_request(console.deps, TENANT, closed.ref, "test", DenialCode.NO_RIGHT, "No.")
    _choose(console, Choice(Kind.PURPOSE, "marketing-sms", True))
    assert sign_in(officer).status_code == 303  # the session went idle meanwhile
    before = _text(officer.get("/admin/dashboard").text)
    assert "0 overdue" in before
    clock.at = start + timedelta(days=(late.due_on - start.date()).days + 3)
    assert sign_in(officer).status_code == 303  # the session went idle meanwhile
    page = officer.get("/admin/dashboard")
    assert page.status_code == 200
    parse(page.text)
    shown = _text(page.text)
    assert "1 overdue — see the overdue requests" in shown
    assert '<a href="/admin/requests?overdue=1">' in page.text
    assert late.ref in officer.get("/admin/requests?overdue=1").text
    assert page.text.count('role="img"') == 2
    assert "Requests received per week, by type" in page.text
    assert re.search(r"<th scope=\"col\">Access</th>.*<th scope=\"col\">Erasure</th>", page.text)
    assert "Erasure 2 days" in shown
    assert "All types 2 days" in shown
    assert re.search(r"Marketing[^<]*</th><td>1</td><td>0</td><td>100%</td>", page.text)
    assert "2 requests received in the period" in shown
    bad = officer.get("/admin/dashboard?weeks=99")
    assert bad.status_code == 422
    assert "weeks is 1 to 53" in bad.text


# --- consent --------------------------------------------------------------------------------------


def test_the_consent_ledger_shows_each_choice_with_its_evidence_and_no_identity(
    console: Container, officer: TestClient
) -> None:
    """Newest first, with method, channel, notice version and evidence; filters by subject and
    kind; the subject's current state; older pages; an unknown subject said plainly."""
    _choose(console, Choice(Kind.PURPOSE, "marketing-sms", True))
    _choose(
        console,
        Choice(Kind.MARKETING, "*:email", False),
        evidence=Evidence(Method.FORM, Via.WEB, ip="203.0.113.77", extra={"form": "footer"}),
    )
    page = officer.get("/admin/consent")
    assert page.status_code == 200
    parse(page.text)
    shown = _text(page.text)
    assert "2 consent events, newest first" in shown
    assert page.text.index("marketing:*:email") < page.text.index("purpose:marketing-sms")
    assert "agent agent-9; call call-1" in shown
    assert "shown: script v2: texts" in shown
    assert "IP prefix 203.0.113.0/24; form: footer" in shown
    assert "203.0.113.77" not in page.text
    assert EMAIL not in page.text
    assert "Ada Person" not in page.text
    only = _text(officer.get("/admin/consent?kind=purpose").text)
    assert "1 consent event," in only
    assert "marketing:*:email" not in only
    mine = officer.get("/admin/consent?subject=ada")
    state = _text(mine.text)
    assert "Current state of subject ada" in state
    assert "purpose:marketing-sms yes agent" in state
    assert "marketing:*:email no form" in state
    newest = int(re.findall(r"<td>(\d+)</td>\s*<td><time", page.text)[0])
    older = _text(officer.get(f"/admin/consent?before={newest}").text)
    assert "1 consent event, newest first (older page)" in older
    assert "purpose:marketing-sms" in older
    unknown = officer.get("/admin/consent?subject=nobody")
    assert unknown.status_code == 404
    assert "no subject 'nobody'" in unescape(unknown.text)


def test_other_roles_see_a_subjects_state_but_not_the_ledger(
    console: Container, client: TestClient
) -> None:
    """As over the API: any role may read the current state, the ledger's evidence is for admins."""
    _choose(console, Choice(Kind.PURPOSE, "marketing-sms", True))
    assert sign_in(client, "agent").status_code == 303
    page = client.get("/admin/consent?subject=ada")
    assert page.status_code == 200
    assert "purpose:marketing-sms" in page.text
    assert "call-1" not in page.text
    assert "The ledger and its evidence are for admin roles" in page.text


# --- suppression ----------------------------------------------------------------------------------


def test_the_suppression_list_shows_and_downloads_what_the_export_gives(
    console: Container, officer: TestClient
) -> None:
    """An email opt-out puts Ada's address on the email list with its rule; the CSV is the same
    list; each is audited as an export; a brand the tenant lacks is refused."""
    _choose(console, Choice(Kind.MARKETING, "*:email", False))
    page = officer.get("/admin/suppression?channel=email")
    assert page.status_code == 200
    parse(page.text)
    shown = _text(page.text)
    assert f"{EMAIL} ada CANSPAM-1 2026-03-02 09:30" in shown
    assert "Suppressed on email (any brand): 1 entry" in shown
    assert 'href="/admin/suppression.csv?channel=email"' in page.text
    download = officer.get("/admin/suppression.csv?channel=email")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["value", "subject", "rule", "since"]
    assert rows[1][:3] == [EMAIL, "ada", "CANSPAM-1"]
    exports = [e for e in _events(console) if e.action == "suppression:export"]
    assert [(e.actor, e.outcome) for e in exports] == [("user:officer", "ok")] * 2
    assert EMAIL not in repr(exports)
    assert "Nobody is suppressed" in officer.get("/admin/suppression?channel=phone").text
    wrong = officer.get("/admin/suppression?channel=email&brand=acme")
    assert wrong.status_code == 422
    assert "choose one of the brands listed" in wrong.text


def test_a_role_that_may_not_read_addresses_gets_no_list(
    console: Container, client: TestClient
) -> None:
    """The agent's grants do not cover reading email addresses for marketing or privacy requests:
    the service refuses, nothing is decrypted, nothing is audited as exported."""
    _choose(console, Choice(Kind.MARKETING, "*:email", False))
    assert sign_in(client, "agent").status_code == 303
    page = client.get("/admin/suppression?channel=email")
    assert page.status_code == 403
    assert "may not read email identities" in page.text
    assert EMAIL not in page.text
    assert client.get("/admin/suppression.csv?channel=email").status_code == 403
    assert "suppression:export" not in [e.action for e in _events(console)]


# --- retention ------------------------------------------------------------------------------------


def test_a_hold_is_placed_and_released_through_the_page(
    console: Container, officer: TestClient
) -> None:
    """Place a category hold with its reference and expiry, see it listed, release it; each answers
    303 with what happened; a refused hold shows the error with the form kept."""
    placed = post(
        officer,
        "/admin/retention/holds",
        "/admin/retention",
        scope="category",
        reference="CASE-42",
        category="cc.account.number",
        expires_on="2026-06-30",
        reason="Litigation with a customer",
    )
    assert placed.status_code == 303
    [hold] = legal_holds.list_holds(console.deps, TENANT)
    assert (hold.scope, hold.category, hold.reference) == (
        "category",
        "cc.account.number",
        "CASE-42",
    )
    assert hold.expires_on == date(2026, 6, 30)
    page = officer.get(placed.headers["location"])
    shown = _text(page.text)
    assert f"Legal hold {hold.id} placed (CASE-42)." in shown
    assert "category cc.account.number CASE-42 Litigation with a customer" in shown
    assert "2026-06-30" in shown
    assert [e.actor for e in _events(console) if e.action == "retention:hold"] == ["user:officer"]
    refused = post(
        officer,
        "/admin/retention/holds",
        "/admin/retention",
        scope="subject",
        reference="CASE-43",
        subject="nobody",
    )
    assert refused.status_code == 404
    assert "no subject 'nobody'" in unescape(refused.text)
    assert 'value="CASE-43"' in refused.text
    released = post(officer, f"/admin/retention/holds/{hold.id}/release", "/admin/retention")
    assert released.status_code == 303
    assert f"Legal hold {hold.id} released (CASE-42)." in officer.get("/admin/retention").text
    assert legal_holds.list_holds(console.deps, TENANT) == []
    again = post(officer, f"/admin/retention/holds/{hold.id}/release", "/admin/retention")
    assert again.status_code == 409


def test_holds_need_the_csrf_token(console: Container, officer: TestClient) -> None:
    """Without the token, or with another site's Origin, placing or releasing a hold is refused
    (403) and changes nothing."""
    fields = {"scope": "tenant", "reference": "CASE-7"}
    token = csrf(officer, "/admin/retention")
    for data, headers in (
        (fields, {}),
        (fields | {"csrf": "forged"}, {}),
        (fields | {"csrf": token}, {"Origin": "https://evil.example"}),
    ):
        response = officer.post(
            "/admin/retention/holds", data=data, headers=headers, follow_redirects=False
        )
        assert response.status_code == 403
        assert "did not come from this console" in response.text
    assert legal_holds.list_holds(console.deps, TENANT) == []
    hold = legal_holds.add_hold(console.deps, TENANT, "test", scope="tenant", reference="CASE-8")
    url = f"/admin/retention/holds/{hold.id}/release"
    assert officer.post(url, data={}, follow_redirects=False).status_code == 403
    assert [h.id for h in legal_holds.list_holds(console.deps, TENANT)] == [hold.id]


def test_the_retention_page_shows_the_rules_and_a_dry_run_report(
    console: Container, officer: TestClient
) -> None:
    """Status per rule; no sweep yet; a dry-run sweep writes its report (nothing deleted) and the
    page shows it per rule with the whole-subject section."""
    first = _text(officer.get("/admin/retention").text)
    assert "customer-data" in first
    assert "No sweep has run yet." in first
    assert "No active legal holds." in first
    swept = post(officer, "/admin/retention/sweep", "/admin/retention")
    assert swept.status_code == 303
    page = officer.get(swept.headers["location"])
    parse(page.text)
    shown = _text(page.text)
    assert re.search(r"Dry-run sweep \d+ finished: nothing was deleted", shown)
    assert "dry run: nothing was deleted" in shown
    assert "Would delete 0 value(s)" in shown
    assert "Per rule, in the vault and in datastores" in shown
    assert "No subject was due to be erased whole." in shown
    sweeps = [e for e in _events(console) if e.action == "retention:sweep"]
    assert [e.actor for e in sweeps] == ["user:officer"]
    assert '"dry_run":true' in sweeps[0].details


# --- disclosures, records, incidents ------------------------------------------------------------


def test_the_disclosure_register_and_the_recipients(
    console: Container, officer: TestClient, clock: FixedClock
) -> None:
    """A disclosure to law enforcement under a court order with the notice withheld: one row with
    its legal basis, document and the withheld notice; the recipients with their contract terms."""
    with console.uow() as uow:
        tenant_id = bind_tenant(uow, TENANT).id
    principal = Principal(tenant_id, TENANT, "privacy-officer", "cli", "test")
    disclose(
        console.deps,
        principal,
        "law-enforcement",
        ["ada"],
        "legal-records",
        legal_basis="Court order (18 U.S.C. 2703(d))",
        document_ref="No. 26-114",
        notice_withheld_until=clock.at.date() + timedelta(days=30),
        withhold_reference="Delay order 7",
    )
    page = officer.get("/admin/disclosures")
    assert page.status_code == 200
    parse(page.text)
    shown = _text(page.text)
    assert "1 disclosure, newest first" in shown
    assert "Courts, regulators and law enforcement (law-enforcement) legal-records" in shown
    assert "Court order (18 U.S.C. 2703(d)); document No. 26-114" in shown
    assert "Withheld until 2026-04-01 (Delay order 7)" in shown
    assert re.search(r"<td>1: ada</td>", page.text)
    assert "Cloud hosting provider (cloud-hosting)" in shown
    assert "data processing agreement; service-provider terms; no own marketing; no sale" in shown
    assert "1 disclosure(s), 1 subject(s)" in shown
    assert EMAIL not in page.text
    other = _text(officer.get("/admin/disclosures?recipient=cloud-hosting").text)
    assert "No disclosures recorded that match." in other


def test_the_records_of_processing_and_the_dpia_register(
    console: Container, officer: TestClient
) -> None:
    """Every purpose with its basis, retention and DPIA state; the gaps; the DPIA register; the
    CSV download is the export, audited."""
    dpias.add_dpia(
        console.deps,
        TENANT,
        "test",
        dpias.NewDpia("vulnerability-support", "Health notes", "disclosure", "need-to-know"),
    )
    page = officer.get("/admin/records")
    assert page.status_code == 200
    parse(page.text)
    shown = _text(page.text)
    assert "processor record (GDPR Art. 30(2))" in shown
    assert "(billing)" in shown
    assert "Gap: purpose 'vulnerability-support' requires a DPIA: missing" in shown
    assert re.search(r"vulnerability-support Health notes draft", shown)
    for fmt in ("csv", "json", "html"):
        assert f'href="/admin/records/ropa.{fmt}"' in page.text
    download = officer.get("/admin/records/ropa.csv")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        'attachment; filename="records-of-processing-bluewave.csv"'
    )
    assert download.text.startswith("tenant,record,purpose,name")
    exports = [e for e in _events(console) if e.action == "records:export"]
    assert [e.actor for e in exports] == ["user:officer"]
    assert officer.get("/admin/records/ropa.pdf").status_code == 404


def test_the_incident_register_says_overdue_in_words(
    console: Container, officer: TestClient, clock: FixedClock
) -> None:
    """Empty at first; a high-risk incident with the controller's 24-hour clock; 30 hours later the
    clock is overdue, said in words on the register and the incident's page."""
    assert "No incidents recorded." in officer.get("/admin/incidents").text
    opened = incidents.open_incident(
        console.deps,
        TENANT,
        "test",
        incidents.NewIncident("Call recordings exposed", clock.at, "high", subjects_affected=600),
    )
    ref = opened.incident.ref
    fresh = _text(officer.get("/admin/incidents").text)
    assert "controller (PROC-CONTRACT): due in 24h" in fresh
    assert "Overdue" not in fresh
    clock.at += timedelta(hours=30)
    assert sign_in(officer).status_code == 303
    page = officer.get("/admin/incidents")
    parse(page.text)
    shown = _text(page.text)
    assert f"{ref} Call recordings exposed open — Overdue high" in shown
    assert "Overdue: overdue by 6h" in shown
    assert re.search(r"fcc \(FCC-BR-2, for the controller\): due in \d+d", shown)
    assert "2028-03-02" in shown  # kept 24 months (FCC, PIPEDA)
    detail = officer.get(f"/admin/incidents/{ref}")
    assert detail.status_code == 200
    parse(detail.text)
    text_ = _text(detail.text)
    assert "Overdue: a notification is past its deadline." in text_
    assert "2026-03-03 09:30 UTC (24 hours from awareness" in text_
    assert "No notifications made yet." in text_
    assert officer.get("/admin/incidents/I-NOTHERE").status_code == 404


# --- audit ----------------------------------------------------------------------------------------


def test_the_audit_log_pages_and_filters_by_action(console: Container, officer: TestClient) -> None:
    """Newest first with actor, action, outcome and details; filtered by action; older pages; an
    unknown action is refused."""
    page = officer.get("/admin/audit")
    assert page.status_code == 200
    parse(page.text)
    shown = _text(page.text)
    newest = _events(console)[-1]
    place = "not sealed yet" if newest.seq is None else newest.seq
    assert re.search(rf"{place} \S+ \S+ user:officer staff:login", shown)
    logins = _text(officer.get("/admin/audit?action=staff:login").text)
    count = sum(1 for e in _events(console) if e.action == "staff:login")
    assert f"{count} event{'' if count == 1 else 's'} of staff:login, newest first" in logins
    assert "vault:subject:create" not in logins.split("newest first", 1)[1]
    older = _text(officer.get("/admin/audit?before=3").text)
    assert "2 events, newest first (older page)" in older
    bad = officer.get("/admin/audit?action=nonsense")
    assert bad.status_code == 422
    assert "'nonsense' is not an audit action" in unescape(bad.text)


def test_verifying_the_chain_says_ok_then_where_it_was_tampered_with(
    console: Container, officer: TestClient
) -> None:
    """The chain holds; after one event's details are changed in the database, the page says the
    chain is broken at that event. The verify button needs the CSRF token."""
    assert officer.post("/admin/audit/verify", data={}).status_code == 403
    ok = post(officer, "/admin/audit/verify", "/admin/audit")
    assert ok.status_code == 200
    parse(ok.text)
    assert "Verification: the chain holds" in ok.text
    assert "OK:" in ok.text
    with console.engine.begin() as connection:
        tenant_id = connection.execute(
            text("SELECT id FROM tenants WHERE key = :k"), {"k": TENANT}
        ).scalar_one()
        connection.execute(
            text("UPDATE audit_events SET details = '{}' WHERE tenant_id = :t AND seq = 2"),
            {"t": tenant_id},
        )
    # event 2 was checked by the first verification: the quick check starts past it and says so
    again = _text(post(officer, "/admin/audit/verify", "/admin/audit").text)
    assert "in what was checked, nothing was modified" in again
    queued = post(officer, "/admin/audit/verify-full", "/admin/audit")
    assert "The full verification is queued" in _text(queued.text)
    Worker(console).drain()
    shown = _text(officer.get("/admin/audit").text)
    assert "Broken: 1 problem" in shown
    assert "2 modified event 2 was modified after it was written (its MAC fails)" in shown
