"""Fulfilling a verified request across the vault and every connected datastore.

- **access** (and **portability**): every value in the vault and every row reachable in each datastore,
  with the right-to-know report, packed as JSON + CSV + a readable HTML page in a zip behind an
  expiring download link;
- **erasure**: datastores first (rows deleted or masked in foreign-key-safe order; shared rows and
  rows under an exception retained with their code), then the vault (crypto-shredding, or only the
  values no exception keeps). Anything that could not be erased leaves the request *incomplete*;
- **rectification**: vault values corrected; fields held in datastores become tasks;
- **restriction, objection, opt-out of sale/sharing, limit sensitive data**: recorded in the consent
  ledger, so every later processing decision honours them.

Erasure, rectification and restriction list the recipients to tell (GDPR Art. 19) as tasks.
A request is completed only when everything ran and no manual task is open.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from privault.connectors.results import AccessResult, ErasureException, ErasureResult
from privault.core.consent import Choice, Kind, Method, Via, check_choice
from privault.core.deadlines import add_months
from privault.core.disclosure_ports import DisclosureRecord
from privault.core.jurisdictions import JURISDICTIONS, RIGHT_TITLES, Right
from privault.core.manifest.model import LawfulBasis, RecipientType
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.package import (
    KnowReport,
    Package,
    ReportItem,
    Section,
    build_zip,
    package_filename,
)
from privault.core.ports import UnitOfWork
from privault.core.records import FieldRecord, PackageRecord, SubjectRecord
from privault.core.requests import RequestDetails, RequestRecord, State
from privault.core.taxonomy import fides_categories
from privault.core.vault import identity_category
from privault.crypto.envelope import SubjectCipher, data_key_aad
from privault.crypto.sealed import Sealed, open_record, seal_record
from privault.errors import Conflict, Forbidden, NotFound, PrivaultError
from privault.services.audit import Entry, record
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.datastores import connected
from privault.services.decisions import decider_for
from privault.services.disclosures import reportable
from privault.services.requests import (
    RequestDeps,
    close_request,
    hash_token,
    load_request,
    mark_verified,
    match_subject,
    normalised_identities,
    open_details,
    send_messages,
    to_requester,
)
from privault.services.tenants import bind_tenant
from privault.services.visits import forget_subject_visits

WORKING = (State.VERIFIED, State.IN_PROGRESS, State.EXTENDED, State.INCOMPLETE)
ART19_TYPES = (
    RecipientType.PROCESSOR,
    RecipientType.PARTNER,
    RecipientType.AFFILIATE,
    RecipientType.GROUP_COMPANY,
    RecipientType.ACQUIRER,
)
CCPA_EARLIEST_LOOKBACK = date(2022, 1, 1)
_PORTABLE_BASES = (LawfulBasis.CONSENT, LawfulBasis.CONTRACT)


@dataclass
class Outcome:
    """What fulfilment did, for the request's result (counts, codes and names; never values)."""

    complete: bool = True
    response: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    tasks: list[tuple[str, str]] = field(default_factory=list)  # (system, what to do)

    def fail(self, problem: str) -> None:
        """Something could not be done (or is still to do): the request stays incomplete."""
        self.complete = False
        self.problems.append(problem)


def _covers(parent: str, category: str) -> bool:
    return category == parent or category.startswith(parent + ".")


def _cipher(
    deps: RequestDeps, tenant_key: str, tenant_id: int, subject: SubjectRecord
) -> SubjectCipher:
    assert subject.wrapped_key is not None  # noqa: S101 - live subjects only
    aad = data_key_aad(tenant_id, subject.uid, subject.key_version)
    key = deps.keyring.unwrap(tenant_key, subject.kek_version, subject.wrapped_key, aad)
    return SubjectCipher(key, tenant_id, subject.uid, subject.key_version)


def _subject(uow: UnitOfWork, request: RequestRecord) -> SubjectRecord | None:
    if request.subject_id is None:
        return None
    found = uow.subjects.get_many([request.subject_id])
    return found[0] if found and found[0].wrapped_key is not None else None


# --- the entry point -----------------------------------------------------------------------------


