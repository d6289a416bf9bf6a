"""Erasure: datastores first (foreign-key-safe; shared rows and rows under an exception retained with
their code), then the vault (crypto-shredding, or only the values no exception keeps).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from privault.connectors.results import ErasureException, ErasureResult
from privault.core.manifest.resolve import TenantView
from privault.core.ports import UnitOfWork
from privault.core.requests import RequestDetails, RequestRecord
from privault.core.retention import holding
from privault.core.taxonomy import covers
from privault.core.vault import identity_category
from privault.errors import PrivaultError
from privault.services.audit import Entry, record
from privault.services.datastores import connected
from privault.services.fulfilment.notify import _art19
from privault.services.fulfilment.staged import (
    SYSTEM_ACTOR,
    Closing,
    Outcome,
    Staged,
    _subject,
)
from privault.services.legal_holds import active_holds, hold_exception, still_free
from privault.services.requests import RequestDeps
from privault.services.visits import forget_subject_visits

# Which law provides each exception: it applies only when that law governs the request.
_GDPR_EXCEPTIONS = frozenset(
    {
        "freedom_of_expression",
        "legal_obligation",
        "public_health",
        "archiving_research",
        "legal_claims",
    }
)


_CCPA_EXCEPTIONS = frozenset(
    {
        "complete_transaction",
        "security_integrity",
        "debug",
        "freedom_of_expression",
        "calecpa",
        "archiving_research",
        "internal_uses",
        "legal_obligation",
    }
)


def _exceptions(view: TenantView, request: RequestRecord) -> list[ErasureException]:
    """The manifest's exceptions that the law governing this request recognises (a legal hold and a
    legal obligation always; CCPA's business purposes only under California law, and so on)."""
    laws = set(request.jurisdictions)
    allowed = {"legal_hold", "legal_obligation"}
    if laws & {"eu", "uk"}:
        allowed |= _GDPR_EXCEPTIONS
    if "us-ca" in laws:
        allowed |= _CCPA_EXCEPTIONS
    if laws - {"eu", "uk", "us-ca"}:
        allowed |= _GDPR_EXCEPTIONS & {"legal_claims", "freedom_of_expression"}
    return [
        ErasureException(tuple(e.categories), e.code, e.rule, e.description)
        for e in view.manifest.erasure_exceptions
        if e.code in allowed
    ]


@dataclass
class _ErasureStaged(Staged):
    view: TenantView
    categories: set[str]  # what the datastores erased (for Art. 19)
    held: bool = False  # a subject or tenant hold: nothing is erased anywhere

    def commit(self, closing: Closing) -> None:
        """Erase in the vault: everything, or what no exception keeps; list recipients to tell."""
        deps, uow, _tenant_key, _tenant_id, request, outcome = closing
        if self.held:
            outcome.result["vault"] = {"matched": request.subject_id is not None, "held": True}
            return
        erased = _erase_vault(deps, uow, self.view, request, outcome)
        _art19(self.view, self.categories | set(erased), outcome, "erasure")


def _erase_vault(
    deps: RequestDeps, uow: UnitOfWork, view: TenantView, request: RequestRecord, outcome: Outcome
) -> list[str]:
    subject = _subject(uow, request)
    if subject is None:
        outcome.result["vault"] = {"matched": False}
        return []
    holds = active_holds(uow, deps.clock.now().date())
    exceptions = [*_exceptions(view, request), *filter(None, [hold_exception(holds)])]
    fields = uow.subjects.fields([subject.id])
    identities = uow.subjects.identities([subject.id])
    kept = [
        (f.field, e.code)
        for f in fields
        for e in exceptions
        if any(covers(c, f.category) for c in e.categories)
    ]
    kept_fields = {name for name, _ in kept}
    at = deps.clock.now()
    if kept_fields:
        drop = [f.field for f in fields if f.field not in kept_fields]
        kinds = sorted(
            {
                i.kind
                for i in identities
                if not any(
                    covers(c, identity_category(i.kind)) for e in exceptions for c in e.categories
                )
            }
        )
        removed, gone = uow.subjects.erase_some(subject.id, drop, kinds, at)
        details: dict[str, Any] = {
            "fields": removed,
            "identities": gone,
            "reason": f"request:{request.ref}",
            "key": "kept",
            "retained": sorted(kept_fields),
        }
    else:
        removed, gone = uow.subjects.erase(subject.id, at)
        forget_subject_visits(uow, [subject.id])
        details = {
            "fields": removed,
            "identities": gone,
            "reason": f"request:{request.ref}",
            "key": "destroyed",
        }
    record(uow, [Entry(SYSTEM_ACTOR, "vault:subject:erase", subject.uid, None, "ok", details)], at)
    outcome.result["vault"] = {
        "matched": True,
        "fields_deleted": removed,
        "identities_deleted": gone,
        "retained": [{"field": name, "code": code} for name, code in kept],
    }
    if kept:
        outcome.response.append(
            "We kept some records because the law requires it: "
            + ", ".join(sorted({code.replace("_", " ") for _, code in kept}))
            + "."
        )
    return sorted({f.category for f in fields} | {identity_category(i.kind) for i in identities})


