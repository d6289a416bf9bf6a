"""Restriction, objection, the opt-outs (sale/sharing, targeted advertising, profiling) and limit
sensitive data: recorded in the consent ledger, where the processing decision reads them."""

from __future__ import annotations

from dataclasses import dataclass

from privault.core.consent import Choice, Kind, Method, Via, check_choice
from privault.core.jurisdictions import Right
from privault.core.manifest.resolve import TenantView
from privault.core.requests import RequestDetails, RequestRecord
from privault.errors import PrivaultError
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.deps import Deps
from privault.services.fulfilment.notify import _art19
from privault.services.fulfilment.staged import SYSTEM_ACTOR, Outcome, Staged, _subject
from privault.services.tenants import bind_tenant


@dataclass
class _FlagStaged(Staged):
    view: TenantView
    choices: list[Choice]
    refused: list[str]

    # no vault part: the consent ledger was written by ``_flags`` in its own transaction


def _choices(
    view: TenantView, request: RequestRecord, details: RequestDetails
) -> tuple[list[Choice], list[str]]:
    kinds = {
        Right.RESTRICTION: (Kind.RESTRICTION, "*"),
        Right.OBJECTION: (Kind.OBJECTION, "marketing"),
        Right.OPT_OUT_SALE: (Kind.SALE_SHARING, "*"),
        Right.LIMIT_SENSITIVE: (Kind.LIMIT_SPI, "*"),
        Right.OPT_OUT_TARGETED_ADS: (Kind.TARGETED_ADS, "*"),
        Right.OPT_OUT_PROFILING: (Kind.PROFILING, "*"),
    }
    kind, default = kinds[request.type]
    scopes = (
        details.purposes
        if kind in (Kind.RESTRICTION, Kind.OBJECTION) and details.purposes
        else [default]
    )
    choices, refused = [], []
    for scope in scopes:
        choice = Choice(kind, scope, False)
        try:
            check_choice(view, choice, Method.REQUEST)
        except PrivaultError as exc:
            refused.append(f"{scope}: {exc.message}")
            continue
        choices.append(choice)
    return choices, refused


def _record_flags(
    deps: Deps, view: TenantView, request: RequestRecord, ref: str, choices: list[Choice]
) -> int:
    """Write the choices to the consent ledger, with the request as evidence."""
    evidence = Evidence(
        method=Method.REQUEST,
        via=Via.API,
        brand=request.brand,
        shown=f"request {request.ref}",
        extra={"request": request.ref},
    )
    done = record_choices(
        deps,
        view.tenant.key,
        SYSTEM_ACTOR,
        Holder(subject=ref),
        choices,
        evidence,
        deps.clock.now(),
    )
    return len(done.events)


def _flags(
    deps: Deps,
    view: TenantView,
    request: RequestRecord,
    details: RequestDetails,
    identities: dict[str, list[str]],
    outcome: Outcome,
) -> Staged:
    choices, refused = _choices(view, request, details)
    with deps.make_uow() as uow:
        bind_tenant(uow, view.tenant.key)
        subject = _subject(uow, request)
    recorded = int(request.result.get("recorded", 0))  # recorded by an earlier run: not again
    if not recorded and subject is not None and subject.ref is not None and choices:
        recorded = _record_flags(deps, view, request, subject.ref, choices)
    elif not recorded and choices and request.subject_id is not None:
        outcome.fail("the matched subject has no reference to record the choice against")
    outcome.result |= {"recorded": recorded, "refused": refused, "vault": subject is not None}
    labels = {
        Right.RESTRICTION: "Processing of your data is now restricted",
        Right.OBJECTION: "Your objection is recorded and the processing stopped",
        Right.OPT_OUT_SALE: "Your data will not be sold or shared",
        Right.LIMIT_SENSITIVE: "Use of your sensitive data is now limited",
        Right.OPT_OUT_TARGETED_ADS: "Your data will not be used for targeted advertising",
        Right.OPT_OUT_PROFILING: "Your data will not be used for profiling",
    }
    if recorded:
        outcome.response.append(f"{labels[request.type]} ({', '.join(c.scope for c in choices)}).")
    elif subject is None:
        outcome.response.append("We hold no personal data linked to the identities you gave.")
    if refused:
        outcome.response.append("Not applied: " + "; ".join(refused) + ".")
    if request.type in (Right.RESTRICTION, Right.OBJECTION) and recorded:
        with deps.make_uow() as uow:
            bind_tenant(uow, view.tenant.key)
            held = {f.category for f in uow.subjects.fields([subject.id])} if subject else set()
        _art19(view, held, outcome, request.type.value)
    return _FlagStaged(view, choices, refused)
