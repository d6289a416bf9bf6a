"""Erasure: datastores first (foreign-key-safe; shared rows and rows under an exception retained with
their code), then the vault (crypto-shredding, or only the values no exception keeps). What the law
keeps (``kept``) is listed with its rule and law, and restricted to that law's use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from privault.connectors.results import ErasureException, ErasureResult
from privault.connectors.sql import SqlDatastore
from privault.core.consent import Method, Via
from privault.core.erasure import allowed_by, erasure_laws, refused_by
from privault.core.manifest.resolve import TenantView
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectRecord
from privault.core.requests import RequestDetails, RequestRecord
from privault.core.retention import Hold, holding
from privault.core.vault import identity_category
from privault.errors import PrivaultError
from privault.services.audit import Entry, record
from privault.services.consent import Evidence
from privault.services.datastores import connected
from privault.services.deps import Deps
from privault.services.fulfilment.answers import erasure_answer
from privault.services.fulfilment.kept import (
    Keeping,
    Source,
    excepted,
    kept_in_vault,
    legal_sources,
    retained_rows,
)
from privault.services.fulfilment.notify import _art19
from privault.services.fulfilment.staged import (
    SYSTEM_ACTOR,
    Closing,
    Outcome,
    Staged,
    _subject,
)
from privault.services.fulfilment.tally import erased_here, failed_here
from privault.services.legal_holds import active_holds, hold_exception, still_free
from privault.services.restrictions import restrict_kept
from privault.services.visits import forget_subject_visits


def _exceptions(
    view: TenantView, request: RequestRecord
) -> tuple[list[Source], list[dict[str, Any]]]:
    """The manifest's exceptions that every law granting this erasure recognises (the strictest
    combination, ``core.erasure``), each naming the provisions that allowed it; and those set aside,
    with the laws that do not allow them."""
    laws = erasure_laws(request.jurisdictions)
    found: list[Source] = []
    refused: list[dict[str, Any]] = []
    for e in view.manifest.erasure_exceptions:
        provisions = allowed_by(e.code, laws)
        if provisions is None:
            refused.append(
                {"code": e.code, "rule": e.key, "not_allowed_by": refused_by(e.code, laws)}
            )
            continue
        exception = ErasureException(tuple(e.categories), e.code, e.rule, e.description)
        found.append((exception, Keeping(e.code, e.key, provisions)))
    return found, refused


def _holds(holds: list[Hold]) -> list[Source]:
    """What category holds keep, as a source of exceptions."""
    return [(e, excepted(e, "legal-hold")) for e in filter(None, [hold_exception(holds)])]


@dataclass
class _ErasureStaged(Staged):
    view: TenantView
    categories: set[str]  # what the datastores erased (for Art. 19)
    sources: list[Source] = field(default_factory=list)  # the manifest's exceptions that apply
    held: bool = False  # a subject or tenant hold: nothing is erased anywhere

    def commit(self, closing: Closing) -> None:
        """Erase in the vault: everything, or what no exception keeps; list recipients to tell."""
        deps, uow, _tenant_key, _tenant_id, request, outcome = closing
        if self.held:
            outcome.result["vault"] = {"matched": request.subject_id is not None, "held": True}
            return
        erased = _erase_vault(deps, uow, self.view, request, outcome, self.sources)
        _art19(self.view, self.categories | set(erased), outcome, "erasure")

    def answer(self, total: dict[str, Any], outcome: Outcome) -> None:
        """Tell the requester what every run did, datastore by datastore."""
        outcome.response[:] = erasure_answer(self.view, total)


def _erase_vault(
    deps: Deps,
    uow: UnitOfWork,
    view: TenantView,
    request: RequestRecord,
    outcome: Outcome,
    sources: list[Source],
) -> list[str]:
    """Shred the subject, or delete what nothing keeps (and restrict the rest); the categories
    erased."""
    subject = _subject(uow, request)
    if subject is None:
        outcome.result["vault"] = {"matched": False}
        return []
    at = deps.clock.now()
    sources = [*sources, *_holds(active_holds(uow, at.date()))]
    fields = uow.subjects.fields([subject.id])
    identities = uow.subjects.identities([subject.id])
    events = uow.retention.subject(uid=subject.uid)
    kept = kept_in_vault(view, sources, subject, (fields, identities), events, at.date())
    details: dict[str, Any] = {"reason": f"request:{request.ref}"}
    restricted = False
    if kept:
        drop = [f.field for f in fields if f.field not in kept.fields]
        kinds = sorted({i.kind for i in identities if i.kind not in kept.identities})
        removed, gone = uow.subjects.erase_some(subject.id, drop, kinds, at)
        details |= {"key": "kept", "retained": sorted(kept.fields)}
        _restrict(deps, uow, view, request, subject)
        restricted = True
    else:
        removed, gone = uow.subjects.erase(subject.id, at)
        forget_subject_visits(uow, [subject.id])
        details |= {"key": "destroyed"}
    details |= {"fields": removed, "identities": gone}
    record(uow, [Entry(SYSTEM_ACTOR, "vault:subject:erase", subject.uid, None, "ok", details)], at)
    outcome.result["vault"] = {
        "matched": True,
        "fields_deleted": removed,
        "identities_deleted": gone,
        "retained": [
            *({"field": name, **k.as_json()} for name, k in sorted(kept.fields.items())),
            *({"identity": kind, **k.as_json()} for kind, k in sorted(kept.identities.items())),
        ],
        "restricted": restricted,
    }
    return sorted(
        {f.category for f in fields if f.field not in kept.fields}
        | {identity_category(i.kind) for i in identities if i.kind not in kept.identities}
    )


def _restrict(
    deps: Deps,
    uow: UnitOfWork,
    view: TenantView,
    request: RequestRecord,
    subject: SubjectRecord,
) -> int | None:
    """Restrict what the vault kept to the law's own use (GDPR Art. 18(2)), in the consent ledger
    with the request as evidence; None if it already was."""
    evidence = Evidence(
        method=Method.REQUEST,
        via=Via.API,
        brand=request.brand,
        shown=f"request {request.ref}",
        extra={"request": request.ref, "reason": "kept by law after erasure"},
    )
    decider = deps.decider
    at = deps.clock.now()
    return restrict_kept(uow, decider, view.tenant.key, SYSTEM_ACTOR, subject, evidence, at)


def _erasure(
    deps: Deps,
    view: TenantView,
    request: RequestRecord,
    details: RequestDetails,
    identities: dict[str, list[str]],
    outcome: Outcome,
) -> Staged:
    with deps.make_uow() as uow:
        stores = connected(deps, uow, view.tenant.key)
        holds = active_holds(uow, deps.clock.now().date())
    hold = holding(holds, request.subject_id, None) if request.subject_id is not None else None
    if hold is not None:  # a subject or tenant hold keeps everything, in every datastore
        outcome.result |= {
            "held": hold.reference,
            "deleted": 0,
            "masked": 0,
            "by_datastore": {key: failed_here("hold.active") for key, _ in stores},
        }
        return _ErasureStaged(view, set(), held=True)
    sources, refused = _exceptions(view, request)
    if refused:
        outcome.result["exceptions_not_applied"] = refused
    erased = _erase_datastores(deps, view, request, identities, stores, sources + _holds(holds))
    outcome.result |= erased.result
    for problem in erased.problems:
        outcome.fail(problem)
    return _ErasureStaged(view, erased.categories, sources)


@dataclass
class _Erased:
    """What the datastores part did: the run's result, the problems and the categories erased."""

    result: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)


