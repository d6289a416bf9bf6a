"""Contract ends and minors, the two reasons a whole subject is deleted: recording the day a contract
ended (GDPR-PROC-1, the seeds' month) and scheduling the deletion; suppressing a minor at once
(POL-MIN-1) and queuing theirs. The deletion itself is ``services.retention_erasure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from privault.core.consent import Choice, Kind, Method, Via, load_state, topic
from privault.core.identities import normalise
from privault.core.job_ports import JobStatus, NewJob
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.retention import contract_end_deletion, midnight
from privault.core.retention_ports import RetentionSubject
from privault.core.vault import is_minor
from privault.crypto.subjects import subject_cipher
from privault.errors import NotFound
from privault.services.audit import Entry, record
from privault.services.consent import Evidence, Holder, append_choices
from privault.services.decisions import Decider
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

SYSTEM_ACTOR = "privault:retention"
ERASE_JOB = "subject.erase"  # one subject (dormancy; and jobs queued before subjects.erase_due)
ERASE_DUE_JOB = "subjects.erase_due"  # every subject of a tenant due by the day, in batches
CONTRACT_END, MINOR, DORMANT = "contract_end", "minor", "dormant"


def _erase_job(uow: UnitOfWork, tenant_key: str, run_at: datetime, now: datetime) -> int:
    """Queue the erasure of the tenant's subjects due at ``run_at`` (``subjects.erase_due``,
    ``services.retention_erasure``), or find the job that will do it; its id. One job per tenant
    and deletion day; a deletion that is due already joins the tenant's job waiting to run now, or
    gets one of its own (a job already claimed may be past this subject: it goes through the
    subjects in id order)."""
    if run_at <= now:
        waiting = uow.jobs.latest(ERASE_DUE_JOB, tenant_key)
        if waiting is not None and waiting.status == JobStatus.QUEUED and waiting.run_at <= now:
            return waiting.id
        base = f"{ERASE_DUE_JOB}:{tenant_key}:now:{now:%Y%m%dT%H%M%S%f}"
    else:
        base = f"{ERASE_DUE_JOB}:{tenant_key}:{run_at.date().isoformat()}"
    for attempt in range(1, 100):
        key = base if attempt == 1 else f"{base}:{attempt}"
        queued = uow.jobs.enqueue(NewJob(ERASE_DUE_JOB, tenant_key, {}, max(run_at, now), key), now)
        if queued is not None:
            return queued
        existing = uow.jobs.with_dedupe_key(key)
        found = uow.jobs.get(existing) if existing is not None else None
        if found is not None and found.status == JobStatus.QUEUED:
            return found.id
    raise RuntimeError(f"no erasure job could be queued for tenant '{tenant_key}'")


# --- contract end --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractEnd:
    """A recorded contract end and the deletion it scheduled."""

    uid: str
    on: date
    delete_on: date
    job: int


def record_contract_end(deps: Deps, tenant_key: str, ref: str, on: date, actor: str) -> ContractEnd:
    """Record the day the subject's contract ended and schedule its deletion (the policy's
    ``contract_end_delete_days``, and at most one calendar month after); audited."""
    view = tenant_view(deps.manifest, tenant_key)
    delete_on = contract_end_deletion(on, view.policy)
    now = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        subject = uow.retention.subject(ref=ref)
        if subject is None or not subject.live:
            raise NotFound(f"no subject '{ref}'", code="subject.unknown")
        uow.retention.set_contract_end(subject.id, on, now)
        job = _erase_job(uow, tenant_key, midnight(delete_on), now)
        details = {"on": on.isoformat(), "delete_on": delete_on.isoformat(), "job": job}
        record(uow, [Entry(actor, "subject:contract_end", subject.uid, None, "ok", details)], now)
        uow.commit()
    return ContractEnd(subject.uid, on, delete_on, job)


# --- minors --------------------------------------------------------------------------------------


def suppressed(uow: UnitOfWork, subject_id: int) -> bool:
    """Whether the subject's processing is restricted in full (a "*" restriction in force)."""
    holder = f"s:{subject_id}"
    found = uow.consent.states([holder]).get(holder)
    entry = load_state(found[0] if found else None).get(topic(Kind.RESTRICTION.value, "*"))
    return entry is not None and not entry.granted


