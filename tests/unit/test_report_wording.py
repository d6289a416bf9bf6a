"""The right-to-know report explains each purpose in the terms of the laws that apply."""

from __future__ import annotations

from privault.core.manifest import Manifest
from privault.services.fulfilment.report import _why


def test_a_gdpr_request_names_the_lawful_basis_and_a_us_only_one_the_purpose(
    manifest: Manifest,
) -> None:
    """Under the GDPR the report gives Art. 6 bases; under US law alone it describes the purpose."""
    billing = next(p for p in manifest.purposes if p.key == "billing")
    assert _why(billing, gdpr=True) == "lawful basis: contract"
    us_only = _why(billing, gdpr=False)
    assert "lawful basis" not in us_only
    assert us_only == (billing.description or billing.name)
