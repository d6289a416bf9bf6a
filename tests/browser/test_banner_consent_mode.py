"""The banner's Google Consent Mode v2 signals (GCM-1) and the UK's PECR Sch. A1 exemptions
(UK-CK-1) in a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from privault.bootstrap import Container
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.manifest.cookies import CONSENT_TYPES
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.cookies import cookie_status
from privault.services.setup import template_text
from tests.browser.conftest import manifest_container, serve
from tests.fixtures.cookie_modes import duaa_manifest

TENANT = "northwind"  # all four categories
SEVEN = [t.value for t in CONSENT_TYPES]  # pinned in tests/unit/test_rule_parameters.py
ADS = ["ad_storage", "ad_user_data", "ad_personalization"]
# Keeps every dataLayer push in sessionStorage, so the log survives the reload after a withdrawal.
RECORD = """
window.dataLayer = [];
window.dataLayer.push = function () {
  var log = JSON.parse(sessionStorage.getItem("gcm") || "[]");
  Array.prototype.forEach.call(arguments, function (a) { log.push(Array.prototype.slice.call(a)); });
  sessionStorage.setItem("gcm", JSON.stringify(log));
  return Array.prototype.push.apply(this, arguments);
};
"""
GPC_INIT = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile that records the dataLayer."""
    made = browser.new_context(viewport={"width": 1000, "height": 700})
    made.add_init_script(RECORD)
    yield made
    made.close()


def _log(page: Page) -> list[list[object]]:
    found: list[list[object]] = page.evaluate("JSON.parse(sessionStorage.getItem('gcm') || '[]')")
    return found


def _updates(page: Page) -> list[dict[str, str]]:
    found: list[dict[str, str]] = page.evaluate(
        "JSON.parse(sessionStorage.getItem('gcm') || '[]')"
        ".filter(e => e[0] === 'consent' && e[1] === 'update').map(e => e[2])"
    )
    return found


def _granted(state: dict[str, str]) -> set[str]:
    return {k for k, v in state.items() if v == "granted"}


def _open(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_role("dialog")).to_be_visible()
    return page


def test_all_seven_types_are_denied_before_anything_else_runs(
    context: BrowserContext, server: str
) -> None:
    """The first dataLayer entry is the consent default: all seven denied, with wait_for_update."""
    page = _open(context, f"{server}/test-site/{TENANT}")
    first = _log(page)[0]
    assert first[:2] == ["consent", "default"]
    assert first[2] == {**dict.fromkeys(SEVEN, "denied"), "wait_for_update": 500}
    assert _updates(page) == []
    assert page.evaluate("window.statsRan") is None


def test_a_tag_after_the_banner_in_head_finds_the_denied_default(
    browser: Browser, server: str
) -> None:
    """Loaded first in <head> without defer, the banner's default is in the dataLayer before the
    next script (where a Google tag would stand) runs."""
    html = (
        f'<!doctype html><html><head><script src="/v1/tenants/{TENANT}/banner.js"></script>'
        "<script>window.seen = Array.from(window.dataLayer[0]);</script></head><body></body></html>"
    )
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(
            f"{server}/tag-site", lambda route: route.fulfill(body=html, content_type="text/html")
        )
        page.goto(f"{server}/tag-site")
        seen = page.evaluate("window.seen")
        assert seen == [
            "consent",
            "default",
            {**dict.fromkeys(SEVEN, "denied"), "wait_for_update": 500},
        ]
    finally:
        context.close()


def test_accept_all_grants_every_mapped_type(context: BrowserContext, server: str) -> None:
    """Accept all on a four-category tenant sends an update granting all seven types."""
    page = _open(context, f"{server}/test-site/{TENANT}")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("window.statsRan === true")
    assert _granted(_updates(page)[-1]) == set(SEVEN)


def test_reject_all_grants_only_the_necessary_type(context: BrowserContext, server: str) -> None:
    """Reject all sends an update that grants security_storage (strictly necessary) and nothing else."""
    page = _open(context, f"{server}/test-site/{TENANT}")
    page.get_by_role("button", name="Reject all").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.wait_for_function("JSON.parse(sessionStorage.getItem('gcm')).length > 1")
    last = _updates(page)[-1]
    assert set(last) == set(SEVEN)
    assert _granted(last) == {"security_storage"}


def test_withdrawal_sends_a_denied_update_before_and_after_the_reload(
    context: BrowserContext, server: str
) -> None:
    """Unticking statistics denies analytics_storage at once and again on the reloaded page."""
    page = _open(context, f"{server}/test-site/{TENANT}")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("window.statsRan === true")
    page.get_by_role("button", name="Cookie settings").click()
    page.get_by_label("Statistics").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_function("window.dataLayer.length >= 2")
    updates = _updates(page)
    assert [u["analytics_storage"] for u in updates] == ["granted", "denied", "denied"]
    assert updates[-1]["ad_storage"] == "granted"
    defaults = [e for e in _log(page) if e[:2] == ["consent", "default"]]
    assert len(defaults) == 2  # one per page load, each before its update


def test_gpc_keeps_the_advertising_types_denied(browser: Browser, server: str) -> None:
    """With GPC, Accept all grants analytics but never ad_storage, ad_user_data or ad_personalization."""
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(GPC_INIT)
    context.add_init_script(RECORD)
    try:
        page = _open(context, f"{server}/test-site/{TENANT}")
        page.get_by_role("button", name="Accept all").click()
        page.wait_for_function("window.statsRan === true")
        last = _updates(page)[-1]
        assert last["analytics_storage"] == "granted"
        assert [last[t] for t in ADS] == ["denied"] * 3
    finally:
        context.close()


