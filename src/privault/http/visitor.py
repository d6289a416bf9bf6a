"""The visitor's proof cookie, for the edges that act for a visitor (the banner's endpoints and the
preference center): read the proven visitor, or mint a new one and set its proof (HttpOnly,
SameSite=Lax; over https also Secure and named ``__Host-pv_proof_<tenant>``, so no other host of the
site can plant one). See ``services/visitor_proof.py``."""

from __future__ import annotations

from fastapi import Request, Response

from privault.bootstrap import Container
from privault.services.visitor_proof import (
    MAX_AGE,
    VisitorProof,
    mint_visitor,
    proof_cookie,
    proven_visitor,
)


def _secure(container: Container) -> bool:
    return container.settings.public_url.startswith("https://")


def _name(container: Container, tenant: str) -> str:
    return ("__Host-" if _secure(container) else "") + proof_cookie(tenant)


def proof_value(request: Request, container: Container, tenant: str) -> str | None:
    """The proof cookie the browser sent for this tenant, if any."""
    return request.cookies.get(_name(container, tenant))


def this_visitor(
    request: Request, container: Container, tenant: str
) -> tuple[str, VisitorProof | None]:
    """(the visitor this browser proves it is, None) or, without a valid proof, (a new visitor,
    its proof to set on the answer)."""
    proven = proven_visitor(container.keyring, tenant, proof_value(request, container, tenant))
    if proven is not None:
        return proven, None
    minted = mint_visitor(container.keyring, tenant)
    return minted.visitor, minted


def set_proof(
    response: Response, container: Container, tenant: str, proof: VisitorProof | None
) -> None:
    """Give the browser the proof of the visitor just minted for it (no-op for ``None``)."""
    if proof is None:
        return
    response.set_cookie(
        _name(container, tenant),
        proof.value,
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(container),
    )
