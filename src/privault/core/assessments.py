"""GDPR-DPIA-1 in the processing decision (GDPR Art. 35(1)): processing "likely to result in a high
risk" is assessed *prior to the processing*. A purpose the manifest marks ``requires_dpia`` is
denied by the decision itself, not only at disclosure, until an approved assessment whose review
date has not passed exists (``core/ropa.py`` ``dpia_state``). No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from privault.core.decisions import Decision, Reason
from privault.core.records_ports import DpiaRecord
from privault.core.ropa import dpia_state

DPIA_RULE = "GDPR-DPIA-1"


def unassessed(purposes: Iterable[str], dpias: Sequence[DpiaRecord], today: date) -> frozenset[str]:
    """Of the purposes that require an assessment, those without an approved, unexpired one."""
    return frozenset(p for p in purposes if not dpia_state(p, dpias, today).startswith("approved"))


def unassessed_message(purpose: str) -> str:
    """Why a purpose without its assessment is denied."""
    return (
        f"purpose '{purpose}' requires an approved, unexpired impact assessment before "
        "processing (GDPR Art. 35(1))"
    )


def without_assessment(decision: Decision, purpose: str, rule: str = DPIA_RULE) -> Decision:
    """The decision denied for want of an assessment (``rule``: the tenant's label for it)."""
    record = f"manifest:purposes.{purpose}.requires_dpia"
    reason = Reason(rule, False, unassessed_message(purpose), record)
    return Decision(False, (*decision.reasons, reason))
