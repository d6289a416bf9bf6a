"""The port of the datastores: the company's databases privault fulfils requests in, and the manual
systems whose owners get tasks. Storage implements it; the rows it takes are typed here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from privault.core.records import DatastoreKind, DatastoreRecord


@dataclass(frozen=True, slots=True)
class SealedUrl:
    """A connected datastore's URL as kept: its connector kind, the URL sealed, a masked copy."""

    kind: DatastoreKind
    kek_version: int
    wrapped_key: bytes
    sealed_url: bytes
    masked_url: str


@dataclass(frozen=True, slots=True)
class NewDatastore:
    """A datastore to store: connected (``url`` and ``dataset``) or a manual system (neither)."""

    key: str
    description: str
    owner: str | None
    dataset: str | None
    url: SealedUrl | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConnectionChange:
    """A connected datastore's new URL and/or dataset (None: kept); its last test no longer applies."""

    at: datetime
    url: SealedUrl | None = None
    dataset: str | None = None


class DatastoreRepository(Protocol):
    """Datastores of the bound tenant."""

    def add(self, new: NewDatastore) -> None:
        """Store a datastore (a manual one has the kind ``manual``)."""
        ...

    def get(self, key: str) -> DatastoreRecord | None:
        """The datastore with this key."""
        ...

    def stores(self) -> list[DatastoreRecord]:
        """Every datastore."""
        ...

    def update(self, key: str, change: ConnectionChange) -> None:
        """Change a datastore's connection and forget its last test."""
        ...

    def record_test(self, key: str, at: datetime, ok: bool) -> None:
        """Remember the outcome of a test."""
        ...

    def delete(self, key: str) -> bool:
        """Remove a datastore."""
        ...
