"""Who the caller is."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from privault.http.deps import PrincipalDep

router = APIRouter(prefix="/v1", tags=["auth"])


class Me(BaseModel):
    """The authenticated principal."""

    tenant: str
    role: str
    kind: str
    key_prefix: str


@router.get("/me", response_model=Me)
def me(principal: PrincipalDep) -> Me:
    """The tenant and role of the API key used."""
    return Me(
        tenant=principal.tenant_key,
        role=principal.role,
        kind=principal.kind,
        key_prefix=principal.reference,
    )