def fulfil(deps: RequestDeps, tenant_key: str, ref: str, actor: str) -> RequestRecord:
    """Carry out a verified request and close it as completed, or incomplete saying what is left.

    The request is claimed first (one fulfilment at a time); datastores are worked on outside any
    transaction of ours; the vault part, the tasks, the audit entry and the closing happen in one.
    """
    request = _claim(deps, tenant_key, ref, actor)
    view = tenant_view(deps.manifest, tenant_key)
    details = open_details(deps, tenant_key, request)
    identities = normalised_identities(view, details)
    outcome = Outcome()
    try:
        request = _rematch(deps, tenant_key, request, details, outcome)
        staged = _HANDLERS[request.type](deps, view, request, details, identities, outcome)
        closed = _close(deps, tenant_key, ref, actor, request, staged, outcome)
    except Exception:
        _release(deps, tenant_key, ref, actor)
        raise
    if closed.state is State.COMPLETED:
        _tell(deps, tenant_key, closed, details, closed.response, outcome.result)
    return closed


CLAIM_MINUTES = 15


def _claim(deps: RequestDeps, tenant_key: str, ref: str, actor: str) -> RequestRecord:
    """Check the request can be fulfilled and mark it as being fulfilled (refusing a second
    fulfilment while one runs, unless the first was abandoned CLAIM_MINUTES ago)."""
    now = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if request.verified_at is None:
            raise Conflict(
                "the requester's identity is not verified yet", code="request.not_verified"
            )
        if request.state not in WORKING:
            raise Conflict(
                f"a {request.state.value} request cannot be fulfilled "
                "(verify it first; closed requests stay closed)",
                code="request.invalid_transition",
            )
        runs = [e for e in uow.requests.events(request.id) if e.action.startswith("fulfilment_")]
        last = runs[-1] if runs else None
        busy = last is not None and last.action == "fulfilment_started"
        if busy and last is not None and now - last.at < timedelta(minutes=CLAIM_MINUTES):
            raise Conflict(
                f"the request is being fulfilled by {last.actor} since "
                f"{last.at.isoformat(timespec='seconds')}",
                code="request.busy",
            )
        uow.requests.add_event(request.id, now, actor, "fulfilment_started")
        uow.commit()
    return request


def _release(deps: RequestDeps, tenant_key: str, ref: str, actor: str) -> None:
    """A fulfilment failed: say so on the timeline so it can be run again at once."""
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref, lock=False)
        uow.requests.add_event(request.id, deps.clock.now(), actor, "fulfilment_failed")
        uow.commit()


def _rematch(
    deps: RequestDeps,
    tenant_key: str,
    request: RequestRecord,
    details: RequestDetails,
    outcome: Outcome,
) -> RequestRecord:
    """Find the vault subject again (one may have been created since verification). Identities that
    lead to several subjects leave the vault untouched and the request incomplete."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        subject_id, matches = match_subject(deps, uow, tenant_key, details)
    if matches > 1:
        outcome.fail(
            f"the identities lead to {matches} different people in the vault: "
            "staff must establish which one asked"
        )
    return replace(request, subject_id=subject_id)


def _close(
    deps: RequestDeps,
    tenant_key: str,
    ref: str,
    actor: str,
    request: RequestRecord,
    staged: Staged,
    outcome: Outcome,
) -> RequestRecord:
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        current = uow.requests.get(ref, lock=True)
        if current is None or current.state not in WORKING:
            raise Conflict("the request changed while it was being fulfilled; try again")
        current = replace(current, subject_id=request.subject_id)
        uow.requests.update(current.id, subject_id=request.subject_id)
        staged.commit(deps, uow, tenant_key, tenant.id, current, outcome)
        _open_tasks(deps, uow, current, outcome)
        outcome.result["problems"] = outcome.problems
        record(
            uow,
            [
                Entry(
                    actor,
                    "request:fulfil",
                    None,
                    None,
                    "ok" if outcome.complete else "partial",
                    {"ref": ref, "type": request.type.value, **_summary(outcome.result)},
                )
            ],
            deps.clock.now(),
        )
        uow.requests.add_event(current.id, deps.clock.now(), actor, "fulfilment_done")
        closed = close_request(
            deps,
            uow,
            tenant_key,
            current,
            actor,
            complete=outcome.complete,
            response=_public_response(request, outcome),
            result=outcome.result,
        )
        uow.commit()
    return closed


def _open_tasks(
    deps: RequestDeps, uow: UnitOfWork, request: RequestRecord, outcome: Outcome
) -> None:
    """Open the tasks fulfilment found (not again if an earlier run opened them)."""
    existing = {(t.system, t.description) for t in uow.requests.tasks(request.id)}
    for system, what in outcome.tasks:
        if (system, what) not in existing:
            uow.requests.add_task(request.id, system, what, None, deps.clock.now())
    still_open = [t for t in uow.requests.tasks(request.id) if t.state == "open"]
    if still_open:
        outcome.fail(f"{len(still_open)} manual task(s) still open")


def _public_response(request: RequestRecord, outcome: Outcome) -> str:
    """What the requester is told (staff see the problems in the result, by name)."""
    response = " ".join(outcome.response) or RIGHT_TITLES[request.type]
    if not outcome.complete:
        response += (
            " We have not finished yet: some of your data still needs work by our staff. "
            "We will write to you when everything is done."
        )
    return response


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail keeps of a result: counts and names, never row keys."""
    counts = ("rows", "deleted", "masked", "recorded")
    summary: dict[str, Any] = {k: result[k] for k in counts if k in result}
    summary["datastores"] = result.get("datastores", [])
    summary["retained"] = sum(r.get("rows", 1) for r in result.get("retained", []))
    summary["not_erased"] = len(result.get("not_erased", []))
    summary["problems"] = len(result.get("problems", []))
    return summary


