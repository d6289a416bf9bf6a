"""Opt-out clocks under several laws (issue #14, item 1): the shortest wins and is named."""

from __future__ import annotations

from datetime import date

from privault.core.deadlines import strictest
from privault.core.jurisdictions import Right

RECEIVED = date(2026, 3, 2)  # a Monday


def test_a_marketing_opt_out_under_us_and_uk_law_is_due_in_can_spams_10_business_days() -> None:
    """CAN-SPAM §7704(a)(4) (10 business days) beats UK GDPR's month; both are named."""
    found = strictest(["uk", "us"], Right.OBJECTION, RECEIVED)
    assert (found.winner.rule, found.winner.due) == ("CANSPAM-1", date(2026, 3, 16))
    assert "GDPR-DSR-1 (uk)" in found.explanation


def test_an_opt_out_of_sale_is_due_in_ccpas_15_business_days() -> None:
    """11 CCR §7026(f): 15 business days, whatever other law the tenant is under."""
    found = strictest(["us-ca", "uk"], Right.OPT_OUT_SALE, RECEIVED)
    assert (found.winner.rule, found.winner.due) == ("CCPA-OO-1", date(2026, 3, 23))
