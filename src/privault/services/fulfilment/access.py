"""Access and portability: every value in the vault and every row reachable in each datastore, with
the right-to-know report, packed in a zip behind an expiring download link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from privault.connectors.model import is_personal
from privault.connectors.results import AccessResult
from privault.core.deadlines import add_months
from privault.core.display import (
    Display,
    as_shown,
    category_display,
    columns_as,
    masked_columns,
    rows_shown,
)
from privault.core.jurisdictions import JURISDICTIONS, Right
from privault.core.manifest.model import LawfulBasis
from privault.core.manifest.resolve import TenantView, fides_lineage, tenant_view
from privault.core.package import Package, Section, package_filename
from privault.core.ports import UnitOfWork
from privault.core.records import FieldRecord
from privault.core.request_ports import NewPackage
from privault.core.requests import RequestDetails, RequestRecord
from privault.core.vault import identity_category
from privault.crypto.sealed import seal_record
from privault.services.deps import Deps
from privault.services.fulfilment.answers import access_answer
from privault.services.fulfilment.package_files import build_zip
from privault.services.fulfilment.report import Held, _disclosed, _disclosure_section, _report
from privault.services.fulfilment.since import Since
from privault.services.fulfilment.staged import (
    Closing,
    Outcome,
    Staged,
    _cipher,
    _datastore_access,
    _subject,
)

CCPA_EARLIEST_LOOKBACK = date(2022, 1, 1)


_PORTABLE_BASES = (LawfulBasis.CONSENT, LawfulBasis.CONTRACT)


@dataclass
class _AccessStaged(Staged):
    kind: str
    view: TenantView
    found: dict[str, AccessResult]
    details: RequestDetails
    undated: tuple[str, ...] = ()  # datastore collections kept whole under a date range

    def commit(self, closing: Closing) -> None:
        """Read the vault, build the package, seal it and issue the download link."""
        deps, uow, tenant_key, tenant_id, request, outcome = closing
        lookback = _lookback(self.view, request, self.details)
        sections, held = _vault_sections(
            deps, uow, tenant_key, tenant_id, request, lookback, self.kind
        )
        for key, access in sorted(self.found.items()):
            for name, found in access.collections.items():
                categories = dict(zip(found.columns, found.categories, strict=True))
                sections.append(_shown(self.view, key, name, found.columns, categories, found.rows))
                held.add_stored(
                    self.view,
                    {
                        c
                        for cats in found.categories
                        for c in cats
                        if any(map(is_personal, fides_lineage(self.view.manifest, c)))
                    },
                )
        now = deps.clock.now()
        report = None
        if self.kind == "access":
            disclosed = _disclosed(uow, request, now.date(), lookback)
            if disclosed:
                sections.append(_disclosure_section(self.view, disclosed))
            report = _report(self.view, request, held, lookback, disclosed)
        shared = sum(n for access in self.found.values() for n in access.shared.values())
        notes = _access_notes(request, self.kind) + _lookback_note(lookback, self.undated)
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
        blob = build_zip(deps.renderer, package)
        name = package_filename(package)
        sealed = seal_record(deps.keyring, tenant_key, tenant_id, "package", name, blob)
        expires = now + timedelta(days=deps.settings.package_link_days)
        new = NewPackage(
            request_id=request.id,
            token_hash=request.token_hash,  # reached with the requester's token, nothing else
            filename=name,
            size=len(blob),
            kek_version=sealed.kek_version,
            wrapped_key=sealed.wrapped_key,
            sealed=sealed.ciphertext,
            expires_at=expires,
            created_at=now,
        )
        uow.requests.add_package(new)
        rows = sum(len(s.rows) for s in sections)
        related = sum(
            len(f.rows)
            for a in self.found.values()
            for f in a.collections.values()
            if not f.personal
        )
        withheld = sum(len(s.withheld) for s in sections if s.rows)
        if withheld:
            outcome.result["withheld"] = withheld  # columns shown as [withheld] (a refusal)
        outcome.result |= {
            "rows": rows,
            "sections": len(sections),
            "vault": request.subject_id is not None,
            "package": {"bytes": len(blob), "expires_at": expires.isoformat()},
        }
        outcome.response.append(
            f"Your data ({rows - related} records about you"
            + (f", with {related} related records such as products" if related else "")
            + f", from {len(sections)} tables) is ready to download."
        )
        stores = outcome.result.get("by_datastore", {})
        outcome.response += access_answer(request.subject_id is not None, stores)


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


def _lookback_note(lookback: date | None, undated: tuple[str, ...]) -> tuple[str, ...]:
    """Said when a date range applies: what is dated, and which records carry no date."""
    if lookback is None:
        return ()
    whole = (
        f" The records of {', '.join(undated)} carry no collection date: they are all included."
        if undated
        else ""
    )
    return (
        f"This copy covers what we collected from {lookback.isoformat()}: each value in our vault "
        "and each row of a dated table records when it was collected, and older ones are left out."
        + whole,
    )


def _lookback(view: TenantView, request: RequestRecord, details: RequestDetails) -> date | None:
    """CCPA's 12 months (or back to 2022-01-01 if asked) when California's is the only law of the
    request granting a right to know (Cal. Civ. Code 1798.130(a)(2)(B)): a law alongside it that
    grants none (US federal rules) does not lift the limit, one that grants access without a
    lookback (the GDPR) does."""
    knowing = {k for k in request.jurisdictions if Right.ACCESS in JURISDICTIONS[k].rights}
    if knowing != {"us-ca"}:
        return None
    months = view.policy.access_lookback_months or 12
    default = add_months(request.received_on, -months)
    if details.lookback_from:
        return max(date.fromisoformat(details.lookback_from), CCPA_EARLIEST_LOOKBACK)
    return default


def _vault_sections(
    deps: Deps,
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
        (
            i.kind,
            _value(
                view,
                identity_category(i.kind),
                cipher.open_value(f"identity:{i.kind}", i.ciphertext).reveal(),
            ),
        )
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
            _value(view, f.category, cipher.open_value(f.field, f.ciphertext).reveal()),
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
            *_marked(view, [identity_category(k) for k, _ in identities]),
        ),
        Section(
            "vault",
            "personal_data",
            ("field", "value", "category", "source", "purpose", "collected_at"),
            {"value": tuple(sorted({f.category for f in fields}))},
            data_rows,
            *_marked(view, [f.category for f in fields]),
        ),
    ]
    held = Held(
        {f.category for f in fields} | {identity_category(k) for k, _ in identities},
        {f.purpose for f in fields},
        {f.source for f in fields},
    )
    return sections, held


def _value(view: TenantView, category: str, value: object) -> object:
    """A vault value as the package shows it, always (11 CCR §7024(d)): cards, bank accounts,
    government and medical IDs by their last four characters, passwords, credentials, security
    answers and biometric data as [withheld]; no grant shows the requester the whole value."""
    return as_shown(value, category_display(view.manifest, category))


def _marked(view: TenantView, categories: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A vault section's ``last_four`` and ``withheld`` columns: ``("value",)`` in each when some
    value is shown that way."""
    displays = {category_display(view.manifest, c) for c in categories}
    last_four: tuple[str, ...] = ("value",) if Display.LAST_FOUR in displays else ()
    withheld: tuple[str, ...] = ("value",) if Display.WITHHELD in displays else ()
    return last_four, withheld


