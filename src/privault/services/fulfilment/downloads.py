"""Handing over a package: to the requester by their private token, or to staff by reference."""

from __future__ import annotations

from dataclasses import dataclass

from privault.core.ports import UnitOfWork
from privault.core.records import PackageRecord
from privault.crypto.sealed import Sealed, open_record
from privault.errors import Forbidden, NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.requests import hash_token, load_request


@dataclass(frozen=True, slots=True)
class Download:
    """A package to hand over."""

    filename: str
    content: bytes


def download(deps: Deps, token: str) -> Download:
    """The requester's newest package, by their private token, while its link has not expired."""
    digest = hash_token(token)
    with deps.make_uow() as uow:
        tenant_id = uow.requests.tenant_of_package(digest)
        tenant = uow.tenants.get(tenant_id) if tenant_id is not None else None
        if tenant is None:
            raise NotFound("no package for this request (yet)", code="package.unknown")
        uow.bind_tenant(tenant.id)
        package = uow.requests.package(digest)
        found = _hand_over(deps, uow, tenant.key, tenant.id, package, "requester")
        uow.commit()
    return found


def staff_download(deps: Deps, tenant_key: str, ref: str, actor: str) -> Download:
    """A request's newest package for staff (to send by post, say); audited under their name."""
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref, lock=False)
        package = uow.requests.latest_package(request.id)
        found = _hand_over(deps, uow, tenant_key, request.tenant_id, package, actor)
        uow.commit()
    return found


def _hand_over(
    deps: Deps,
    uow: UnitOfWork,
    tenant_key: str,
    tenant_id: int,
    package: PackageRecord | None,
    actor: str,
) -> Download:
    if package is None:
        raise NotFound("no package for this request (yet)", code="package.unknown")
    now = deps.clock.now()
    if package.expires_at <= now:
        raise Forbidden(
            "this package's download link has expired: ask us for a new one",
            code="package.expired",
        )
    sealed = Sealed(package.kek_version, package.wrapped_key, package.sealed)
    blob = open_record(deps.keyring, tenant_key, tenant_id, "package", package.filename, sealed)
    uow.requests.count_download(package.id)
    details = {"package": package.id, "request": package.request_id}
    record(uow, [Entry(actor, "request:download", None, None, "ok", details)], now)
    return Download(package.filename, blob)
