"""What every fake repository shares: the unit of work it reads its rows and bound tenant from."""

from __future__ import annotations

from typing import NoReturn, Protocol

from tests.fakes.tables import Tables


class Transaction(Protocol):
    """The side of ``FakeUnitOfWork`` that repositories see."""

    @property
    def rows(self) -> Tables:
        """The transaction's working copy of the tables."""
        ...

    def bound(self) -> int:
        """The bound tenant (``TenantScopeError`` if none)."""
        ...


class FakeRepository:
    """A repository over one fake transaction."""

    def __init__(self, uow: Transaction) -> None:
        self._uow = uow

    @property
    def rows(self) -> Tables:
        """The working copy of the tables."""
        return self._uow.rows

    @property
    def tenant_id(self) -> int:
        """The bound tenant; raises like the SQL repositories when there is none."""
        return self._uow.bound()

    def _not_faked(self, method: str) -> NoReturn:
        raise NotImplementedError(
            f"{type(self).__name__}.{method} is not faked: add it in tests/fakes/ "
            "(or test this use case against a real database in tests/contract/)"
        )
