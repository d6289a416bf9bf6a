"""The verification policy of Californian requests (11 CCR §§7060-7062): the level a request needs and
the evidence it has, read in the caller's unit of work.

The policy is on when ``PRIVAULT_CCPA_VERIFICATION_LEVELS`` is true; it applies to requests whose
applicable laws include California's (``us-ca``). Evidence is counted from what is stored: the
identities whose one-time code was entered *and* which the vault holds for the matched person, the
data points staff matched (``verification_evidence`` events: names only), the signed declaration
(``declaration_signed`` event) and a re-authentication through the account.
"""

from __future__ import annotations

from collections.abc import Sequence

from privault.core.manifest.resolve import category_sensitivity, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.requests import FINAL, EventRecord, RequestDetails, RequestRecord
from privault.core.taxonomy import Sensitivity
from privault.core.verification import (
    KNOW,
    Evidence,
    point_names,
    requirement,
    shortfall,
)
from privault.crypto.blind_index import blind_index
from privault.services.deps import Deps
from privault.services.requests.deps import (
    _identity_list,
    normalised_identities,
    open_details,
)

CALIFORNIA = "us-ca"
EVIDENCE = "verification_evidence"  # timeline action: data points staff matched
DECLARED = "declaration_signed"  # timeline action: the signed declaration (§7062(c))


def applies(deps: Deps, request: RequestRecord) -> bool:
    """Whether the §7062 levels govern this request's verification."""
    return deps.settings.verification_levels and CALIFORNIA in request.jurisdictions


def _sensitive(deps: Deps, uow: UnitOfWork, subject_id: int | None) -> bool:
    if subject_id is None:
        return False
    categories = {f.category for f in uow.subjects.fields([subject_id])}
    return any(category_sensitivity(deps.manifest, c) != Sensitivity.ORDINARY for c in categories)


def evidence(
    deps: Deps,
    uow: UnitOfWork,
    tenant_key: str,
    request: RequestRecord,
    subject_id: int | None,
) -> Evidence:
    """The matched, verified data points, the declaration and the account re-authentication stored
    for a request (``subject_id``: the one person its identities lead to, if any)."""
    details = open_details(deps, tenant_key, request)
    verified = {v.slot for v in uow.requests.verifications(request.id) if v.verified_at}
    points = _code_points(deps, uow, tenant_key, details, verified, subject_id)
    account = False
    declared = False
    for event in uow.requests.events(request.id):
        if event.action == EVIDENCE:
            names = event.details.get("points", [])
            points |= point_names(str(n) for n in names) if isinstance(names, list) else set()
            account = account or event.details.get("account") is True
        declared = declared or event.action == DECLARED
    return Evidence(frozenset(points), declared, account)


def _code_points(
    deps: Deps,
    uow: UnitOfWork,
    tenant_key: str,
    details: RequestDetails,
    verified: set[int],
    subject_id: int | None,
) -> set[str]:
    """The identities whose code was entered and which the vault holds for ``subject_id``."""
    if subject_id is None:
        return set()
    view = tenant_view(deps.manifest, tenant_key)
    points: set[str] = set()
    for slot, (kind, value) in enumerate(_identity_list(details)):
        if slot not in verified:
            continue
        canonical = normalised_identities(view, RequestDetails({kind: [value]}))[kind][0]
        index = blind_index(deps.keyring.index_key(tenant_key, kind), canonical)
        if any(found == subject_id for _, found in uow.subjects.find(kind, [index])):
            points.add(f"{kind}:{canonical}")  # in memory only: never stored nor shown
    return points


def declaration_due(deps: Deps, request: RequestRecord, events: Sequence[EventRecord]) -> bool:
    """Whether the requester is still to sign the §7062(c) declaration (shown on their page)."""
    return (
        applies(deps, request)
        and request.type in KNOW
        and request.verified_at is None
        and request.state not in FINAL
        and not any(e.action == DECLARED for e in events)
    )


def missing(
    deps: Deps,
    uow: UnitOfWork,
    tenant_key: str,
    request: RequestRecord,
    subject_id: int | None,
) -> str | None:
    """What the request still lacks before it may be verified (None: nothing)."""
    if not applies(deps, request):
        return None
    found = requirement(request.type, sensitive=_sensitive(deps, uow, subject_id))
    if found is None:
        return None
    return shortfall(found, evidence(deps, uow, tenant_key, request, subject_id))
