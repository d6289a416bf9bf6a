"""Restriction of processing (GDPR Art. 18) for many subjects at once, e.g. a whole billing run,
and of one subject whose data an erasure request kept because the law requires it.

All or nothing: one unknown subject and nothing is written. Each subject gets its own ledger event
(with the batch's reference in its evidence) and audit entry, like any other choice.

Lifting tells each person first (GDPR Art. 18(3)): a message to their first e-mail address or phone
number in the vault is sent before the lift is committed (a message that cannot be sent and nothing
is lifted); a person with neither is refused (``restriction.cannot_inform``) unless staff say how
they were told (``informed_otherwise``). Each ledger event records how (``informed``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from privault.core.consent import (
    Choice,
    Kind,
    apply,
    check_choice,
    check_reference,
    load_state,
    topic,
)
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectRecord
from privault.crypto.keyring import Keyring
from privault.crypto.subjects import subject_cipher
from privault.errors import PolicyViolation, PrivaultError
from privault.outbound.messenger import Message, Messenger
from privault.services.audit import record
from privault.services.consent import (
    Evidence,
    audit_entry,
    check_evidence,
    event_row,
    fold_row,
    notice_version,
    save_states,
    subject_by_ref,
    with_id,
)
from privault.services.decisions import Decider
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant


def restrict_processing(
    deps: Deps,
    tenant_key: str,
    actor: str,
    subject_refs: Sequence[str],
    purpose: str | None,
    *,
    restricted: bool,
    reference: str | None,
    evidence: Evidence,
    informed_otherwise: str = "",
) -> int:
    """Restrict (or lift) processing of many subjects at once, all or nothing; e.g. a billing run.

    ``reference`` names the batch (``billing-run:2026-11``) in every event's evidence. Lifting
    tells each person before it is committed (GDPR Art. 18(3); see the module's docstring);
    ``informed_otherwise`` says how people with no e-mail or phone on file were told.
    """
    view = deps.decider.view(tenant_key)
    choice = Choice(Kind.RESTRICTION, purpose or "*", not restricted)
    check_choice(view, choice, evidence.method)
    check_reference("reference", reference)
    check_evidence(view, evidence)
    if reference:
        evidence = dataclasses.replace(evidence, extra={**evidence.extra, "reference": reference})
    refs, at = list(dict.fromkeys(subject_refs)), deps.clock.now()
    with deps.make_uow() as uow:
        tenant_id = bind_tenant(uow, tenant_key).id
        notice = notice_version(uow, evidence.notice_version)
        subjects = [subject_by_ref(uow, ref) for ref in refs]
        told: dict[int, _Contact] = {}
        if not restricted:
            told = _contacts(uow, deps.keyring, informed_otherwise, tenant_key, tenant_id, subjects)
        proofs = [_informed(evidence, told, s, informed_otherwise) for s in subjects]
        count = _append(uow, choice, subjects, proofs, notice, actor, at)
        named = view.purpose(purpose) if purpose else None
        scope = named.name if named else purpose
        _tell(deps.messenger, view.tenant.name, tenant_key, scope, told, at)
        uow.commit()
    return count


def _append(
    uow: UnitOfWork,
    choice: Choice,
    subjects: Sequence[SubjectRecord],
    proofs: Sequence[Evidence],
    notice: str | None,
    actor: str,
    at: datetime,
) -> int:
    """One ledger event per subject (with its evidence), the projection and the audit entries."""
    states = {
        h: load_state(v[0])
        for h, v in uow.consent.states([f"s:{s.id}" for s in subjects], lock=True).items()
    }
    rows = [
        event_row(choice, s.id, None, proof, notice, actor, at)
        for s, proof in zip(subjects, proofs, strict=True)
    ]
    stored = [with_id(r, i) for r, i in zip(rows, uow.consent.append(rows), strict=True)]
    for row in stored:
        apply(states, fold_row(row))
    save_states(uow, states, None, None, at)
    entries = [audit_entry(r, actor, s.uid) for r, s in zip(stored, subjects, strict=True)]
    record(uow, entries, at)
    return len(stored)


def restrict_kept(
    uow: UnitOfWork,
    decider: Decider,
    tenant_key: str,
    actor: str,
    subject: SubjectRecord,
    evidence: Evidence,
    at: datetime,
) -> int | None:
    """Restrict all processing of a subject whose data an erasure kept for a legal reason, inside
    the caller's transaction (the caller commits): from now on only the purposes allowed while
    processing is restricted (GDPR Art. 18(2), the legal obligation itself) may use it, and every
    other decision says no, naming this ledger event. Returns the event's id (None: the subject
    was restricted already)."""
    view = decider.view(tenant_key)
    choice = Choice(Kind.RESTRICTION, "*", False)
    check_choice(view, choice, evidence.method)
    check_evidence(view, evidence)
    holder = f"s:{subject.id}"
    states = {h: load_state(v[0]) for h, v in uow.consent.states([holder], lock=True).items()}
    current = states.get(holder, {}).get(topic(Kind.RESTRICTION, "*"))
    if current is not None and not current.granted:
        return None
    row = event_row(choice, subject.id, None, evidence, notice_version(uow, None), actor, at)
    [new_id] = uow.consent.append([row])
    stored = with_id(row, new_id)
    apply(states, fold_row(stored))
    save_states(uow, states, None, None, at)
    record(uow, [audit_entry(stored, actor, subject.uid)], at)
    return new_id


_Contact = tuple[Literal["email", "sms"], str]


def _contacts(
    uow: UnitOfWork,
    keyring: Keyring,
    informed_otherwise: str,
    tenant_key: str,
    tenant_id: int,
    subjects: Sequence[SubjectRecord],
) -> dict[int, _Contact]:
    """Each subject's first e-mail address (else phone); refused if someone has neither and staff
    did not say how they were told (restriction.cannot_inform)."""
    found: dict[int, _Contact] = {}
    for identity in uow.subjects.identities([s.id for s in subjects]):
        subject = next(s for s in subjects if s.id == identity.subject_id)
        if identity.kind not in ("email", "phone") or subject.wrapped_key is None:
            continue
        cipher = subject_cipher(keyring, tenant_key, tenant_id, subject)
        value = cipher.open_value(f"identity:{identity.kind}", identity.ciphertext).reveal()
        current = found.get(subject.id)
        if current is None or (current[0] == "sms" and identity.kind == "email"):
            found[subject.id] = ("email" if identity.kind == "email" else "sms", str(value))
    unreachable = [s.ref for s in subjects if s.id not in found]
    if unreachable and not informed_otherwise.strip():
        raise PolicyViolation(
            f"{len(unreachable)} subject(s) have no e-mail address or phone number to be told "
            f"before the restriction is lifted (GDPR Art. 18(3)), e.g. '{unreachable[0]}': say how "
            "they were told (informed_otherwise), or tell them first",
            code="restriction.cannot_inform",
        )
    return found


def _informed(
    evidence: Evidence, told: dict[int, _Contact], subject: SubjectRecord, informed_otherwise: str
) -> Evidence:
    """The evidence of one subject's event, saying how they were told of a lift."""
    how: str
    if subject.id in told:
        how = told[subject.id][0]
    elif informed_otherwise.strip():
        how = f"otherwise: {informed_otherwise.strip()}"
    else:
        return evidence  # a restriction, not a lift
    return dataclasses.replace(evidence, extra={**evidence.extra, "informed": how})


def _tell(
    messenger: Messenger,
    tenant_name: str,
    tenant_key: str,
    purpose: str | None,
    told: dict[int, _Contact],
    at: datetime,
) -> None:
    """Send each notice before the lift is committed; one that fails stops the lift."""
    scope = f" for {purpose}" if purpose else ""
    body = (
        f"{tenant_name} is lifting the restriction of processing of your personal data{scope} "
        f"(GDPR Art. 18). From {at.date().isoformat()} we may use it again{scope}. If you have "
        "questions or object, reply to this message."
    )
    subject = f"{tenant_name}: the restriction of your data is being lifted"
    for sent, (channel, to) in enumerate(told.values()):
        try:
            messenger.send(Message(channel, to, subject, body, tenant_key, "restriction_lifted"))
        except PrivaultError as exc:
            raise PolicyViolation(
                f"a notice could not be sent ({exc.code}): nothing was lifted; {sent} of "
                f"{len(told)} people were already told",
                code="restriction.notice_failed",
            ) from None
