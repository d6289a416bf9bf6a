"""The admin console over HTTP, on both engines: sign-in with lock-out, the session cookie's flags,
CSRF, the request queue and a request's actions (seen by the requester), and the subject lookup with
its required, audited purpose and the role's grants."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.audit import AuditEvent
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.http.app import create_app
from privault.services import requests as svc
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.setup import apply_manifest
from privault.services.staff import create_staff
from privault.services.tenants import bind_tenant
from privault.services.vault import update_subject
from privault.services.vault_import import create_subject
from tests.fixtures.grants import grant_full_values

PASSWORD = "correct horse battery staple"
EMAIL = "ada.person@example.com"
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class _Page(HTMLParser):
    """What the accessibility checks and the forms need."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.mains = 0
        self.inputs: list[str | None] = []
        self.labels: set[str] = set()
        self.csrf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "main":
            self.mains += 1
        elif tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        elif tag == "input" and a.get("type") == "hidden":
            if a.get("name") == "csrf":
                self.csrf.append(str(a.get("value")))
        elif tag in ("input", "select", "textarea"):
            self.inputs.append(a.get("id"))


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    assert page.lang == "en"
    assert page.mains == 1, "one <main> landmark"
    unlabelled = [i for i in page.inputs if i is None or i not in page.labels]
    assert not unlabelled, f"fields without a label: {unlabelled}"
    return page


def _app_client(container: Container, base_url: str) -> TestClient:
    return TestClient(create_app(container), base_url=base_url, raise_server_exceptions=False)


@pytest.fixture
def console(container: Container) -> Container:
    """The manifest applied; an officer (admin), an auditor and an agent in bluewave; Ada in the vault."""
    apply_manifest(container.deps)
    for name, role in (("officer", "privacy-officer"), ("aud", "auditor"), ("agent", "agent")):
        create_staff(container.deps, "bluewave", name, role, PASSWORD, "cli:test")
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    create_subject(
        container.deps,
        Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test"),
        {
            "subject": "ada",
            "identities": {"email": EMAIL},
            "data": {
                "user.name": "Ada Person",
                "cc.account.number": "ACC-777",
                "cc.payment.card": "4111 1111 1111 1234",
            },
            "source": "direct",
            "purpose": "billing",
        },
    )
    return container


@pytest.fixture
def client(console: Container) -> Iterator[TestClient]:
    """A browser on https (so Secure cookies come back), not signed in."""
    with _app_client(console, "https://testserver") as test_client:
        yield test_client


def _csrf(client: TestClient, url: str) -> str:
    page = _parse(client.get(url).text)
    return page.csrf[0]


def _sign_in(
    client: TestClient,
    username: str = "officer",
    password: str = PASSWORD,
    tenant: str = "bluewave",
):
    token = _csrf(client, "/admin/login")
    return client.post(
        "/admin/login",
        data={"csrf": token, "tenant": tenant, "username": username, "password": password},
        follow_redirects=False,
    )


@pytest.fixture
def officer(client: TestClient) -> TestClient:
    """The client signed in as the privacy officer."""
    assert _sign_in(client).status_code == 303
    return client


def _open(container: Container, kind: str = "access", email: str = EMAIL) -> svc.Opened:
    raw = {
        "type": kind,
        "identities": {"email": [email]},
        "jurisdiction": "us-ca",
        "channel": "email",
    }
    return svc.open_request(container.deps, "bluewave", raw, "test")


def _events(container: Container) -> list[AuditEvent]:
    with container.uow() as uow:
        bind_tenant(uow, "bluewave")
        return list(reversed(uow.audit.recent(500)))


