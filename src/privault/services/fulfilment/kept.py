"""What the law keeps from an erasure request, and why each kept thing is kept.

Retention rules that name a ``law`` are legal obligations (GDPR 17(3)(b), CCPA 1798.105(d)(8)),
recognised whatever law governs the request: every erasure law allows one (``core.erasure``), where
the manifest's other exceptions count only if every law granting the erasure allows them. In the
vault they keep each value they cover (by category and by the purpose it was collected for) until
their period has run. A datastore's rows carry no purpose: a rule naming purposes reaches a
datastore only through the collections its dataset dates for one of them
(``privault.retention: {orders: {date: placed_on, purpose: billing}}``), and keeps there the
categories of those collections' personal fields it covers; a rule naming no purpose keeps its
categories wherever they are. The connector keeps by category, in every collection of that
datastore holding one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from privault.connectors.model import CollectionSpec, DatasetSpec, is_personal
from privault.connectors.results import ErasureException, ErasureResult
from privault.core.manifest.model import RetentionRule
from privault.core.manifest.resolve import TenantView
from privault.core.records import FieldRecord, IdentityRecord, SubjectRecord
from privault.core.retention import (
    Events,
    kept_by_law,
    legal_rules,
    obligation_purposes,
    why,
)
from privault.core.retention_ports import RetentionSubject
from privault.core.taxonomy import covers, is_within
from privault.core.vault import identity_category

LEGAL_OBLIGATION = "legal_obligation"


@dataclass(frozen=True, slots=True)
class Keeping:
    """Why something is kept: the exception code, the manifest rule's key and the law; for a
    legal-obligation retention rule also until when, for how long and for which purposes only."""

    code: str
    rule: str
    law: str
    until: date | None = None
    period: str = ""
    purposes: tuple[str, ...] = ()
    description: str = ""

    def as_json(self) -> dict[str, Any]:
        """For the request's result (names, codes and dates; never a value)."""
        out: dict[str, Any] = {"code": self.code, "rule": self.rule, "law": self.law}
        if self.period:
            out |= {
                "until": self.until.isoformat() if self.until else None,
                "period": self.period,
                "purposes": list(self.purposes),
            }
        return out


Source = tuple[ErasureException, Keeping]


def obligation(view: TenantView, rule: RetentionRule, until: date | None = None) -> Keeping:
    """How a legal-obligation retention rule keeps data."""
    return Keeping(
        LEGAL_OBLIGATION,
        rule.key,
        rule.law or "",
        until,
        why(rule),
        obligation_purposes(rule, view.purposes),
        rule.description,
    )


def excepted(exception: ErasureException, key: str) -> Keeping:
    """How a manifest erasure exception (or a hold) keeps data."""
    return Keeping(exception.code, key, exception.rule or exception.code.replace("_", " "))


# --- the vault -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VaultKept:
    """The values (by field) and identities (by kind) an erasure keeps, and why."""

    fields: dict[str, Keeping]
    identities: dict[str, Keeping]

    def __bool__(self) -> bool:
        return bool(self.fields or self.identities)


def kept_in_vault(
    view: TenantView,
    sources: Sequence[Source],
    owner: SubjectRecord,
    held: tuple[Sequence[FieldRecord], Sequence[IdentityRecord]],
    events: RetentionSubject | None,
    today: date,
) -> VaultKept:
    """Each value (and identity) a legal obligation keeps until its period runs out, or another
    exception covers. An identity has no purpose and counts from when the subject was created."""
    contract_end = events.contract_end_on if events else None
    activity = events.last_activity_at if events else None
    fields, identities = held
    kept_fields = {}
    for f in fields:
        when = Events(f.collected_at, activity or owner.updated_at, contract_end)
        found = _kept(view, sources, f.category, f.purpose, when, today)
        if found is not None:
            kept_fields[f.field] = found
    kept_kinds = {}
    when = Events(owner.created_at, activity or owner.updated_at, contract_end)
    for i in identities:
        found = _kept(view, sources, identity_category(i.kind), "", when, today)
        if found is not None:
            kept_kinds[i.kind] = found
    return VaultKept(kept_fields, kept_kinds)


def _kept(
    view: TenantView,
    sources: Sequence[Source],
    category: str,
    purpose: str,
    events: Events,
    today: date,
) -> Keeping | None:
    by_law = kept_by_law(view.retention, category, purpose, events, today)
    if by_law is not None:
        return obligation(view, by_law.rule, by_law.until)
    return next(
        (k for e, k in sources if any(covers(c, category) for c in e.categories)),
        None,
    )


# --- datastores ----------------------------------------------------------------------------------


def legal_sources(view: TenantView, dataset: DatasetSpec) -> list[Source]:
    """The legal-obligation retention rules as exceptions for one datastore (those reaching it)."""
    found = []
    for rule in legal_rules(view.retention):
        categories = _store_categories(rule, dataset)
        if categories:
            exception = ErasureException(categories, LEGAL_OBLIGATION, rule.key, rule.law or "")
            found.append((exception, obligation(view, rule)))
    return found


def _store_categories(rule: RetentionRule, dataset: DatasetSpec) -> tuple[str, ...]:
    if not rule.purposes:
        return tuple(rule.categories) or ("user",)
    return tuple(
        sorted(
            {
                category
                for collection in dataset.collections
                if collection.dated is not None and collection.dated.purpose in rule.purposes
                for f in collection.fields
                if f.personal
                for category in f.categories
                if is_personal(category) and _rule_covers(rule, category)
            }
        )
    )


def _rule_covers(rule: RetentionRule, category: str) -> bool:
    return not rule.categories or any(is_within(category, c) for c in rule.categories)


def _matching(spec: CollectionSpec | None, sources: Sequence[Source]) -> Keeping | None:
    """The source the connector kept a collection's rows under: the first covering one of its
    personal fields (as the connector picks it)."""
    if spec is None:
        return None
    return next(
        (
            keeping
            for exception, keeping in sources
            if any(
                covers(p, c)
                for f in spec.fields
                for c in f.categories
                for p in exception.categories
            )
        ),
        None,
    )


def retained_rows(
    key: str, dataset: DatasetSpec, result: ErasureResult, sources: Sequence[Source]
) -> list[dict[str, Any]]:
    """The rows one datastore kept, counted per collection, code and rule (never by row key: a key
    may be personal data itself, and the result outlives the erasure)."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for kept in result.retained:
        keeping = None
        if kept.code not in ("shared", "referenced", "depended_on", "cycle"):
            keeping = _matching(dataset.collection(kept.collection), sources)
            if keeping is not None and keeping.code != kept.code:
                keeping = None
        rule = keeping.rule if keeping else ""
        group = groups.get((kept.collection, kept.code, rule))
        if group is None:
            group = {"datastore": key, "collection": kept.collection, "code": kept.code, "rows": 0}
            group["reason"] = kept.reason
            if keeping is not None:
                group |= keeping.as_json()
            groups[(kept.collection, kept.code, rule)] = group
        group["rows"] += 1
    return list(groups.values())
