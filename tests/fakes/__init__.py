"""In-memory fakes of the storage ports, for service-level unit tests that run in milliseconds.

``FakeUnitOfWork(db)`` implements ``privault.core.ports.UnitOfWork`` over a ``FakeDatabase`` with
the SQL unit of work's semantics (commit and rollback, tenant binding, ids). The contract tests in
``tests/contract/`` check the real adapters on SQLite and PostgreSQL; these fakes let the rules of
the use cases be tested without them.
"""

from tests.fakes.deps import SentMessages, fake_deps
from tests.fakes.tables import FakeDatabase
from tests.fakes.uow import FakeUnitOfWork

__all__ = ["FakeDatabase", "FakeUnitOfWork", "SentMessages", "fake_deps"]
