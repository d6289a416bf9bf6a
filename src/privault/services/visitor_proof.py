"""Proof of being a visitor: the secret that lets a browser read and change its own choices.

A visitor id is a public identifier: the banner keeps it in a cookie the page's scripts read, the
visit beacon sends it, staff see it in the ledger. So the public surfaces (the banner's
cookie-consent endpoints and the preference center) act for a visitor only when the browser also
presents the visitor's *proof*, ``<visitor id>.<mac>`` where ``mac`` is an HMAC-SHA256 of the tenant
and the visitor id under the tenant's ``visitor-proof`` key (the keyring; never in the database).

privault mints the visitor id and its proof together, in one response, and hands the proof only to
that browser, in an HttpOnly cookie (``pv_proof_<tenant>``) no page script can read. It never issues
a proof for an id it did not just create: naming a visitor id (``?visitor=ID``, a forged body) without
the proof gets a fresh visitor, or a refusal, never that visitor's choices.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from privault.core.consent import check_visitor
from privault.crypto.keyring import Keyring
from privault.errors import Forbidden, InvalidInput
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

PREFIX = "pv_proof_"
MAX_AGE = 60 * 60 * 24 * 395  # 13 months, as the banner's own cookie
CODE = "consent.visitor_unproven"


@dataclass(frozen=True, slots=True)
class VisitorProof:
    """A new visitor id and its proof (the proof cookie's value; never printed)."""

    visitor: str
    value: str

    def __repr__(self) -> str:
        return f"VisitorProof(visitor={self.visitor!r}, value='***')"


def proof_cookie(tenant: str) -> str:
    """The name of a tenant's proof cookie."""
    return PREFIX + tenant


def _mac(keyring: Keyring, tenant: str, visitor: str) -> str:
    key = keyring.index_key(tenant, "visitor-proof")
    digest = hmac.new(key, f"{tenant}|{visitor}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def proof_of(keyring: Keyring, tenant: str, visitor: str) -> VisitorProof:
    """The proof of ``visitor``. Only :func:`mint_visitor` calls it for an edge: no public surface
    ever gives out the proof of an id it was told (tests use it to act as that visitor's browser)."""
    return VisitorProof(visitor, f"{visitor}.{_mac(keyring, tenant, check_visitor(visitor))}")


def mint_visitor(keyring: Keyring, tenant: str) -> VisitorProof:
    """A fresh random visitor id (192 bits) and its proof, for the browser being answered."""
    return proof_of(keyring, tenant, secrets.token_urlsafe(24))


def proven_visitor(keyring: Keyring, tenant: str, value: str | None) -> str | None:
    """The visitor id the proof cookie's value proves (None: no proof, or not a valid one)."""
    visitor, _, mac = (value or "").partition(".")
    try:
        check_visitor(visitor)
    except InvalidInput:
        return None
    expected = _mac(keyring, tenant, visitor).encode()
    return visitor if hmac.compare_digest(mac.encode(), expected) else None


def require_proof(deps: Deps, tenant: str, visitor: str, value: str | None) -> None:
    """Refuse (403 ``consent.visitor_unproven``) unless the proof is this visitor's; nothing is
    recorded. A visitor linked to a person gets its own message: the person's choices never change
    through a visitor id without the proof."""
    if proven_visitor(deps.keyring, tenant, value) == visitor:
        return
    if _linked(deps, tenant, visitor):
        raise Forbidden(
            "this visitor id is linked to a person: their choices can only be changed from the "
            "browser that holds the visitor's proof, or by the person themselves",
            code=CODE,
        )
    raise Forbidden(
        "this browser has no proof of being this visitor: reload the page to make your choices",
        code=CODE,
    )


def _linked(deps: Deps, tenant: str, visitor: str) -> bool:
    try:
        check_visitor(visitor)
    except InvalidInput:
        return False
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant)
        found = uow.consent.states([f"v:{visitor}"]).get(f"v:{visitor}")
    return found is not None and found[1] is not None
