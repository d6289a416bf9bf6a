"""COPPA-1 at disclosure: a child's data goes to a third party only on the parent's separate consent.

16 CFR 312.5(a)(2) as amended (compliance from 2026-04-22): the verifiable parental consent to
collect a child's data (under 13) does not cover disclosing it to third parties; that needs its own
consent, recorded as a ``parental_disclosure`` ledger event for the purpose (method and evidence as
for any parental consent). Checked per subject in ``services/disclosures.py``; a subject without it
is refused with the rule, the others proceed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from privault.core.children import needs_disclosure_consent
from privault.core.consent import Kind, load_state, topic
from privault.core.disclosures import IDENTIFIABLE, DisclosurePlan
from privault.core.manifest.resolve import TenantView
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectRecord

REFUSED = (
    "COPPA-1: a child under 13: disclosing to a third party needs the parent's separate verified "
    "consent (16 CFR 312.5(a)(2))"
)


class Disclosing(Protocol):
    """A subject on its way into a disclosure (``services.disclosures._Subject``)."""

    ref: str
    record: SubjectRecord


def without_parental_consent(
    uow: UnitOfWork,
    view: TenantView,
    plan: DisclosurePlan,
    subjects: Sequence[Disclosing],
    today: date,
) -> set[str]:
    """The refs of the children whose parent has not separately consented to this disclosure
    (aggregated or anonymised data names no child: none)."""
    if plan.transform not in IDENTIFIABLE:
        return set()
    minor_age, laws = view.policy.minor_age, view.tenant.jurisdictions
    kind, purpose = plan.recipient.type.value, plan.purpose.key
    children = [
        s
        for s in subjects
        if needs_disclosure_consent(laws, kind, s.record.adult_on, minor_age, today)
    ]
    if not children:
        return set()
    states = uow.consent.states([f"s:{s.record.id}" for s in children])
    key = topic(Kind.PARENTAL_DISCLOSURE, purpose)
    refused: set[str] = set()
    for child in children:
        found = states.get(f"s:{child.record.id}")
        entry = load_state(found[0] if found else None).get(key)
        if entry is None or not entry.granted:
            refused.add(child.ref)
    return refused
