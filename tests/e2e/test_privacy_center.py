"""The privacy center's pages over HTTP, on both engines: notice, request form, private status page
with verification and download, preferences with CSRF, and the landing page."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.core.consent import Kind, topic
from privault.http.app import create_app
from privault.outbound.messenger import read_outbox
from privault.services.consent import Holder, current_state
from privault.services.fulfilment import fulfil
from privault.services.requests import list_requests
from privault.services.setup import apply_manifest
from privault.web.routes import router
from tests.e2e.visitor_helpers import prove

EMAIL = "ada.person@example.com"
VISITOR = "visitor-0123456789abcdef"


class _Page(HTMLParser):
    """Collects what the accessibility checks need."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.mains = 0
        self.inputs: list[str | None] = []
        self.labels: set[str] = set()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "main":
            self.mains += 1
        elif tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[str(a.get("name"))] = str(a.get("value") or "")
        elif tag in ("input", "select", "textarea"):
            self.inputs.append(a.get("id"))


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    assert page.lang, "<html lang> missing"
    assert page.mains == 1, "one <main> landmark"
    unlabelled = [i for i in page.inputs if i is None or i not in page.labels]
    assert not unlabelled, f"inputs without a label: {unlabelled}"
    return page


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The app with the manifest applied and the web router mounted."""
    apply_manifest(container.deps)
    app = create_app(container)
    if not any(getattr(r, "path", "") == "/p/{tenant}/" for r in app.routes):
        app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_landing_page_lists_every_tenant(container: Container, client: TestClient) -> None:
    """The landing page links each tenant's privacy center and names the console."""
    response = client.get("/")
    assert response.status_code == 200
    _parse(response.text)
    for tenant in container.manifest.tenants:
        assert f'href="/p/{tenant.key}/"' in response.text
    assert "/admin" in response.text


def test_notice_page_in_the_brands_name_and_colours(client: TestClient) -> None:
    """The notice page shows Last updated, the versions link, and the chosen brand."""
    response = client.get("/p/bluewave/?brand=tidal-prepaid")
    assert response.status_code == 200
    _parse(response.text)
    assert "Last updated" in response.text
    assert "Tidal Prepaid" in response.text
    assert "#006d77" in response.text
    assert "/p/bluewave/request?brand=tidal-prepaid" in response.text
    default = client.get("/p/bluewave/")
    assert "Bluewave Mobile" in default.text
    assert "#0b3d91" in default.text
    assert "/p/bluewave/notice/versions" in default.text
    versions = client.get("/p/bluewave/notice/versions")
    _parse(versions.text)
    link = re.search(r'href="(/p/bluewave/notice/versions/[^"]+)"', versions.text)
    assert link
    assert client.get(link.group(1)).status_code == 200
    assert client.get("/p/nobody/").status_code == 404


def _codes(container: Container) -> list[str]:
    return [
        m["body"].split(" is ")[1][:6]
        for m in read_outbox(container.settings.outbox_path)
        if m["to"] == EMAIL and m["kind"] == "verification_code"
    ]


def test_request_through_the_form_verified_completed_and_downloaded(
    container: Container, client: TestClient
) -> None:
    """Form -> status page -> code from the outbox -> staff complete -> the zip."""
    form = client.get("/p/bluewave/request?jurisdiction=us-ca")
    _parse(form.text)
    assert 'value="access"' in form.text
    sent = client.post(
        "/p/bluewave/request",
        data={"jurisdiction": "us-ca", "right": "access", "email": EMAIL},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    status_url = sent.headers["location"]
    assert status_url.startswith("/p/bluewave/status/")
    page = client.get(status_url)
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    _parse(page.text)
    assert "Confirm it is you" in page.text
    assert EMAIL not in page.text
    wrong = client.post(f"{status_url}/verify", data={"code": "000000"})
    assert wrong.status_code == 422
    verified = client.post(f"{status_url}/verify", data={"code": _codes(container)[-1]})
    assert verified.status_code == 200
    assert "Confirm it is you" not in verified.text
    ref = re.search(r"Your request (R-[A-Z0-9]+)", verified.text)
    assert ref
    fulfil(container.deps, "bluewave", ref.group(1), "staff")
    done = client.get(status_url)
    assert "Download your data" in done.text
    package = client.get(f"{status_url}/package")
    assert package.status_code == 200
    assert package.headers["content-type"] == "application/zip"
    assert "data.json" in zipfile.ZipFile(io.BytesIO(package.content)).namelist()


def test_a_bad_email_re_renders_the_form_and_stores_nothing(
    container: Container, client: TestClient
) -> None:
    """The error is next to the field; the value stays only in the field; no request is opened."""
    response = client.post(
        "/p/bluewave/request",
        data={"jurisdiction": "us-ca", "right": "access", "email": "not-an-email"},
    )
    assert response.status_code == 422
    _parse(response.text)
    assert 'id="email-error"' in response.text
    assert response.text.count("not-an-email") == 1  # the field's value, nowhere else
    assert read_outbox(container.settings.outbox_path) == []
    assert list_requests(container.deps, "bluewave") == []


def test_preferences_show_and_save_choices_with_csrf(
    container: Container, client: TestClient
) -> None:
    """A cookie choice and a marketing opt-out are saved and shown; no token, no save."""
    prove(client, container, VISITOR, "northwind")  # VISITOR's own browser
    page = client.get("/p/northwind/preferences")
    assert page.status_code == 200
    form = _parse(page.text)
    assert form.hidden["visitor"] == VISITOR
    fields = {k: form.hidden[k] for k in ("visitor", "csrf", "notice_version")}
    refused = client.post(
        "/p/northwind/preferences", data={"visitor": VISITOR, "cookie:statistics": "on"}
    )
    assert refused.status_code == 403
    saved = client.post(
        "/p/northwind/preferences",
        data=fields | {"cookie:statistics": "on", "marketing:northwind:sms": "on"},
    )
    assert saved.status_code == 200
    assert "Your choices are saved" in saved.text
    state = current_state(container.deps, "northwind", Holder(visitor=VISITOR))
    assert state[topic(Kind.COOKIE, "statistics")].granted
    assert not state[topic(Kind.COOKIE, "marketing")].granted
    assert not state[topic(Kind.MARKETING, "northwind:email")].granted
    assert state[topic(Kind.MARKETING, "northwind:sms")].granted
    assert state[topic(Kind.COOKIE, "statistics")].method == "save"
