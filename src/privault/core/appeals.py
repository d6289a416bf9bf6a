"""Appeals of a refused request (US state laws): who may appeal, and what the decision notice says. Pure.

An appeal is a request of its own (``Right.APPEAL``) naming the refused request; its clock is the
appeal period of the laws that granted the original right (e.g. Va. Code § 59.1-577(C): 60 days).
A refusal under such a law tells the person how to appeal; the denial of an appeal tells them how to
contact the Attorney General.
"""

from __future__ import annotations

from collections.abc import Sequence

from privault.core.jurisdictions import JURISDICTIONS, Jurisdiction, Right
from privault.core.requests import RequestRecord, State
from privault.errors import Conflict, PolicyViolation

APPEALABLE = frozenset({State.DENIED, State.COMPLETED, State.INCOMPLETE})


def appeal_laws(keys: Sequence[str]) -> tuple[Jurisdiction, ...]:
    """The laws among ``keys`` that grant an appeal."""
    return tuple(JURISDICTIONS[k] for k in keys if k in JURISDICTIONS and JURISDICTIONS[k].appeal)


def check_appealable(original: RequestRecord) -> tuple[str, ...]:
    """The jurisdictions an appeal of ``original`` runs under, or why it cannot be appealed."""
    if original.type is Right.APPEAL:
        raise Conflict(
            f"{original.ref} is itself an appeal: its denial goes to the Attorney General",
            code="request.not_appealable",
        )
    if original.state not in APPEALABLE:
        raise Conflict(
            f"{original.ref} is {original.state.value}: only a decided request can be appealed",
            code="request.not_appealable",
        )
    laws = appeal_laws(original.jurisdictions)
    if not laws:
        raise PolicyViolation(
            f"no law applying to {original.ref} ({', '.join(original.jurisdictions)}) grants an "
            "appeal",
            code="request.right_unavailable",
        )
    return tuple(j.key for j in laws)


def how_to_appeal(request: RequestRecord) -> str:
    """The lines a refusal adds where a law grants an appeal ('' where none does)."""
    laws = appeal_laws(request.jurisdictions)
    if request.type is Right.APPEAL or not laws:
        return ""
    parts = []
    for law in laws:
        appeal = law.appeal
        assert appeal is not None  # noqa: S101 - appeal_laws keeps only laws with one
        parts.append(f"{appeal.period.describe()} ({law.cite('appeal') or appeal.period.rule})")
    return (
        f"You may appeal this decision: reply to this message, or write to us, quoting "
        f"{request.ref}. We will answer your appeal within {'; '.join(parts)}."
    )


def after_appeal(request: RequestRecord) -> str:
    """What the denial of an appeal adds: how to contact the Attorney General of each law."""
    laws = appeal_laws(request.jurisdictions)
    return "\n".join(
        f"If you disagree, you may contact {law.authority} ({law.cite('authority') or law.law})."
        for law in laws
    )
