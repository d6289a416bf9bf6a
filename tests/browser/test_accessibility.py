"""axe-core (vendored, WCAG 2.1 A and AA rules) finds no serious or critical violation on the
privacy center's pages or in the cookie banner, closed-dialog first layer and Preferences panel."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from privault.bootstrap import Container
from privault.services.requests import open_request

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
BLOCKING = {"serious", "critical"}
TENANT = "northwind"


@pytest.fixture(scope="module")
def context(browser: Browser) -> Iterator[BrowserContext]:
    """One profile for the module; each case opens its own page and clears cookies first.

    The app's CSP (default-src 'none') would refuse the injected axe script: bypass it in the
    test browser only, the pages themselves are served unchanged."""
    made = browser.new_context(viewport={"width": 1000, "height": 700}, bypass_csp=True)
    yield made
    made.close()


@pytest.fixture(scope="module")
def status_token(browser_container: Container) -> str:
    """A request opened straight through the service, for its status page."""
    body = {"type": "access", "identities": {"email": ["ana@example.com"]}, "jurisdiction": "uk"}
    return open_request(browser_container.deps, TENANT, body).token


def _banner(page: Page) -> None:
    expect(page.get_by_role("dialog")).to_be_visible()


def _banner_preferences(page: Page) -> None:
    _banner(page)
    page.get_by_role("button", name="Preferences").click()
    expect(page.get_by_role("button", name="Save")).to_be_visible()


def _nothing(page: Page) -> None:
    page.wait_for_load_state("networkidle")


PAGES: dict[str, tuple[str, Callable[[Page], None]]] = {
    "landing": ("/", _nothing),
    "notice": (f"/p/{TENANT}/", _nothing),
    "request-form": (f"/p/{TENANT}/request", _nothing),
    "status": (f"/p/{TENANT}/status/{{token}}", _nothing),
    "preferences": (f"/p/{TENANT}/preferences", _nothing),
    "banner": (f"/test-site/{TENANT}", _banner),
    "banner-preferences": (f"/test-site/{TENANT}", _banner_preferences),
}


def _describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']]} - {v['help']}"
        for v in violations
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_axe_violation(
    name: str, context: BrowserContext, server: str, status_token: str, artifacts: Path
) -> None:
    """Inject axe-core, run the WCAG 2.1 A/AA rules, and allow no serious or critical finding."""
    path, prepare = PAGES[name]
    context.clear_cookies()  # a new visitor each time, so the banner shows
    page = context.new_page()
    try:
        response = page.goto(server + path.replace("{token}", status_token))
        assert response is not None, path
        assert response.ok, f"{path}: HTTP {response.status}"
        prepare(page)
        page.screenshot(path=artifacts / f"a11y-{name}.png", full_page=True)
        page.add_script_tag(path=AXE)
        results = page.evaluate(RUN, TAGS)
        blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
        assert not blocking, f"{name} ({path}):\n{_describe(blocking)}"
    finally:
        page.close()
