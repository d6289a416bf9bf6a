"""Datastores over HTTP (admin roles): add, change, list and test the company's own databases."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel

from privault.http.deps import AdminDep, ContainerDep
from privault.services.datastores import (
    DatastoreInfo,
    add_datastore,
    check_datastore,
    list_datastores,
    update_datastore,
)

router = APIRouter(tags=["datastores"])


class DatastoreIn(BaseModel):
    """A connected datastore (url + dataset YAML) or a manual system (owner)."""

    key: str
    url: str | None = None
    dataset: str | None = None
    description: str = ""
    owner: str | None = None


class DatastoreChangeIn(BaseModel):
    """A connected datastore's new URL, new dataset YAML, or both."""

    url: str | None = None
    dataset: str | None = None


def _shown(info: DatastoreInfo) -> dict[str, Any]:
    return {"key": info.key, "kind": info.kind, "url": info.url, "collections": info.collections}


@router.post("/v1/datastores", status_code=status.HTTP_201_CREATED)
def create_datastore(body: DatastoreIn, admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """Add a datastore; its URL is sealed and only shown masked."""
    info = add_datastore(
        container.deps,
        admin.tenant_key,
        admin.actor,
        body.key,
        url=body.url,
        dataset=body.dataset,
        description=body.description,
        owner=body.owner,
        privault_url=container.settings.sqlalchemy_url,
    )
    return _shown(info)


@router.patch("/v1/datastores/{key}")
def change_datastore(
    key: str, body: DatastoreChangeIn, admin: AdminDep, container: ContainerDep
) -> dict[str, Any]:
    """Change a connected datastore's URL and/or dataset in place (checked as when added)."""
    change = update_datastore(
        container.deps,
        admin.tenant_key,
        admin.actor,
        key,
        url=body.url,
        dataset=body.dataset,
        privault_url=container.settings.sqlalchemy_url,
    )
    return _shown(change.info) | {"changed": list(change.changed)}


@router.get("/v1/datastores")
def datastores(admin: AdminDep, container: ContainerDep) -> list[dict[str, Any]]:
    """The tenant's datastores (URLs masked)."""
    return [
        {
            "key": d.key,
            "kind": d.kind,
            "url": d.url,
            "owner": d.owner,
            "collections": d.collections,
            "last_test_ok": d.last_test_ok,
        }
        for d in list_datastores(container.deps, admin.tenant_key)
    ]


@router.post("/v1/datastores/{key}/test")
def datastore_check(key: str, admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """Compare the dataset with the database, its data and the login's privileges."""
    check = check_datastore(container.deps, admin.tenant_key, key)
    return {
        "ok": check.ok,
        "connected": check.connected,
        "collections": [{"name": name, "rows": rows} for name, rows in check.rows.items()],
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "where": f.where,
                "message": f.message,
                "hint": f.hint,
            }
            for f in check.findings
        ],
    }
