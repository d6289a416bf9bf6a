"""Acting as a visitor's own browser in end-to-end tests: hold the visitor's proof cookie."""

from __future__ import annotations

from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.services.visitor_proof import proof_cookie, proof_of


def prove(client: TestClient, container: Container, visitor: str, *tenants: str) -> None:
    """Give ``client`` the proof of ``visitor`` for each tenant (as privault gives it to the
    browser it minted the visitor for)."""
    for tenant in tenants:
        client.cookies.set(proof_cookie(tenant), proof_of(container.keyring, tenant, visitor).value)
