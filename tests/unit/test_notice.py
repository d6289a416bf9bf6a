"""The notice model, element by element (GDPR Art. 13/14, 11 CCR § 7011), from the template.

Assertions look for each element, never at the whole text.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from privault.core.manifest import Manifest, parse_manifest
from privault.core.manifest.resolve import tenant_view
from privault.core.notice import notice_content
from privault.rendering import TemplateRenderer
from privault.services.notices import _render

RENDERER = TemplateRenderer()


@pytest.fixture(scope="module")
def notices(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """The template tenants' notice content."""
    return {
        key: notice_content(tenant_view(manifest, key))
        for key in ("bluewave", "northwind", "harbour")
    }


def _purpose(content: dict[str, Any], key: str) -> dict[str, Any]:
    return next(p for p in content["purposes"] if p["key"] == key)


def _both(content: dict[str, Any]) -> tuple[str, str]:
    return _render(RENDERER, "notice.md.j2", content), _render(RENDERER, "notice.html.j2", content)


def test_the_controller_of_a_processor_tenant_is_its_client_with_contact(notices) -> None:
    """Art. 13(1)(a): Bluewave's notice names Bluewave Communications and how to reach it."""
    controller = notices["bluewave"]["controller"]
    assert controller["name"] == "Bluewave Communications, Inc."
    assert controller["contact"]["email"] == "privacy@bluewave.example"
    for text in _both(notices["bluewave"]):
        assert "Bluewave Communications, Inc." in text
        assert "privacy@bluewave.example" in text


def test_a_controller_tenant_names_itself_and_its_dpo_where_declared(notices) -> None:
    """Art. 13(1)(a)-(b): the tenant's own contact; the DPO only where the manifest declares one."""
    assert notices["harbour"]["controller"]["name"] == "Harbour Contact Group"
    assert notices["harbour"]["dpo"] is None
    assert notices["northwind"]["dpo"]["email"] == "dpo@northwind.example"


def test_purposes_cite_their_gdpr_basis_and_legitimate_interest(notices) -> None:
    """Art. 13(1)(c)-(d): the basis with its article, and the interest relied on."""
    fraud = _purpose(notices["northwind"], "fraud-prevention")
    assert fraud["article"] == "GDPR Art. 6(1)(f)"
    assert "fraud" in fraud["legitimate_interest"]
    md, _ = _both(notices["northwind"])
    assert "(GDPR Art. 6(1)(b))" in md
    assert "our legitimate interest: Protecting" in md


def test_a_us_only_tenant_notice_carries_no_gdpr_label(notices) -> None:
    """Bluewave is subject to US and Canadian law: no GDPR article anywhere in its notice."""
    assert all(p["article"] is None for p in notices["bluewave"]["purposes"])
    assert notices["bluewave"]["transfers"] == []
    for text in _both(notices["bluewave"]):
        assert "GDPR" not in text
        assert not re.search(r"Art\. ?6", text)


def test_recipients_and_transfers_name_a_safeguard_per_country(notices) -> None:
    """Art. 13(1)(e)-(f): every country outside the EEA, with its adequacy decision or safeguard."""
    rows = {
        (t["recipient"], t["country"]): t["safeguard"] for t in notices["northwind"]["transfers"]
    }
    assert "Binding corporate rules" in rows[("Harbour Contact Group overflow sites", "IN")]
    assert "adequacy decision" in rows[("Payment processor", "CA")]
    assert rows[("Cloud hosting provider", "US")].startswith("Standard contractual clauses")
    assert all(rows.values())
    md, html = _both(notices["northwind"])
    assert "Transfers outside the UK and the EEA" in md
    assert 'id="transfers"' in html


def test_retention_periods_are_stated(notices) -> None:
    """Art. 13(2)(a): each rule's period and event."""
    periods = {(r["period"], r["after"]) for r in notices["bluewave"]["retention"]}
    assert ("14 days", "contract end") in periods
    assert ("7 years", "collected") in periods


def test_each_consent_purpose_can_be_withdrawn(notices) -> None:
    """Art. 13(2)(c): withdrawal is offered on every consent-based purpose and on no other."""
    content = notices["northwind"]
    consent = {p["name"] for p in content["purposes"] if p["lawful_basis"] == "consent"}
    assert set(content["withdraw_consent"]) == consent
    assert all(p["withdraw"] == (p["lawful_basis"] == "consent") for p in content["purposes"])
    md, html = _both(content)
    assert md.count("You may withdraw your consent at any time") == len(consent)
    assert 'id="withdraw-consent"' in html


def test_the_right_to_complain_names_the_authority(notices) -> None:
    """Art. 13(2)(d): each law's supervisory authority."""
    md, _ = _both(notices["northwind"])
    assert "**Complain**" in md
    assert all(j["authority"] for j in notices["northwind"]["jurisdictions"])
    assert "You may complain to" in md


