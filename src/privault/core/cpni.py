"""The FCC's CPNI rules for telecom carriers (47 CFR Part 64 Subpart U). Pure: no I/O.

- Notices (64.2008): an opt-out notice's 30-day wait starts when an electronic notice is sent, or
  on the third day after a notice is mailed (64.2008(d)(1)); opt-out notices go out again every two
  years (64.2008(d)(2)); records of notification are kept at least one year (64.2008(a)(2)).
- Safeguards (64.2009): a record of each sales and marketing campaign using CPNI (description, the
  CPNI used, the products and services offered), kept at least one year (64.2009(c)); supervisory
  approval before outbound marketing (64.2009(d)); an officer's compliance certificate filed
  annually by 1 March for the prior calendar year (64.2009(e)).
- Authentication (64.2010): call detail on a customer-initiated call only after a password not
  prompted by readily available biographical information; otherwise sent to the address of record
  or by calling the telephone number of record (64.2010(b)); an immediate notice of a created or
  changed password, back-up authentication answer, online account or address of record, sent to
  the existing contact and never revealing the changed data (64.2010(f)).

Checked against copies of the CFR text: 64.2008(a)(2), 64.2009(c)-(e) and 64.2010(b); the 1 March
date against the FCC Enforcement Bureau's notice DA 09-240 quoting 64.2009(e). Unverified (the
official text was not retrieved): 64.2008(d)(1)(ii)'s third day after mailing and 64.2010(f),
seen only in a secondary summary.

A tenant is under these rules when it serves the United States and declares a purpose using CPNI
(``cc.telecom.cpni``), the same mark the FCC breach clock uses (``core/incidents.py``).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from privault.core.consent import CPNI_MAIL_DAYS, Entry, cpni_wait_days
from privault.core.decisions import CPNI_OPT_OUT_RENEW_DAYS
from privault.core.incidents import processes_cpni
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import TenantView, fides_lineage
from privault.core.taxonomy import is_within
from privault.errors import Conflict, InvalidInput

CPNI = "cc.telecom.cpni"
CALL_DETAIL = "cc.telecom.call_detail"
PASSWORD = "user.authorization.password"  # noqa: S105 - a category key, not a password
AUTHENTICATION = "user.authorization"
ADDRESS = "user.contact.address"
RECORD_YEARS = 1  # 47 CFR 64.2008(a)(2) notices; 64.2009(c) campaigns, 64.2009(d) compliance
CERTIFICATE_DUE = (3, 1)  # 47 CFR 64.2009(e): filed annually on or before 1 March
RENEWAL_LEAD_DAYS = 60  # policy: list a renewal notice this long before the two years run out
_US = frozenset({"us", "us-ca"})
_TEXT = re.compile(r"^[^\x00-\x08\x0b-\x1f]{1,2000}$")
_REF = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")

__all__ = ["CPNI_MAIL_DAYS", "CPNI_OPT_OUT_RENEW_DAYS"]


def under_cpni_rules(view: TenantView) -> bool:
    """The tenant is a US telecom carrier: it serves the US and processes CPNI itself."""
    return bool(_US & set(view.tenant.jurisdictions)) and processes_cpni(view)


def company(view: TenantView) -> str:
    """The carrier's name: the client a processor tenant acts for, else the tenant."""
    return view.tenant.client.name if view.tenant.client else view.tenant.name


def require_carrier(view: TenantView) -> None:
    """Refuse a CPNI use case for a tenant the FCC's CPNI rules do not reach."""
    if not under_cpni_rules(view):
        raise Conflict(
            f"tenant '{view.tenant.key}' is not a US carrier processing CPNI (47 CFR 64.2001)",
            code="cpni.not_carrier",
        )


def within(manifest: Manifest, category: str, ancestor: str) -> bool:
    """``category`` or a category its declared parents lead to is within ``ancestor``."""
    return any(is_within(key, ancestor) for key in fides_lineage(manifest, category))


# --- notices (64.2008) ---------------------------------------------------------------------------


class Delivery(StrEnum):
    """How an opt-out notice reached the customer."""

    MAIL = "mail"
    ELECTRONIC = "electronic"


def wait_starts(sent_on: date, delivery: Delivery) -> date:
    """The day the 30-day wait starts: the day an electronic notice is sent, or the third day after
    a notice is mailed (47 CFR 64.2008(d)(1))."""
    return sent_on + timedelta(days=CPNI_MAIL_DAYS if delivery is Delivery.MAIL else 0)


def approval_from(sent_on: date, delivery: Delivery) -> date:
    """The first day opt-out approval may be assumed if the customer has not opted out."""
    method = "notice_mail" if delivery is Delivery.MAIL else "notice"
    return sent_on + timedelta(days=cpni_wait_days(method))


def renewal_due(sent_on: date) -> date:
    """The day an opt-out notice is two years old and must be sent again (64.2008(d)(2))."""
    return sent_on + timedelta(days=CPNI_OPT_OUT_RENEW_DAYS)


def notice_needed(entry: Entry | None, today_us: int) -> str | None:
    """Why a customer needs an opt-out notice now: ``first`` (no CPNI approval or notice on file) or
    ``renewal`` (the last notice is near two years old); None when none is due (a notice is
    running, the customer opted in, or the customer opted out: an opt-out is never re-solicited
    here)."""
    if entry is None:
        return "first"
    if not entry.granted or not entry.method.startswith("notice"):
        return None
    lead_us = (CPNI_OPT_OUT_RENEW_DAYS - RENEWAL_LEAD_DAYS) * 86_400_000_000
    return "renewal" if today_us >= entry.at_us + lead_us else None


