"""The daily sweep: close unverified requests, flag due ones, drop expired packages, purge old records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from privault.core.requests import FINAL, DenialCode, State
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.requests.deadline import _today
from privault.services.requests.deps import SYSTEM
from privault.services.requests.events import queue_event
from privault.services.requests.reading import deadline_state
from privault.services.requests.workflow import _hook_body, deny_request
from privault.services.tenants import bind_tenant


@dataclass(frozen=True, slots=True)
class Swept:
    """What one sweep did."""

    closed_unverified: int
    overdue: int
    due_soon: int
    purged: int
    packages_dropped: int


def sweep(deps: Deps, tenant_key: str, actor: str = SYSTEM) -> Swept:
    """Close requests never verified, flag overdue and soon-due ones (once a day), delete packages
    whose link expired, and delete request records past their keeping period (CCPA §7101: 24 months)."""
    now = deps.clock.now()
    cutoff = now - timedelta(days=deps.settings.unverified_close_days)
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        stale = [
            r.ref
            for r in uow.requests.unverified_before(cutoff)
            if r.verification == "pending" and r.verified_at is None
        ]
    text = (
        "We could not confirm your identity: the codes we sent were not entered in "
        f"{deps.settings.unverified_close_days} days, so we have closed this request. You may "
        "make a new request at any time."
    )
    closed = 0
    for ref in stale:
        denied = deny_request(
            deps,
            tenant_key,
            ref,
            actor,
            DenialCode.IDENTITY_NOT_VERIFIED,
            text,
            only_if_unverified=True,
        )
        closed += denied is not None
    overdue = due_soon = 0
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        for request in uow.requests.search(states=[s.value for s in State if s not in FINAL]):
            state = deadline_state(request, _today(deps, request))
            if state not in ("overdue", "due_soon", "due_today"):
                continue
            already = any(
                e.action == f"flag_{state}" and e.at.date() == now.date()
                for e in uow.requests.events(request.id)
            )
            if not already:
                uow.requests.add_event(
                    request.id,
                    now,
                    actor,
                    f"flag_{state}",
                    details={"due_on": request.due_on.isoformat()},
                )
                body = _hook_body(request, request.state, now, None)
                queue_event(deps, uow, tenant_key, f"request.{state}", body, now)
            overdue += state == "overdue"
            due_soon += state != "overdue"
        packages = uow.requests.drop_expired_packages(now)
        expired = uow.requests.expired_records(now.date())
        if expired:
            uow.requests.delete(expired)
            record(
                uow,
                [Entry(actor, "request:purge", None, None, "ok", {"requests": len(expired)})],
                now,
            )
        uow.commit()
    return Swept(closed, overdue, due_soon, len(expired), packages)
