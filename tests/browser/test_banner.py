"""The cookie banner in a real browser: nothing optional runs before consent, Reject all and Accept all,
GPC, equal prominence of the three choices, and keyboard use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from privault.bootstrap import Container
from privault.services.cookies import cookie_status

TENANT = "northwind"  # offers all four categories (bluewave offers only necessary and preference)
GPC_INIT = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: no cookies, so a new visitor."""
    made = browser.new_context(viewport={"width": 1000, "height": 700})
    yield made
    made.close()


def _open(context: BrowserContext, server: str) -> Page:
    page = context.new_page()
    page.goto(f"{server}/test-site/{TENANT}")
    expect(page.get_by_role("dialog")).to_be_visible()
    return page


def _visitor(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "pv_consent")


def _choices(container: Container, visitor: str) -> dict[str, bool | None]:
    return cookie_status(container.deps, TENANT, visitor, container.clock.now()).choices


def _wait_closed(page: Page) -> None:
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_reject_all_leaves_statistics_inert_and_records_a_rejection(
    context: BrowserContext, server: str, browser_container: Container, artifacts: Path
) -> None:
    """Before any choice and after Reject all, the statistics script never runs; the server says no."""
    page = _open(context, server)
    assert page.evaluate("window.statsRan") is None
    page.screenshot(path=artifacts / "banner-first-visit.png")
    page.get_by_role("button", name="Reject all").click()
    _wait_closed(page)
    assert page.evaluate("window.statsRan") is None
    assert page.evaluate("window.marketingRan") is None
    choices = _choices(browser_container, _visitor(context))
    assert choices["statistics"] is False
    assert choices["marketing"] is False
    page.screenshot(path=artifacts / "banner-rejected.png")
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert page.evaluate("window.statsRan") is None


def test_accept_all_runs_statistics_and_remembers_it(
    context: BrowserContext, server: str, browser_container: Container, artifacts: Path
) -> None:
    """Accept all activates the statistics script at once, and again on the next page load."""
    page = _open(context, server)
    page.get_by_role("button", name="Accept all").click()
    _wait_closed(page)
    page.wait_for_function("window.statsRan === true")
    assert page.evaluate("window.marketingRan") is True
    assert _choices(browser_container, _visitor(context))["statistics"] is True
    page.screenshot(path=artifacts / "banner-accepted.png")
    page.reload()
    page.wait_for_function("window.statsRan === true")
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_withdrawal_in_preferences_reloads_and_stops_statistics(
    context: BrowserContext, server: str, browser_container: Container, artifacts: Path
) -> None:
    """Preferences shows necessary as always on; unticking statistics reloads the page without it."""
    page = _open(context, server)
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("window.statsRan === true")
    page.get_by_role("button", name="Cookie settings").click()
    necessary = page.get_by_label("Strictly necessary (always on)")
    expect(necessary).to_be_checked()
    expect(necessary).to_be_disabled()
    page.get_by_label("Statistics").uncheck()
    page.screenshot(path=artifacts / "banner-preferences.png")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.statsRan") is None
    assert _choices(browser_container, _visitor(context))["statistics"] is False


def test_gpc_shows_the_honoured_notice_and_never_runs_marketing(
    browser: Browser, server: str, browser_container: Container, artifacts: Path
) -> None:
    """With Sec-GPC: 1 and navigator.globalPrivacyControl, the banner says so and marketing stays off."""
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(GPC_INIT)
    try:
        page = _open(context, server)
        expect(page.get_by_role("dialog")).to_contain_text("Opt-Out Request Honored")
        page.screenshot(path=artifacts / "banner-gpc.png")
        page.get_by_role("button", name="Accept all").click()
        _wait_closed(page)
        page.wait_for_function("window.statsRan === true")
        assert page.evaluate("window.marketingRan") is None
        assert _choices(browser_container, _visitor(context))["marketing"] is False
    finally:
        context.close()


def test_the_three_choices_have_equal_prominence(context: BrowserContext, server: str) -> None:
    """Accept all, Reject all and Preferences: same element, class, size, padding and colours."""
    page = _open(context, server)
    looks = page.evaluate(
        """() => Array.from(document.querySelectorAll('[role=dialog] button')).map(b => {
            const s = getComputedStyle(b), r = b.getBoundingClientRect();
            return {text: b.textContent, tag: b.tagName, cls: b.className, font: s.fontSize,
                    weight: s.fontWeight, padding: s.padding, bg: s.backgroundColor,
                    color: s.color, border: s.border, height: r.height};
        })"""
    )
    assert [look.pop("text") for look in looks] == ["Accept all", "Reject all", "Preferences"]
    assert looks[0] == looks[1] == looks[2]


def test_keyboard_reaches_the_buttons_and_enter_activates(
    context: BrowserContext, server: str, browser_container: Container, artifacts: Path
) -> None:
    """The dialog takes focus; Tab reaches Accept all then Reject all, with a visible focus ring."""
    page = _open(context, server)
    expect(page.get_by_role("dialog")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Accept all")).to_be_focused()
    page.keyboard.press("Tab")
    reject = page.get_by_role("button", name="Reject all")
    expect(reject).to_be_focused()
    outline = reject.evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline != "none"
    page.screenshot(path=artifacts / "banner-keyboard-focus.png")
    page.keyboard.press("Enter")
    _wait_closed(page)
    assert _choices(browser_container, _visitor(context))["statistics"] is False
    assert page.evaluate("window.statsRan") is None


def test_dialog_is_labelled_for_screen_readers(context: BrowserContext, server: str) -> None:
    """role=dialog with aria-labelledby and aria-describedby pointing at its heading and text."""
    page = _open(context, server)
    dialog = page.get_by_role("dialog", name="Cookies on this site")
    expect(dialog).to_be_visible()
    described = dialog.get_attribute("aria-describedby")
    assert described
    assert "Nothing optional runs" in page.locator(f"#{described}").inner_text()


def test_categories_come_from_the_tenants_manifest(context: BrowserContext, server: str) -> None:
    """bluewave offers only necessary and preference cookies; its statistics scripts never run."""
    page = context.new_page()
    page.goto(f"{server}/test-site/bluewave")
    page.get_by_role("button", name="Preferences").click()
    labels = page.locator("[role=dialog] label").all_inner_texts()
    assert labels == ["Strictly necessary (always on)", "Preferences"]
    page.get_by_role("button", name="Save").click()
    _wait_closed(page)
    page.goto(f"{server}/test-site/bluewave")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.statsRan") is None
