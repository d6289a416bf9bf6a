"""Dormancy erasure for India's large platforms (DPDP-ERA-1): tell each person inactive for almost
three years that her data goes, then erase her through the whole-subject erasure path.

For a tenant that declares ``dpdp_platform``, the daily retention job calls :func:`notify_dormant`.
Each subject whose three years end within ``NOTICE_LEAD_DAYS`` gets, in one transaction, an erasure
job (``subject.erase``, reason ``dormant``) queued for the later of the day the three years end and
48 hours after the notice, the notice itself and its audit entry (``subject:dormancy:notice``). The
job's dedupe key names the last activity, so a person is told once per dormancy; one who comes back
is not erased (the job finds her not due) and a later dormancy starts anew.

The notice goes out inside the transaction, before the commit: the erasure must never be queued for
someone who was not told. A failed send rolls the job back and the next day's sweep tries again; a
subject with no e-mail address or phone number cannot be told, and is counted ``unreachable`` (the
erasure still runs, on its day: the Rules do not keep data for want of an address).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from privault.core.dormancy import RULE, DormancyNotice, erase_at, notice_cutoff
from privault.core.job_ports import NewJob
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.retention_ports import RetentionSubject
from privault.errors import PrivaultError
from privault.outbound.messenger import Message
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.retention_subjects import (
    DORMANT,
    ERASE_JOB,
    SYSTEM_ACTOR,
    subject_identities,
)
from privault.services.tenants import bind_tenant

NOTICE_KIND = "dormancy_notice"


@dataclass
class DormancyCounts:
    """What one pass did: notices sent, subjects with no address, sends that failed, and subjects
    already told (their erasure is queued)."""

    noticed: int = 0
    unreachable: int = 0
    failed: int = 0
    already: int = 0
    jobs: list[int] = field(default_factory=list)


def notify_dormant(deps: Deps, tenant_key: str) -> DormancyCounts:
    """Tell every subject of a declared DPDP platform whose three years of inactivity end soon, and
    queue the erasure (nothing for other tenants)."""
    view = tenant_view(deps.manifest, tenant_key)
    counts = DormancyCounts()
    cutoff = notice_cutoff(deps.clock.now().date())
    if view.tenant.dpdp_platform is None or cutoff is None:
        return counts
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        dormant = uow.retention.dormant(cutoff)
    for subject in dormant:
        _notify_one(deps, view, subject, counts)
    return counts


def _notify_one(
    deps: Deps, view: TenantView, subject: RetentionSubject, counts: DormancyCounts
) -> None:
    """Queue one subject's erasure and tell her, in one transaction (nothing if already queued)."""
    activity = subject.last_activity_at
    if activity is None:
        return
    now = deps.clock.now()
    when = erase_at(activity, now)
    key = f"{ERASE_JOB}:{view.tenant.key}:{subject.uid}:{DORMANT}:{activity.isoformat()}"
    payload = {"subject": subject.uid, "reason": DORMANT}
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, view.tenant.key)
        new = NewJob(ERASE_JOB, view.tenant.key, payload, when, dedupe_key=key)
        job = uow.jobs.enqueue(new, now)
        if job is None:
            counts.already += 1
            return
        to = _address(subject_identities(deps, uow, view, tenant.id, subject.id))
        try:
            sent = _send(deps, view, to, DormancyNotice(view.tenant.name, when.date()))
        except PrivaultError:
            counts.failed += 1
            return  # the job is rolled back: tomorrow's sweep tries again
        _audit(uow, subject, when, job, sent, now)
        uow.commit()
    counts.jobs.append(job)
    counts.noticed += sent
    counts.unreachable += not sent


def _address(identities: dict[str, list[str]]) -> tuple[str, str] | None:
    """Where to tell the person: her e-mail address, else her phone number."""
    for kind, channel in (("email", "email"), ("phone", "sms")):
        if identities.get(kind):
            return channel, identities[kind][0]
    return None


def _send(deps: Deps, view: TenantView, to: tuple[str, str] | None, notice: DormancyNotice) -> bool:
    """Send the notice; False when there is nowhere to send it."""
    if to is None:
        return False
    channel: Literal["email", "sms"] = "email" if to[0] == "email" else "sms"
    message = Message(channel, to[1], notice.subject(), notice.body(), view.tenant.key, NOTICE_KIND)
    deps.messenger.send(message)
    return True


def _audit(
    uow: UnitOfWork,
    subject: RetentionSubject,
    when: datetime,
    job: int,
    sent: bool,
    now: datetime,
) -> None:
    details = {
        "rule": RULE,
        "erase_at": when.isoformat(),
        "job": job,
        "delivered": sent,
        "last_activity": subject.last_activity_at.isoformat() if subject.last_activity_at else None,
    }
    entry = Entry(SYSTEM_ACTOR, "subject:dormancy:notice", subject.uid, None, "ok", details)
    record(uow, [entry], now)
