"""The CPNI safeguards of a US carrier (FCC-SAFE-1, 47 CFR 64.2009): the log of sales and
marketing campaigns using CPNI with their supervisory review, and the annual compliance certificate.

A campaign is logged with its description, the CPNI it uses and the products and services it offers
(64.2009(c)); a supervisor other than the requester approves or rejects it, and only an approved
campaign may be launched (64.2009(d)). Each record says when it may go (one year after it was
made); privault never deletes one. The certificate for a calendar year is due by 1 March of the
next (64.2009(e)): privault drafts it from its own records for an officer to sign and file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime

from privault.core.cpni import (
    CampaignDraft,
    CampaignStatus,
    certificate_due,
    check_campaign,
    check_launch,
    check_review,
    company,
    keep_until,
    require_carrier,
)
from privault.core.cpni_ports import CampaignChange, CampaignRecord, NewCampaign
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.errors import InvalidInput, NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant


def _carrier(uow: UnitOfWork, manifest: Manifest, tenant_key: str) -> TenantView:
    view = tenant_view(manifest, tenant_key)
    require_carrier(view)
    bind_tenant(uow, tenant_key)
    return view


def _audit(
    uow: UnitOfWork, actor: str, campaign: CampaignRecord, change: str, at: datetime
) -> None:
    details = {"campaign": campaign.ref, "change": change, "cpni": list(campaign.cpni_used)}
    record(uow, [Entry(actor, "cpni:campaign", None, campaign.purpose, "ok", details)], at)


def log_campaign(deps: Deps, tenant_key: str, actor: str, draft: CampaignDraft) -> CampaignRecord:
    """Log a proposed campaign (64.2009(c)); it waits for a supervisor's review."""
    with deps.make_uow() as uow:
        view = _carrier(uow, deps.manifest, tenant_key)
        check_campaign(view, draft)
        return _log(uow, actor, draft, deps.clock.now())


def _log(uow: UnitOfWork, actor: str, draft: CampaignDraft, now: datetime) -> CampaignRecord:
    new = NewCampaign(
        ref=draft.ref,
        description=draft.description.strip(),
        cpni_used=tuple(sorted(set(draft.cpni_used))),
        products=draft.products.strip(),
        purpose=draft.purpose,
        requested_by=actor,
        created_at=now,
        retain_until=keep_until(now.date()),
    )
    created = uow.cpni.add_campaign(new)
    _audit(uow, actor, created, "logged", now)
    uow.commit()
    return created


def _get(uow: UnitOfWork, ref: str) -> CampaignRecord:
    found = uow.cpni.campaign(ref, lock=True)
    if found is None:
        raise NotFound(f"no campaign '{ref}'", code="cpni.campaign_unknown")
    return found


def review_campaign(
    deps: Deps, tenant_key: str, reviewer: str, ref: str, *, approve: bool, note: str = ""
) -> CampaignRecord:
    """A supervisor approves or rejects a proposed campaign (64.2009(d)); never its requester."""
    with deps.make_uow() as uow:
        _carrier(uow, deps.manifest, tenant_key)
        campaign = _get(uow, ref)
        check_review(campaign.status, campaign.requested_by, reviewer)
        if len(note) > 2000:
            raise InvalidInput("a review note is at most 2000 characters", code="cpni.invalid")
        status = CampaignStatus.APPROVED if approve else CampaignStatus.REJECTED
        now = deps.clock.now()
        review = CampaignChange(status, reviewer=reviewer, review_note=note, decided_at=now)
        uow.cpni.update_campaign(campaign.id, review)
        _audit(uow, reviewer, campaign, status.value, now)
        uow.commit()
    return replace(campaign, status=status, reviewer=reviewer, review_note=note, decided_at=now)


def launch_campaign(deps: Deps, tenant_key: str, actor: str, ref: str) -> CampaignRecord:
    """Mark an approved campaign launched: the moment it starts using CPNI (refused before)."""
    with deps.make_uow() as uow:
        _carrier(uow, deps.manifest, tenant_key)
        campaign = _get(uow, ref)
        check_launch(campaign.status)
        now = deps.clock.now()
        launch = CampaignChange(CampaignStatus.LAUNCHED, launched_at=now)
        uow.cpni.update_campaign(campaign.id, launch)
        _audit(uow, actor, campaign, "launched", now)
        uow.commit()
    return replace(campaign, status=CampaignStatus.LAUNCHED, launched_at=now)


