"""Statements that contradict each other are refused by `privault check`, each at its line."""

from __future__ import annotations

import pytest

from privault.core.manifest import parse_manifest
from privault.errors import ManifestInvalid

BASE = """
organization: {name: Org}
policy: {contract_end_delete_days: 30, vendors_may_market: false, sell_personal_data: false}
purposes:
  - {key: care, name: Care, lawful_basis: contract, categories: [user.contact.email]}
  - key: ads
    name: Ads
    data_use: marketing.advertising.third_party.targeted
    kind: marketing
    opt_out: true
    lawful_basis: consent
    sale_or_sharing: true
    categories: [user.device.cookie_id]
retention:
  - {key: ended, categories: [user.contact], purposes: [care], after: contract_end, period: 30 days}
tenants:
  - {key: t, name: T, contact: {email: p@t.example}, jurisdictions: [us-ca], purposes: [care]}
"""


def _issues(text: str) -> list[tuple[int, int, str, str]]:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(text, "privault.yaml")
    return [(i.line, i.column, i.message, i.hint) for i in caught.value.issues]


def _line_of(text: str, needle: str) -> int:
    return text.count("\n", 0, text.index(needle)) + 1


def test_the_base_makes_no_contradiction() -> None:
    """The cases below start from a manifest that passes."""
    parse_manifest(BASE)


def test_the_contact_centre_template_passes(manifest) -> None:
    """The bundled template (and so the demo) states nothing that contradicts itself."""
    assert {t.key for t in manifest.tenants} >= {"bluewave", "northwind", "harbour"}


def test_no_sale_beside_a_sharing_purpose_fails_at_the_tenant_line() -> None:
    """A tenant that promises not to sell, given a purpose that sells or shares: located error."""
    text = BASE.replace("purposes: [care]}", "purposes: [care, ads]}")
    [(line, column, message, hint)] = _issues(text)
    assert line == _line_of(text, "purposes: [care, ads]")
    assert column > 1
    assert "promises not to sell" in message
    assert "'ads'" in message
    assert "Do Not Sell or Share" in hint


def test_no_sale_beside_a_sharing_purpose_fails_at_the_purpose_when_the_tenant_takes_all() -> None:
    """A tenant that lists no purposes takes every one: the error points at 'sale_or_sharing'."""
    text = BASE.replace(", purposes: [care]}", "}")
    [(line, _, message, _)] = _issues(text)
    assert line == _line_of(text, "sale_or_sharing: true")
    assert "sells or shares" in message


def test_a_sharing_purpose_is_accepted_when_the_policy_does_not_promise_no_sale() -> None:
    """'sell_personal_data: true' states the sale: no contradiction."""
    text = BASE.replace("sell_personal_data: false", "sell_personal_data: true")
    parse_manifest(text.replace("purposes: [care]}", "purposes: [care, ads]}"))


def test_cross_context_advertising_must_say_it_shares() -> None:
    """Targeted advertising across sites is sharing (1798.140(ah)): the flag must say so."""
    text = BASE.replace("    sale_or_sharing: true\n", "")
    [(line, _, message, hint)] = _issues(text)
    assert line == _line_of(text, "data_use: marketing.advertising.third_party.targeted")
    assert "cross-context advertising" in message
    assert "sale_or_sharing: true" in hint


def test_a_contract_end_rule_longer_than_the_promise_fails() -> None:
    """'Deleted within 14 days of contract end' beside a rule keeping data 1 month after it."""
    text = BASE.replace(
        "jurisdictions: [us-ca], purposes: [care]}",
        "jurisdictions: [us-ca], purposes: [care], policy: {contract_end_delete_days: 14}}",
    ).replace("period: 30 days}", "period: 1 month}")
    issues = _issues(text)
    assert [(line, message) for line, _, message, _ in issues] == [
        (
            _line_of(text, "policy: {contract_end_delete_days: 14}"),
            "tenant 't' promises deletion within 14 days of the contract end, but retention rule "
            "'ended' keeps data 1 month after it",
        )
    ]


def test_a_month_is_longer_than_30_days() -> None:
    """A month can have 31 days: '1 month' contradicts the top-level promise of 30 days."""
    text = BASE.replace("period: 30 days}", "period: 1 month}")
    [(line, _, message, _)] = _issues(text)
    assert line == _line_of(text, "period: 1 month")
    assert "within 30 days" in message


def test_a_rule_the_law_requires_may_outlast_the_promise() -> None:
    """'Unless the law requires us to keep it': a rule naming its law is not a contradiction."""
    text = BASE.replace(
        "after: contract_end, period: 30 days}",
        "after: contract_end, period: 7 years, law: Tax Act s. 1}",
    ).replace(
        "lawful_basis: contract,", "lawful_basis: legal_obligation, allowed_while_restricted: true,"
    )
    parse_manifest(text)


def test_two_periods_for_the_same_data_fail() -> None:
    """Two rules give the same category, purpose and event different periods."""
    text = BASE.replace(
        "retention:\n",
        "retention:\n  - {key: early, categories: [user.contact.email], purposes: [care],"
        " after: contract_end, period: 14 days}\n",
    )
    [(line, _, message, _)] = _issues(text)
    assert line == _line_of(text, "period: 30 days")
    assert "'early' (14 days) and 'ended' (30 days)" in message


def test_a_transfer_without_adequacy_needs_a_safeguard() -> None:
    """An EU tenant's recipient in India names its Art. 46 safeguard; Canada is adequate."""
    text = BASE.replace("jurisdictions: [us-ca]", "jurisdictions: [eu]") + (
        "recipients:\n  - {key: bpo, name: BPO, type: group_company, purposes: [care],"
        " countries: [CA, IN]}\n"
    )
    [(line, _, message, hint)] = _issues(text)
    assert line == _line_of(text, "countries: [CA, IN]")
    assert "in IN, which has no adequacy decision" in message
    assert "safeguards: {IN: ...}" in hint
    parse_manifest(
        text.replace("countries: [CA, IN]}", "countries: [CA, IN], safeguards: {IN: SCCs}}")
    )


def test_no_sale_beside_third_party_advertising_cookies_fails() -> None:
    """Third parties' advertising cookies are sharing: a tenant promising no sale may not set them."""
    text = BASE + (
        "cookie_categories:\n"
        "  - {key: necessary, name: Necessary, default: true}\n"
        "  - key: marketing\n"
        "    name: Marketing\n"
        "    cookies: [{name: _gcl_au, provider: Google Ads}]\n"
    )
    [(line, _, message, hint)] = _issues(text)
    assert line == _line_of(text, "key: marketing")
    assert "advertising cookies (Google Ads)" in message
    assert "cookie_categories" in hint
    parse_manifest(text.replace("provider: Google Ads", "provider: first party"))