def _tell(
    deps: RequestDeps,
    tenant_key: str,
    request: RequestRecord,
    details: RequestDetails,
    response: str,
    result: dict[str, Any],
) -> None:
    body = f"Your request {request.ref} is complete.\n{response}"
    if "package" in result:
        body += (
            "\nDownload your data from your status page (the link in our first message) until "
            f"{result['package']['expires_at'][:10]}."
        )
    subject = f"Your request {request.ref} is complete"
    send_messages(deps, tenant_key, request.ref, to_requester(details, subject, body, "completed"))


# --- staged work: datastores outside our transaction, the vault inside it ------------------------


class Staged:
    """What a handler did outside the database transaction; ``commit`` does the vault part in it."""

    def commit(
        self,
        deps: RequestDeps,
        uow: UnitOfWork,
        tenant_key: str,
        tenant_id: int,
        request: RequestRecord,
        outcome: Outcome,
    ) -> None:
        """Apply the vault part (default: nothing)."""


def _datastore_access(
    deps: RequestDeps, tenant_key: str, identities: dict[str, list[str]], outcome: Outcome
) -> dict[str, AccessResult]:
    found: dict[str, AccessResult] = {}
    with deps.make_uow() as uow:
        stores = connected(uow, deps.keyring, tenant_key)
    for key, store in stores:
        try:
            found[key] = store.access(identities)
        except PrivaultError as exc:
            outcome.fail(f"datastore {key} could not be searched ({exc.code})")
    outcome.result["datastores"] = sorted(found)
    return found


# --- access and portability ----------------------------------------------------------------------


@dataclass
class _AccessStaged(Staged):
    kind: str
    view: TenantView
    found: dict[str, AccessResult]
    details: RequestDetails

    def commit(
        self,
        deps: RequestDeps,
        uow: UnitOfWork,
        tenant_key: str,
        tenant_id: int,
        request: RequestRecord,
        outcome: Outcome,
    ) -> None:
        """Read the vault, build the package, seal it and issue the download link."""
        lookback = _lookback(self.view, request, self.details)
        sections, held = _vault_sections(
            deps, uow, tenant_key, tenant_id, request, lookback, self.kind
        )
        for key, access in sorted(self.found.items()):
            for name, found in access.collections.items():
                categories = dict(zip(found.columns, found.categories, strict=True))
                sections.append(Section(key, name, found.columns, categories, found.rows))
                held.add_stored(self.view, {c for cats in found.categories for c in cats})
        now = deps.clock.now()
        report = None
        if self.kind == "access":
            disclosed = _disclosed(uow, request, now.date(), lookback)
            if disclosed:
                sections.append(_disclosure_section(self.view, disclosed))
            report = _report(self.view, request, held, lookback, disclosed)
        shared = sum(n for access in self.found.values() for n in access.shared.values())
        notes = _access_notes(request, self.kind)
        if shared:
            notes += (
                f"{shared} record(s), such as a household address, are shared with other people: "
                "they are included, the other people linked to them are not.",
            )
            outcome.result["shared"] = shared
        package = Package(
            self.kind,  # type: ignore[arg-type]
            self.view.tenant.name,
            request.ref,
            now,
            report,
            tuple(sections),
            notes,
        )
        blob = build_zip(package)
        name = package_filename(package)
        sealed = seal_record(deps.keyring, tenant_key, tenant_id, "package", name, blob)
        expires = now + timedelta(days=deps.settings.package_link_days)
        uow.requests.add_package(
            request_id=request.id,
            token_hash=request.token_hash,  # reached with the requester's token, nothing else
            filename=name,
            size=len(blob),
            kek_version=sealed.kek_version,
            wrapped_key=sealed.wrapped_key,
            sealed=sealed.ciphertext,
            expires_at=expires,
            downloads=0,
            created_at=now,
        )
        rows = sum(len(s.rows) for s in sections)
        outcome.result |= {
            "rows": rows,
            "sections": len(sections),
            "vault": request.subject_id is not None,
            "package": {"bytes": len(blob), "expires_at": expires.isoformat()},
        }
        outcome.response.append(
            f"Your data ({rows} records from {len(sections)} tables) is ready to download."
        )


