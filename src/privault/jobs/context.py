"""What a job handler receives: the job, the container, and a checkpoint that saves progress in the
same transaction as the work it describes (so a crash loses neither and repeats nothing).
``LeaseLost`` (defined in ``core.job_ports``) is re-exported here for the worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from privault.bootstrap import Container
from privault.core.job_ports import JobRecord, LeaseLost
from privault.errors import PrivaultError
from privault.services.jobs import JobLease
from privault.services.retention import Checkpoint

__all__ = ["JobContext", "LeaseLost"]


@dataclass
class JobContext:
    """A running job."""

    container: Container
    job: JobRecord
    worker: str
    lease: timedelta
    started: dict[str, Any] = field(default_factory=dict)  # the progress it was claimed with
    held: JobLease = field(init=False)

    def __post_init__(self) -> None:
        clock = self.container.clock
        self.held = JobLease(self.job.id, self.worker, self.lease, clock, dict(self.started))

    @property
    def tenant_key(self) -> str:
        """The tenant the job works for (tenant jobs only)."""
        if self.job.tenant_key is None:
            raise PrivaultError(f"job {self.job.id} ({self.job.kind}) has no tenant")
        return self.job.tenant_key

    @property
    def progress(self) -> dict[str, Any]:
        """The progress saved last (at first, the one the job was claimed with)."""
        return self.held.progress

    @property
    def checkpoint(self) -> Checkpoint:
        """Record progress in the caller's unit of work (commit it with the work) and extend the
        lease; raises LeaseLost if the job is no longer this worker's (the caller's work must then
        roll back)."""
        return self.held.save
