"""Keeping the privacy notice current (RULES.md CCPA-PP-1). No I/O.

Cal. Civ. Code 1798.130(a)(5): the privacy policy is updated at least once every 12 months. privault
alerts from the 11th month after the last published version (the dashboard and ``privault notice
review``), and says when it is overdue. A new version that changes what a consent-based purpose
says (or adds one) marks that purpose for re-consent: consents recorded under an earlier notice
version no longer cover what the person is now told (GDPR Art. 7(1) and 4(11): informed consent).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from privault.core.audit import to_micros
from privault.core.consent import State
from privault.core.deadlines import add_months
from privault.core.decisions import Decision, Reason
from privault.core.records import NoticeVersionRecord

RULE = "CCPA-PP-1"
RECONSENT_RULE = "GDPR-CONS-1"  # the consent must be to what the person was told (Art. 4(11), 7(1))
CITATION = "Cal. Civ. Code 1798.130(a)(5)"
REVIEW_MONTHS = 12  # "at least once every 12 months"
ALERT_MONTHS = 11  # privault's: a month's warning

ReviewState = Literal["current", "review_soon", "overdue"]


def review_due(published_on: date) -> date:
    """The day by which the next version must be published (12 calendar months on)."""
    return add_months(published_on, REVIEW_MONTHS)


def review_state(published_on: date, today: date) -> ReviewState:
    """current; review_soon from 11 months after publication; overdue from 12."""
    if today >= review_due(published_on):
        return "overdue"
    if today >= add_months(published_on, ALERT_MONTHS):
        return "review_soon"
    return "current"


def _consent_purposes(content: Mapping[str, Any]) -> dict[str, Any]:
    """The consent-based purposes of a notice's content, by key (``withdraw``: consent-based)."""
    return {p["key"]: p for p in content.get("purposes", []) if p.get("withdraw")}


def reconsent_purposes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """The consent-based purposes whose statement changed (or that are new) between two notice
    contents; none for the first notice (nobody consented under an earlier one)."""
    if old is None:
        return []
    before = _consent_purposes(old)
    return sorted(k for k, p in _consent_purposes(new).items() if before.get(k) != p)


RECONSENT = "reconsent"  # stored beside a version's content: the purposes it marked


@dataclass(frozen=True, slots=True)
class Mark:
    """A purpose marked for re-consent: by which notice version, published at which instant."""

    version_id: str
    at_us: int  # consents recorded before this instant do not cover the purpose any more


def reconsent_marks(versions: Iterable[NoticeVersionRecord]) -> dict[str, Mark]:
    """Each marked purpose's latest mark, from the versions (any order)."""
    marks: dict[str, Mark] = {}
    for version in sorted(versions, key=lambda v: v.seq):  # oldest first: the latest mark wins
        for purpose in json.loads(version.content_json).get(RECONSENT, []):
            marks[purpose] = Mark(version.version_id, to_micros(version.created_at))
    return marks


def predates(state: State, topics: Iterable[str], mark: Mark) -> bool:
    """Whether the consent the decision rests on (the latest entry among ``topics``) is a grant
    recorded before ``mark``."""
    found = [state[t] for t in topics if t in state]
    latest = max(found, key=lambda e: (e.at_us, e.event_id), default=None)
    return latest is not None and latest.granted and latest.at_us < mark.at_us


def stale_consent(
    decision: Decision, purpose: str, mark: Mark, rule: str = RECONSENT_RULE
) -> Decision:
    """An allowed decision resting on a consent recorded before ``mark``, denied: the consent was
    given to what the notice said before, not to what it says now (``rule``: the tenant's label)."""
    message = (
        f"the consent to '{purpose}' was recorded before notice version {mark.version_id[:12]} "
        "changed what this purpose says: ask again (GDPR Art. 4(11) and 7: informed consent)"
    )
    reason = Reason(rule, False, message, f"notice:{mark.version_id}")
    return Decision(False, (*decision.reasons, reason))
