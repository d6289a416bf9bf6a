"""Tenant isolation enforced by the session: no ORM query can cross tenants by accident.

Every ORM SELECT, UPDATE or DELETE touching a tenant-owned table gets ``tenant_id = <bound tenant>``
added (``with_loader_criteria``). A SELECT whose FROM names a tenant-owned *table* that no ORM entity
covers (``select(func.count()).select_from(t.Subject)``, Core selects over ``Table`` objects and
their inner joins), and a Core UPDATE or DELETE of a tenant-owned table, get ``<table>.tenant_id =
<bound tenant>`` added. (Tables reached only through subqueries, aliases or the right side of an
outer join are not rewritten: repositories filter those themselves.) A query
on tenant-owned data in an unbound session raises, unless it opts out explicitly with the
``CROSS_TENANT`` execution option (authentication by key prefix does). Inserted rows must carry the
bound tenant.

Hot-path reads (``storage/base.py``'s ``rows_in``) run statements built once on the session's
connection, past this guard: they compare ``tenant_id`` with ``bound_tenant()``, a parameter
``rows_in`` fills from the unit of work's bound tenant (and that nothing else fills).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    Delete,
    Integer,
    Join,
    Result,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    event,
)
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria
from sqlalchemy.sql.expression import FromClause

from privault.errors import PrivaultError
from privault.storage.tables import TENANT_OWNED_TABLES, TenantOwned

_OWNED = frozenset(TENANT_OWNED_TABLES)

TENANT_KEY = "privault_tenant_id"
CROSS_TENANT = "privault_cross_tenant"


class TenantScopeError(PrivaultError):
    """Code tried to touch tenant-owned rows without a tenant bound (a programming error)."""

    code = "storage.tenant_unbound"


def install(target: Session | sessionmaker[Session]) -> None:
    """Attach the tenant guard to a session, or to every session a sessionmaker makes."""
    event.listen(target, "do_orm_execute", _scope_statement)
    event.listen(target, "before_flush", _check_new_rows)


def _touches_tenant_owned(state: ORMExecuteState) -> bool:
    return any(
        isinstance(m.class_, type) and issubclass(m.class_, TenantOwned) for m in state.all_mappers
    )


def _tables(item: FromClause) -> list[Table]:
    """The tables a WHERE clause may filter: the right side of an outer join is left alone (a
    condition on it in WHERE would drop the rows it has no match for; its ON clause ties it to the
    scoped left side)."""
    if isinstance(item, Table):
        return [item]
    if isinstance(item, Join):
        right = [] if item.isouter or item.full else _tables(item.right)
        return [*_tables(item.left), *right]
    return []


def _core_dml_tables(state: ORMExecuteState) -> list[Table]:
    """The tenant-owned table of a Core UPDATE/DELETE (an ORM one gets the loader criteria)."""
    statement = state.statement
    if state.all_mappers or not isinstance(statement, (Update, Delete)):
        return []
    table = statement.table
    return [table] if isinstance(table, Table) and table.name in _OWNED else []


def _uncovered_tables(state: ORMExecuteState) -> list[Table]:
    """Tenant-owned tables in the FROM of a SELECT that has no ORM entity to carry the criteria
    (``select(func.count()).select_from(Entity)``, Core selects over tables)."""
    statement = state.statement
    if not isinstance(statement, Select) or state.all_mappers:
        return []  # an ORM statement: the loader criteria cover its entities, joined ones too
    return [
        table for item in _final_froms(statement) for table in _tables(item) if table.name in _OWNED
    ]


def _final_froms(statement: Select[Any]) -> Sequence[FromClause]:
    """``statement.get_final_froms()`` without compiling the statement to a string first (which it
    does, and which cost a millisecond per hot-path read): the same compile state, built with no
    compiler."""
    try:
        state = statement._compile_state_factory(statement, None)  # type: ignore[arg-type]
        return state._get_display_froms()
    except AttributeError:  # a statement whose compile state needs a compiler (a subquery's)
        return statement.get_final_froms()


_TENANT_PARAM = BOUND_TENANT = "privault_scoped_tenant_id"
# One criteria object for every statement: its bound parameter gets the tenant at execution, so the
# compiled statement is cached once instead of being re-analysed for each tenant and each call.
_CRITERIA = with_loader_criteria(
    TenantOwned,
    lambda cls: cls.tenant_id == bindparam("privault_scoped_tenant_id"),
    include_aliases=True,
    track_closure_variables=False,
)


def bound_tenant() -> BindParameter[int]:
    """The parameter a hot-path statement compares ``tenant_id`` with (``BOUND_TENANT``)."""
    return bindparam(_TENANT_PARAM, type_=Integer)


def _scope_statement(state: ORMExecuteState) -> Result[Any] | None:
    if not (state.is_select or state.is_update or state.is_delete):
        return None
    if state.execution_options.get(CROSS_TENANT):
        return None
    uncovered = _uncovered_tables(state) if state.is_select else _core_dml_tables(state)
    if uncovered:
        return _scope_tables(state, uncovered)
    if not _touches_tenant_owned(state):
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


def _scope_tables(state: ORMExecuteState, tables: list[Table]) -> Result[Any] | None:
    """Add ``<table>.tenant_id = <bound tenant>`` for each table."""
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None:
        raise TenantScopeError("query on tenant-owned data without a bound tenant")
    statement = state.statement
    if isinstance(statement, (Select, Update, Delete)):
        state.statement = statement.where(and_(*(t.c.tenant_id == tenant_id for t in tables)))
    return None


def _check_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    for obj in session.new:
        if isinstance(obj, TenantOwned) and obj.tenant_id != tenant_id:
            raise TenantScopeError("new row's tenant differs from the bound tenant")
