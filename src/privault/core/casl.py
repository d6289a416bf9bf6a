"""CASL-1: Canada's Anti-Spam Legislation (S.C. 2010, c. 23), s.11 unsubscribe mechanism. No I/O.

- s.11(2): the unsubscribe mechanism in a commercial electronic message must be valid for at least
  60 days after the message is sent. privault's signed links never expire, so a link is good for
  as long as the subject exists (``valid_at_least_until`` is the earliest a link could lawfully be
  retired; nothing retires one).
- s.11(3): the sender gives effect to an unsubscribe without delay, and at the latest 10 business
  days after it is sent. privault records it at once (the decision reads it on the next question);
  for a tenant under Canadian law the ledger event carries that latest day (``casl_effect_by``),
  counted on Canada's federal working calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from privault.core.deadlines import WorkingCalendar, count
from privault.core.laws.model import PeriodUnit

CASL_EFFECT_BUSINESS_DAYS = 10  # S.C. 2010, c. 23, s.11(3)
CASL_MECHANISM_VALID_DAYS = 60  # S.C. 2010, c. 23, s.11(2)
CASL_CALENDAR = WorkingCalendar("CA")


def casl_applies(jurisdictions: Iterable[str]) -> bool:
    """CASL binds a tenant under Canadian law (federal, or a province's)."""
    return any(k == "ca" or k.startswith("ca-") for k in jurisdictions)


def effect_by(received: date) -> date:
    """The last day an unsubscribe received on ``received`` may take to take effect (s.11(3))."""
    return count(received, CASL_EFFECT_BUSINESS_DAYS, PeriodUnit.BUSINESS_DAYS, CASL_CALENDAR)


def valid_at_least_until(sent_on: date) -> date:
    """The last day the link in a message sent on ``sent_on`` must still work (s.11(2))."""
    return sent_on + timedelta(days=CASL_MECHANISM_VALID_DAYS)


def link_must_work(sent_on: date | None, today: date) -> bool:
    """Must a link sent on ``sent_on`` still work ``today``? (Undated links: always.)"""
    return sent_on is None or today <= valid_at_least_until(sent_on)
