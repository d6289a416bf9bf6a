"""Records of processing (GDPR-ROPA-1) from the template manifest: every purpose of every tenant with
its basis, categories, recipients, transfers and retention, in JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from privault.core.manifest import Manifest, parse_manifest
from privault.core.manifest.resolve import tenant_view
from privault.core.records_ports import DisclosureCount, DpiaRecord, DpiaStatus, Holding
from privault.core.ropa import Facts, build_ropa, home_region, missing_dpias
from privault.rendering import TemplateRenderer
from privault.services.ropa import CSV_COLUMNS, ropa_csv, ropa_dict, ropa_html, ropa_json

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RENDERER = TemplateRenderer()
TENANTS = ("bluewave", "northwind", "harbour")


def _dpia(purpose: str, status: str, review_on: date | None, dpia_id: int = 1) -> DpiaRecord:
    kept = DpiaStatus(status)
    return DpiaRecord(dpia_id, purpose, "t", kept, "", "", "low", "r", AT, review_on, AT, AT)


@pytest.mark.parametrize("tenant", TENANTS)
def test_json_lists_every_purpose_with_basis_categories_recipients_transfers_retention(
    manifest: Manifest, tenant: str
) -> None:
    """The done-when of issue #6, on the JSON export."""
    view = tenant_view(manifest, tenant)
    data = json.loads(ropa_json(build_ropa(view, Facts(), AT)))
    assert [p["key"] for p in data["purposes"]] == [p.key for p in view.purposes]
    for purpose in data["purposes"]:
        assert purpose["lawful_basis"], purpose["key"]
        assert purpose["basis_article"].startswith(("Art. 6(1)", "UK Art. 6(1)"))
        assert purpose["categories"], purpose["key"]
        assert all(c["name"] for c in purpose["categories"])
        assert isinstance(purpose["recipients"], list)
        assert isinstance(purpose["transfers"], list)
        assert purpose["retention"], purpose["key"]


@pytest.mark.parametrize("tenant", TENANTS)
def test_csv_has_one_complete_row_per_purpose(manifest: Manifest, tenant: str) -> None:
    """The done-when on the CSV export: no empty basis, categories, recipients, transfers, retention."""
    view = tenant_view(manifest, tenant)
    rows = list(csv.DictReader(io.StringIO(ropa_csv(build_ropa(view, Facts(), AT)))))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert [r["purpose"] for r in rows] == [p.key for p in view.purposes]
    for row in rows:
        for column in ("lawful_basis", "basis_article", "categories", "recipients", "transfers"):
            assert row[column], (row["purpose"], column)
        assert row["retention"] != "no retention rule", row["purpose"]
        assert row["subjects_held"] == "0"


@pytest.mark.parametrize("tenant", TENANTS)
def test_html_shows_every_purpose_with_its_parts(manifest: Manifest, tenant: str) -> None:
    """The done-when on the HTML export: each purpose's section names its basis and retention rule."""
    view = tenant_view(manifest, tenant)
    ropa = build_ropa(view, Facts(), AT)
    page = ropa_html(RENDERER, ropa)
    assert page.startswith("<!doctype html>")
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page
    for entry in ropa.purposes:
        start = page.index(f'id="p-{entry.key}"')
        end = page.find("</section>", start)
        section = page[start:end]
        assert entry.basis_article is not None
        assert entry.basis_article in section
        for label in ("Categories", "Recipients", "Transfers", "Retention"):
            assert f"<dt>{label}</dt>" in section
        assert entry.retention[0].rule in section


def test_processor_and_controller_records(manifest: Manifest) -> None:
    """Bluewave (processor) gets Art. 30(2) per its client; Harbour (controller) Art. 30(1)."""
    blue = ropa_dict(build_ropa(tenant_view(manifest, "bluewave"), Facts(), AT))
    assert blue["article"] == "GDPR Art. 30(2)"
    assert blue["controller"]["name"] == "Bluewave Communications, Inc."
    assert blue["processor"]["name"].startswith("Harbour Contact Group Inc.")
    assert blue["dpo"]["email"] == "dpo@bluewave.example"
    assert set(blue["fields"]) == {"30(2)(a)", "30(2)(b)", "30(2)(c)", "30(2)(d)"}
    harbour = ropa_dict(build_ropa(tenant_view(manifest, "harbour"), Facts(), AT))
    assert harbour["article"] == "GDPR Art. 30(1)"
    assert harbour["processor"] is None
    assert len(harbour["fields"]) == 7
    assert any("crypto-shredding" in m for m in harbour["security_measures"])


def test_transfers_leave_the_home_region(manifest: Manifest) -> None:
    """For a UK/EU tenant Canada is adequate and the US is a transfer; for a US/Canada tenant the UK
    and India are transfers. The safeguard is the contract reference."""
    north = build_ropa(tenant_view(manifest, "northwind"), Facts(), AT)
    billing = next(p for p in north.purposes if p.key == "billing")
    assert ("payment-processor", "US", "DPA-2024-PAY-01") in {
        (t.recipient, t.country, t.safeguard) for t in billing.transfers
    }
    assert all(t.country != "CA" for t in north.transfers)
    blue = build_ropa(tenant_view(manifest, "bluewave"), Facts(), AT)
    assert home_region(tenant_view(manifest, "bluewave"))[1] == {"US", "CA"}
    assert {t.country for t in blue.transfers} == {"GB", "IN"}