def _access_notes(request: RequestRecord, kind: str) -> tuple[str, ...]:
    notes = []
    if request.subject_id is None:
        notes.append("No record in our vault matched every identity you gave.")
    if kind == "portability":
        notes.append(
            "Portability covers data you provided for purposes based on your consent or a "
            "contract (GDPR Art. 20); the datastore tables are your account records."
        )
    return tuple(notes)


def _lookback(view: TenantView, request: RequestRecord, details: RequestDetails) -> date | None:
    """CCPA's 12 months (or back to 2022-01-01 if asked) when California law alone applies."""
    if set(request.jurisdictions) != {"us-ca"}:
        return None
    months = view.policy.access_lookback_months or 12
    default = add_months(request.received_on, -months)
    if details.lookback_from:
        return max(date.fromisoformat(details.lookback_from), CCPA_EARLIEST_LOOKBACK)
    return default


@dataclass
class Held:
    """What we hold about the person: categories, and the purposes and sources behind them."""

    categories: set[str] = field(default_factory=set)
    purposes: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)

    def add_stored(self, view: TenantView, categories: set[str]) -> None:
        """Categories found in a datastore: the purposes that declare them explain why."""
        self.categories |= categories
        for purpose in view.purposes:
            if any(_covers(d, c) for d in purpose.categories for c in categories):
                self.purposes.add(purpose.key)
                self.sources.update(purpose.sources)

    def touches(self, categories: Sequence[str]) -> bool:
        """Whether any of ``categories`` covers or lies under a held category."""
        return any(_covers(c, h) or _covers(h, c) for c in categories for h in self.categories)


def _vault_sections(
    deps: RequestDeps,
    uow: UnitOfWork,
    tenant_key: str,
    tenant_id: int,
    request: RequestRecord,
    lookback: date | None,
    kind: str,
) -> tuple[list[Section], Held]:
    subject = _subject(uow, request)
    if subject is None:
        return [], Held()
    view = tenant_view(deps.manifest, tenant_key)
    cipher = _cipher(deps, tenant_key, tenant_id, subject)
    identities = [
        (i.kind, cipher.open_value(f"identity:{i.kind}", i.ciphertext).reveal())
        for i in uow.subjects.identities([subject.id])
    ]
    fields = [
        f
        for f in uow.subjects.fields([subject.id])
        if (lookback is None or f.collected_at.date() >= lookback)
        and (kind == "access" or _portable(view, f))
    ]
    data_rows = [
        (
            f.field,
            cipher.open_value(f.field, f.ciphertext).reveal(),
            f.category,
            f.source,
            f.purpose,
            f.collected_at.isoformat(),
        )
        for f in sorted(fields, key=lambda f: f.field)
    ]
    sections = [
        Section(
            "vault",
            "identities",
            ("kind", "value"),
            {"value": ("user.contact",)},
            identities,
        ),
        Section(
            "vault",
            "personal_data",
            ("field", "value", "category", "source", "purpose", "collected_at"),
            {"value": tuple(sorted({f.category for f in fields}))},
            data_rows,
        ),
    ]
    held = Held(
        {f.category for f in fields} | {identity_category(k) for k, _ in identities},
        {f.purpose for f in fields},
        {f.source for f in fields},
    )
    return sections, held


def _portable(view: TenantView, item: FieldRecord) -> bool:
    purpose = view.purpose(item.purpose)
    return purpose is not None and purpose.lawful_basis in _PORTABLE_BASES


