"""The admin console in Debian's Chromium over plain http on 127.0.0.1: the Secure ``__Host-``
session cookie is kept (the local machine counts as secure), the keyboard reaches everything, and
axe-core finds no serious or critical WCAG 2.1 A/AA violation on its pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from privault.bootstrap import Container
from privault.services.requests import open_request
from privault.services.staff import create_staff, list_staff

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
BLOCKING = {"serious", "critical"}
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def ref(browser_container: Container) -> str:
    """An officer login (once) and a request to look at."""
    if not any(s.username == "officer" for s in list_staff(browser_container.deps, "bluewave")):
        create_staff(
            browser_container.deps, "bluewave", "officer", "privacy-officer", PASSWORD, "test"
        )
    body = {"type": "access", "identities": {"email": ["ana@example.com"]}, "jurisdiction": "us-ca"}
    return open_request(browser_container.deps, "bluewave", body).ref


@pytest.fixture(scope="module")
def signed_in(browser: Browser, server: str, ref: str) -> Iterator[BrowserContext]:
    """A profile signed in as the officer through the sign-in form, by keyboard."""
    del ref
    context = browser.new_context(viewport={"width": 1100, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server}/admin")
    expect(page).to_have_url(f"{server}/admin/login?next=/admin")
    page.get_by_label("Organisation").select_option("bluewave")
    page.get_by_label("Username").fill("officer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_text("Signed in as")).to_be_visible()
    page.close()
    yield context
    context.close()


def test_the_secure_host_cookie_is_kept_on_127_0_0_1(signed_in: BrowserContext) -> None:
    """Chromium stored __Host-pv_admin (Secure, HttpOnly, Strict) from a plain-http page on
    127.0.0.1, so `make run` works without PRIVAULT_ADMIN_COOKIE_SECURE=false."""
    cookies = {c["name"]: c for c in signed_in.cookies()}
    session = cookies["__Host-pv_admin"]
    assert session["secure"]
    assert session["httpOnly"]
    assert session["sameSite"] == "Strict"


def test_the_keyboard_reaches_the_skip_link_then_the_navigation(
    signed_in: BrowserContext, server: str
) -> None:
    """Tab: the skip link first (visible when focused), then the header's button, then the pages."""
    page = signed_in.new_page()
    try:
        page.goto(f"{server}/admin/requests")
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Sign out")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Home")).to_be_focused()
    finally:
        page.close()


def _describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']]} - {v['help']}"
        for v in violations
    )


def _look_up(page: Page) -> None:
    page.get_by_label("Email address or phone number").fill("ana@example.com")
    page.get_by_label("Purpose (required)").select_option("billing")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_text("Nobody found with this email")).to_be_visible()


@pytest.mark.parametrize(
    "name",
    [
        "home",
        "dashboard",
        "queue",
        "request",
        "lookup",
        "consent",
        "suppression",
        "suppression-email",
        "retention",
        "disclosures",
        "records",
        "incidents",
        "audit",
        "not-found",
        "sign-in",
    ],
)
def test_no_serious_or_critical_axe_violation_in_the_console(
    name: str, signed_in: BrowserContext, server: str, ref: str, artifacts: Path
) -> None:
    """Inject axe-core, run the WCAG 2.1 A/AA rules, and allow no serious or critical finding."""
    paths = {
        "home": "/admin",
        "dashboard": "/admin/dashboard",
        "queue": "/admin/requests",
        "request": f"/admin/requests/{ref}",
        "lookup": "/admin/subjects",
        "consent": "/admin/consent",
        "suppression": "/admin/suppression",
        "suppression-email": "/admin/suppression?channel=email",
        "retention": "/admin/retention",
        "disclosures": "/admin/disclosures",
        "records": "/admin/records",
        "incidents": "/admin/incidents",
        "audit": "/admin/audit",
        "not-found": "/admin/no-such-page",
        "sign-in": "/admin/login",
    }
    page = signed_in.new_page()
    try:
        response = page.goto(server + paths[name])
        assert response is not None
        assert response.status == (404 if name == "not-found" else 200), name
        if name == "lookup":
            _look_up(page)
        page.screenshot(path=artifacts / f"admin-{name}.png", full_page=True)
        page.add_script_tag(path=AXE)
        results = page.evaluate(RUN, TAGS)
        blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
        assert not blocking, f"{name}:\n{_describe(blocking)}"
    finally:
        page.close()