def keep_until(on: date) -> date:
    """The first day a record made on ``on`` may go: one year later (64.2008(a)(2), 64.2009(c))."""
    try:
        return on.replace(year=on.year + RECORD_YEARS)
    except ValueError:  # 29 February
        return date(on.year + RECORD_YEARS, 3, 1)


# --- campaigns and the certificate (64.2009) ----------------------------------------------------


class CampaignStatus(StrEnum):
    """A marketing campaign's review: proposed, then approved or rejected; approved, then launched."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    LAUNCHED = "launched"


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """What the campaign record must hold (64.2009(c))."""

    ref: str
    description: str
    cpni_used: tuple[str, ...]
    products: str
    purpose: str


def check_campaign(view: TenantView, draft: CampaignDraft) -> None:
    """A campaign names its reference, description, the CPNI it uses and the products offered."""
    if not _REF.match(draft.ref):
        raise InvalidInput(
            "a campaign reference is 1-64 of A-Z a-z 0-9 _ . : -", code="cpni.invalid"
        )
    for label, text in (("description", draft.description), ("products", draft.products)):
        if not _TEXT.match(text.strip() or "\x00"):
            raise InvalidInput(
                f"a campaign needs its {label} (1-2000 characters)", code="cpni.invalid"
            )
    if not draft.cpni_used or any(not is_within(c, CPNI) for c in draft.cpni_used):
        raise InvalidInput(
            f"name the CPNI the campaign uses: categories within '{CPNI}'", code="cpni.invalid"
        )
    purpose = view.purpose(draft.purpose)
    if purpose is None:
        raise InvalidInput(f"tenant has no purpose '{draft.purpose}'", code="cpni.invalid")


def check_review(status: str, requested_by: str, reviewer: str) -> None:
    """Only a proposed campaign is reviewed, and never by the person who proposed it (64.2009(d))."""
    if status != CampaignStatus.PROPOSED:
        raise Conflict(f"the campaign is {status}, not proposed", code="cpni.campaign_state")
    if reviewer == requested_by:
        raise Conflict(
            "a supervisor other than the requester must review the campaign (47 CFR 64.2009(d))",
            code="cpni.campaign_review",
        )


def check_launch(status: str) -> None:
    """CPNI is used for a campaign only once a supervisor approved it (64.2009(d))."""
    if status != CampaignStatus.APPROVED:
        raise Conflict(
            f"the campaign is {status}: it may use CPNI only once approved (47 CFR 64.2009(d))",
            code="cpni.campaign_unapproved",
        )


def certificate_due(year: int) -> date:
    """The filing date of the certificate covering calendar ``year`` (64.2009(e))."""
    return date(year + 1, *CERTIFICATE_DUE)


# --- authentication (64.2010) -------------------------------------------------------------------


CALL_DETAIL_RULE = (
    "FCC-AUTH-1: call detail is disclosed on a customer-initiated call only after the customer's "
    "password (47 CFR 64.2010(b))"
)
ALTERNATIVES = ("send to the address of record", "call back at the telephone number of record")


def password_matches(stored: Iterable[str], given: str) -> bool:
    """The password given equals one on file (compared in constant time)."""
    wanted = given.encode()
    return any(hmac.compare_digest(value.encode(), wanted) for value in stored)


def _tokens(value: str) -> set[str]:
    """The pieces of a biographical value a password must not contain (4+ letters or digits)."""
    parts = {p for p in re.split(r"[^a-z0-9]+", value.lower()) if len(p) >= 4}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 4:
        parts |= {digits, digits[-4:]}
    return parts


def check_password(password: str, biography: Iterable[str]) -> None:
    """A CPNI password must not be built from readily available biographical information: the
    customer's name, contact details, date of birth or account number (47 CFR 64.2010(b), (e))."""
    flat = re.sub(r"[^a-z0-9]", "", password.lower())
    if len(flat) < 4:
        raise InvalidInput(
            "a CPNI password needs at least 4 letters or digits", code="cpni.password"
        )
    for value in biography:
        if any(token in flat for token in _tokens(value)):
            raise InvalidInput(
                "a CPNI password must not contain the customer's name, contact details, date of "
                "birth or account number (47 CFR 64.2010(b))",
                code="cpni.password",
            )


class Change(StrEnum):
    """What 64.2010(f) asks a carrier to tell the customer about (never the new value)."""

    PASSWORD = "password"  # noqa: S105 - a kind of change, not a password
    BACKUP = "back-up authentication answer"
    ADDRESS = "address of record"
    EMAIL = "e-mail address"
    PHONE = "telephone number"


def changes(
    manifest: Manifest, fields: Iterable[str], identity_kinds: Iterable[str]
) -> list[Change]:
    """The account changes a write makes, from the categories of its fields and added identities."""
    found: set[Change] = set()
    for category in fields:
        if within(manifest, category, PASSWORD):
            found.add(Change.PASSWORD)
        elif within(manifest, category, AUTHENTICATION):
            found.add(Change.BACKUP)
        elif within(manifest, category, ADDRESS):
            found.add(Change.ADDRESS)
        elif within(manifest, category, "user.contact.email"):
            found.add(Change.EMAIL)
        elif within(manifest, category, "user.contact.phone_number"):
            found.add(Change.PHONE)
    kinds = {"email": Change.EMAIL, "phone": Change.PHONE}
    found |= {kinds[k] for k in identity_kinds if k in kinds}
    return sorted(found)


def alert_text(company: str, changed: Iterable[Change], on: date) -> tuple[str, str]:
    """The subject and body of the alert: what kind of data changed, never the data itself."""
    what = ", ".join(c.value for c in changed)
    subject = f"{company}: a change to your account"
    body = (
        f"On {on.isoformat()} the following was created or changed on your {company} account: "
        f"{what}. If you made this change, no action is needed. If you did not, contact "
        f"{company} at once using the number on your bill."
    )
    return subject, body