MINOR_EVIDENCE = Evidence(
    method=Method.IMPORT,  # recorded by privault from data it holds, not chosen by the person
    via=Via.API,
    shown="minor discovered from the date of birth: all processing suppressed (POL-MIN-1)",
    extra={"policy": "POL-MIN-1"},
)


def mark_minor(
    uow: UnitOfWork,
    decider: Decider,
    tenant_key: str,
    subject: RetentionSubject,
    minor_age: int,
    at: datetime,
    actor: str = SYSTEM_ACTOR,
) -> bool:
    """Suppress a minor's data at once (a restriction of everything in the consent ledger, so every
    decision says no) and queue their erasure now; audited; commits. False if already suppressed."""
    bind_tenant(uow, tenant_key)
    if subject.ref is None or suppressed(uow, subject.id):
        return False
    job = _erase_job(uow, tenant_key, at, at)
    details = {"policy": "POL-MIN-1", "minor_age": minor_age, "job": job}
    record(uow, [Entry(actor, "subject:minor", subject.uid, None, "ok", details)], at)
    restriction = [Choice(Kind.RESTRICTION, "*", False)]
    append_choices(
        uow,
        decider,
        tenant_key,
        actor,
        Holder(subject=subject.ref),
        restriction,
        MINOR_EVIDENCE,
        at,
    )
    uow.commit()
    return True


def mark_minor_by_ref(
    uow: UnitOfWork, decider: Decider, tenant_key: str, ref: str, at: datetime, actor: str
) -> bool:
    """:func:`mark_minor` for the subject with this ref if it is a minor on ``at`` (for the vault,
    right after a date of birth is written); False if it is not, or is already suppressed."""
    bind_tenant(uow, tenant_key)
    subject = uow.retention.subject(ref=ref)
    if subject is None or not subject.live or not is_minor(subject.adult_on, at.date()):
        return False
    minor_age = decider.view(tenant_key).policy.minor_age
    return mark_minor(uow, decider, tenant_key, subject, minor_age, at, actor)


def discover_minors(deps: Deps, tenant_key: str, actor: str = SYSTEM_ACTOR) -> list[str]:
    """Find subjects under the tenant's minor age not yet suppressed; suppress them and queue their
    erasure. Returns their uids."""
    view = tenant_view(deps.manifest, tenant_key)
    now = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        minors = uow.retention.minors(now.date())
    found = []
    decider = deps.decider
    for listed in minors:
        with deps.make_uow() as uow:
            bind_tenant(uow, tenant_key)
            # read again: the erasure job the first minor queued may have erased this one meanwhile
            subject = uow.retention.subject(uid=listed.uid)
            if subject is None or not subject.live:
                continue
            try:
                marked = mark_minor(
                    uow, decider, tenant_key, subject, view.policy.minor_age, now, actor
                )
            except NotFound:  # erased between the read and the marking: nothing left to mark
                continue
            if marked:
                found.append(subject.uid)
    return found


# --- what erasing a whole subject needs (``services.retention_erasure``) ----------------------


def subject_identities(
    deps: Deps, uow: UnitOfWork, view: TenantView, tenant_id: int, subject_id: int
) -> dict[str, list[str]]:
    """The subject's identities, decrypted and normalised as requests normalise them."""
    found = uow.subjects.get_many([subject_id])
    if not found or found[0].wrapped_key is None:
        return {}
    cipher = subject_cipher(deps.keyring, view.tenant.key, tenant_id, found[0])
    region = view.phone_region
    values: dict[str, set[str]] = {}
    for i in uow.subjects.identities([subject_id]):
        value = cipher.open_value(f"identity:{i.kind}", i.ciphertext).reveal()
        values.setdefault(i.kind, set()).add(normalise(i.kind, value, region))
    return {kind: sorted(v) for kind, v in values.items()}