def _year(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def list_campaigns(deps: Deps, tenant_key: str, year: int) -> list[CampaignRecord]:
    """The campaigns logged in a calendar year, oldest first."""
    with deps.make_uow() as uow:
        _carrier(uow, deps.manifest, tenant_key)
        return list(uow.cpni.campaigns_between(*_year(year)))


@dataclass(frozen=True, slots=True)
class Certificate:
    """The drafted certificate for ``year``: its text, the filing date and whether that passed."""

    year: int
    due_on: date
    late: bool
    text: str


@dataclass(frozen=True, slots=True)
class Officer:
    """The officer who signs, and what only they can state (64.2009(e))."""

    name: str
    title: str
    broker_actions: str  # actions taken against data brokers in the year ("none" if none)
    complaints: str  # summary of customer complaints on unauthorized release of CPNI


def certificate(
    deps: Deps, tenant_key: str, actor: str, year: int, officer: Officer
) -> Certificate:
    """Draft the compliance certificate for calendar ``year`` from privault's records (audited)."""
    with deps.make_uow() as uow:
        view = _carrier(uow, deps.manifest, tenant_key)
        today = deps.clock.now().date()
        _check_certificate(year, today, officer)
        return _certify(uow, view, actor, year, officer, deps.clock.now())


def _check_certificate(year: int, today: date, officer: Officer) -> None:
    if not 2007 <= year < today.year:
        raise InvalidInput(
            f"a certificate covers a past calendar year, not {year}", code="cpni.invalid"
        )
    for label, text in asdict(officer).items():
        if not text.strip() or len(text) > 2000:
            raise InvalidInput(f"the certificate needs the officer's {label}", code="cpni.invalid")


def _certify(
    uow: UnitOfWork, view: TenantView, actor: str, year: int, officer: Officer, now: datetime
) -> Certificate:
    campaigns = uow.cpni.campaigns_between(*_year(year))
    notices = uow.cpni.notices_between(*_year(year))
    due = certificate_due(year)
    text = _text(company(view), year, due, officer, Counter(c.status for c in campaigns), notices)
    details = {"year": year, "due_on": due.isoformat(), "campaigns": len(campaigns)}
    record(uow, [Entry(actor, "cpni:certificate", None, None, "ok", details)], now)
    uow.commit()
    return Certificate(year, due, now.date() > due, text)


def _text(
    company: str, year: int, due: date, officer: Officer, statuses: Counter[str], notices: int
) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "none"
    return "\n".join(
        [
            f"# Annual CPNI compliance certificate, calendar year {year}",
            "",
            f"{company}. 47 CFR 64.2009(e); EB Docket No. 06-36; to be filed by {due.isoformat()}.",
            "",
            f"I, {officer.name}, {officer.title}, certify that I have personal knowledge that the "
            "company has established operating procedures adequate to ensure compliance with the "
            "Commission's CPNI rules (47 CFR Part 64, Subpart U).",
            "",
            "## Statement of operating procedures",
            "",
            "- CPNI approval is established before each use (64.2009(a)): every processing "
            "decision checks the customer's CPNI approval in the consent ledger.",
            f"- Opt-out notices recorded this year: {notices}; the 30-day wait runs from sending, "
            "or from the third day after mailing; notices are renewed every two years (64.2008).",
            f"- Sales and marketing campaigns using CPNI logged this year: {counts}; each names the "
            "CPNI used and the products offered and was reviewed by a supervisor (64.2009(c), (d)).",
            "- Call detail is given on inbound calls only after the customer's password; otherwise "
            "to the address or telephone number of record (64.2010(b)).",
            "- Customers are told at once, at their existing contact, of changes to their password, "
            "back-up answers, address or contact of record (64.2010(f)).",
            "",
            f"## Actions taken against data brokers\n\n{officer.broker_actions.strip()}",
            "",
            f"## Customer complaints about unauthorized release of CPNI\n\n{officer.complaints.strip()}",
            "",
            f"Signed: {officer.name}, {officer.title}    Date: ____________",
            "",
        ]
    )
