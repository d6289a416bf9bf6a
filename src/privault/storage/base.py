"""What every tenant-scoped repository shares: its session and the tenant its unit of work is bound to."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session


class BoundRepository:
    """A repository over one session; ``tenant_id`` is read from the unit of work when needed."""

    def __init__(self, session: Session, tenant_id: Callable[[], int]) -> None:
        self.session = session
        self._tenant_id = tenant_id

    @property
    def tenant_id(self) -> int:
        """The bound tenant (bulk statements write it on every new row themselves)."""
        return self._tenant_id()
