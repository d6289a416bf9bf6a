"""India's dormancy erasure (RULES.md DPDP-ERA-1). No I/O.

The Digital Personal Data Protection Rules, 2025, rule 8(1) and the Third Schedule: an e-commerce
entity or a social media intermediary with at least two crore (20 million) registered users in India,
or an online gaming intermediary with at least fifty lakh (5 million), erases a person's data three
years after she last approached it (to use the service or exercise her rights), or three years after
the Rules commenced, whichever is later. Rule 8(2): she is told at least 48 hours before that her
data will be erased unless she logs in or otherwise gets in touch.

A tenant declares itself such a platform in the manifest (``tenants[].dpdp_platform``); privault
cannot count its users. Inactivity is the subject's last activity (``last_activity_at``, or when the
record last changed when none is recorded), as the ``last_activity`` retention rules count it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from privault.core.manifest.model import Period
from privault.core.retention import due_before, due_on, midnight

DpdpPlatform = Literal["e_commerce", "online_gaming", "social_media"]

RULE = "DPDP-ERA-1"
CITATION = "DPDP Rules 2025, r. 8 and Third Schedule"
DORMANCY = Period(amount=3, unit="year")  # Third Schedule, column (4): three years
NOTICE_HOURS = 48  # r. 8(2): "at least forty-eight hours before"
# The Rules were published (and rules 1, 2, 17-21 commenced) on 13 November 2025; rule 8 itself
# commences 18 months later. The Schedule counts from "the commencement of the Rules": read here
# as the publication day (the earlier, stricter reading) -- unverified against an official gloss.
RULES_COMMENCED = date(2025, 11, 13)
# privault tells the person this many days before the three years end (at least the 48 hours).
NOTICE_LEAD_DAYS = 7

# The Third Schedule's classes and their thresholds of registered users in India.
PLATFORM_USERS: dict[str, int] = {
    "e_commerce": 20_000_000,  # item 1: not less than two crore
    "online_gaming": 5_000_000,  # item 2: not less than fifty lakh
    "social_media": 20_000_000,  # item 3: not less than two crore
}


def erasure_day(last_activity: datetime) -> date:
    """The day a dormant person's data falls due: three years after her last activity, and never
    before three years after the Rules commenced."""
    return max(due_on(DORMANCY, last_activity), due_on(DORMANCY, RULES_COMMENCED))


def erase_at(last_activity: datetime, noticed_at: datetime) -> datetime:
    """When the erasure may run: on its day, and never less than 48 hours after the notice."""
    return max(midnight(erasure_day(last_activity)), noticed_at + timedelta(hours=NOTICE_HOURS))


def notice_cutoff(today: date) -> datetime | None:
    """Subjects last active before this instant get their notice on ``today`` (None: nobody can be
    due within the notice lead, the three years since the Rules commenced having not run)."""
    horizon = today + timedelta(days=NOTICE_LEAD_DAYS)
    if horizon < erasure_day(midnight(RULES_COMMENCED)):
        return None
    return due_before(DORMANCY, horizon)


@dataclass(frozen=True, slots=True)
class DormancyNotice:
    """What the notice to a dormant person says."""

    tenant_name: str
    erase_on: date

    def subject(self) -> str:
        """The message's subject line."""
        return f"Your {self.tenant_name} data will be erased"

    def body(self) -> str:
        """The message's text (rule 8(2))."""
        return (
            f"You have not used your {self.tenant_name} account for almost three years. Under "
            f"India's Digital Personal Data Protection Rules, 2025 (rule 8), your personal data "
            f"will be erased on {self.erase_on.isoformat()} unless you log in or contact us "
            "before then.\n"
        )