def test_the_console_needs_a_sign_in(client: TestClient) -> None:
    """Every page sends a visitor without a session to the sign-in page, and back afterwards."""
    for url in ("/admin", "/admin/requests", "/admin/subjects", "/admin/audit"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/admin/login?next={url}"
    posted = client.post("/admin/subjects", data={"value": EMAIL}, follow_redirects=False)
    assert posted.headers["location"] == "/admin/login?next=/admin"
    signed = _sign_in(client)
    assert signed.headers["location"] == "/admin"
    token = _csrf(client, "/admin/login?next=/admin/requests")
    again = client.post(
        "/admin/login",
        data={
            "csrf": token,
            "tenant": "bluewave",
            "username": "officer",
            "password": PASSWORD,
            "next": "/admin/requests",
        },
        follow_redirects=False,
    )
    assert again.headers["location"] == "/admin/requests"
    login = client.get("/admin/login?next=https://evil.example/")
    assert 'name="next" value="/admin"' in login.text


def test_the_session_cookie_is_host_only_secure_httponly_and_strict(client: TestClient) -> None:
    """__Host- prefix, Secure, HttpOnly, SameSite=Strict, Path=/ and no Domain."""
    response = _sign_in(client)
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-pv_admin=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite", "path"} <= attributes
    assert "domain" not in attributes
    assert "samesite=strict" in cookie.lower()
    assert "path=/;" in cookie.lower() + ";"
    page = client.get("/admin")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_without_secure_cookies_the_console_works_over_plain_http(console: Container) -> None:
    """PRIVAULT_ADMIN_COOKIE_SECURE=false: the cookie is pv_admin, not Secure, and sign-in works."""
    settings = console.settings.model_copy(update={"admin_cookie_secure": False})
    plain = Container(settings, clock=console.clock)
    with _app_client(plain, "http://127.0.0.1:8000") as browser:
        response = _sign_in(browser)
        cookie = next(c for c in response.headers.get_list("set-cookie") if "pv_admin=" in c)
        assert cookie.startswith("pv_admin=")
        assert "secure" not in cookie.lower()
        assert "httponly" in cookie.lower()
        assert browser.get("/admin").status_code == 200
    plain.close()


def test_wrong_password_and_unknown_user_get_one_generic_error(client: TestClient) -> None:
    """401 with "Wrong username or password", the username kept, no session cookie."""
    for name, password in (("officer", "not my password"), ("nobody", PASSWORD)):
        response = _sign_in(client, name, password)
        assert response.status_code == 401
        _parse(response.text)
        assert "Wrong username or password" in response.text
        assert f'value="{name}"' in response.text
        assert password not in response.text
        assert not any("pv_admin=" in c for c in response.headers.get_list("set-cookie"))
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_repeated_failures_lock_the_login_with_its_end_time(
    client: TestClient, clock: FixedClock
) -> None:
    """The fifth wrong password locks until 09:45; even the right one waits; then it works.
    (One IP gets four tries at a login a day, docs/limits.md: the fifth comes from another.)"""
    for _ in range(4):
        assert "Wrong username" in _sign_in(client, password="still not it!").text
    other = TestClient(client.app, base_url="https://testserver", client=("203.0.113.9", 5000))
    locked = _sign_in(other, password="still not it!")
    assert locked.status_code == 401
    assert "Too many attempts; try again after 09:45" in locked.text
    assert "Too many attempts" in _sign_in(other).text
    clock.at += timedelta(minutes=15)
    assert _sign_in(other).status_code == 303


def test_the_sign_in_form_needs_its_csrf_value(client: TestClient) -> None:
    """No value, a wrong value, or another site's Origin: 403 and no session."""
    client.get("/admin/login")
    fields = {"tenant": "bluewave", "username": "officer", "password": PASSWORD}
    for data, headers in (
        (fields, {}),
        (fields | {"csrf": "forged"}, {}),
        (fields | {"csrf": _csrf(client, "/admin/login")}, {"Origin": "https://evil.example"}),
    ):
        response = client.post("/admin/login", data=data, headers=headers, follow_redirects=False)
        assert response.status_code == 403
        assert not any("pv_admin=" in c for c in response.headers.get_list("set-cookie"))


def test_a_post_without_the_right_csrf_token_changes_nothing(
    console: Container, officer: TestClient
) -> None:
    """Missing or wrong token, another origin, a cross-site fetch: 403 and the request stays open."""
    opened = _open(console)
    token = _csrf(officer, f"/admin/requests/{opened.ref}")
    deny = {"action": "deny", "code": "no_right", "text": "No."}
    attempts = [
        (deny, {}),
        (deny | {"csrf": "x" * 43}, {}),
        (deny | {"csrf": token}, {"Origin": "https://evil.example"}),
        (deny | {"csrf": token}, {"Sec-Fetch-Site": "cross-site"}),
        (deny | {"csrf": token}, {"Origin": "null"}),
        (deny | {"csrf": token}, {"Sec-Fetch-Site": "same-site", "Origin": "https:/testserver"}),
    ]
    for data, headers in attempts:
        response = officer.post(
            f"/admin/requests/{opened.ref}", data=data, headers=headers, follow_redirects=False
        )
        assert response.status_code == 403
        assert "did not come from this console" in response.text
    assert svc.show_request(console.deps, "bluewave", opened.ref).request.state == "received"
    logout = officer.post("/admin/logout", data={}, follow_redirects=False)
    assert logout.status_code == 403
    assert officer.get("/admin").status_code == 200
    same = {"Sec-Fetch-Site": "same-origin", "Origin": "https://testserver"}
    accepted = officer.post(
        f"/admin/requests/{opened.ref}", data=deny | {"csrf": token}, headers=same
    )
    assert accepted.status_code == 200  # followed the 303 back to the request
    assert svc.show_request(console.deps, "bluewave", opened.ref).request.state == "denied"


def test_sign_out_ends_the_session_on_the_server(officer: TestClient) -> None:
    """The old cookie value is useless after signing out, even if replayed."""
    value = officer.cookies.get("__Host-pv_admin")
    assert value
    token = _csrf(officer, "/admin")
    out = officer.post("/admin/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    assert "You have signed out." in officer.get("/admin/login").text
    officer.cookies.set("__Host-pv_admin", value)
    assert officer.get("/admin", follow_redirects=False).status_code == 303


def test_the_queue_is_sorted_by_due_date_with_days_left_and_filters(
    console: Container, officer: TestClient, clock: FixedClock
) -> None:
    """Soonest due first whatever the order of arrival; overdue said in words; type, state and
    overdue filters; another tenant's requests never shown."""
    clock.at = T0 + timedelta(days=10)
    later = _open(console, "access")
    clock.at = T0
    sooner = _open(console, "erasure")
    other = svc.open_request(
        console.deps,
        "northwind",
        {"type": "access", "identities": {"email": [EMAIL]}, "jurisdiction": "uk"},
        "test",
    )
    clock.at = T0 + timedelta(days=50)
    assert officer.get("/admin/requests", follow_redirects=False).status_code == 303  # idle
    assert _sign_in(officer).status_code == 303
    page = officer.get("/admin/requests")
    assert page.status_code == 200
    _parse(page.text)
    assert page.text.index(sooner.ref) < page.text.index(later.ref)
    assert other.ref not in page.text
    late_by = (clock.at.date() - sooner.due_on).days
    left = (later.due_on - clock.at.date()).days
    assert late_by > 1
    assert left > 1
    assert re.search(rf'<td class="overdue">overdue by {late_by} days</td>', page.text)
    assert f"<td>{left} days</td>" in page.text
    only = officer.get("/admin/requests?type=access")
    assert later.ref in only.text
    assert sooner.ref not in only.text
    overdue = officer.get("/admin/requests?overdue=1")
    assert sooner.ref in overdue.text
    assert later.ref not in overdue.text
    assert sooner.ref not in officer.get("/admin/requests?state=denied").text
    bad = officer.get("/admin/requests?state=nonsense")
    assert bad.status_code == 422
    assert "unknown state 'nonsense'" in unescape(bad.text)
    home = officer.get("/admin")
    assert re.search(r'class="overdue">Overdue</th><td>1</td>', home.text)


def _act(client: TestClient, ref: str, **fields: str):
    token = _csrf(client, f"/admin/requests/{ref}")
    return client.post(
        f"/admin/requests/{ref}", data={"csrf": token, **fields}, follow_redirects=False
    )


def test_an_extension_with_its_reason_moves_the_date_the_requester_sees(
    console: Container, officer: TestClient
) -> None:
    """Verify by hand, then extend: the detail and the requester's status page show the new date."""
    opened = _open(console)
    detail = officer.get(f"/admin/requests/{opened.ref}")
    _parse(detail.text)
    assert "CCPA" in detail.text
    verified = _act(
        officer, opened.ref, action="verify", note="called back on the number of record"
    )
    assert verified.status_code == 303
    assert "Identity verified." in officer.get(verified.headers["location"]).text
    refused = _act(officer, opened.ref, action="extend", reasons="")
    assert refused.status_code == 422
    assert "an extension needs its reasons" in refused.text
    extended = _act(officer, opened.ref, action="extend", reasons="Records are held off-site.")
    assert extended.status_code == 303
    now_due = svc.show_request(console.deps, "bluewave", opened.ref).request.due_on
    assert now_due > opened.due_on
    assert (
        f"Deadline extended to {now_due.isoformat()}"
        in officer.get(f"/admin/requests/{opened.ref}").text
    )
    status = officer.get(f"/p/bluewave/status/{opened.token}")
    assert f'datetime="{now_due.isoformat()}"' in status.text
    assert "(extended)" in status.text
    assert "Records are held off-site." in status.text
    transitions = [e for e in _events(console) if e.action == "request:transition"]
    assert transitions[-1].actor == "user:officer"


def test_deny_with_a_reason_code(console: Container, officer: TestClient) -> None:
    """A code from the list and the text sent; an unknown code is shown as an error, nothing done."""
    opened = _open(console)
    wrong = _act(officer, opened.ref, action="deny", code="because", text="No.")
    assert wrong.status_code == 422
    assert "unknown denial code 'because'" in unescape(wrong.text)
    excessive = _act(
        officer, opened.ref, action="deny", code="excessive", text="Fourth request this month."
    )
    assert excessive.status_code == 422  # no evidence: the burden of proof is ours
    assert "burden of proof" in unescape(excessive.text)
    denied = _act(
        officer, opened.ref, action="deny", code="excessive", text="Fourth request this month.",
        evidence="Requests R-1, R-2 and R-3 asked the same this month.",
    )  # fmt: skip
    assert denied.status_code == 303
    request = svc.show_request(console.deps, "bluewave", opened.ref).request
    assert (request.state, request.denial_code) == ("denied", "excessive")
    page = officer.get(f"/admin/requests/{opened.ref}")
    assert "Denied; the requester was sent the text" in page.text
    assert 'value="deny"' not in page.text  # closed: no more actions
    status = officer.get(f"/p/bluewave/status/{opened.token}")
    assert "Fourth request this month." in status.text


def test_manual_tasks_are_added_and_completed(console: Container, officer: TestClient) -> None:
    """A task with system, description and assignee; closed with a note; a blank one refused."""
    opened = _open(console)
    token = _csrf(officer, f"/admin/requests/{opened.ref}")
    url = f"/admin/requests/{opened.ref}/tasks"
    blank = officer.post(url, data={"csrf": token, "system": " ", "description": "x"})
    assert blank.status_code == 422
    assert "a task names its system" in blank.text
    added = officer.post(
        url,
        data={
            "csrf": token,
            "system": "billing-legacy",
            "description": "Export the invoices",
            "assignee": "it-billing",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    task = svc.show_request(console.deps, "bluewave", opened.ref).tasks[0]
    assert (task.system, task.assignee, task.state) == ("billing-legacy", "it-billing", "open")
    assert f"Task {task.id} opened." in officer.get(added.headers["location"]).text
    done = officer.post(
        f"{url}/{task.id}",
        data={"csrf": token, "note": "Sent by post", "outcome": "done"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    task = svc.show_request(console.deps, "bluewave", opened.ref).tasks[0]
    assert (task.state, task.note, task.done_by) == ("done", "Sent by post", "user:officer")
    audited = [json.loads(e.details) for e in _events(console) if e.action == "request:task"]
    assert [a["state"] for a in audited] == ["opened", "done"]


def test_staff_download_the_package_of_a_completed_request_audited(
    console: Container, officer: TestClient
) -> None:
    """Verify and complete in the console, then the detail links the package; the download is a
    zip under the staff member's name in the audit trail. Before completion there is none."""
    opened = _open(console)
    _act(officer, opened.ref, action="verify", note="called back on the number of record")
    assert officer.get(f"/admin/requests/{opened.ref}/package").status_code == 404
    assert _act(officer, opened.ref, action="complete").status_code == 303
    detail = officer.get(f"/admin/requests/{opened.ref}").text
    assert f'href="/admin/requests/{opened.ref}/package"' in detail
    package = officer.get(f"/admin/requests/{opened.ref}/package")
    assert package.status_code == 200
    assert package.headers["content-type"] == "application/zip"
    assert package.headers["content-disposition"].startswith("attachment; filename=")
    assert package.headers["cache-control"] == "no-store"
    assert zipfile.is_zipfile(io.BytesIO(package.content))
    downloads = [e for e in _events(console) if e.action == "request:download"]
    assert [e.actor for e in downloads] == ["user:officer"]


def test_other_roles_may_not_handle_requests(console: Container, client: TestClient) -> None:
    """An auditor sees a 403 page for the queue and cannot act; the request stays as it was."""
    opened = _open(console)
    assert _sign_in(client, "aud").status_code == 303
    assert "not an admin role" in client.get("/admin").text
    queue = client.get("/admin/requests")
    assert queue.status_code == 403
    assert "this needs an admin role; yours is 'Auditor'" in unescape(queue.text)
    token = _csrf(client, "/admin/subjects")
    acted = client.post(
        f"/admin/requests/{opened.ref}", data={"csrf": token, "action": "deny", "code": "excessive"}
    )
    assert acted.status_code == 403
    assert client.get(f"/admin/requests/{opened.ref}/package").status_code == 403
    assert svc.show_request(console.deps, "bluewave", opened.ref).request.state == "received"


def _look_up(client: TestClient, purpose: str, value: str = EMAIL):
    token = _csrf(client, "/admin/subjects")
    return client.post(
        "/admin/subjects", data={"csrf": token, "kind": "email", "value": value, "purpose": purpose}
    )


def test_a_lookup_without_a_purpose_is_refused_and_reads_nothing(
    console: Container, officer: TestClient
) -> None:
    """No purpose: a clear error, the email kept in its field, nothing read or audited."""
    before = len(_events(console))
    response = _look_up(officer, "")
    assert response.status_code == 422
    _parse(response.text)
    assert "choose a purpose" in response.text
    assert "Ada Person" not in response.text
    assert len(_events(console)) == before
    unknown = _look_up(officer, "astrology")
    assert unknown.status_code == 404
    assert len(_events(console)) == before


def test_a_lookup_is_audited_with_its_purpose(console: Container, officer: TestClient) -> None:
    """The lookup and the read each name the purpose and the staff member; never the email."""
    response = _look_up(officer, "billing")
    assert response.status_code == 200
    _parse(response.text)
    assert "Ada Person" in response.text
    assert "****1234" in response.text  # the officer has no full_values grant
    assert "4111" not in response.text
    events = _events(console)
    lookup = next(e for e in events if e.action == "vault:subject:lookup")
    assert (lookup.actor, lookup.purpose) == ("user:officer", "billing")
    assert json.loads(lookup.details) == {"kind": "email", "found": 1}
    read = events[-1]
    assert (read.action, read.purpose, read.actor) == (
        "vault:subject:read",
        "billing",
        "user:officer",
    )
    assert EMAIL not in repr(events)
    nobody = _look_up(officer, "billing", "nobody@example.com")
    assert "Nobody found with this email" in nobody.text
    assert json.loads(_events(console)[-1].details) == {"kind": "email", "found": 0}


def test_a_role_sees_only_what_its_grants_allow(console: Container, client: TestClient) -> None:
    """The auditor has no grant for billing: nothing shown. The agent, for customer service, sees
    the name but not the card, which is listed as withheld with the rule."""
    assert _sign_in(client, "aud").status_code == 303
    denied = _look_up(client, "billing")
    assert denied.status_code == 200
    assert "may see nothing" in denied.text
    assert "Ada Person" not in denied.text
    assert "ACC-777" not in denied.text
    assert _events(console)[-1].outcome == "denied"
    client.cookies.clear()
    assert _sign_in(client, "agent").status_code == 303
    shown = _look_up(client, "customer-service")
    assert "Ada Person" in shown.text
    assert "4111 1111 1111 1234" not in shown.text
    assert "cc.payment.card" in shown.text
    assert "Open requests" not in shown.text  # not an admin role


def test_a_person_the_role_may_see_nothing_of_is_not_shown_beside_one_it_may(
    console: Container, officer: TestClient
) -> None:
    """A second subject with Ada's email has restricted processing: the officer's billing lookup
    shows Ada, and of the other only that someone is withheld and why (no ref, no choices)."""
    with console.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    raw = {"subject": "twin", "identities": {"email": EMAIL}, "data": {"user.name": "Twin Person"},
           "source": "direct", "purpose": "billing"}  # fmt: skip
    officer_principal = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    create_subject(console.deps, officer_principal, raw)
    restriction = Choice(Kind.RESTRICTION, "*", False)
    record_choices(
        console.deps, "bluewave", "test", Holder(subject="twin"), [restriction],
        Evidence(Method.REQUEST, Via.API), console.clock.now(),
    )  # fmt: skip
    page = _look_up(officer, "billing")
    assert page.status_code == 200
    assert "2 people found" in page.text
    assert "Ada Person" in page.text
    assert "your role may see nothing of them for this purpose" in page.text
    assert "twin" not in page.text.lower()
    assert page.text.count("<caption>Consent and preferences</caption>") == 1  # Ada's only


def test_a_lookup_shows_a_card_by_its_last_four_and_says_why(
    console: Container, officer: TestClient
) -> None:
    """The officer sees ****1234 beside the category, a line explaining it, and no whole-value
    read is audited."""
    page = _look_up(officer, "billing")
    assert "<td>cc.payment.card</td><td>****1234</td>" in page.text
    assert "<td>cc.account.number</td><td>ACC-777</td>" in page.text
    assert "show their last four characters" in page.text
    assert not [e for e in _events(console) if e.action == "vault:field:read"]


def test_a_lookup_withholds_a_security_pin_and_says_why(
    console: Container, officer: TestClient
) -> None:
    """Ada's security PIN reads [withheld] beside its category, with a line explaining it; nothing
    of it is shown and no whole-value read is audited."""
    with console.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    update_subject(
        console.deps, Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test"),
        "ada", {"data": {"cc.account.security_pin": "839201"}, "source": "direct",
                "purpose": "fraud-prevention"},
    )  # fmt: skip
    page = _look_up(officer, "fraud-prevention")
    assert "<td>cc.account.security_pin</td><td>[withheld]</td>" in page.text
    assert "show as [withheld]" in page.text
    assert "839201" not in page.text
    assert not [e for e in _events(console) if e.action == "vault:field:read"]


def test_a_role_granted_the_full_value_sees_the_whole_card_in_the_lookup_audited(
    console: Container, client: TestClient
) -> None:
    """A billing agent whose grant lists cc.payment.card under full_values sees it whole; the read
    is audited as vault:field:read with the purpose and the grant, never the number."""
    grant_full_values(console, "[cc.payment.card]")
    create_staff(console.deps, "bluewave", "biller", "billing-agent", PASSWORD, "cli:test")
    assert _sign_in(client, "biller").status_code == 303
    page = _look_up(client, "billing")
    assert "<td>cc.payment.card</td><td>4111 1111 1111 1234</td>" in page.text
    assert "show their last four characters" not in page.text
    whole = [e for e in _events(console) if e.action == "vault:field:read"]
    assert [(e.actor, e.purpose) for e in whole] == [("user:biller", "billing")]
    assert json.loads(whole[0].details) == {
        "fields": ["cc.payment.card"],
        "grants": ["roles.billing-agent.grants[0].full_values"],
    }


def test_control_characters_and_odd_numbers_are_refused_not_crashed_on(
    console: Container, officer: TestClient, client: TestClient
) -> None:
    """A NUL byte in a path, query or form and numbers that are not plain ASCII digits or too big
    for a key get a 422 page, never a 500 (PostgreSQL refuses NUL in text)."""
    for url in (
        "/admin/requests/%00",
        "/admin/consent?subject=%00",
        "/admin/audit?before=%C2%B2",
        "/admin/audit?before=9223372036854775808",
        "/admin/dashboard?weeks=%C2%B2",
    ):
        assert officer.get(url).status_code == 422, url
    opened = _open(console)
    token = _csrf(officer, f"/admin/requests/{opened.ref}")
    posted = officer.post(
        f"/admin/requests/{opened.ref}",
        data={"csrf": token, "action": "verify", "note": "a\x00b"},
        follow_redirects=False,
    )
    assert posted.status_code == 422
    task = officer.post(
        f"/admin/requests/{opened.ref}/tasks/%C2%B2",
        data={"csrf": token, "outcome": "done", "note": "x"},
    )
    assert task.status_code == 422
    assert svc.show_request(console.deps, "bluewave", opened.ref).request.state == "received"
    officer.cookies.clear()
    login_token = _csrf(client, "/admin/login")
    refused = client.post(
        "/admin/login",
        data={"csrf": login_token, "tenant": "bluewave", "username": "off\x00icer",
              "password": PASSWORD},
    )  # fmt: skip
    assert refused.status_code in (401, 422)


def test_every_console_page_is_labelled_and_landmarked(
    console: Container, officer: TestClient
) -> None:
    """lang, one main, a label for every field, on each page; the nav marks the current page."""
    opened = _open(console)
    for url in ("/admin", "/admin/requests", f"/admin/requests/{opened.ref}", "/admin/subjects"):
        response = officer.get(url)
        assert response.status_code == 200
        _parse(response.text)
    page = officer.get("/admin/requests").text
    assert '<a href="/admin/requests" aria-current="page">Requests</a>' in page
    for label in ("Consent", "Suppression", "Retention", "Disclosures", "Records", "Incidents"):
        assert f">{label}</a>" in page
    missing = officer.get("/admin/no-such-page")
    assert missing.status_code == 404
    assert "the console has no such page" in missing.text
    _parse(missing.text)
