"""The FCC's CPNI rules as pure functions (core/cpni.py): who is a carrier, the notice dates, the
campaign review, the certificate date, the password rule and the changes 64.2010(f) names."""

from __future__ import annotations

from datetime import date

import pytest

from privault.core.consent import Entry
from privault.core.cpni import (
    Change,
    Delivery,
    alert_text,
    approval_from,
    certificate_due,
    changes,
    check_launch,
    check_password,
    check_review,
    keep_until,
    notice_needed,
    under_cpni_rules,
    wait_starts,
)
from privault.core.manifest.resolve import tenant_view
from privault.errors import Conflict, InvalidInput

DAY = 86_400_000_000


def test_a_us_tenant_processing_cpni_is_under_the_rules(manifest) -> None:
    """Bluewave (US, purposes using CPNI) is a carrier; Harbour (no CPNI purpose) is not."""
    assert under_cpni_rules(tenant_view(manifest, "bluewave"))
    assert not under_cpni_rules(tenant_view(manifest, "harbour"))


@pytest.mark.parametrize(
    ("delivery", "starts", "approval"),
    [
        (Delivery.MAIL, date(2026, 3, 5), date(2026, 4, 4)),
        (Delivery.ELECTRONIC, date(2026, 3, 2), date(2026, 4, 1)),
    ],
)
def test_the_wait_starts_on_the_third_day_after_mailing(
    delivery: Delivery, starts: date, approval: date
) -> None:
    """47 CFR 64.2008(d)(1): mailed 2 March, the wait starts 5 March; e-mailed, the same day."""
    assert wait_starts(date(2026, 3, 2), delivery) == starts
    assert approval_from(date(2026, 3, 2), delivery) == approval


@pytest.mark.parametrize(
    ("entry", "days", "needed"),
    [
        (None, 0, "first"),
        (Entry(True, 0, 1, "notice_mail"), 669, None),
        (Entry(True, 0, 1, "notice_mail"), 670, "renewal"),
        (Entry(True, 0, 1, "agent"), 2000, None),
        (Entry(False, 0, 1, "form"), 2000, None),
    ],
)
def test_a_notice_is_due_first_or_60_days_before_two_years(
    entry: Entry | None, days: int, needed: str | None
) -> None:
    """No approval: a first notice; a notice 670 days old: its renewal; opt-in or opt-out: none."""
    assert notice_needed(entry, days * DAY) == needed


def test_records_are_kept_one_year_and_29_february_goes_to_1_march() -> None:
    """64.2008(a)(2), 64.2009(c): kept until one year later."""
    assert keep_until(date(2026, 3, 2)) == date(2027, 3, 2)
    assert keep_until(date(2028, 2, 29)) == date(2029, 3, 1)


def test_the_certificate_for_a_year_is_due_on_1_march_of_the_next() -> None:
    """64.2009(e)."""
    assert certificate_due(2025) == date(2026, 3, 1)


def test_only_a_supervisor_reviews_and_only_an_approved_campaign_launches() -> None:
    """64.2009(d): the requester cannot approve; a proposed campaign cannot launch."""
    with pytest.raises(Conflict):
        check_review("proposed", "staff:a", "staff:a")
    with pytest.raises(Conflict):
        check_review("approved", "staff:a", "staff:b")
    check_review("proposed", "staff:a", "staff:b")
    with pytest.raises(Conflict):
        check_launch("proposed")
    check_launch("approved")


@pytest.mark.parametrize(
    "password",
    ["Lovelace77", "kite19801210", "zz5550100", "abc", "ada-4242-acct"],
)
def test_a_password_built_from_biographical_information_is_refused(password: str) -> None:
    """Name, date of birth, phone number, too short, account number: refused (64.2010(b))."""
    biography = ["Ada Lovelace", "1980-12-10", "+1 415 555 0100", "ACCT-4242"]
    with pytest.raises(InvalidInput):
        check_password(password, biography)


def test_a_password_unrelated_to_the_customer_passes() -> None:
    """A phrase with no piece of the biography is accepted."""
    check_password("harbour-kite-42", ["Ada Lovelace", "1980-12-10", "+1 415 555 0100"])


def test_the_changes_named_by_64_2010_f_come_from_categories_and_identities(manifest) -> None:
    """A PIN is a password (through its declared parent), an address and a new e-mail are named."""
    found = changes(manifest, ["cc.account.security_pin", "user.contact.address"], ["email"])
    assert found == [Change.ADDRESS, Change.EMAIL, Change.PASSWORD]
    assert changes(manifest, ["user.name"], ["account"]) == []


def test_the_alert_names_the_kind_of_change_never_the_value() -> None:
    """The body says what changed and when."""
    subject, body = alert_text("Bluewave", [Change.ADDRESS], date(2026, 3, 2))
    assert "Bluewave" in subject
    assert "address of record" in body
    assert "2026-03-02" in body
