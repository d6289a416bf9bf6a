"""``Deps`` over the in-memory unit of work: what service-level unit tests give a use case."""

from __future__ import annotations

from pathlib import Path

from privault.core.clock import Clock
from privault.core.manifest import Manifest
from privault.crypto.keyring import Keyring, LocalKeyring
from privault.outbound.messenger import Message
from privault.rendering import TemplateRenderer
from privault.services.decisions import Decider
from privault.services.deps import Deps
from tests.fakes.tables import FakeDatabase
from tests.fakes.uow import FakeUnitOfWork
from tests.fakes.witness import MemoryWitness


class SentMessages:
    """A messenger that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)


def fake_deps(
    db: FakeDatabase,
    manifest: Manifest,
    clock: Clock,
    keys: Path | Keyring,
    messenger: SentMessages | None = None,
) -> Deps:
    """Use-case dependencies whose units of work are ``FakeUnitOfWork``s over ``db``."""
    keyring = LocalKeyring(keys) if isinstance(keys, Path) else keys
    return Deps(
        make_uow=lambda: FakeUnitOfWork(db, keyring),
        manifest=manifest,
        decider=Decider(manifest),
        keyring=keyring,
        clock=clock,
        messenger=messenger or SentMessages(),
        renderer=TemplateRenderer(),
        witness=MemoryWitness(),
    )
