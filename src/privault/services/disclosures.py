"""Disclosing personal data to a recipient: checked against the register, the role's grants and each
subject's processing decision, minimised, transformed, recorded and audited in one transaction.

A refusal of the whole disclosure (an unknown recipient, a purpose it is not registered for, a
transform its contract does not allow, a missing legal basis, a role without a grant) is audited as
``disclosure:make`` with outcome ``denied`` and raised. Subjects whose decision denies the purpose are
refused one by one, named with the rule, and the others proceed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from privault.core.access import Principal
from privault.core.decisions import Decision
from privault.core.disclosure_ports import DisclosureRecord
from privault.core.disclosures import (
    IDENTIFIABLE,
    DisclosurePlan,
    LegalFields,
    count_cell,
    invalid,
    minimise,
    notice_withheld,
    plan_disclosure,
    refused,
)
from privault.core.manifest.model import Action
from privault.core.ports import UnitOfWork
from privault.core.records import FieldRecord, IdentityRecord, SubjectRecord
from privault.core.ropa import missing_dpias
from privault.core.secrets import Secret
from privault.core.vault import identity_category
from privault.errors import Forbidden, PolicyViolation, PrivaultError
from privault.services.audit import Entry, record
from privault.services.child_disclosures import REFUSED as CHILD_REFUSED
from privault.services.child_disclosures import without_parental_consent
from privault.services.decisions import Question, answer_many
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant
from privault.services.vault import VaultContext

MAX_SUBJECTS = 10_000
NO_SUBJECT = "SUBJECT: no such subject (unknown or erased)"
NOTHING_HELD = "MINIMISATION: holds none of the categories this recipient may receive"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A subject left out of a disclosure, and the rule that says so."""

    subject: str
    rule: str


@dataclass(frozen=True, slots=True)
class Disclosed:
    """What one disclosure gave, to whom, and who was left out. ``payload`` is masked until revealed."""

    batch: str
    recipient: str
    purpose: str
    transform: str
    categories: tuple[str, ...]
    subjects: tuple[str, ...]
    refused: tuple[Refusal, ...]
    notice_withheld_until: date | None
    payload: Secret[dict[str, Any]]


@dataclass
class _Subject:
    """One subject being disclosed: its record, data and the categories that may go."""

    ref: str
    record: SubjectRecord
    fields: list[FieldRecord]
    identities: list[IdentityRecord]
    categories: list[str]


def disclose(
    deps: Deps,
    principal: Principal,
    recipient_key: str,
    subject_refs: Sequence[str],
    purpose: str,
    *,
    categories: Sequence[str] = (),
    legal_basis: str | None = None,
    document_ref: str | None = None,
    notice_withheld_until: date | None = None,
    withhold_reference: str | None = None,
    transform: str | None = None,
) -> Disclosed:
    """Disclose the subjects' data of ``categories`` (default: all the register allows) for ``purpose``."""
    legal = LegalFields(legal_basis, document_ref, notice_withheld_until, withhold_reference)
    refs = _refs(subject_refs)
    with deps.make_uow() as uow:
        uow.bind_tenant(principal.tenant_id)
        return _disclose(
            uow, deps, principal, recipient_key, refs, purpose, categories, transform, legal
        )


def _disclose(
    uow: UnitOfWork,
    deps: Deps,
    principal: Principal,
    recipient_key: str,
    refs: list[str],
    purpose: str,
    categories: Sequence[str],
    transform: str | None,
    legal: LegalFields,
) -> Disclosed:
    """Plan, check, decide, record and commit in the bound unit of work."""
    ctx = VaultContext(deps, principal.tenant_key, principal.tenant_id)
    try:
        plan = plan_disclosure(
            ctx.view,
            recipient_key,
            purpose,
            categories=categories,
            transform=transform,
            legal=legal,
            today=ctx.today(),
        )
        _require_dpia(uow, ctx, purpose)
    except PrivaultError as exc:
        _deny(uow, deps, principal, recipient_key, purpose, exc)
        raise
    subjects, refusals = _load(uow, plan, refs)
    _require_role(uow, deps, ctx, principal, plan, subjects)
    subjects, denied = _decide(uow, ctx, principal, plan, subjects)
    refusals += denied
    return _finish(uow, deps, ctx, principal, plan, subjects, refusals)


