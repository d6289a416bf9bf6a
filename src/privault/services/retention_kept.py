"""What the law keeps of a subject privault erases whole (a contract end, a minor), derived as for an
erasure request (``services.fulfilment.kept``): a retention rule naming a ``law`` keeps what it
covers until its period has run, the manifest's ``legal_obligation`` exceptions and category holds
keep their categories; what is kept is restricted to the law's use, and counted per rule in the
sweep's report (never which values or rows).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from privault.connectors.results import ErasureException
from privault.core.consent import Method, Via
from privault.core.manifest.resolve import TenantView
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectRecord
from privault.core.retention import Hold
from privault.services.consent import Evidence
from privault.services.deps import Deps
from privault.services.fulfilment.kept import LEGAL_OBLIGATION, Source, VaultKept, excepted
from privault.services.legal_holds import hold_exception
from privault.services.restrictions import restrict_kept
from privault.services.retention_subjects import SYSTEM_ACTOR

_ALWAYS = frozenset({"legal_obligation", "legal_hold"})  # what the law keeps whatever the reason


def always_kept(view: TenantView, holds: list[Hold]) -> list[Source]:
    """The manifest's exceptions kept whatever the reason (legal obligations, legal holds) and what
    category holds keep; the legal-obligation retention rules come on top where each is read
    (``kept_in_vault``, ``legal_sources``)."""
    found = []
    for e in view.manifest.erasure_exceptions:
        if e.code in _ALWAYS:
            exception = ErasureException(tuple(e.categories), e.code, e.rule, e.description)
            found.append((exception, excepted(exception, e.key)))
    return found + [(h, excepted(h, "legal-hold")) for h in filter(None, [hold_exception(holds)])]


def restrict_to_law(
    deps: Deps, uow: UnitOfWork, view: TenantView, owner: SubjectRecord, reason: str
) -> None:
    """Restrict what was kept to the law's own use (GDPR Art. 18(2)), in the consent ledger, with
    the retention erasure as evidence (nothing if the subject is restricted already)."""
    evidence = Evidence(
        method=Method.IMPORT,  # recorded by privault from data it holds, not chosen by the person
        via=Via.API,
        shown=f"kept by law after the {reason.replace('_', '-')} erasure",
        extra={"reason": f"retention:{reason}"},
    )
    decider = deps.decider
    restrict_kept(uow, decider, view.tenant.key, SYSTEM_ACTOR, owner, evidence, deps.clock.now())


def listed(kept: VaultKept) -> list[dict[str, Any]]:
    """What the vault kept, by field and identity kind, with why (names, codes and dates only)."""
    return [
        *({"field": name, **k.as_json()} for name, k in sorted(kept.fields.items())),
        *({"identity": kind, **k.as_json()} for kind, k in sorted(kept.identities.items())),
    ]


@dataclass(frozen=True, slots=True)
class LawKept:
    """What one legal obligation kept of a subject erased whole: its rule, law, period and the
    purposes left; the day its last vault value may go (None: none known, or its event is still to
    come); how many vault values (and identities) and datastore rows it kept."""

    rule: str
    law: str
    why: str
    purposes: tuple[str, ...]
    until: date | None
    values: int = 0
    rows: int = 0


def by_law(vault: VaultKept, rows: Sequence[dict[str, Any]]) -> tuple[LawKept, ...]:
    """Per legal obligation (by rule key), what it kept of one subject in the vault and in the
    datastores (``rows``: grouped as ``retained_rows`` groups them)."""
    found: dict[str, LawKept] = {}
    for k in (*vault.fields.values(), *vault.identities.values()):
        if k.code == LEGAL_OBLIGATION:
            was = found.get(k.rule) or LawKept(k.rule, k.law, k.period, k.purposes, k.until)
            until = None if was.until is None or k.until is None else max(was.until, k.until)
            found[k.rule] = dataclasses.replace(was, until=until, values=was.values + 1)
    for group in rows:
        if group["code"] == LEGAL_OBLIGATION and group.get("rule"):
            rule = str(group["rule"])
            was = found.get(rule) or LawKept(
                rule, group["law"], group.get("period", ""), tuple(group.get("purposes", ())), None
            )
            found[rule] = dataclasses.replace(was, rows=was.rows + group["rows"])
    return tuple(found[k] for k in sorted(found))


def count_kept(section: dict[str, Any], kept: Sequence[LawKept]) -> None:
    """Add what legal obligations kept of one subject to a sweep report's ``kept_by_law`` (per rule:
    the law, why, the purposes left, the latest ``until`` known, and subjects, values and rows)."""
    for k in kept:
        entry = section.setdefault(
            k.rule,
            {"law": k.law, "why": k.why, "purposes": list(k.purposes), "until": None}
            | {"subjects": 0, "values": 0, "rows": 0},
        )
        entry["subjects"] += 1
        entry["values"] += k.values
        entry["rows"] += k.rows
        if k.until is not None and (entry["until"] is None or k.until.isoformat() > entry["until"]):
            entry["until"] = k.until.isoformat()
