"""The composition root: builds the engine, the unit-of-work factory and the clock from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from privault.config import Settings
from privault.core.clock import Clock, SystemClock
from privault.core.manifest import Manifest
from privault.crypto.keyring import Keyring, make_keyring
from privault.services.decisions import Decider, decider_for
from privault.services.manifest import read_manifest
from privault.services.vault import Vault
from privault.storage.engine import make_engine
from privault.storage.uow import UnitOfWorkFactory


@dataclass
class Container:
    """Everything a use case needs, built once per process."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        """The database engine."""
        return make_engine(self.settings.sqlalchemy_url, pool_size=self.settings.db_pool_size)

    @cached_property
    def uow(self) -> UnitOfWorkFactory:
        """Makes a unit of work per use case."""
        return UnitOfWorkFactory(self.engine)

    @cached_property
    def keyring(self) -> Keyring:
        """The keyring named in the settings."""
        return make_keyring(self.settings.keyring, self.settings.keyring_path)

    @cached_property
    def vault(self) -> Vault:
        """What the vault's use cases need."""
        return Vault(self.manifest, self.keyring, self.clock)

    @property
    def decider(self) -> Decider:
        """Compiled decision plans for the current manifest."""
        return decider_for(self.manifest)

    @cached_property
    def manifest(self) -> Manifest:
        """The validated manifest (read on first use)."""
        return read_manifest(self.settings.manifest_path)

    def reload_manifest(self) -> Manifest:
        """Read the manifest again (after it changed on disk)."""
        self.__dict__.pop("manifest", None)
        self.__dict__.pop("vault", None)
        return self.manifest

    def close(self) -> None:
        """Release database connections."""
        if "engine" in self.__dict__:
            self.engine.dispose()