def _require_dpia(uow: UnitOfWork, ctx: VaultContext, purpose: str) -> None:
    """GDPR Art. 35: a purpose that requires an impact assessment may not disclose data until one
    is approved (and not past its review date)."""
    today = ctx.today()
    if purpose in missing_dpias(ctx.view, uow.dpias.all(), today):
        raise PolicyViolation(
            f"purpose '{purpose}' requires an approved impact assessment (GDPR Art. 35) before "
            "its data is disclosed",
            code="disclosure.refused",
        )


def _refs(subject_refs: Sequence[str]) -> list[str]:
    refs = list(dict.fromkeys(r.strip() for r in subject_refs if r.strip()))
    if not refs:
        raise invalid("name at least one subject to disclose")
    if len(refs) > MAX_SUBJECTS:
        raise invalid(f"at most {MAX_SUBJECTS} subjects per disclosure")
    return refs


def _deny(
    uow: UnitOfWork,
    deps: Deps,
    principal: Principal,
    recipient: str,
    purpose: str,
    exc: PrivaultError,
) -> None:
    """Audit a refused disclosure (the reason's code, never values) and commit it."""
    details = {"recipient": recipient, "code": exc.code}
    entry = Entry(principal.actor, "disclosure:make", None, purpose, "denied", details)
    record(uow, [entry], deps.clock.now())
    uow.commit()


def _load(
    uow: UnitOfWork, plan: DisclosurePlan, refs: list[str]
) -> tuple[list[_Subject], list[Refusal]]:
    """The live subjects with what they hold of the allowed categories; the others refused."""
    ids = uow.disclosures.live_ids(refs)
    records = {s.id: s for s in uow.subjects.get_many(list(ids.values()))}
    fields: dict[int, list[FieldRecord]] = {}
    for f in uow.subjects.fields(list(records)):
        fields.setdefault(f.subject_id, []).append(f)
    identities: dict[int, list[IdentityRecord]] = {}
    for i in uow.subjects.identities(list(records)):
        identities.setdefault(i.subject_id, []).append(i)
    subjects: list[_Subject] = []
    refusals: list[Refusal] = []
    for ref in refs:
        found = records.get(ids.get(ref, -1))
        if found is None:
            refusals.append(Refusal(ref, NO_SUBJECT))
            continue
        mine, kinds = fields.get(found.id, []), identities.get(found.id, [])
        held = {f.category for f in mine} | {identity_category(i.kind) for i in kinds}
        allowed = minimise(plan.allowed, held)
        if not allowed:
            refusals.append(Refusal(ref, NOTHING_HELD))
            continue
        subjects.append(_Subject(ref, found, mine, kinds, allowed))
    return subjects, refusals


def _require_role(
    uow: UnitOfWork,
    deps: Deps,
    ctx: VaultContext,
    principal: Principal,
    plan: DisclosurePlan,
    subjects: list[_Subject],
) -> None:
    """Least privilege: the role must be granted ``disclose`` on every category that would go."""
    wanted = sorted({c for s in subjects for c in s.categories})
    for category in wanted:
        verdict = ctx.verdict(principal, Action.DISCLOSE, plan.purpose.key, category)
        if not verdict.allowed:
            error = Forbidden(verdict.rule, code="access.denied")
            _deny(uow, deps, principal, plan.recipient.key, plan.purpose.key, error)
            raise error


