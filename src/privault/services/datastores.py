"""Datastores: the company's own databases privault fulfils requests in, and systems handled by hand.

A connected datastore is a SQLAlchemy URL (sealed with the tenant's keys; only a masked form is ever
shown) plus a Fides-compatible dataset describing its collections. A manual system has an owner who
gets a task for every verified request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from privault.connectors.dataset import dataset_invalid, load_dataset
from privault.connectors.dataset_checks import unknown_categories
from privault.connectors.model import DatasetSpec
from privault.connectors.results import DatastoreCheck
from privault.connectors.sql import SqlDatastore
from privault.core.datastore_ports import ConnectionChange, NewDatastore, SealedUrl
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import known_categories, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records import DatastoreKind, DatastoreRecord
from privault.core.taxonomy import fides_categories
from privault.crypto.keyring import Keyring
from privault.crypto.sealed import Sealed, open_record, seal_record
from privault.errors import Conflict, InvalidInput, NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

_KEY = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,119}$")
_DRIVERS = {
    "postgresql": ("postgresql", "postgresql+psycopg"),
    "postgresql+psycopg": ("postgresql", "postgresql+psycopg"),
    "mysql": ("mysql", "mysql+pymysql"),
    "mysql+pymysql": ("mysql", "mysql+pymysql"),
    "mariadb": ("mysql", "mysql+pymysql"),
    "mariadb+pymysql": ("mysql", "mysql+pymysql"),
    "sqlite": ("sqlite", "sqlite"),
}


@dataclass(frozen=True, slots=True)
class DatastoreInfo:
    """A datastore as shown to staff (never its credentials)."""

    key: str
    kind: str
    description: str
    owner: str | None
    url: str | None
    collections: int
    last_tested_at: datetime | None
    last_test_ok: bool | None


@dataclass(frozen=True, slots=True)
class DatastoreChange:
    """A datastore after ``update_datastore``, and which parts changed (``url``, ``dataset``)."""

    info: DatastoreInfo
    changed: tuple[str, ...]


@lru_cache(maxsize=64)
def parsed_dataset(text: str) -> DatasetSpec:
    """A dataset parsed once per process (the spec is immutable)."""
    return load_dataset(text)


def _url(raw: str) -> tuple[str, str]:
    """(kind, URL with privault's driver) of a database URL, or InvalidInput."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise InvalidInput("not a database URL", code="datastore.invalid") from None
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise InvalidInput(
            "a datastore is PostgreSQL, MySQL/MariaDB or SQLite "
            "(postgresql://, mysql://, sqlite:///)",
            code="datastore.invalid",
        )
    kind, name = driver
    return kind, url.set(drivername=name).render_as_string(hide_password=False)


def _checked_dataset(text: str, manifest: Manifest | None) -> DatasetSpec:
    """The parsed dataset, its categories all known to the taxonomy (fideslang's, and the
    manifest's own when given), or InvalidInput(code="dataset.invalid")."""
    spec = parsed_dataset(text)
    known = known_categories(manifest) if manifest is not None else fides_categories()
    problems = unknown_categories(spec, known)
    if problems:
        raise dataset_invalid(problems)
    return spec


def _sealed_url(
    keyring: Keyring,
    tenant_key: str,
    tenant_id: int,
    key: str,
    url: str,
    privault_url: str | None,
) -> SealedUrl:
    """A datastore URL as kept: its kind, the URL sealed, and a masked copy."""
    kind, full = _url(url)
    if privault_url is not None and _same_database(full, privault_url):
        raise InvalidInput(
            "a datastore cannot be privault's own database", code="datastore.invalid"
        )
    sealed = seal_record(keyring, tenant_key, tenant_id, "datastore", key, full.encode())
    masked = make_url(full).render_as_string(hide_password=True)
    return SealedUrl(
        DatastoreKind(kind), sealed.kek_version, sealed.wrapped_key, sealed.ciphertext, masked
    )


def _same_database(a: str, b: str) -> bool:
    """Whether two URLs reach the same database (for PostgreSQL: and the same search_path)."""
    first, second = make_url(a), make_url(b)
    if first.get_backend_name() != second.get_backend_name():
        return False
    if first.get_backend_name() == "sqlite":
        return Path(first.database or "").resolve() == Path(second.database or "").resolve()
    place = (first.host, first.port, first.database, dict(first.query))
    return place == (second.host, second.port, second.database, dict(second.query))


def add_datastore(
    deps: Deps,
    tenant_key: str,
    actor: str,
    key: str,
    *,
    url: str | None = None,
    dataset: str | None = None,
    description: str = "",
    owner: str | None = None,
    privault_url: str | None = None,
) -> DatastoreInfo:
    """Add a connected datastore (``url`` and ``dataset`` YAML) or a manual system (neither).

    ``privault_url`` is privault's own database: a datastore may never point at it (a dataset over
    privault's tables would let an erasure delete them). The dataset's categories must be known to
    the taxonomy: fideslang's, plus the manifest's own.
    """
    if not _KEY.match(key):
        raise InvalidInput(
            "a datastore key is lower-case letters, digits, '_', '.' or '-'",
            code="datastore.invalid",
        )
    if (url is None) != (dataset is None):
        raise InvalidInput(
            "a connected datastore needs both its URL and its dataset; a manual system neither",
            code="datastore.invalid",
        )
    if url is None and not owner:
        raise InvalidInput(
            "a manual system needs an owner who gets its tasks", code="datastore.invalid"
        )
    spec = _checked_dataset(dataset, deps.manifest) if dataset is not None else None
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        if uow.datastores.get(key) is not None:
            raise Conflict(f"datastore '{key}' exists", code="datastore.exists")
        at = deps.clock.now()
        sealed = None
        if url is not None:
            sealed = _sealed_url(deps.keyring, tenant_key, tenant.id, key, url, privault_url)
        uow.datastores.add(NewDatastore(key, description, owner, dataset, sealed, at))
        kind = "manual" if sealed is None else sealed.kind
        details = {"key": key, "kind": kind, "added": True}
        record(uow, [Entry(actor, "datastore:change", None, None, "ok", details)], at)
        uow.commit()
    return DatastoreInfo(
        key,
        kind,
        description,
        owner,
        None if sealed is None else sealed.masked_url,
        len(spec.collections) if spec else 0,
        None,
        None,
    )


def update_datastore(
    deps: Deps,
    tenant_key: str,
    actor: str,
    key: str,
    *,
    url: str | None = None,
    dataset: str | None = None,
    privault_url: str | None = None,
) -> DatastoreChange:
    """Change a connected datastore's URL and/or dataset in place, checked as when added.

    Audited (``datastore:change`` naming the parts that changed, never the URL); the last test no
    longer applies, and the open connector is dropped.
    """
    if url is None and dataset is None:
        raise InvalidInput("give the new URL, the new dataset or both", code="datastore.invalid")
    spec = _checked_dataset(dataset, deps.manifest) if dataset is not None else None
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        store = _connectable(uow, key, "it has no URL or dataset")
        sealed = None
        if url is not None and _url(url)[1] != _opened_url(uow, deps.keyring, tenant_key, store):
            sealed = _sealed_url(deps.keyring, tenant_key, tenant.id, key, url, privault_url)
        new_dataset = dataset if dataset is not None and dataset != store.dataset else None
        changed = [p for p, part in (("url", sealed), ("dataset", new_dataset)) if part is not None]
        if changed:
            change = ConnectionChange(deps.clock.now(), sealed, new_dataset)
            _record_update(uow, actor, key, change, changed)
            deps.pools.forget(tenant_key, key)
    kept = not changed
    info = DatastoreInfo(
        key,
        store.kind if sealed is None else sealed.kind,
        store.description,
        store.owner,
        str(store.masked_url if sealed is None else sealed.masked_url),
        len((spec or parsed_dataset(store.dataset or "")).collections),
        store.last_tested_at if kept else None,
        store.last_test_ok if kept else None,
    )
    return DatastoreChange(info, tuple(changed))


def _record_update(
    uow: UnitOfWork, actor: str, key: str, change: ConnectionChange, changed: list[str]
) -> None:
    """Store the change, forget the last test, audit which parts changed (never the URL)."""
    uow.datastores.update(key, change)
    details = {"key": key, "changed": changed}
    record(uow, [Entry(actor, "datastore:change", None, None, "ok", details)], change.at)
    uow.commit()


def list_datastores(deps: Deps, tenant_key: str) -> list[DatastoreInfo]:
    """Every datastore of the tenant."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        stores = uow.datastores.stores()
    return [
        DatastoreInfo(
            s.key,
            s.kind,
            s.description,
            s.owner,
            s.masked_url,
            len(parsed_dataset(s.dataset).collections) if s.dataset else 0,
            s.last_tested_at,
            s.last_test_ok,
        )
        for s in stores
    ]


def remove_datastore(deps: Deps, tenant_key: str, actor: str, key: str) -> None:
    """Forget a datastore (its sealed credentials go with it)."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        if not uow.datastores.delete(key):
            raise NotFound(f"no datastore '{key}'", code="datastore.unknown")
        deps.pools.forget(tenant_key, key)
        details = {"key": key, "removed": True}
        record(uow, [Entry(actor, "datastore:change", None, None, "ok", details)], deps.clock.now())
        uow.commit()


def _connectable(uow: UnitOfWork, key: str, missing: str) -> DatastoreRecord:
    """The bound tenant's datastore ``key``: NotFound if none, InvalidInput if a manual system."""
    store = uow.datastores.get(key)
    if store is None:
        raise NotFound(f"no datastore '{key}'", code="datastore.unknown")
    if store.kind == "manual":
        raise InvalidInput(f"'{key}' is a manual system: {missing}", code="datastore.invalid")
    return store


def _connect(deps: Deps, uow: UnitOfWork, tenant_key: str, key: str) -> SqlDatastore:
    """The connector of one connected datastore of the bound tenant (kept open in ``deps.pools``
    for reuse: do not close it)."""
    store = _connectable(uow, key, "it has no connection")
    if store.dataset is None or store.sealed_url is None:
        raise InvalidInput(
            f"'{key}' is a manual system: it has no connection", code="datastore.invalid"
        )
    url = _opened_url(uow, deps.keyring, tenant_key, store)
    return deps.pools.connector(tenant_key, key, url, store.dataset, parsed_dataset(store.dataset))


def _opened_url(uow: UnitOfWork, keyring: Keyring, tenant_key: str, store: DatastoreRecord) -> str:
    """A connected datastore's URL, unsealed (with its password: never shown)."""
    tenant_id = uow.tenant_id
    if (
        store.kek_version is None
        or store.wrapped_key is None
        or store.sealed_url is None
        or tenant_id is None
    ):
        raise InvalidInput(
            f"datastore '{store.key}' has no sealed connection", code="datastore.invalid"
        )
    sealed = Sealed(store.kek_version, store.wrapped_key, store.sealed_url)
    return open_record(keyring, tenant_key, tenant_id, "datastore", store.key, sealed).decode()


def connected(deps: Deps, uow: UnitOfWork, tenant_key: str) -> list[tuple[str, SqlDatastore]]:
    """Connectors for every connected datastore of the tenant, by key (a step: binds ``uow``)."""
    bind_tenant(uow, tenant_key)
    return [
        (s.key, _connect(deps, uow, tenant_key, s.key))
        for s in uow.datastores.stores()
        if s.kind != "manual"
    ]


def check_datastore(deps: Deps, tenant_key: str, key: str) -> DatastoreCheck:
    """Connect, compare the dataset with the database and its data, remember the outcome.

    Stored phones without a country code are read in the tenant's phone region (the manifest's).
    """
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        region = tenant_view(deps.manifest, tenant_key).phone_region
        check = _connect(deps, uow, tenant_key, key).test(phone_region=region)
        uow.datastores.record_test(key, deps.clock.now(), check.ok)
        uow.commit()
    return check
