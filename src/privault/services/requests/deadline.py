"""The legal clock of a request: the laws that apply, the deadline across them, pauses and records' keeping."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from privault.core.deadlines import Pause, Strictest, applicable, local_day
from privault.core.deadlines import add_months as _add_months
from privault.core.jurisdictions import JURISDICTIONS, Right
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.request_ports import RequestChange
from privault.core.requests import PauseSpan, RequestRecord
from privault.errors import InvalidInput, NotFound
from privault.services.deps import Deps


def _applicable(view: TenantView, declared: str | None) -> tuple[str, ...]:
    """The declared residence and the tenant's own jurisdiction (it applies by establishment)."""
    if declared is not None and declared not in JURISDICTIONS:
        known = ", ".join(sorted(JURISDICTIONS))
        raise NotFound(
            f"no jurisdiction '{declared}' (known: {known})", code="jurisdiction.unknown"
        )
    keys = [k for k in (declared, view.tenant.default_jurisdiction) if k]
    if not keys:
        raise InvalidInput(
            "the tenant has no default jurisdiction: the request must declare one",
            code="jurisdiction.unknown",
        )
    return tuple(dict.fromkeys(keys))


def establishment(deps: Deps, tenant_key: str) -> str | None:
    """The tenant's establishment (``IE``, ``DE-BY``): its EU/UK deadlines' holiday calendar."""
    tenant = deps.manifest.tenant(tenant_key)
    return tenant.establishment.code if tenant and tenant.establishment else None


def _pauses(spans: Sequence[PauseSpan]) -> list[Pause]:
    return [Pause(p.start, p.end, p.reason) for p in spans]


def compute_deadline(
    request: RequestRecord,
    today: date,
    *,
    extension_reasons: str | None = None,
    establishment: str | None = None,
) -> Strictest:
    """The deadline that applies now, across every applicable law: pauses where the law stops the
    clock, the extension where the law allows one (``extension_reasons``: as if extended now), in
    the calendar of the tenant's ``establishment`` where the law counts there."""
    reasons = extension_reasons or (request.extension_reasons if request.extended else None)
    return applicable(
        request.jurisdictions,
        request.type,
        request.received_at,
        _pauses(request.pauses),
        today,
        reasons,
        establishment,
    )


def _deadline_change(chosen: Strictest) -> RequestChange:
    """What the request keeps about its deadline."""
    return RequestChange(
        due_on=chosen.winner.due,
        rule=chosen.winner.rule,
        jurisdiction=chosen.winner.jurisdiction,
        deadline_explanation=chosen.explanation,
    )


def _today(deps: Deps, request: RequestRecord) -> date:
    return local_day(request.jurisdiction, deps.clock.now())


def _retain_until(deps: Deps, at: datetime) -> date:
    return _add_months(at.date(), deps.settings.record_months)


def allowed_rights(manifest: Manifest, tenant_key: str, jurisdiction: str | None) -> list[Right]:
    """The rights a person may exercise here (their residence's and the tenant's own law)."""
    view = tenant_view(manifest, tenant_key)
    keys = _applicable(view, jurisdiction)
    return [r for r in Right if any(r in JURISDICTIONS[k].rights for k in keys)]
