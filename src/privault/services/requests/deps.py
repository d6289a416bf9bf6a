"""What request use cases share: their settings and dependencies, the requester's token, the
sealed details and identities, and loading a request."""

from __future__ import annotations

import hashlib
import hmac
import json

from privault.core.identities import normalise
from privault.core.manifest.resolve import TenantView
from privault.core.ports import UnitOfWork
from privault.core.requests import RequestDetails, RequestRecord
from privault.crypto.keyring import Keyring
from privault.crypto.sealed import Sealed, open_record
from privault.errors import Forbidden, NotFound
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

_REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


SYSTEM = "privault"


def hash_token(token: str) -> str:
    """The stored form of a requester or download token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _code_hash(keyring: Keyring, tenant_key: str, request_id: int, slot: int, code: str) -> str:
    key = keyring.index_key(tenant_key, "request-code")
    return hmac.new(key, f"{request_id}|{slot}|{code}".encode(), hashlib.sha256).hexdigest()


def open_details(deps: Deps, tenant_key: str, request: RequestRecord) -> RequestDetails:
    """What the requester told us, decrypted."""
    sealed = Sealed(request.kek_version, request.wrapped_key, request.sealed)
    raw = open_record(deps.keyring, tenant_key, request.tenant_id, "request", request.ref, sealed)
    return RequestDetails(**json.loads(raw))


def _identity_list(details: RequestDetails) -> list[tuple[str, str]]:
    return [(kind, value) for kind, values in details.identities.items() for value in values]


def normalised_identities(view: TenantView, details: RequestDetails) -> dict[str, list[str]]:
    """Each identity in its canonical form (lower-case email, E.164 phone)."""
    region = view.phone_region
    return {
        kind: sorted({normalise(kind, v, region) for v in values})
        for kind, values in details.identities.items()
    }


def _status_url(deps: Deps, token: str) -> str:
    return f"{deps.settings.public_url.rstrip('/')}/v1/requests/status/{token}"


def load_request(uow: UnitOfWork, tenant_key: str, ref: str, *, lock: bool = True) -> RequestRecord:
    bind_tenant(uow, tenant_key)
    request = uow.requests.get(ref, lock=lock)
    if request is None:
        raise NotFound(f"no request '{ref}'", code="request.unknown")
    return request


def require_staff_role(admin: bool) -> None:
    """Staff actions need an admin (privacy office) role."""
    if not admin:
        raise Forbidden("request handling needs an admin role", code="access.denied")