def _decide(
    uow: UnitOfWork,
    ctx: VaultContext,
    principal: Principal,
    plan: DisclosurePlan,
    subjects: list[_Subject],
) -> tuple[list[_Subject], list[Refusal]]:
    """Each subject's processing decision: refused as a whole, or without the categories it denies."""
    if not subjects:
        return [], []
    questions = [
        Question(plan.purpose.key, s.ref, categories=tuple(s.categories)) for s in subjects
    ]
    answers = answer_many(
        uow,
        ctx.decider,
        principal.tenant_key,
        principal.tenant_id,
        questions,
        ctx.vault.clock.now(),
    )
    children = without_parental_consent(uow, ctx.view, plan, subjects, ctx.today())  # COPPA-1
    kept: list[_Subject] = []
    refusals: list[Refusal] = []
    for subject, answer in zip(subjects, answers, strict=True):
        rule = CHILD_REFUSED if subject.ref in children else _refusal_rule(subject, answer)
        if rule is None:
            kept.append(subject)
        else:
            refusals.append(Refusal(subject.ref, rule))
    return kept, refusals


def _refusal_rule(subject: _Subject, answer: Decision) -> str | None:
    """Why the subject may not be disclosed at all (None if some categories may go; those the
    decision denies one by one are dropped from ``subject.categories``)."""
    if answer.allowed:
        return None
    wide = answer.subject_wide_denial()
    if wide is not None:
        return f"{wide.rule}: {wide.message}"
    denied = answer.denied_categories()
    subject.categories = [c for c in subject.categories if c not in denied]
    if subject.categories:
        return None
    first = next(iter(denied.values()))
    return f"{first.rule}: {first.message}"


def _finish(
    uow: UnitOfWork,
    deps: Deps,
    ctx: VaultContext,
    principal: Principal,
    plan: DisclosurePlan,
    subjects: list[_Subject],
    refusals: list[Refusal],
) -> Disclosed:
    """Record, audit and commit; then hand the payload over (or refuse if nobody may be disclosed)."""
    batch, at = uuid.uuid4().hex, deps.clock.now()
    payload = _payload(ctx, plan, batch, subjects)
    legal = plan.legal
    rows = [
        DisclosureRecord(
            batch,
            plan.recipient.key,
            s.record.id,
            plan.purpose.key,
            tuple(s.categories),
            plan.transform,
            legal.legal_basis,
            legal.document_ref,
            legal.notice_withheld_until,
            legal.withhold_reference,
            principal.actor,
            at,
        )
        for s in subjects
    ]
    uow.disclosures.add(rows)
    entries = [_entry(principal, plan, batch, s.record.uid, "ok", s.categories) for s in subjects]
    entries += [_entry(principal, plan, batch, None, "denied", [], r.rule) for r in refusals]
    record(uow, entries, at)
    uow.commit()
    if not subjects:
        named = "; ".join(f"{r.subject}: {r.rule}" for r in refusals[:5])
        raise refused(f"no subject may be disclosed ({named})")
    return Disclosed(
        batch,
        plan.recipient.key,
        plan.purpose.key,
        plan.transform,
        tuple(sorted({c for s in subjects for c in s.categories})),
        tuple(s.ref for s in subjects),
        tuple(refusals),
        legal.notice_withheld_until,
        Secret(payload),
    )


def _entry(
    principal: Principal,
    plan: DisclosurePlan,
    batch: str,
    uid: str | None,
    outcome: str,
    categories: Sequence[str],
    rule: str | None = None,
) -> Entry:
    details: dict[str, Any] = {
        "batch": batch,
        "recipient": plan.recipient.key,
        "transform": plan.transform,
        "categories": list(categories),
        "legal_basis": plan.legal.legal_basis is not None,
        "notice_withheld": plan.legal.notice_withheld_until is not None,
    }
    if rule is not None:
        details["rule"] = rule.split(":", 1)[0]
    return Entry(principal.actor, "disclosure:make", uid, plan.purpose.key, outcome, details)


# --- the payload ---------------------------------------------------------------------------------


