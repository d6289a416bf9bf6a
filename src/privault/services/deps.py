"""What every use case is given: one typed set of dependencies, built once by the container.

The one calling convention of ``services``: a use case's first parameter is ``deps: Deps``; it opens
its own units of work with ``deps.make_uow()`` (one, or several when it calls out of a transaction,
as fulfilment does), binds each to the tenant and commits. Edges build nothing and hold no
transaction: they translate their input, call the use case with ``container.deps``, and translate
the answer. Steps a use case composes inside its transaction take the ``uow`` it opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from privault.core.audit_ports import Witness
from privault.core.clock import Clock
from privault.core.manifest import Manifest
from privault.core.ports import UnitOfWork
from privault.core.rendering import Renderer
from privault.core.staff import StaffPolicy
from privault.crypto.keyring import Keyring
from privault.outbound.messenger import Messenger
from privault.services.datastore_pools import DatastorePools
from privault.services.decisions import Decider


@dataclass(frozen=True, slots=True)
class RequestSettings:
    """The request settings (from ``config.Settings``)."""

    code_minutes: int = 30
    max_attempts: int = 5
    max_sends: int = 5
    unverified_close_days: int = 30
    package_link_days: int = 14
    record_months: int = 24
    target_days_early: int = 5
    public_url: str = "http://127.0.0.1:8000"
    verification_levels: bool = False  # 11 CCR §§7060-7062 (services.requests.levels)
    ccpa_consumers_per_year: int = 0  # 11 CCR §7102(a): the metrics duty starts at 10,000,000


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """How the audit log is sealed and checkpointed (from ``config.Settings``)."""

    seal_delay: timedelta = timedelta(seconds=5)  # events this recent wait (their commits settle)
    checkpoint_every: timedelta = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Deps:
    """What use cases need: each opens its own units of work."""

    make_uow: Callable[[], UnitOfWork]
    manifest: Manifest
    decider: Decider  # the container's: compiled plans and facts caches of this manifest
    keyring: Keyring
    clock: Clock
    messenger: Messenger
    renderer: Renderer  # notices, registers, the access package's report.html
    witness: Witness  # keeps the audit log's latest signed checkpoint outside the database
    settings: RequestSettings = field(default_factory=RequestSettings)
    staff_policy: StaffPolicy = field(default_factory=StaffPolicy)
    # Send queued webhooks right after each commit that queued one (the API and the console, where
    # someone waits for the answer); else they wait for `webhooks deliver` and the worker.
    webhooks_now: bool = False
    # The database takes one writer at a time (SQLite): long background work writes in shorter
    # transactions and pauses between them, so that requests waiting to write get in.
    single_writer: bool = False
    # Open connectors of connected datastores (the container's one set, closed with it).
    pools: DatastorePools = field(default_factory=DatastorePools)
    audit: AuditSettings = field(default_factory=AuditSettings)
    # Read-only units of work for work that may read a little behind the primary (a replica's
    # lag): dashboards, the record of processing, retention status, the request log and metrics.
    make_read_uow: Callable[[], UnitOfWork] | None = None

    def read_uow(self) -> UnitOfWork:
        """A unit of work for read-only work that may lag a little (on the replica if one keeps
        up, else on the primary)."""
        return (self.make_read_uow or self.make_uow)()
