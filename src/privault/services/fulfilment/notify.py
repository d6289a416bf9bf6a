"""GDPR Art. 19 (and CCPA 1798.105(c)): the recipients to tell of an erasure, correction or restriction."""

from __future__ import annotations

from privault.core.manifest.model import RecipientType
from privault.core.manifest.resolve import TenantView
from privault.core.taxonomy import covers
from privault.services.fulfilment.staged import Outcome

ART19_TYPES = (
    RecipientType.PROCESSOR,
    RecipientType.PARTNER,
    RecipientType.AFFILIATE,
    RecipientType.GROUP_COMPANY,
    RecipientType.ACQUIRER,
)


def _art19(view: TenantView, categories: set[str], outcome: Outcome, what: str) -> None:
    """GDPR Art. 19 (and CCPA 1798.105(c) for deletion): tell each recipient the data went to
    (a task per recipient)."""
    told = []
    for recipient in view.recipients:
        if recipient.type not in ART19_TYPES:
            continue
        if any(covers(c, h) or covers(h, c) for c in recipient.categories for h in categories):
            outcome.tasks.append(
                (
                    f"recipient:{recipient.key}",
                    f"Tell {recipient.name} of the {what} and confirm they applied it "
                    "(GDPR Art. 19; CCPA 1798.105(c))",
                )
            )
            told.append(recipient.key)
    outcome.result["recipients_to_notify"] = told