def _name(view: TenantView, category: str) -> str:
    declared = next((c for c in view.manifest.data_categories if c.key == category), None)
    return declared.name if declared else fides_categories().get(category, category)


def _disclosed(
    uow: UnitOfWork, request: RequestRecord, today: date, lookback: date | None
) -> list[DisclosureRecord]:
    """The disclosures made of the subject's data that they may be told about (LAW-DISC-1)."""
    if _subject(uow, request) is None or request.subject_id is None:
        return []
    return reportable(uow, request.subject_id, today, lookback)


def _recipient_name(view: TenantView, key: str) -> str:
    found = next((r for r in view.recipients if r.key == key), None)
    return found.name if found else key


def _purpose_name(view: TenantView, key: str) -> str:
    found = view.purpose(key)
    return found.name if found else key


def _disclosure_section(view: TenantView, disclosed: Sequence[DisclosureRecord]) -> Section:
    """The disclosures actually made, one row each: recipient, date, purpose, categories."""
    rows = [
        (
            _recipient_name(view, d.recipient),
            d.at.date().isoformat(),
            _purpose_name(view, d.purpose),
            ", ".join(d.categories),
        )
        for d in disclosed
    ]
    return Section("vault", "disclosures", ("recipient", "date", "purpose", "categories"), {}, rows)


def _disclosure_items(
    view: TenantView, disclosed: Sequence[DisclosureRecord]
) -> tuple[ReportItem, ...]:
    return tuple(
        ReportItem(
            _recipient_name(view, d.recipient),
            f"disclosed on {d.at.date().isoformat()} for {_purpose_name(view, d.purpose)}: "
            + ", ".join(_name(view, c) for c in d.categories),
        )
        for d in disclosed
    )


def _report(
    view: TenantView,
    request: RequestRecord,
    held: Held,
    lookback: date | None,
    disclosed: Sequence[DisclosureRecord] = (),
) -> KnowReport:
    """GDPR Art. 15(1)(a)-(h) and CCPA 1798.110: what, why, from where, to whom, how long; and the
    disclosures actually made (not those whose notice an order still withholds)."""
    purposes = [p for p in view.purposes if p.key in held.purposes]
    recipients = [
        r
        for r in view.recipients
        if held.touches(r.categories) and (not r.purposes or set(r.purposes) & held.purposes)
    ]
    retention = [
        r
        for r in view.retention
        if held.touches(r.categories) and (not r.purposes or set(r.purposes) & held.purposes)
    ]
    sources = held.sources
    jurisdiction = JURISDICTIONS[request.jurisdiction]
    rights = sorted({r for k in request.jurisdictions for r in JURISDICTIONS[k].rights})
    return KnowReport(
        categories=tuple(ReportItem(_name(view, c), c) for c in sorted(held.categories)),
        sources=tuple(
            ReportItem(s.name, s.description) for s in view.manifest.sources if s.key in sources
        ),
        purposes=tuple(
            ReportItem(
                p.name,
                f"lawful basis: {p.lawful_basis.value.replace('_', ' ') if p.lawful_basis else 'n/a'}",
            )
            for p in purposes
        ),
        recipients=tuple(
            ReportItem(
                r.name,
                f"{r.type.value.replace('_', ' ')}; countries: {', '.join(r.countries) or 'n/a'}",
            )
            for r in recipients
        )
        + _disclosure_items(view, disclosed),
        retention=tuple(
            ReportItem(
                r.description or r.key, f"{r.period} after {r.after.value.replace('_', ' ')}"
            )
            for r in retention
        ),
        rights=tuple(ReportItem(RIGHT_TITLES[r]) for r in rights),
        lookback_from=lookback,
        lookback_to=request.received_on,
        complaint_authority=jurisdiction.authority,
        automated_decisions="We make no decisions about you based solely on automated processing.",
    )


def _access(
    deps: RequestDeps,
    view: TenantView,
    request: RequestRecord,
    details: RequestDetails,
    identities: dict[str, list[str]],
    outcome: Outcome,
) -> Staged:
    found = _datastore_access(deps, view.tenant.key, identities, outcome)
    kind = "portability" if request.type is Right.PORTABILITY else "access"
    return _AccessStaged(kind, view, found, details)


