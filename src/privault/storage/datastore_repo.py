"""SQL implementation of the datastores port: the bound tenant's connected datastores and manual
systems (a URL kept only sealed, and masked for display)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from privault.core.datastore_ports import ConnectionChange, NewDatastore, SealedUrl
from privault.core.records import DatastoreKind, DatastoreRecord
from privault.storage import tables as t
from privault.storage.base import BoundRepository, record_of


def _datastore(row: t.Datastore) -> DatastoreRecord:
    return record_of(DatastoreRecord, row, kind=DatastoreKind(row.kind))


def _url_columns(url: SealedUrl) -> dict[str, object]:
    return {
        "kind": url.kind.value,
        "kek_version": url.kek_version,
        "wrapped_key": url.wrapped_key,
        "sealed_url": url.sealed_url,
        "masked_url": url.masked_url,
    }


class SqlDatastores(BoundRepository):
    """The bound tenant's connected datastores and manual systems."""

    def add(self, new: NewDatastore) -> None:
        """Store a datastore (kind ``manual`` when it has no URL)."""
        row = t.Datastore(
            tenant_id=self.tenant_id,
            key=new.key,
            description=new.description,
            owner=new.owner,
            dataset=new.dataset,
            created_at=new.created_at,
            updated_at=new.created_at,
            **(
                _url_columns(new.url)
                if new.url is not None
                else {"kind": DatastoreKind.MANUAL.value}
            ),
        )
        self.session.add(row)
        self.session.flush()

    def get(self, key: str) -> DatastoreRecord | None:
        """The datastore with this key."""
        row = self.session.scalar(select(t.Datastore).where(t.Datastore.key == key))
        return _datastore(row) if row else None

    def stores(self) -> list[DatastoreRecord]:
        """Every datastore, by key."""
        stmt = select(t.Datastore).order_by(t.Datastore.key)
        return [_datastore(r) for r in self.session.scalars(stmt)]

    def update(self, key: str, change: ConnectionChange) -> None:
        """Change a datastore's URL and/or dataset; its last test no longer applies."""
        values: dict[str, object] = {
            "updated_at": change.at,
            "last_tested_at": None,
            "last_test_ok": None,
        }
        if change.url is not None:
            values |= _url_columns(change.url)
        if change.dataset is not None:
            values["dataset"] = change.dataset
        self._set(key, values)

    def record_test(self, key: str, at: datetime, ok: bool) -> None:
        """Remember the outcome of a test."""
        self._set(key, {"last_tested_at": at, "last_test_ok": ok})

    def _set(self, key: str, values: dict[str, object]) -> None:
        self.session.execute(update(t.Datastore).where(t.Datastore.key == key).values(values))

    def delete(self, key: str) -> bool:
        """Remove a datastore."""
        return bool(self.session.query(t.Datastore).filter(t.Datastore.key == key).delete())