def _payload(
    ctx: VaultContext, plan: DisclosurePlan, batch: str, subjects: list[_Subject]
) -> dict[str, Any]:
    """What the recipient receives, in the plan's transform."""
    head: dict[str, Any] = {
        "batch": batch,
        "recipient": plan.recipient.key,
        "purpose": plan.purpose.key,
        "transform": plan.transform,
    }
    if plan.transform not in IDENTIFIABLE:
        return head | {"counts": _counts(plan.transform, subjects)}
    key = None
    if plan.transform == "pseudonymise":
        key = ctx.vault.keyring.index_key(ctx.tenant_key, f"disclosure:{plan.recipient.key}")
    return head | {"subjects": [_subject_values(ctx, s, key) for s in subjects]}


def _counts(transform: str, subjects: list[_Subject]) -> dict[str, Any]:
    """Aggregate: how many subjects, and how many hold each category (small cells hidden when
    anonymised)."""
    per = Counter(c for s in subjects for c in s.categories)
    return {
        "subjects": count_cell(len(subjects), transform),
        "categories": {c: count_cell(n, transform) for c, n in sorted(per.items())},
    }


def _subject_values(ctx: VaultContext, subject: _Subject, key: bytes | None) -> dict[str, Any]:
    """One subject's allowed values, decrypted (identity) or replaced by keyed HMACs (pseudonymise)."""
    cipher = ctx.cipher(subject.record)
    allowed = set(subject.categories)
    data = {
        f.field: cipher.open_value(f.field, f.ciphertext).reveal()
        for f in sorted(subject.fields, key=lambda f: f.field)
        if f.category in allowed
    }
    identities: dict[str, list[str]] = {}
    for i in subject.identities:
        if identity_category(i.kind) in allowed:
            value = cipher.open_value(f"identity:{i.kind}", i.ciphertext).reveal()
            identities.setdefault(i.kind, []).append(value)
    if key is None:
        return {"subject": subject.ref, "data": data, "identities": identities}
    return {
        "subject": _pseudonym(key, "subject", subject.record.uid),
        "data": {name: _pseudonym(key, name, value) for name, value in data.items()},
        "identities": {
            kind: [_pseudonym(key, kind, v) for v in values] for kind, values in identities.items()
        },
    }


def _pseudonym(key: bytes, name: str, value: object) -> str:
    """A keyed HMAC-SHA256 of a value (per tenant and recipient): stable, not reversible."""
    message = f"{name}\x00{json.dumps(value, sort_keys=True, default=str)}".encode()
    return "p_" + hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


# --- reading the register ------------------------------------------------------------------------


def list_disclosures(
    deps: Deps,
    tenant_key: str,
    *,
    subject_ref: str | None = None,
    recipient: str | None = None,
    limit: int = 500,
) -> list[tuple[DisclosureRecord, str | None]]:
    """The newest disclosures (with each subject's ref), optionally of one subject or recipient."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        subject_id = None
        if subject_ref is not None:
            subject_id = uow.disclosures.live_ids([subject_ref]).get(subject_ref, -1)
        rows = uow.disclosures.recent(subject_id=subject_id, recipient=recipient, limit=limit)
        subject_ids = sorted({r.subject_id for r in rows})
        refs = {s.id: s.ref for s in uow.subjects.get_many(subject_ids)}
    return [(row, refs.get(row.subject_id)) for row in rows]


def reportable(
    uow: UnitOfWork, subject_id: int, today: date, since: date | None = None
) -> list[DisclosureRecord]:
    """Disclosures of the subject's personal data to tell them about in an access report: identity
    or pseudonymised data (aggregates are not personal data), not withheld by an order still running
    (LAW-DISC-1), and made since ``since`` (a look-back period) if given."""
    return [
        row
        for row in uow.disclosures.for_subjects([subject_id])
        if row.transform in IDENTIFIABLE
        and not notice_withheld(row.notice_withheld_until, today)
        and (since is None or row.at.date() >= since)
    ]
