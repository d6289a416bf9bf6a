"""The open connectors of connected datastores: one engine (and its small pool) per datastore,
reused across requests, owned by the container (``Deps.pools``) and closed with it."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from privault.connectors.model import DatasetSpec
from privault.connectors.sql import SqlDatastore

OPEN_LIMIT = 8  # connected datastores kept open per container (each holds a small pool)


class DatastorePools:
    """Connectors kept open by (tenant, datastore, URL and dataset), the least recently used
    closed beyond ``limit``; thread-safe."""

    def __init__(self, limit: int = OPEN_LIMIT) -> None:
        self._limit = limit
        self._open: OrderedDict[tuple[str, str, str], SqlDatastore] = OrderedDict()
        self._lock = threading.Lock()

    def connector(
        self, tenant_key: str, key: str, url: str, dataset: str, spec: DatasetSpec
    ) -> SqlDatastore:
        """The open connector of this datastore at this URL and dataset (opened if need be; one
        opened for an older URL or dataset is closed)."""
        digest = hashlib.sha256(f"{url}\x00{dataset}".encode()).hexdigest()
        wanted = (tenant_key, key, digest)
        with self._lock:
            store = self._open.get(wanted)
            if store is not None:
                self._open.move_to_end(wanted)
                return store
        self.forget(tenant_key, key)  # the URL or dataset changed
        store = SqlDatastore(url, spec)
        with self._lock:
            raced = self._open.get(wanted)
            if raced is not None:  # another thread opened it meanwhile: keep one
                store.close()
                return raced
            self._open[wanted] = store
            while len(self._open) > self._limit:
                self._open.popitem(last=False)[1].close()
        return store

    def forget(self, tenant_key: str, key: str) -> None:
        """Close the datastore's open connectors (it changed or was removed)."""
        with self._lock:
            for cached in [k for k in self._open if k[:2] == (tenant_key, key)]:
                self._open.pop(cached).close()

    def close(self) -> None:
        """Close every open connector."""
        with self._lock:
            while self._open:
                self._open.popitem(last=False)[1].close()
