"""Suppression lists for dialers and mail senders: who must not be contacted on a channel, and why.

A subject is suppressed on a channel when the processing decision for a marketing purpose on that
channel is denied by something the person did or is: an opt-out (any brand, or the brand asked),
withdrawn consent, an objection to direct marketing, a restriction, or being a minor. People who simply
never consented are not listed (they are not on a consent-based list to begin with); ``decide`` answers
that question per person.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from privault.core.access import Principal
from privault.core.audit import from_micros, to_micros
from privault.core.consent import marketing_purposes
from privault.core.decisions import Facts, Plan, Reason, evaluate
from privault.core.law_labels import also_named
from privault.core.manifest.model import Action
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectFacts
from privault.core.vault import identity_category
from privault.errors import Forbidden, InvalidInput
from privault.services.audit import Entry, record
from privault.services.decisions import Decider, subject_facts
from privault.services.deps import Deps
from privault.services.vault import VaultContext

SUPPRESSING = also_named(
    {"CANSPAM-1", "GDPR-CONS-2", "GDPR-OBJ-1", "GDPR-RES-1", "POL-MIN-1", "GDPR-CHILD-1"}
    | {"QC-MIN-1", "DPDP-CHILD-1", "COPPA-1"}  # a law's child rule that set the minor age
)
IDENTITY_KIND = {"email": "email", "sms": "phone", "phone": "phone"}


@dataclass(frozen=True, slots=True)
class Suppressed:
    """One line of the list: the address or number, whose it is, the rule and since when."""

    value: str
    subject: str
    rule: str
    since: datetime | None


def suppression_list(
    deps: Deps, principal: Principal, channel: str, brand: str | None
) -> list[Suppressed]:
    """The current suppression list of ``channel`` (email, sms or phone), optionally for one brand."""
    if channel not in IDENTITY_KIND:
        raise InvalidInput("the channel is one of email, sms, phone", code="input.invalid")
    decider = deps.decider
    view = decider.view(principal.tenant_key)
    purposes = marketing_purposes(view, channel)
    if not purposes:
        raise InvalidInput(f"tenant '{view.tenant.key}' has no marketing purpose on '{channel}'")
    kind = IDENTITY_KIND[channel]
    ctx = VaultContext(deps, principal.tenant_key, principal.tenant_id)
    allowed = _readable(ctx, principal, [*purposes, "privacy-requests"], kind, channel)
    now = deps.clock.now()
    with deps.make_uow() as uow:
        uow.bind_tenant(principal.tenant_id)
        reasons = _reasons(uow, decider, principal.tenant_key, purposes, brand, now)
        rows = _values(uow, ctx, kind, reasons)
        details = {"channel": channel, "brand": brand or "*", "rows": len(rows), "purpose": allowed}
        entry = Entry(principal.actor, "suppression:export", None, allowed, "ok", details)
        record(uow, [entry], now)
        uow.commit()
    return rows


def _readable(
    ctx: VaultContext, principal: Principal, purposes: list[str], kind: str, channel: str
) -> str:
    """The first of ``purposes`` for which the role may read ``kind`` identities; else Forbidden."""
    for p in purposes:
        if (
            ctx.view.purpose(p)
            and ctx.verdict(principal, Action.READ, p, identity_category(kind)).allowed
        ):
            return p
    raise Forbidden(
        f"role '{principal.role}' may not read {kind} identities for {channel} marketing",
        code="access.denied",
    )


def _reasons(
    uow: UnitOfWork,
    decider: Decider,
    tenant: str,
    purposes: list[str],
    brand: str | None,
    now: datetime,
) -> dict[int, tuple[str, datetime | None]]:
    """{subject id: (rule, since)} of every suppressed subject."""
    plans = [decider.plan(tenant, p, (), brand) for p in purposes]
    holders = {h: s for h, _, s in uow.consent.all_states() if h.startswith("s:")}
    ids = sorted({int(h[2:]) for h in holders} | set(uow.consent.minors(now.date())))
    found: dict[int, tuple[str, datetime | None]] = {}
    at_us = to_micros(now)
    for subject in uow.subjects.get_many(ids):
        row = SubjectFacts(
            subject.id,
            subject.uid,
            subject.ref,
            subject.adult_on,
            subject.wrapped_key is None,
            None,
        )
        facts = subject_facts(row, holders.get(f"s:{subject.id}"), now.date())
        denial = _denial(plans, facts, at_us)
        if denial is not None:
            found[subject.id] = (denial.rule, _since(facts, denial))
    return found


def _denial(plans: list[Plan], facts: Facts, at_us: int) -> Reason | None:
    if not facts.known:
        return None
    for plan in plans:
        for reason in evaluate(plan, facts, at_us).reasons:
            if not reason.allowed and reason.rule in SUPPRESSING:
                return reason
    return None


def _since(facts: Facts, reason: Reason) -> datetime | None:
    if not reason.record or not reason.record.startswith("consent_event:"):
        return None
    event = int(reason.record.split(":", 1)[1])
    entry = next((e for e in facts.state.values() if e.event_id == event), None)
    return from_micros(entry.at_us) if entry else None


def _values(
    uow: UnitOfWork, ctx: VaultContext, kind: str, reasons: dict[int, tuple[str, datetime | None]]
) -> list[Suppressed]:
    if not reasons:
        return []
    subjects = {s.id: s for s in uow.subjects.get_many(sorted(reasons))}
    rows: list[Suppressed] = []
    for identity in uow.subjects.identities(sorted(reasons)):
        subject = subjects.get(identity.subject_id)
        if identity.kind != kind or subject is None or subject.wrapped_key is None:
            continue
        rule, since = reasons[subject.id]
        value = ctx.cipher(subject).open_value(f"identity:{kind}", identity.ciphertext).reveal()
        rows.append(Suppressed(str(value), subject.ref or subject.uid, rule, since))
    rows.sort(key=lambda r: (r.value, r.subject))
    return rows


_E164 = re.compile(r"\+[0-9]{1,15}")


def _cell(value: str) -> str:
    """A value a spreadsheet will not run: one starting with ``= + - @``, a tab or a carriage
    return gets a leading apostrophe (OWASP CSV injection), except an E.164 phone number, which
    dialers need as it is."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _E164.fullmatch(value):
        return "'" + value
    return value


def suppression_csv(rows: list[Suppressed]) -> str:
    """The list as CSV with a header row; no cell can start a spreadsheet formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["value", "subject", "rule", "since"])
    for row in rows:
        writer.writerow(
            [
                _cell(row.value),
                _cell(row.subject),
                row.rule,
                row.since.isoformat() if row.since else "",
            ]
        )
    return buffer.getvalue()