@pytest.fixture(scope="module")
def uk_container(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template_db: Path
) -> Iterator[Container]:
    """northwind as a UK-only tenant with ``uk_cookie_mode: duaa_exemptions``."""
    text = duaa_manifest(template_text("contact-centre"))
    data = tmp_path_factory.mktemp("browser-uk")
    with manifest_container(data, text, sqlite_template_db) as made:
        yield made


@pytest.fixture(scope="module")
def uk_server(uk_container: Container) -> Iterator[str]:
    """The app serving the UK manifest."""
    with serve(uk_container) as url:
        yield url


def _uk_choices(container: Container, visitor: str) -> dict[str, bool | None]:
    return cookie_status(container.deps, TENANT, visitor, container.clock.now()).choices


def _visitor(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "pv_consent")


def test_uk_exempt_categories_run_at_once_and_marketing_still_asks(
    context: BrowserContext, uk_server: str, artifacts: Path
) -> None:
    """Under duaa_exemptions statistics runs before any choice, the dialog says so, marketing waits."""
    page = _open(context, f"{uk_server}/test-site/{TENANT}")
    page.wait_for_function("window.statsRan === true")
    assert page.evaluate("window.marketingRan") is None
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("without asking, as UK law allows (PECR Sch. A1)")
    expect(dialog).to_contain_text("object at any time, free of charge")
    last = _updates(page)[-1]
    assert _granted(last) == {
        "analytics_storage",
        "functionality_storage",
        "personalization_storage",
        "security_storage",
    }
    page.get_by_role("button", name="Preferences").click()
    expect(page.get_by_label("Statistics")).to_be_checked()
    expect(page.get_by_label("Marketing")).not_to_be_checked()
    page.screenshot(path=artifacts / "banner-uk-exemptions.png")


def test_uk_objection_is_simple_free_and_recorded(
    context: BrowserContext, uk_server: str, uk_container: Container, artifacts: Path
) -> None:
    """After marketing is refused, the notice offers Object; objecting stops statistics and is kept."""
    page = _open(context, f"{uk_server}/test-site/{TENANT}")
    page.get_by_role("button", name="Preferences").click()
    page.get_by_role("button", name="Save").click()  # statistics and preferences stay on
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.reload()
    page.wait_for_function("window.statsRan === true")
    assert _uk_choices(uk_container, _visitor(context))["statistics"] is True
    expect(page.get_by_role("region", name="Cookies on this site")).to_have_count(0)
    page.get_by_role("button", name="Cookie settings").click()
    page.get_by_label("Statistics").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.statsRan") is None
    assert _uk_choices(uk_container, _visitor(context))["statistics"] is False
    assert _updates(page)[-1]["analytics_storage"] == "denied"


def test_uk_notice_with_object_button_when_nothing_needs_asking(
    browser: Browser, uk_server: str, uk_container: Container, artifacts: Path
) -> None:
    """A visitor who refused marketing but was never told of the exempt cookies sees the notice;
    Object turns them off and is recorded."""
    context = browser.new_context()
    context.add_init_script(RECORD)
    try:
        page = context.new_page()
        page.goto(f"{uk_server}/test-site/{TENANT}")  # privault mints the visitor: no choice yet
        expect(page.get_by_role("dialog")).to_be_visible()  # the banner has its visitor
        visitor = _visitor(context)
        _refuse_marketing(uk_container, visitor)
        page.goto(f"{uk_server}/test-site/{TENANT}")
        notice = page.get_by_role("region", name="Cookies on this site")
        expect(notice).to_contain_text("PECR Sch. A1")
        expect(page.get_by_role("dialog")).to_have_count(0)
        page.wait_for_function("window.statsRan === true")
        page.screenshot(path=artifacts / "banner-uk-notice.png")
        with page.expect_navigation():
            notice.get_by_role("button", name="Object").click()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.statsRan") is None
        choices = _uk_choices(uk_container, visitor)
        assert (choices["statistics"], choices["preference"], choices["marketing"]) == (
            False,
            False,
            False,
        )
        expect(page.get_by_role("region", name="Cookies on this site")).to_have_count(0)
    finally:
        context.close()


def _refuse_marketing(container: Container, visitor: str) -> None:
    evidence = Evidence(Method.SAVE, Via.WEB, shown="test: marketing refused")
    choice = Choice(Kind.COOKIE, "marketing", False)
    record_choices(
        container.deps,
        TENANT,
        "test",
        Holder(visitor=visitor),
        [choice],
        evidence,
        container.clock.now(),
    )


def test_uk_notice_also_says_the_gpc_opt_out_was_honored(
    browser: Browser, uk_server: str, uk_container: Container
) -> None:
    """With GPC the UK notice carries "Opt-Out Request Honored" too (11 CCR 7025(c)(6))."""
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(GPC_INIT)
    try:
        page = context.new_page()
        page.goto(f"{uk_server}/test-site/bluewave")
        page.wait_for_load_state("networkidle")
        _refuse_marketing(uk_container, _visitor(context))
        page.goto(f"{uk_server}/test-site/{TENANT}")
        notice = page.get_by_role("region", name="Cookies on this site")
        expect(notice).to_contain_text("PECR Sch. A1")
        expect(notice).to_contain_text("Opt-Out Request Honored")
    finally:
        context.close()
