"""Requests end to end in Debian's Chromium: a person asks for their data on the privacy center,
confirms it with the code from the outbox, staff start and complete it in the console (another
browser profile), and the person downloads the package; staff extend a request with a reason and
the person's status page shows the new date and why. Every page is kept as a screenshot."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from privault.bootstrap import Container
from privault.outbound.messenger import read_outbox
from privault.services.requests import show_request

TENANT = "bluewave"
WHERE = "California (CCPA/CPRA)"
ACCESS = "Know and access the personal data we hold about you"
REF = re.compile(r"Your request (R-[A-Z0-9]+)")
CODE = re.compile(r" is (\d{6})\.")
REASON = "Your data is spread across three billing systems; we need the time to gather all of it."


@pytest.fixture
def person(browser: Browser) -> Iterator[BrowserContext]:
    """The requester's own browser profile (no console session in it)."""
    context = browser.new_context(viewport={"width": 1000, "height": 800}, accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def staff(
    browser: Browser, server: str, staff_login: tuple[str, str, str]
) -> Iterator[BrowserContext]:
    """A separate profile for the officer, signed in through the console's sign-in form."""
    organisation, username, password = staff_login
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(f"{server}/admin/login")
    page.get_by_label("Organisation").select_option(organisation)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()
    page.close()
    yield context
    context.close()


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=artifacts / f"flow-{name}.png", full_page=True)


def _fact(page: Page, term: str) -> Locator:
    """The value (``dd``) next to a term (``dt``) of the page's facts."""
    return page.locator(f"xpath=//dt[normalize-space()='{term}']/following-sibling::dd[1]")


def _code_for(container: Container, ref: str) -> str:
    """The newest verification code the outbox holds for this request."""
    codes = [
        found.group(1)
        for m in read_outbox(container.settings.outbox_path)
        if m["kind"] == "verification_code" and ref in m["subject"]
        if (found := CODE.search(m["body"]))
    ]
    assert codes, f"no verification code in the outbox for {ref}"
    return codes[-1]


def _open_and_verify(
    page: Page, server: str, container: Container, email: str, artifacts: Path, name: str
) -> tuple[str, str]:
    """Fill the request form (California, access, email), send it, type the code from the outbox on
    the status page; the status page's address and the request's reference."""
    page.goto(f"{server}/p/{TENANT}/request")
    page.get_by_label("Where you live").select_option(label=WHERE)
    page.get_by_role("button", name="Show the rights that apply").click()
    expect(page).to_have_url(re.compile(r"[?&]jurisdiction=us-ca"))
    page.get_by_role("radio", name=ACCESS).check()
    page.get_by_label("Email address").fill(email)
    _shot(page, artifacts, f"{name}-01-request-form")
    page.get_by_role("button", name="Send the request").click()

    expect(page).to_have_url(re.compile(rf"/p/{TENANT}/status/[^/?]+$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(REF)
    found = REF.search(heading.inner_text())
    assert found
    ref, status_url = found.group(1), page.url
    expect(_fact(page, "State")).to_have_text("received")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_text(email)).to_have_count(0)  # the address is masked on the page
    _shot(page, artifacts, f"{name}-02-status-unverified")

    page.get_by_label("Code sent to").fill(_code_for(container, ref))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(status_url)
    expect(_fact(page, "State")).to_have_text("verified")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    _shot(page, artifacts, f"{name}-03-status-verified")
    return status_url, ref


def _open_in_console(page: Page, server: str, ref: str, artifacts: Path, name: str) -> None:
    """The queue lists the request; its link opens the request's page."""
    page.goto(f"{server}/admin/requests")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=ref, exact=True))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(1)).to_have_text("access")
    expect(row.get_by_role("cell").nth(2)).to_have_text("verified")
    _shot(page, artifacts, f"{name}-04-console-queue")
    row.get_by_role("link", name=ref, exact=True).click()
    expect(page).to_have_url(f"{server}/admin/requests/{ref}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {ref}")
    expect(_fact(page, "State")).to_have_text("verified")
    _shot(page, artifacts, f"{name}-05-console-request")