def test_data_required_by_contract_or_law_says_the_consequence(notices) -> None:
    """Art. 13(2)(e): contract and legal-obligation purposes say so and what follows."""
    assert _purpose(notices["northwind"], "billing")["required"]["by"] == "contract"
    assert _purpose(notices["northwind"], "legal-records")["required"]["by"] == "law"
    assert _purpose(notices["northwind"], "marketing-sms")["required"] is None
    md, _ = _both(notices["northwind"])
    assert "Required by contract: " in md
    assert "without it we cannot provide the service" in md


def test_profiling_is_derived_from_the_purposes_data_uses(notices) -> None:
    """Art. 13(2)(f): Northwind's targeted advertising profiles; Bluewave's purposes do not."""
    assert [p["purpose"] for p in notices["northwind"]["profiling"]] == ["Personalised advertising"]
    assert (
        "profile of your interests for: Personalised advertising"
        in notices["northwind"]["automated_decisions"]
    )
    assert notices["bluewave"]["profiling"] == []
    assert notices["bluewave"]["automated_decisions"].startswith("We do not profile you.")


def test_sources_are_named_when_data_is_not_collected_from_the_person(notices) -> None:
    """Art. 14(2)(f): the sources of the tenant's purposes, including third parties."""
    names = {s["name"] for s in notices["bluewave"]["sources"]}
    assert {"Credit reporting agencies", "From our client"} <= names


def test_the_california_section_appears_only_under_the_ccpa(notices) -> None:
    """§ 7011 elements for us-ca tenants; none for a tenant without California."""
    assert notices["northwind"]["ccpa"] is not None
    text = MINIMAL_EU
    content = notice_content(tenant_view(parse_manifest(text), "t"))
    assert content["ccpa"] is None
    md, _ = _both(content)
    assert "California" not in md


MINIMAL_EU = """
organization: {name: Org}
purposes:
  - {key: care, name: Care, lawful_basis: contract, categories: [user.contact.email]}
tenants:
  - {key: t, name: T, contact: {email: p@t.example}, jurisdictions: [eu]}
"""


def test_ccpa_categories_use_the_statute_terms(notices) -> None:
    """1798.140(v)(1) categories and sensitive personal information (1798.140(ae))."""
    labels = [g["category"] for g in notices["bluewave"]["ccpa"]["categories"]]
    assert "Identifiers (1798.140(v)(1)(A))" in labels
    assert "Sensitive personal information (1798.140(ae))" in labels
    assert labels[-1] == "Sensitive personal information (1798.140(ae))"


def test_ccpa_statements_rights_requests_agents_gpc_and_non_discrimination(notices) -> None:
    """§ 7011(e): how to submit and how requests are verified, agents, GPC, 1798.125."""
    section = notices["bluewave"]["ccpa"]
    assert any("/p/bluewave/request" in m for m in section["request_methods"])
    md, html = _both(notices["bluewave"])
    for needle in ("one-time code", "authorised agent", "Sec-GPC: 1", "1798.125"):
        assert needle in md, needle
    for anchor in ('id="verification"', 'id="agents"', 'id="gpc"', 'id="non-discrimination"'):
        assert anchor in html, anchor


def test_sharing_gets_the_do_not_sell_or_share_link(notices) -> None:
    """Northwind shares for cross-context advertising: the categories, to whom, and the link."""
    section = notices["northwind"]["ccpa"]
    assert section["do_not_sell_link"]["text"] == "Do Not Sell or Share My Personal Information"
    assert section["do_not_sell_link"]["href"] == "/p/northwind/request?jurisdiction=us-ca"
    assert {"Google Ads", "LinkedIn"} <= set(section["sold_or_shared_to"])
    assert section["sold_or_shared"]
    _, html = _both(notices["northwind"])
    assert 'id="do-not-sell"' in html
    assert "We do not sell your personal data." not in notices["northwind"]["promises"]


def test_no_sale_no_link_and_the_promise_agree(notices) -> None:
    """Bluewave sells and shares nothing: the promise, no link, 'We do not sell or share'."""
    content = notices["bluewave"]
    assert "We do not sell your personal data." in content["promises"]
    assert content["ccpa"]["do_not_sell_link"] is None
    md, _ = _both(content)
    assert "Do Not Sell or Share" not in md
    assert "We do not sell or share personal information." in md


def test_sensitive_data_for_marketing_gets_the_limit_link(notices) -> None:
    """Bluewave markets with CPNI (the decision's CCPA-LIM-1 applies): 'Limit the Use' link."""
    assert notices["bluewave"]["ccpa"]["limit_link"]["text"] == (
        "Limit the Use of My Sensitive Personal Information"
    )
    assert notices["harbour"]["ccpa"]["limit_link"] is None


def test_the_promised_deletion_matches_the_contract_end_rules(notices) -> None:
    """Bluewave: 'within 14 days' and its contract-end rules say the same, never '1 month'."""
    content = notices["bluewave"]
    assert any("within 14 days" in p for p in content["promises"])
    ended = [r["period"] for r in content["retention"] if r["after"] == "contract end"]
    assert ended
    assert all(p == "14 days" for p in ended)
