"""Exporting the records of processing (GDPR Art. 30): JSON (the whole structure), CSV (one row per
purpose) or HTML (one readable, self-contained page). Audited as ``records:export``."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any, Literal

from privault.core.clock import Clock
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import tenant_view
from privault.core.ports import UnitOfWork
from privault.core.rendering import Renderer
from privault.core.ropa import Facts, PurposeEntry, Ropa, build_ropa
from privault.errors import InvalidInput
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

Format = Literal["json", "csv", "html"]
FORMATS: tuple[str, ...] = ("json", "csv", "html")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
CSV_COLUMNS = (
    "tenant",
    "record",
    "purpose",
    "name",
    "description",
    "lawful_basis",
    "basis_article",
    "legitimate_interest",
    "special_category_condition",
    "data_subjects",
    "categories",
    "recipients",
    "transfers",
    "retention",
    "requires_dpia",
    "dpia",
    "subjects_held",
    "values_held",
)


def gather_facts(uow: UnitOfWork) -> Facts:
    """What the bound tenant holds, has disclosed and has assessed (counts only)."""
    return Facts(
        holdings=uow.dpias.holdings(),
        subjects_by_purpose=uow.dpias.subjects_by_purpose(),
        subjects_held=uow.dpias.subjects_held(),
        disclosures=uow.dpias.disclosure_counts(),
        dpias=uow.dpias.all(),
    )


def ropa_for(deps: Deps, tenant_key: str) -> Ropa:
    """The tenant's record of processing now (not audited: for the console; on the replica if one
    keeps up)."""
    with deps.read_uow() as uow:
        return _ropa(uow, deps.manifest, deps.clock, tenant_key)


def _ropa(uow: UnitOfWork, manifest: Manifest, clock: Clock, tenant_key: str) -> Ropa:
    """The record built in ``uow``, bound to the tenant."""
    view = tenant_view(manifest, tenant_key)
    bind_tenant(uow, tenant_key)
    return build_ropa(view, gather_facts(uow), clock.now())


def export_ropa(deps: Deps, tenant_key: str, actor: str, fmt: str) -> str:
    """The record in ``fmt`` (json, csv or html); the export is audited."""
    if fmt not in FORMATS:
        raise InvalidInput(
            f"unknown format '{fmt}': use {', '.join(FORMATS)}", code="input.invalid"
        )
    ropa = ropa_for(deps, tenant_key)
    text = ropa_html(deps.renderer, ropa) if fmt == "html" else WRITERS[fmt](ropa)
    with deps.make_uow() as uow:  # the export is audited on the primary
        bind_tenant(uow, tenant_key)
        details = {
            "format": fmt,
            "record": ropa.record,
            "purposes": len(ropa.purposes),
            "dpia_missing": list(ropa.dpia_missing),
            "gaps": len(ropa.gaps),
        }
        entry = Entry(actor, "records:export", None, None, "ok", details)
        record(uow, [entry], ropa.generated_at)
        uow.commit()
    return text


# --- formats ------------------------------------------------------------------------------------


def ropa_dict(ropa: Ropa) -> dict[str, Any]:
    """The whole record as JSON-ready data."""
    return json.loads(json.dumps(asdict(ropa), default=str))  # type: ignore[no-any-return]


def ropa_json(ropa: Ropa) -> str:
    """The whole record as JSON."""
    return json.dumps(ropa_dict(ropa), indent=2, ensure_ascii=False) + "\n"


def _csv_row(ropa: Ropa, p: PurposeEntry) -> list[str]:
    transfers = [
        f"{t.country} via {t.recipient} ({t.safeguard or 'no safeguard'})" for t in p.transfers
    ]
    return [
        ropa.tenant,
        ropa.record,
        p.key,
        p.name,
        p.description,
        p.lawful_basis or "not stated",
        p.basis_article or "",
        p.legitimate_interest or "",
        p.special_condition or "",
        "; ".join(s.name for s in p.data_subjects),
        "; ".join(f"{c.name} ({c.key})" for c in p.categories),
        "; ".join(r.name for r in p.recipients) or "none",
        "; ".join(transfers) or "none",
        "; ".join(f"{r.rule}: {r.text}" for r in p.retention) or "no retention rule",
        "yes" if p.requires_dpia else "no",
        p.dpia,
        str(p.subjects_held),
        str(p.values_held),
    ]


def ropa_csv(ropa: Ropa) -> str:
    """One row per purpose (lists joined with '; ')."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(ropa, p) for p in ropa.purposes)
    return buffer.getvalue()


def ropa_html(renderer: Renderer, ropa: Ropa) -> str:
    """The record as one accessible, self-contained HTML page (no external resources)."""
    return renderer.render("ropa.html", {"ropa": ropa})


WRITERS = {"json": ropa_json, "csv": ropa_csv}  # html needs the renderer: ropa_html
