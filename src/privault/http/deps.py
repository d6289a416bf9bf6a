"""Request dependencies shared by the API and the web: the container, the authenticated API key
(principal) and an admin principal. No edge holds a unit of work: the use cases open their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.errors import Forbidden, Unauthenticated
from privault.services.api_keys import authenticate

_bearer = HTTPBearer(
    auto_error=False, description="A tenant API key: `Authorization: Bearer pv_...`"
)


def get_container(request: Request) -> Container:
    """The process's container."""
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_principal(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Authenticate the API key (in a unit of work of its own)."""
    if credentials is None:
        raise Unauthenticated("an API key is required: 'Authorization: Bearer pv_...'")
    return authenticate(container.deps, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_admin(container: ContainerDep, principal: PrincipalDep) -> Principal:
    """The principal, if its role is an admin role (the privacy office); else 403."""
    role = container.decider.view(principal.tenant_key).role(principal.role)
    if role is None or not role.admin:
        raise Forbidden(f"role '{principal.role}' is not an admin role", code="access.denied")
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]
