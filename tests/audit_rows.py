"""Every audit event of the bound tenant, sealed or not, oldest first, as tuples shaped like the
sealed stream's first fields: (id, at_us, actor, action, subject, purpose, outcome, details, mac)."""

from __future__ import annotations

from typing import Any

from privault.core.ports import UnitOfWork


def audit_rows(uow: UnitOfWork, limit: int = 10_000) -> list[tuple[Any, ...]]:
    """The tenant's events in the order they were written."""
    events = reversed(_all(uow, limit))
    return [
        (e.id, e.at_us, e.actor, e.action, e.subject, e.purpose, e.outcome, e.details, e.mac)
        for e in events
    ]


def _all(uow: UnitOfWork, limit: int) -> list[Any]:
    """Newest first, page by page (a page holds at most 500)."""
    found: list[Any] = []
    before = None
    while len(found) < limit:
        page = uow.audit.recent(min(500, limit - len(found)), before=before)
        if not page:
            break
        found.extend(page)
        before = page[-1].id
    return found
