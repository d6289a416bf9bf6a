"""Erasure exceptions of several laws combine strictly (issue #14, item 1): data is kept only where
every law granting the erasure right allows it, and each kept item names the provisions."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest

from privault.core.erasure import LAW_EXCEPTIONS, allowed_by, erasure_laws, refused_by
from privault.core.manifest.model import ErasureExceptionRule, Manifest
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.requests import RequestRecord
from privault.services.fulfilment.erasure import _exceptions

ALL_CODES = sorted({code for codes in LAW_EXCEPTIONS.values() for code in codes})


@pytest.mark.parametrize(
    ("laws", "kept"),
    [
        (("uk",), {"freedom_of_expression", "legal_obligation", "public_health"}
         | {"archiving_research", "legal_claims", "legal_hold"}),
        (("us-ca", "uk"), {"freedom_of_expression", "legal_obligation", "archiving_research"}
         | {"legal_claims", "legal_hold"}),
        (("us-ca",), {"complete_transaction", "security_integrity", "debug", "calecpa"}
         | {"freedom_of_expression", "archiving_research", "internal_uses", "legal_obligation"}
         | {"legal_claims", "legal_hold"}),
        (("us-ca", "in"), {"legal_obligation", "legal_claims", "legal_hold", "archiving_research"}),
        (("eu", "ca-qc"), {"legal_obligation", "legal_claims", "legal_hold"}),
        (("us", "uk"), {"freedom_of_expression", "legal_obligation", "public_health"}
         | {"archiving_research", "legal_claims", "legal_hold"}),
        (("us",), {"legal_obligation", "legal_hold"}),
        (("uk", "eu", "us-ca", "ca", "ca-qc", "in"), {"legal_obligation", "legal_claims", "legal_hold"}),
    ],
)  # fmt: skip
def test_only_what_every_erasure_law_allows_is_kept(laws: tuple[str, ...], kept: set[str]) -> None:
    """The intersection over the laws granting erasure; US federal law grants none and is ignored."""
    granting = erasure_laws(laws)
    assert {code for code in ALL_CODES if allowed_by(code, granting) is not None} == kept


def test_a_legal_obligation_is_recognised_by_every_erasure_law_under_its_own_provision() -> None:
    """GDPR 17(3)(b), CCPA 1798.105(d)(8), PIPEDA 4.5, Québec s. 23, DPDP s. 8(7)."""
    for key in ("eu", "uk", "us-ca", "ca", "ca-qc", "in"):
        assert "legal_obligation" in LAW_EXCEPTIONS[key]
    assert allowed_by("legal_obligation", ["us-ca", "uk"]) == (
        "CCPA 1798.105(d)(8); UK GDPR Art. 17(3)(b)"
    )


def test_the_law_that_refuses_an_exception_is_named() -> None:
    """CCPA's internal uses are set aside because UK GDPR does not know them."""
    assert refused_by("internal_uses", ["us-ca", "uk"]) == ["uk"]


def _view(manifest: Manifest, codes: list[str]) -> TenantView:
    extra = [
        ErasureExceptionRule.model_validate(
            {"key": f"x-{code.replace('_', '-')}", "code": code, "categories": ["user"]}
        )
        for code in codes
    ]
    changed = manifest.model_copy(update={"erasure_exceptions": extra})
    return tenant_view(changed, "northwind")


def test_a_californians_erasure_at_a_uk_company_keeps_only_what_uk_gdpr_allows(
    manifest: Manifest,
) -> None:
    """us-ca + uk: internal uses are erased (UK GDPR decides); a legal obligation is kept under both
    laws' provisions; the answer names the law that refused."""
    view = _view(manifest, ["internal_uses", "legal_obligation", "debug"])
    request = cast(RequestRecord, SimpleNamespace(jurisdictions=("us-ca", "uk")))
    sources, refused = _exceptions(view, request)
    assert [(k.code, k.rule, k.law) for _, k in sources] == [
        ("legal_obligation", "x-legal-obligation", "CCPA 1798.105(d)(8); UK GDPR Art. 17(3)(b)")
    ]
    assert refused == [
        {"code": "internal_uses", "rule": "x-internal-uses", "not_allowed_by": ["uk"]},
        {"code": "debug", "rule": "x-debug", "not_allowed_by": ["uk"]},
    ]