def _erase_datastores(
    deps: Deps,
    view: TenantView,
    request: RequestRecord,
    identities: dict[str, list[str]],
    stores: list[tuple[str, SqlDatastore]],
    base: list[Source],
) -> _Erased:
    """Erase the person in each datastore, keeping what the law and the exceptions keep there."""
    done = _Erased()
    results: dict[str, ErasureResult] = {}
    retained: list[dict[str, Any]] = []
    by_store: dict[str, dict[str, Any]] = {}
    for key, store in stores:
        sources = [*legal_sources(view, store.dataset), *base]
        try:
            fresh = still_free(deps, view.tenant.key, request.subject_id)  # a hold placed meanwhile
            sources += [(e, excepted(e, "legal-hold")) for e in fresh]
            results[key] = result = store.erase(identities, exceptions=[e for e, _ in sources])
        except PrivaultError as exc:
            done.problems.append(f"datastore {key} could not be erased ({exc.code})")
            by_store[key] = failed_here(exc.code)
            continue
        by_store[key] = erased_here(result)
        retained += retained_rows(key, store.dataset, result, sources)
        done.categories |= _touched(store, result)
    not_erased = [
        {"datastore": k, "collection": x.collection, "field": x.field, "rows": x.rows}
        | {"reason": x.reason}
        for k, r in sorted(results.items())
        for x in r.not_erased
    ]
    done.problems += [
        f"{n['datastore']}.{n['collection']}.{n['field']} could not be erased ({n['reason']})"
        for n in not_erased
    ]
    done.result = {
        "datastores": sorted(results),
        "by_datastore": dict(sorted(by_store.items())),
        "deleted": sum(e.get("deleted", 0) for e in by_store.values()),
        "masked": sum(e.get("masked", 0) for e in by_store.values()),
        "retained": retained,
        "not_erased": not_erased,
    }
    return done


def _touched(store: SqlDatastore, result: ErasureResult) -> set[str]:
    """The categories of the collections the erasure deleted or masked rows of (for Art. 19)."""
    touched = set(result.deleted) | set(result.masked)
    return {
        category
        for collection in store.dataset.collections
        if collection.name in touched
        for f in collection.fields
        for category in f.categories
    }
