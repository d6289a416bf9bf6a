"""Request dependencies shared by the API and the web: the container, a unit of work, the
authenticated API key (principal) and an admin principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.ports import UnitOfWork
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


def get_uow(container: ContainerDep) -> Iterator[UnitOfWork]:
    """A unit of work for this request, closed (and rolled back if not committed) afterwards."""
    with container.uow() as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def get_principal(
    container: ContainerDep,
    uow: UowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Authenticate the API key; the request's unit of work is bound to its tenant."""
    if credentials is None:
        raise Unauthenticated("an API key is required: 'Authorization: Bearer pv_...'")
    return authenticate(uow, credentials.credentials, container.clock)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_admin(container: ContainerDep, principal: PrincipalDep) -> Principal:
    """The principal, if its role is an admin role (the privacy office); else 403."""
    role = container.decider.view(principal.tenant_key).role(principal.role)
    if role is None or not role.admin:
        raise Forbidden(f"role '{principal.role}' is not an admin role", code="access.denied")
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]
