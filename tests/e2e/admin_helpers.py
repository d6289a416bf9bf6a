"""Helpers for the admin console's end-to-end tests: a tenant with staff logins and one person, a
browser (TestClient) that signs in, and a parser that checks each page's structure (language, one
main landmark and one h1, a label for every field, a caption for every table, a scope on every
header cell) and collects the CSRF tokens of its forms."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.http.app import create_app
from privault.services.setup import apply_manifest
from privault.services.staff import create_staff
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject

PASSWORD = "correct horse battery staple"
EMAIL = "ada.person@example.com"
TENANT = "bluewave"
LOGINS = (("officer", "privacy-officer"), ("aud", "auditor"), ("agent", "agent"))


class Page(HTMLParser):
    """What the structure checks and the forms need of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.counts: dict[str, int] = {}
        self.inputs: list[str | None] = []
        self.labels: set[str] = set()
        self.csrf: list[str] = []
        self.unscoped_th = 0
        self._table_caption: list[bool] = []
        self.tables_without_caption = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Count and collect."""
        a = dict(attrs)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        elif tag == "input" and a.get("type") == "hidden":
            if a.get("name") == "csrf":
                self.csrf.append(str(a.get("value")))
        elif tag in ("input", "select", "textarea"):
            self.inputs.append(a.get("id"))
        elif tag == "th" and not a.get("scope"):
            self.unscoped_th += 1
        elif tag == "table":
            self._table_caption.append(False)
        elif tag == "caption" and self._table_caption:
            self._table_caption[-1] = True

    def handle_endtag(self, tag: str) -> None:
        """A table without a caption is counted when it ends."""
        if tag == "table" and self._table_caption and not self._table_caption.pop():
            self.tables_without_caption += 1


def parse(html: str) -> Page:
    """The page, checked: lang, one main and one h1, labelled fields, captioned tables, scoped th."""
    page = Page()
    page.feed(html)
    assert page.lang == "en"
    assert page.counts.get("main") == 1, "one <main> landmark"
    assert page.counts.get("h1") == 1, "one <h1>"
    unlabelled = [i for i in page.inputs if i is None or i not in page.labels]
    assert not unlabelled, f"fields without a label: {unlabelled}"
    assert page.tables_without_caption == 0, "every table has a caption"
    assert page.unscoped_th == 0, "every header cell has a scope"
    return page


def prepare(container: Container) -> Container:
    """The manifest applied; an officer (admin), an auditor and an agent in bluewave; Ada (ref
    ``ada``) in the vault."""
    apply_manifest(container.deps)
    for name, role in LOGINS:
        create_staff(container.deps, TENANT, name, role, PASSWORD, "cli:test")
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, TENANT).id
    create_subject(
        container.deps,
        Principal(tenant_id, TENANT, "privacy-officer", "cli", "test"),
        {
            "subject": "ada",
            "identities": {"email": EMAIL},
            "data": {"user.name": "Ada Person", "cc.account.number": "ACC-777"},
            "source": "direct",
            "purpose": "billing",
        },
    )
    return container


def app_client(container: Container, base_url: str = "https://testserver") -> TestClient:
    """A browser on https (so Secure cookies come back), not signed in."""
    return TestClient(create_app(container), base_url=base_url, raise_server_exceptions=False)


def csrf(client: TestClient, url: str) -> str:
    """The CSRF token of the first form on the page at ``url``."""
    return parse(client.get(url).text).csrf[0]


def sign_in(client: TestClient, username: str = "officer"):
    """Sign in with the staff password (the response is the 303 of a success)."""
    token = csrf(client, "/admin/login")
    return client.post(
        "/admin/login",
        data={"csrf": token, "tenant": TENANT, "username": username, "password": PASSWORD},
        follow_redirects=False,
    )


def post(client: TestClient, url: str, form_url: str, **fields: str):
    """POST a console form with the token of the page it is on, not following the redirect."""
    token = csrf(client, form_url)
    return client.post(url, data={"csrf": token, **fields}, follow_redirects=False)
