"""Cross-border checks of a disclosure (GDPR Chapter V): identifiable data leaves the tenant's home
region only with a safeguard recorded in the recipient's contract."""

from __future__ import annotations

import pytest

from privault.core.disclosures import check_transfer
from privault.core.manifest import Manifest
from privault.core.manifest.model import ContractTerms, Recipient, RecipientType
from privault.core.manifest.resolve import tenant_view
from privault.errors import PolicyViolation


def _recipient(countries: list[str], **contract: object) -> Recipient:
    return Recipient(
        key="vendor-x",
        name="Vendor X",
        type=RecipientType.PROCESSOR,
        countries=countries,
        contract=ContractTerms(**contract),  # type: ignore[arg-type]
    )


def test_identifiable_data_to_a_third_country_needs_a_safeguard(manifest: Manifest) -> None:
    """An EU/UK tenant: the US is outside the EEA/UK/adequacy list; without a DPA or reference the
    disclosure is refused, naming the country; with a DPA it goes; aggregates always go."""
    view = tenant_view(manifest, "northwind")
    with pytest.raises(PolicyViolation) as refused:
        check_transfer(view, _recipient(["US"]), "identity")
    assert "US" in refused.value.message
    assert refused.value.code == "disclosure.refused"
    check_transfer(view, _recipient(["US"], dpa=True), "identity")
    check_transfer(view, _recipient(["US"], reference="SCC-2021"), "pseudonymise")
    check_transfer(view, _recipient(["US"]), "aggregate")
    check_transfer(view, _recipient(["DE", "GB", "JP"]), "identity")  # EEA, UK, adequate


def test_an_authority_is_governed_by_its_legal_basis_not_by_transfer_rules(
    manifest: Manifest,
) -> None:
    """Authorities: no transfer check (their own legal basis and document are required instead)."""
    view = tenant_view(manifest, "northwind")
    authority = Recipient(key="court", name="Court", type=RecipientType.AUTHORITY, countries=["US"])
    check_transfer(view, authority, "identity")