def test_access_request_verified_completed_and_downloaded(
    person: BrowserContext,
    staff: BrowserContext,
    server: str,
    browser_container: Container,
    artifacts: Path,
) -> None:
    """Form -> status page -> code from the outbox -> staff start and fulfil in the console ->
    the person sees "completed" and downloads a zip with data.json and report.html."""
    requester = person.new_page()
    status_url, ref = _open_and_verify(
        requester, server, browser_container, "avery.access@example.com", artifacts, "access"
    )

    console = staff.new_page()
    _open_in_console(console, server, ref, artifacts, "access")
    console.get_by_role("button", name="Start", exact=True).click()
    expect(console.get_by_role("status")).to_have_text(
        "Work started; the request is assigned to you."
    )
    expect(_fact(console, "State")).to_have_text("in progress")
    expect(_fact(console, "Assignee")).to_have_text("user:officer")
    _shot(console, artifacts, "access-06-console-started")
    console.get_by_role("button", name="Fulfil now").click()
    expect(console.get_by_role("status")).to_have_text(
        "Fulfilled: the request is completed and the requester was told."
    )
    expect(_fact(console, "State")).to_have_text("completed")
    expect(_fact(console, "Package")).to_contain_text(".zip")
    expect(console.get_by_role("heading", name="Actions")).to_have_count(0)
    _shot(console, artifacts, "access-07-console-completed")

    requester.reload()
    expect(requester).to_have_url(status_url)
    expect(_fact(requester, "State")).to_have_text("completed")
    link = requester.get_by_role("link", name="Download your data (zip)")
    expect(link).to_be_visible()
    _shot(requester, artifacts, "access-08-status-completed")
    with requester.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as package:
        names = package.namelist()
        assert {"data.json", "report.html"} <= set(names), names
        assert ref in package.read("report.html").decode("utf-8")

    console.reload()
    expect(_fact(console, "Package")).to_contain_text("downloaded 1 time(s)")


def test_an_extension_shows_its_new_date_and_reason_on_the_status_page(
    person: BrowserContext,
    staff: BrowserContext,
    server: str,
    browser_container: Container,
    artifacts: Path,
) -> None:
    """Staff extend a verified request with a reason; the person's status page shows the later due
    date the service recorded (CCPA: 45 more calendar days) and the reason."""
    requester = person.new_page()
    status_url, ref = _open_and_verify(
        requester, server, browser_container, "ezra.extend@example.com", artifacts, "extend"
    )
    before = date.fromisoformat(
        str(_fact(requester, "Due by").locator("time").get_attribute("datetime"))
    )
    assert before == show_request(browser_container.deps, TENANT, ref).request.due_on
    expect(_fact(requester, "Due by")).to_have_text(f"{before:%d %B %Y}")

    console = staff.new_page()
    _open_in_console(console, server, ref, artifacts, "extend")
    expect(_fact(console, "Due")).to_contain_text(before.isoformat())
    console.get_by_label("Why more time is needed (sent to the requester)").fill(REASON)
    console.get_by_role("button", name="Extend", exact=True).click()
    flash = console.get_by_role("status")
    expect(flash).to_have_text(re.compile(r"^Deadline extended to \d{4}-\d{2}-\d{2}; "))
    after = show_request(browser_container.deps, TENANT, ref).request.due_on
    expect(flash).to_have_text(
        f"Deadline extended to {after.isoformat()}; the requester was told why."
    )
    assert after - before == timedelta(days=45)
    expect(_fact(console, "State")).to_have_text("extended")
    expect(_fact(console, "Why it was extended")).to_have_text(REASON)
    expect(console.get_by_role("button", name="Extend", exact=True)).to_have_count(0)
    _shot(console, artifacts, "extend-06-console-extended")

    requester.reload()
    expect(requester).to_have_url(status_url)
    expect(_fact(requester, "State")).to_have_text("extended")
    due = _fact(requester, "Due by")
    expect(due).to_have_text(f"{after:%d %B %Y} (extended)")
    expect(due.locator("time")).to_have_attribute("datetime", after.isoformat())
    expect(_fact(requester, "Why it was extended")).to_have_text(REASON)
    _shot(requester, artifacts, "extend-07-status-extended")