def test_special_category_condition_and_cookie_lifetimes(manifest: Manifest) -> None:
    """Art. 9(2) conditions are named; a cookie-based purpose shows its cookies' lifetimes."""
    north = build_ropa(tenant_view(manifest, "northwind"), Facts(), AT)
    entries = {p.key: p for p in north.purposes}
    assert entries["vulnerability-support"].special_condition == "explicit_consent (Art. 9(2)(a))"
    ads = entries["targeted-ads"].retention
    assert ads[0].rule == "cookies:marketing"
    assert "_gcl_au 3 months" in ads[0].text


def test_dpia_missing_until_approved_and_again_when_expired(manifest: Manifest) -> None:
    """vulnerability-support requires a DPIA: flagged, then approved, then expired."""
    view = tenant_view(manifest, "bluewave")
    assert missing_dpias(view, [], AT.date()) == ["vulnerability-support"]
    assert missing_dpias(view, [_dpia("vulnerability-support", "draft", None)], AT.date())
    approved = [_dpia("vulnerability-support", "approved", date(2027, 3, 1))]
    assert missing_dpias(view, approved, AT.date()) == []
    ropa = build_ropa(view, Facts(dpias=approved), AT)
    entry = next(p for p in ropa.purposes if p.key == "vulnerability-support")
    assert entry.dpia.startswith("approved")
    assert ropa.dpia_missing == ()
    assert missing_dpias(view, approved, date(2027, 3, 2)) == ["vulnerability-support"]
    expired = build_ropa(view, Facts(dpias=approved), datetime(2027, 3, 2, tzinfo=UTC))
    assert any("expired" in gap for gap in expired.gaps)


def test_holdings_and_disclosures_are_reported(manifest: Manifest) -> None:
    """Counts come from the facts; recipients without disclosures show zero."""
    facts = Facts(
        holdings=[
            Holding("billing", "user.name", 3, 3),
            Holding("billing", "cc.payment.card", 2, 2),
        ],
        subjects_by_purpose={"billing": 3},
        subjects_held=4,
        disclosures=[DisclosureCount("payment-processor", 5, 2, AT)],
    )
    ropa = build_ropa(tenant_view(manifest, "bluewave"), facts, AT)
    billing = next(p for p in ropa.purposes if p.key == "billing")
    assert (billing.subjects_held, billing.values_held) == (3, 5)
    assert {h.category: h.subjects for h in billing.held} == {"user.name": 3, "cc.payment.card": 2}
    recipients = {r.key: r for r in ropa.recipients}
    assert recipients["payment-processor"].disclosures == 5
    assert recipients["carrier-partner"].disclosures == 0
    assert "<td>5</td>" in ropa_html(RENDERER, ropa)


def test_html_escapes_manifest_text(template: str) -> None:
    """Text from the manifest is escaped: a description cannot inject markup."""
    text = template.replace(
        "description: Take payments, issue bills and refunds, collect amounts owed.",
        'description: "<script>alert(1)</script> & co"',
    )
    changed = parse_manifest(text, "x.yaml")
    page = ropa_html(RENDERER, build_ropa(tenant_view(changed, "bluewave"), Facts(), AT))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page


def test_gaps_name_missing_basis_retention_and_safeguard(manifest: Manifest) -> None:
    """A purpose without basis or retention, and a transfer without a safeguard, are listed (the
    manifest checks refuse such a file; the record still says so if one gets through)."""
    purposes = [
        p.model_copy(update={"lawful_basis": None}) if p.key == "legal-records" else p
        for p in manifest.purposes
    ]
    recipients = [
        r.model_copy(update={"countries": ["BR"]}) if r.key == "carrier-partner" else r
        for r in manifest.recipients
    ]
    changed = manifest.model_copy(
        update={"purposes": purposes, "recipients": recipients, "retention": []}
    )
    ropa = build_ropa(tenant_view(changed, "bluewave"), Facts(), AT)
    assert "purpose 'legal-records' has no lawful basis" in ropa.gaps
    assert "purpose 'billing' has no retention rule" in ropa.gaps
    assert "transfer to BR (carrier-partner) has no recorded safeguard" in ropa.gaps
    row = next(r for r in csv.DictReader(io.StringIO(ropa_csv(ropa))) if r["purpose"] == "billing")
    assert row["retention"] == "no retention rule"


def test_the_eea_has_its_thirty_countries_hungary_included() -> None:
    """One list of the EEA for the records and the notice: the 27 member states, Iceland,
    Liechtenstein and Norway (Hungary was missing from the records' copy)."""
    from privault.core import notice_elements, ropa, transfers

    assert len(transfers.EEA) == 30
    assert {"HU", "IS", "LI", "NO"} <= transfers.EEA
    assert ropa.EEA is transfers.EEA
    assert notice_elements.EEA is transfers.EEA
