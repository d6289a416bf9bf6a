"""Cookie choices of a visitor: what is allowed now, and whether the banner must ask again.

The banner asks again when a category offered has no choice yet, when the cookie section of the notice
changed since the choice (a material change: categories or cookies added, removed or reworded), or
when the choice is older than the policy's ``cookie_reconsent_months`` (13 by default).

With ``policy.uk_cookie_mode: duaa_exemptions`` a UK tenant under no EU law sets statistics and
preference cookies without consent (PECR reg. 6, Sch. A1; UK-CK-1): they are on until the visitor
objects, the banner does not ask for them, and ``notice`` says the visitor has not yet been told.
"""

from __future__ import annotations

import json
from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from privault.core.audit import from_micros
from privault.core.consent import Kind, topic
from privault.core.manifest.cookies import uk_exempt
from privault.core.manifest.model import CookieCategoryKey
from privault.core.manifest.resolve import TenantView
from privault.core.opt_in import ask_after
from privault.core.ports import UnitOfWork
from privault.services.consent import Holder, events_of, state_of
from privault.services.deps import Deps


def add_months(at: datetime, months: int) -> datetime:
    """The same instant ``months`` calendar months later (clamped to the month's last day)."""
    month = at.month - 1 + months
    year, month = at.year + month // 12, month % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class CookieStatus:
    """The visitor's cookie choices (None = not asked yet) and whether to ask again, and why;
    ``exempt`` lists the categories on without consent (UK Sch. A1), ``notice`` whether the visitor
    must still be told of them."""

    choices: dict[str, bool | None]
    reask: bool
    reason: str | None
    gpc: bool
    decided_at: datetime | None
    exempt: tuple[str, ...] = ()
    notice: bool = False
    sale_opt_in_ask_after: datetime | None = None  # CCPA-OI-1: do not ask to opt in before this


def cookie_status(deps: Deps, tenant_key: str, visitor: str, now: datetime) -> CookieStatus:
    """Current choices for every category the tenant offers (necessary is always on)."""
    with deps.make_uow() as uow:
        return _status(uow, deps.decider.view(tenant_key), tenant_key, visitor, now)


def _status(
    uow: UnitOfWork, view: TenantView, tenant_key: str, visitor: str, now: datetime
) -> CookieStatus:
    state = state_of(uow, tenant_key, Holder(visitor=visitor))
    offered = [
        c.key.value for c in view.cookie_categories if c.key is not CookieCategoryKey.NECESSARY
    ]
    entries = {k: state.get(topic(Kind.COOKIE, k)) for k in offered}
    exempt = _exempt(view.policy.uk_cookie_mode, view.tenant.jurisdictions, offered)
    choices: dict[str, bool | None] = {
        k: (e.granted if e else (True if k in exempt else None)) for k, e in entries.items()
    }
    choices[CookieCategoryKey.NECESSARY.value] = True
    sale = state.get(topic(Kind.SALE_SHARING, "*"))
    gpc = sale is not None and not sale.granted and sale.method == "gpc"
    made = [e for e in entries.values() if e is not None]
    oldest = from_micros(min(e.at_us for e in made)) if made else None
    asked = {k: e for k, e in entries.items() if k not in exempt}
    reason = _reask_reason(
        uow, view.policy.cookie_reconsent_months, asked, oldest, now, tenant_key, visitor
    )
    untold = any(entries[k] is None for k in exempt)
    hold = ask_after(state)  # CCPA-OI-1
    hold = hold if hold is not None and now < hold else None
    return CookieStatus(choices, reason is not None, reason, gpc, oldest, exempt, untold, hold)


def _exempt(mode: str, jurisdictions: list[str], offered: list[str]) -> tuple[str, ...]:
    """The offered categories set without consent under the tenant's UK cookie mode."""
    allowed = {c.value for c in uk_exempt(mode, jurisdictions)}
    return tuple(k for k in offered if k in allowed)


def _reask_reason(
    uow: UnitOfWork,
    months: int,
    entries: Mapping[str, object],
    oldest: datetime | None,
    now: datetime,
    tenant_key: str,
    visitor: str,
) -> str | None:
    if any(e is None for e in entries.values()):
        return "no choice yet for every category"
    if oldest is not None and now >= add_months(oldest, months):
        return f"the choice is more than {months} months old"
    if _cookies_changed(uow, tenant_key, visitor):
        return "the cookies described in the notice changed since the choice"
    return None


def _cookies_changed(uow: UnitOfWork, tenant_key: str, visitor: str) -> bool:
    """Did the cookie section of the notice change since the notice shown with the last cookie choice?"""
    holder = Holder(visitor=visitor)
    events = [e for e in events_of(uow, tenant_key, holder) if e.kind == Kind.COOKIE]
    shown = next((e.notice_version for e in reversed(events) if e.notice_version), None)
    latest = uow.notices.latest()
    if shown is None or latest is None or shown == latest.version_id:
        return False
    then = uow.notices.by_version_id(shown)
    if then is None:
        return True
    return bool(
        json.loads(then.content_json).get("cookies")
        != json.loads(latest.content_json).get("cookies")
    )
