"""The right-to-know report (GDPR Art. 15, CCPA 1798.110): what we hold, why, from where, to whom,
for how long, and the disclosures actually made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from privault.core.disclosure_ports import DisclosureRecord
from privault.core.jurisdictions import JURISDICTIONS, RIGHT_TITLES
from privault.core.law_labels import gdpr_applies
from privault.core.manifest.model import Purpose, Recipient
from privault.core.manifest.resolve import TenantView
from privault.core.notice_elements import automated_decisions_statement, transfers
from privault.core.package import KnowReport, ReportItem, Section
from privault.core.ports import UnitOfWork
from privault.core.requests import RequestRecord
from privault.core.taxonomy import covers, fides_categories
from privault.services.disclosures import reportable
from privault.services.fulfilment.staged import _subject


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
            if any(covers(d, c) for d in purpose.categories for c in categories):
                self.purposes.add(purpose.key)
                self.sources.update(purpose.sources)

    def touches(self, categories: Sequence[str]) -> bool:
        """Whether any of ``categories`` covers or lies under a held category."""
        return any(covers(c, h) or covers(h, c) for c in categories for h in self.categories)


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
                _why(p, gdpr_applies(request.jurisdictions)),
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
        automated_decisions=automated_decisions_statement(view),
        transfers=_transfers(recipients) if gdpr_applies(request.jurisdictions) else None,
    )


def _transfers(recipients: Sequence[Recipient]) -> tuple[ReportItem, ...]:
    """GDPR Art. 15(2): each transfer outside the EEA with its adequacy decision or safeguard."""
    return tuple(
        ReportItem(
            f"{row['recipient']} ({row['country']})",
            row["safeguard"] or "no safeguard stated in our records",
        )
        for row in transfers(tuple(recipients))
    )


def _why(purpose: Purpose, gdpr: bool) -> str:
    """Why a purpose uses the data: its GDPR lawful basis where the GDPR applies, else its kind."""
    if gdpr:
        basis = purpose.lawful_basis.value.replace("_", " ") if purpose.lawful_basis else "n/a"
        return f"lawful basis: {basis}"
    return purpose.description or purpose.name