def _shown(
    view: TenantView,
    source: str,
    name: str,
    columns: tuple[str, ...],
    categories: dict[str, tuple[str, ...]],
    rows: Sequence[Sequence[object]],
) -> Section:
    """A datastore table as the package shows it: columns of a category shown by its last four
    (a card or bank-account number, a government or medical ID) hold only that form, columns of a
    withheld category (a password, a security answer, biometric data) only [withheld]."""
    masked = masked_columns(view.manifest, columns, categories)
    return Section(
        source,
        name,
        columns,
        categories,
        rows_shown(rows, columns, masked),
        columns_as(masked, Display.LAST_FOUR),
        columns_as(masked, Display.WITHHELD),
    )


def _portable(view: TenantView, item: FieldRecord) -> bool:
    purpose = view.purpose(item.purpose)
    return purpose is not None and purpose.lawful_basis in _PORTABLE_BASES


def _access(
    deps: Deps,
    view: TenantView,
    request: RequestRecord,
    details: RequestDetails,
    identities: dict[str, list[str]],
    outcome: Outcome,
) -> Staged:
    lookback = _lookback(view, request, details)
    since = Since(lookback) if lookback else None
    found = _datastore_access(deps, view.tenant.key, identities, outcome, since)
    kind = "portability" if request.type is Right.PORTABILITY else "access"
    undated = tuple(sorted(since.undated)) if since else ()
    return _AccessStaged(kind, view, found, details, undated)
