"""The composition root: builds the engine, the unit-of-work factory and the clock from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from privault.config import Settings
from privault.core.clock import Clock, SystemClock
from privault.core.database_ports import Database
from privault.core.manifest import Manifest
from privault.core.rendering import Renderer
from privault.core.staff import StaffPolicy
from privault.crypto.keyring import Keyring, make_keyring
from privault.crypto.witness import FileWitness
from privault.errors import ConfigurationError
from privault.outbound.messenger import Messenger, make_messenger
from privault.rendering import TemplateRenderer
from privault.services.datastore_pools import DatastorePools
from privault.services.decisions import Decider
from privault.services.deps import AuditSettings, Deps, RequestSettings
from privault.services.manifest import read_manifest
from privault.storage.database import SqlDatabase
from privault.storage.engine import make_engine
from privault.storage.replica import ReplicaReads, replica_lag
from privault.storage.uow import UnitOfWorkFactory


@dataclass
class Container:
    """Everything a use case needs, built once per process."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    # Request use cases send queued webhooks right after their commit (set by the web app: someone
    # waits for the answer); the CLI and the worker leave them to `webhooks deliver` and its job.
    webhooks_now: bool = False

    @cached_property
    def engine(self) -> Engine:
        """The database engine."""
        return make_engine(
            self.settings.sqlalchemy_url,
            pool_size=self.settings.db_pool_size,
            pre_ping=self.settings.db_pre_ping,
            prepare=self.settings.db_prepared_statements,
        )

    @cached_property
    def database(self) -> Database:
        """privault's own database as the operations see it: health and schema revisions."""
        return SqlDatabase(self.engine)

    @cached_property
    def uow(self) -> UnitOfWorkFactory:
        """Makes a unit of work per use case."""
        return UnitOfWorkFactory(self.engine, self.keyring.audit_key)

    @cached_property
    def read_engine(self) -> Engine | None:
        """The read replica's engine, if one is set."""
        url = self.settings.read_sqlalchemy_url
        if url is None:
            return None
        if make_url(url).get_backend_name() != "postgresql":
            raise ConfigurationError(
                "PRIVAULT_READ_DATABASE_URL must name a PostgreSQL read replica",
                code="config.invalid",
            )
        s = self.settings
        return make_engine(
            url, pool_size=s.db_pool_size, pre_ping=s.db_pre_ping, prepare=s.db_prepared_statements
        )

    @cached_property
    def read_uow(self) -> UnitOfWorkFactory | ReplicaReads:
        """Makes read-only units of work for work that may read a little behind: on the replica
        while it keeps up, else on the primary."""
        primary = UnitOfWorkFactory(self.engine, read_only=True)
        replica = self.read_engine
        if replica is None:
            return primary
        return ReplicaReads(
            UnitOfWorkFactory(replica, read_only=True),
            primary,
            self.settings.read_max_lag_seconds,
            lambda: replica_lag(replica),
        )

    @cached_property
    def keyring(self) -> Keyring:
        """The keyring named in the settings."""
        s = self.settings
        return make_keyring(s.keyring, s.keyring_path, s.keyring_permissions)

    @cached_property
    def messenger(self) -> Messenger:
        """Sends one-time codes and notices (the outbox file by default)."""
        s = self.settings
        return make_messenger(
            s.messenger,
            folder=s.outbox_path,
            echo=False,
            smtp_host=s.smtp_host,
            smtp_port=s.smtp_port,
            smtp_username=s.smtp_username,
            smtp_password=s.smtp_password,
            smtp_sender=s.smtp_sender,
            smtp_starttls=s.smtp_starttls,
        )

    @cached_property
    def renderer(self) -> Renderer:
        """Draws every notice, register, report and page (the one Jinja2 environment)."""
        return TemplateRenderer()

    @cached_property
    def witness(self) -> FileWitness:
        """Keeps each tenant's latest audit checkpoint outside the database."""
        return FileWitness(self.settings.audit_witness_path)

    @cached_property
    def pools(self) -> DatastorePools:
        """The open connectors of connected datastores (shared by every ``deps``)."""
        return DatastorePools()

    @property
    def deps(self) -> Deps:
        """What every use case is given (``services.deps``)."""
        s = self.settings
        return Deps(
            make_uow=self.uow,
            make_read_uow=self.read_uow,
            manifest=self.manifest,
            decider=self.decider,
            keyring=self.keyring,
            clock=self.clock,
            messenger=self.messenger,
            renderer=self.renderer,
            witness=self.witness,
            audit=AuditSettings(
                seal_delay=timedelta(seconds=s.audit_seal_delay_seconds),
                checkpoint_every=timedelta(seconds=s.audit_checkpoint_seconds),
            ),
            webhooks_now=self.webhooks_now,
            single_writer=self.engine.dialect.name == "sqlite",
            pools=self.pools,
            settings=RequestSettings(
                code_minutes=s.verification_code_minutes,
                max_attempts=s.verification_max_attempts,
                max_sends=s.verification_max_sends,
                unverified_close_days=s.unverified_close_days,
                package_link_days=s.package_link_days,
                record_months=s.request_record_months,
                target_days_early=s.target_days_early,
                public_url=s.public_url,
                verification_levels=s.ccpa_verification_levels,
                ccpa_consumers_per_year=s.ccpa_consumers_per_year,
            ),
            staff_policy=StaffPolicy(
                lockout_attempts=s.admin_lockout_attempts,
                lockout_minutes=s.admin_lockout_minutes,
                idle_minutes=s.admin_session_idle_minutes,
                session_hours=s.admin_session_hours,
            ),
        )

    @cached_property
    def decider(self) -> Decider:
        """Compiled decision plans and facts caches for the current manifest (one per container)."""
        return Decider(self.manifest)

    @cached_property
    def manifest(self) -> Manifest:
        """The validated manifest (read on first use)."""
        return read_manifest(self.settings.manifest_path)

    def reload_manifest(self) -> Manifest:
        """Read the manifest again (after it changed on disk)."""
        self.__dict__.pop("manifest", None)
        self.__dict__.pop("decider", None)
        return self.manifest

    def close(self) -> None:
        """Release database connections (privault's own and the open datastores')."""
        if "pools" in self.__dict__:
            self.pools.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
        if self.__dict__.get("read_engine") is not None:
            self.__dict__["read_engine"].dispose()
