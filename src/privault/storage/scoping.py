"""Tenant isolation enforced by the session: no ORM query can cross tenants by accident.

Every ORM SELECT, UPDATE or DELETE touching a tenant-owned table gets ``tenant_id = <bound tenant>``
added (``with_loader_criteria``). A query on tenant-owned data in an unbound session raises, unless it
opts out explicitly with the ``CROSS_TENANT`` execution option (authentication by key prefix does).
Inserted rows must carry the bound tenant.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Result, bindparam, event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from privault.errors import PrivaultError
from privault.storage.tables import TenantOwned

TENANT_KEY = "privault_tenant_id"
CROSS_TENANT = "privault_cross_tenant"


class TenantScopeError(PrivaultError):
    """Code tried to touch tenant-owned rows without a tenant bound (a programming error)."""

    code = "storage.tenant_unbound"


def install(session: Session) -> None:
    """Attach the tenant guard to a session."""
    event.listen(session, "do_orm_execute", _scope_statement)
    event.listen(session, "before_flush", _check_new_rows)


def _touches_tenant_owned(state: ORMExecuteState) -> bool:
    return any(
        isinstance(m.class_, type) and issubclass(m.class_, TenantOwned) for m in state.all_mappers
    )


_TENANT_PARAM = "privault_scoped_tenant_id"
# One criteria object for every statement: its bound parameter gets the tenant at execution, so the
# compiled statement is cached once instead of being re-analysed for each tenant and each call.
_CRITERIA = with_loader_criteria(
    TenantOwned,
    lambda cls: cls.tenant_id == bindparam("privault_scoped_tenant_id"),
    include_aliases=True,
    track_closure_variables=False,
)


def _scope_statement(state: ORMExecuteState) -> Result[Any] | None:
    if not (state.is_select or state.is_update or state.is_delete):
        return None
    if state.execution_options.get(CROSS_TENANT) or not _touches_tenant_owned(state):
        return None
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise TenantScopeError("query on tenant-owned data without a bound tenant")
    if state.parameters is None:
        state.parameters = {}
    if not isinstance(
        state.parameters, dict
    ):  # executemany-style parameters: scope by value instead
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantOwned, TenantOwned.tenant_id == tenant_id, include_aliases=True
            )
        )
        return None
    return state.invoke_statement(
        statement=state.statement.options(_CRITERIA), params={_TENANT_PARAM: tenant_id}
    )


def _check_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    for obj in session.new:
        if isinstance(obj, TenantOwned) and obj.tenant_id != tenant_id:
            raise TenantScopeError("new row's tenant differs from the bound tenant")
