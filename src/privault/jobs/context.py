"""What a job handler receives: the job, the container, and a checkpoint that saves progress in the
same transaction as the work it describes (so a crash loses neither and repeats nothing).
``LeaseLost`` (defined in ``core.job_ports``) is re-exported here for the worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from privault.bootstrap import Container
from privault.core.job_ports import JobRecord, LeaseLost
from privault.core.ports import UnitOfWork
from privault.errors import PrivaultError

__all__ = ["JobContext", "LeaseLost"]


@dataclass
class JobContext:
    """A running job."""

    container: Container
    job: JobRecord
    worker: str
    lease: timedelta
    progress: dict[str, Any] = field(default_factory=dict)

    @property
    def tenant_key(self) -> str:
        """The tenant the job works for (tenant jobs only)."""
        if self.job.tenant_key is None:
            raise PrivaultError(f"job {self.job.id} ({self.job.kind}) has no tenant")
        return self.job.tenant_key

    def checkpoint(self, uow: UnitOfWork, progress: dict[str, Any]) -> None:
        """Record progress in ``uow`` (commit it with the work) and extend the lease; raises
        LeaseLost if the job is no longer this worker's (the caller's work must then roll back)."""
        lease_until = self.container.clock.now() + self.lease
        if not uow.jobs.checkpoint(self.job.id, self.worker, progress, lease_until):
            raise LeaseLost(f"job {self.job.id} was taken over by another worker")
        self.progress = progress