# --- erasure -------------------------------------------------------------------------------------


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

    def commit(
        self,
        deps: RequestDeps,
        uow: UnitOfWork,
        tenant_key: str,
        tenant_id: int,
        request: RequestRecord,
        outcome: Outcome,
    ) -> None:
        """Erase in the vault: everything, or what no exception keeps; list recipients to tell."""
        erased = _erase_vault(deps, uow, self.view, request, outcome)
        _art19(self.view, self.categories | set(erased), outcome, "erasure")


def _erase_vault(
    deps: RequestDeps, uow: UnitOfWork, view: TenantView, request: RequestRecord, outcome: Outcome
) -> list[str]:
    subject = _subject(uow, request)
    if subject is None:
        outcome.result["vault"] = {"matched": False}
        return []
    exceptions = _exceptions(view, request)
    fields = uow.subjects.fields([subject.id])
    identities = uow.subjects.identities([subject.id])
    kept = [
        (f.field, e.code)
        for f in fields
        for e in exceptions
        if any(_covers(c, f.category) for c in e.categories)
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
                    _covers(c, identity_category(i.kind)) for e in exceptions for c in e.categories
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


SYSTEM_ACTOR = "privault:request"


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
    exceptions = _exceptions(view, request)
    erased: set[str] = set()
    for key, store in stores:
        try:
            results[key] = result = store.erase(identities, exceptions=exceptions)
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


def _art19(view: TenantView, categories: set[str], outcome: Outcome, what: str) -> None:
    """GDPR Art. 19 (and CCPA 1798.105(c) for deletion): tell each recipient the data went to
    (a task per recipient)."""
    told = []
    for recipient in view.recipients:
        if recipient.type not in ART19_TYPES:
            continue
        if any(_covers(c, h) or _covers(h, c) for c in recipient.categories for h in categories):
            outcome.tasks.append(
                (
                    f"recipient:{recipient.key}",
                    f"Tell {recipient.name} of the {what} and confirm they applied it "
                    "(GDPR Art. 19; CCPA 1798.105(c))",
                )
            )
            told.append(recipient.key)
    outcome.result["recipients_to_notify"] = told


# --- rectification -------------------------------------------------------------------------------


@dataclass
class _RectifyStaged(Staged):
    view: TenantView
    details: RequestDetails
    in_datastores: dict[str, list[str]]

    def commit(
        self,
        deps: RequestDeps,
        uow: UnitOfWork,
        tenant_key: str,
        tenant_id: int,
        request: RequestRecord,
        outcome: Outcome,
    ) -> None:
        """Correct vault values; what lives in datastores becomes a task per datastore."""
        corrections = self.details.corrections
        subject = _subject(uow, request)
        done: list[str] = []
        categories: set[str] = set()
        if subject is not None and corrections:
            cipher = _cipher(deps, tenant_key, tenant_id, subject)
            at = deps.clock.now()
            current = {f.field: f for f in uow.subjects.fields([subject.id])}
            rows = [
                replace(current[name], updated_at=at, ciphertext=cipher.seal_value(name, value))
                for name, value in corrections.items()
                if name in current
            ]
            if rows:
                uow.subjects.put_fields(rows)
                done = [r.field for r in rows]
                categories = {r.category for r in rows}
                record(
                    uow,
                    [
                        Entry(
                            SYSTEM_ACTOR,
                            "vault:subject:update",
                            subject.uid,
                            None,
                            "ok",
                            {"fields": done, "reason": f"request:{request.ref}"},
                        )
                    ],
                    at,
                )
        for key, names in sorted(self.in_datastores.items()):
            outcome.tasks.append((key, f"Correct {', '.join(names)} for request {request.ref}"))
        elsewhere = {n for names in self.in_datastores.values() for n in names}
        unknown = sorted(set(corrections) - set(done) - elsewhere)
        outcome.result |= {"corrected": done, "not_held": unknown}
        if done:
            outcome.response.append(f"We corrected: {', '.join(sorted(done))}.")
        if unknown:
            outcome.response.append(f"We hold no {', '.join(unknown)} about you.")
        _art19(self.view, categories, outcome, "correction")


def _rectification(
    deps: RequestDeps,
    view: TenantView,
    request: RequestRecord,
    details: RequestDetails,
    identities: dict[str, list[str]],
    outcome: Outcome,
) -> Staged:
    wanted = set(details.corrections)
    found = _datastore_access(deps, view.tenant.key, identities, outcome)
    in_stores = {
        key: sorted(wanted & {c for rows in access.collections.values() for c in rows.columns})
        for key, access in found.items()
    }
    return _RectifyStaged(view, details, {k: v for k, v in in_stores.items() if v})


# --- flags: restriction, objection, opt-out, limit -----------------------------------------------


@dataclass
class _FlagStaged(Staged):
    view: TenantView
    choices: list[Choice]
    refused: list[str]

    def commit(
        self,
        deps: RequestDeps,
        uow: UnitOfWork,
        tenant_key: str,
        tenant_id: int,
        request: RequestRecord,
        outcome: Outcome,
    ) -> None:
        """Nothing here: the consent ledger was written by ``_flags`` in its own transaction."""


def _choices(
    view: TenantView, request: RequestRecord, details: RequestDetails
) -> tuple[list[Choice], list[str]]:
    kinds = {
        Right.RESTRICTION: (Kind.RESTRICTION, "*"),
        Right.OBJECTION: (Kind.OBJECTION, "marketing"),
        Right.OPT_OUT_SALE: (Kind.SALE_SHARING, "*"),
        Right.LIMIT_SENSITIVE: (Kind.LIMIT_SPI, "*"),
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
    deps: RequestDeps, view: TenantView, request: RequestRecord, ref: str, choices: list[Choice]
) -> int:
    """Write the choices to the consent ledger, with the request as evidence."""
    evidence = Evidence(
        method=Method.REQUEST,
        via=Via.API,
        brand=request.brand,
        shown=f"request {request.ref}",
        extra={"request": request.ref},
    )
    with deps.make_uow() as uow:
        done = record_choices(
            uow,
            decider_for(deps.manifest),
            view.tenant.key,
            SYSTEM_ACTOR,
            Holder(subject=ref),
            choices,
            evidence,
            deps.clock.now(),
        )
    return len(done.events)


def _flags(
    deps: RequestDeps,
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


_HANDLERS = {
    Right.ACCESS: _access,
    Right.PORTABILITY: _access,
    Right.ERASURE: _erasure,
    Right.RECTIFICATION: _rectification,
    Right.RESTRICTION: _flags,
    Right.OBJECTION: _flags,
    Right.OPT_OUT_SALE: _flags,
    Right.LIMIT_SENSITIVE: _flags,
}


# --- downloads -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Download:
    """A package to hand over."""

    filename: str
    content: bytes


def download(deps: RequestDeps, token: str) -> Download:
    """The requester's newest package, by their private token, while its link has not expired."""
    digest = hash_token(token)
    with deps.make_uow() as uow:
        tenant_id = uow.requests.tenant_of_package(digest)
        tenant = uow.tenants.get(tenant_id) if tenant_id is not None else None
        if tenant is None:
            raise NotFound("no package for this request (yet)", code="package.unknown")
        uow.bind_tenant(tenant.id)
        package = uow.requests.package(digest)
        found = _hand_over(deps, uow, tenant.key, tenant.id, package, "requester")
        uow.commit()
    return found


def staff_download(deps: RequestDeps, tenant_key: str, ref: str, actor: str) -> Download:
    """A request's newest package for staff (to send by post, say); audited under their name."""
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref, lock=False)
        package = uow.requests.latest_package(request.id)
        found = _hand_over(deps, uow, tenant_key, request.tenant_id, package, actor)
        uow.commit()
    return found


def _hand_over(
    deps: RequestDeps,
    uow: UnitOfWork,
    tenant_key: str,
    tenant_id: int,
    package: PackageRecord | None,
    actor: str,
) -> Download:
    if package is None:
        raise NotFound("no package for this request (yet)", code="package.unknown")
    now = deps.clock.now()
    if package.expires_at <= now:
        raise Forbidden(
            "this package's download link has expired: ask us for a new one",
            code="package.expired",
        )
    sealed = Sealed(package.kek_version, package.wrapped_key, package.sealed)
    blob = open_record(deps.keyring, tenant_key, tenant_id, "package", package.filename, sealed)
    uow.requests.count_download(package.id)
    details = {"package": package.id, "request": package.request_id}
    record(uow, [Entry(actor, "request:download", None, None, "ok", details)], now)
    return Download(package.filename, blob)


def apply_at_once(deps: RequestDeps, tenant_key: str, ref: str) -> RequestRecord:
    """Opt-out and limit requests need no verification: mark them verified and apply them now."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        mark_verified(deps, uow, tenant_key, request, SYSTEM_ACTOR, at, "not_required")
        uow.commit()
    return fulfil(deps, tenant_key, ref, SYSTEM_ACTOR)
