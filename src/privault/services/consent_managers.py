"""Consent artefacts and withdrawals from a consent manager (DPDP-CM-1, DPDP Act s.6(7)-(9)).

One call is one transaction, through :func:`services.consent.append_choices`: one ledger event per
purpose with the manager and the artefact id as evidence, the projection and one audit event each.
A withdrawal must name an artefact the same manager granted for the same person; without purposes
it withdraws every purpose that artefact granted.
"""

from __future__ import annotations

from datetime import datetime

from privault.core.consent import Kind, Method, Via
from privault.core.consent_managers import (
    Artefact,
    came_with,
    check_artefact,
    choices_of,
    evidence_of,
)
from privault.core.ports import UnitOfWork
from privault.errors import NotFound
from privault.services.consent import Evidence, Holder, Recorded, append_choices, events_of
from privault.services.deps import Deps


def record_artefact(
    deps: Deps,
    tenant_key: str,
    actor: str,
    holder: Holder,
    artefact: Artefact,
    at: datetime,
) -> Recorded:
    """Record a consent manager's artefact (a grant) or its withdrawal for one person."""
    check_artefact(deps.decider.view(tenant_key).tenant.jurisdictions, artefact)
    with deps.make_uow() as uow:
        done = _record(uow, deps, tenant_key, actor, holder, artefact, at)
        uow.commit()
    return done


def _record(
    uow: UnitOfWork,
    deps: Deps,
    tenant_key: str,
    actor: str,
    holder: Holder,
    artefact: Artefact,
    at: datetime,
) -> Recorded:
    granted = _granted_by(uow, tenant_key, holder, artefact)
    if not artefact.granted and not granted:
        raise NotFound(
            f"consent manager '{artefact.manager}' gave no artefact '{artefact.artefact_id}' "
            "for this person",
            code="consent.artefact_unknown",
        )
    evidence = Evidence(
        Method.CONSENT_MANAGER,
        Via.API,
        shown=f"consent artefact {artefact.artefact_id} from {artefact.manager}",
        extra=evidence_of(artefact),
    )
    choices = choices_of(artefact, granted)
    return append_choices(uow, deps.decider, tenant_key, actor, holder, choices, evidence, at)


def _granted_by(uow: UnitOfWork, tenant_key: str, holder: Holder, artefact: Artefact) -> list[str]:
    """The purposes this artefact granted the person (ledger order)."""
    return [
        e.scope
        for e in events_of(uow, tenant_key, holder)
        if e.kind == Kind.PURPOSE.value and e.granted and came_with(e.evidence, artefact)
    ]