def _retained(results: dict[str, ErasureResult]) -> list[dict[str, Any]]:
    """Rows kept, counted per datastore, collection and code (row keys are not kept: they may be
    personal data themselves, and the result outlives the erasure by 24 months)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    reasons: dict[tuple[str, str, str], str] = {}
    for key, result in sorted(results.items()):
        for kept in result.retained:
            group = (key, kept.collection, kept.code)
            counts[group] += 1
            reasons.setdefault(group, kept.reason)
    return [
        {"datastore": d, "collection": c, "code": code, "rows": n, "reason": reasons[(d, c, code)]}
        for (d, c, code), n in counts.items()
    ]


def _erasure(
    deps: RequestDeps,
    view: TenantView,
    request: RequestRecord,
    details: RequestDetails,
    identities: dict[str, list[str]],
    outcome: Outcome,
) -> Staged:
    results: dict[str, ErasureResult] = {}
    with deps.make_uow() as uow:
        stores = connected(uow, deps.keyring, view.tenant.key)
        holds = active_holds(uow, deps.clock.now().date())
    hold = holding(holds, request.subject_id, None) if request.subject_id is not None else None
    if hold is not None:  # a subject or tenant hold keeps everything, in every datastore
        outcome.result |= {"held": hold.reference, "deleted": 0, "masked": 0}
        outcome.response.append(
            "We must keep your data for now: it is under a legal hold (GDPR 17(3)(e), "
            "CCPA 1798.105(d)(8))."
        )
        return _ErasureStaged(view, set(), held=True)
    exceptions = [*_exceptions(view, request), *filter(None, [hold_exception(holds)])]
    erased: set[str] = set()
    for key, store in stores:
        try:
            fresh = still_free(deps, view.tenant.key, request.subject_id)  # a hold placed meanwhile
            results[key] = result = store.erase(identities, exceptions=[*exceptions, *fresh])
            touched = set(result.deleted) | set(result.masked)
            erased |= {
                category
                for collection in store.dataset.collections
                if collection.name in touched
                for f in collection.fields
                for category in f.categories
            }
        except PrivaultError as exc:
            outcome.fail(f"datastore {key} could not be erased ({exc.code})")
    deleted = sum(sum(r.deleted.values()) for r in results.values())
    masked = sum(sum(c.values()) for r in results.values() for c in r.masked.values())
    outcome.result |= {
        "datastores": sorted(results),
        "deleted": deleted,
        "masked": masked,
        "retained": _retained(results),
        "not_erased": [
            {
                "datastore": k,
                "collection": x.collection,
                "field": x.field,
                "rows": x.rows,
                "reason": x.reason,
            }
            for k, r in sorted(results.items())
            for x in r.not_erased
        ],
    }
    for item in outcome.result["not_erased"]:
        outcome.fail(
            f"{item['datastore']}.{item['collection']}.{item['field']} could not be erased "
            f"({item['reason']})"
        )
    shared = sum(r["rows"] for r in outcome.result["retained"] if r["code"] == "shared")
    if shared:
        outcome.response.append(
            f"{shared} record(s) also belong to someone else (for example a shared address) "
            "and were kept unchanged."
        )
    outcome.response.append(
        f"We deleted {deleted} records and erased {masked} values in our systems."
    )
    return _ErasureStaged(view, erased)
