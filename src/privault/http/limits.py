"""Abuse limits: how often one client, one identity or one login may use a public door.

Each door has one or more windows (``5/hour``, ``10/minute;60/hour``: the ``PRIVAULT_RATE_LIMIT_*``
settings), counted with the `limits` library's moving window in the store that
``PRIVAULT_RATE_LIMIT_STORAGE`` names: ``memory://`` counts in this process only, ``redis://`` is
shared by every process of the installation. A request beyond a window is refused with
:class:`~privault.errors.RateLimited` (429 and ``Retry-After``) before anything is stored or sent.
If the store cannot be reached the doors close (503 ``rate_limit.unavailable``): a limit that stops
counting without a word is no limit. Identities and usernames are counted under a keyed hash (the
tenant's keyring), never in clear. See docs/limits.md.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import re
import time
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from fastapi import Depends, Request
from limits import RateLimitItem, RateLimitItemPerDay, WindowStats, parse_many
from limits.errors import StorageError as LimitsStorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool

from privault.bootstrap import Container
from privault.errors import ConfigurationError, RateLimited, StorageError

SHARED_SCHEMES = ("redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")
_TIMEOUT_SECONDS = 2.0  # a store that does not answer in time closes the doors (503)
_PLUS_TAG = re.compile(r"\+[^@]*@")


class Door(StrEnum):
    """What is counted: one door and what it is counted per."""

    INTAKE_IP = "intake_ip"
    INTAKE_IDENTITY = "intake_identity"
    SIGNIN_IP = "signin_ip"
    SIGNIN_USERNAME = "signin_username"
    SIGNIN_IP_USERNAME = "signin_ip_username"
    BANNER_IP = "banner_ip"
    VISITS_IP = "visits_ip"


class AbuseLimits:
    """The windows of each door over one store; ``check`` counts a use or refuses it."""

    def __init__(self, storage: Storage, rules: Mapping[Door, Sequence[RateLimitItem]]) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._rules = dict(rules)

    def check(self, door: Door, key: str) -> None:
        """Count one use of ``door`` by ``key``; RateLimited (with the wait) beyond a window."""
        waits = [
            self._wait(item, door, key)
            for item in self._rules[door]
            if not self._hit(item, door, key)
        ]
        if waits:
            raise RateLimited(max(waits))

    def forget(self, door: Door, key: str) -> None:
        """Start ``key``'s count at the door again (a successful sign-in ends its failures)."""
        for item in self._rules[door]:
            self._guarded(self._limiter.clear, item, door.value, key)

    def _hit(self, item: RateLimitItem, door: Door, key: str) -> bool:
        return bool(self._guarded(self._limiter.hit, item, door.value, key))

    def _wait(self, item: RateLimitItem, door: Door, key: str) -> int:
        stats: WindowStats = self._guarded(self._limiter.get_window_stats, item, door.value, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    @staticmethod
    def _guarded(call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except (LimitsStorageError, OSError) as exc:
            raise StorageError(
                "the store of the abuse limits does not answer", code="rate_limit.unavailable"
            ) from exc


def rules_of(container: Container) -> dict[Door, list[RateLimitItem]]:
    """Each door's windows from the settings; an IP gets one try fewer at one login per day than
    the lock-out takes (``PRIVAULT_ADMIN_LOCKOUT_ATTEMPTS``), so no single IP can lock it."""
    s = container.settings
    texts = {
        Door.INTAKE_IP: s.rate_limit_intake_ip,
        Door.INTAKE_IDENTITY: s.rate_limit_intake_identity,
        Door.SIGNIN_IP: s.rate_limit_signin_ip,
        Door.SIGNIN_USERNAME: s.rate_limit_signin_username,
        Door.BANNER_IP: s.rate_limit_banner_ip,
        Door.VISITS_IP: s.rate_limit_visits_ip,
    }
    rules = {door: list(parse_many(text)) for door, text in texts.items()}
    rules[Door.SIGNIN_IP_USERNAME] = [RateLimitItemPerDay(max(1, s.admin_lockout_attempts - 1))]
    return rules


def _scheme(uri: str) -> str:
    return uri.split("://", 1)[0].lower()


def storage_of(container: Container) -> Storage:
    """The store the settings name (checked: it must answer now), keys under the prefix."""
    settings = container.settings
    uri = settings.rate_limit_storage.get_secret_value()
    scheme = _scheme(uri)
    if scheme != "memory" and scheme not in SHARED_SCHEMES:
        raise ConfigurationError(
            f"PRIVAULT_RATE_LIMIT_STORAGE must be memory:// or redis://host:port, not {scheme}://"
        )
    options: dict[str, Any] = {"wrap_exceptions": True}
    if scheme != "memory":
        options |= {
            "key_prefix": settings.rate_limit_prefix,
            "socket_timeout": _TIMEOUT_SECONDS,
            "socket_connect_timeout": _TIMEOUT_SECONDS,
        }
    storage = storage_from_string(uri, **options)
    if not isinstance(storage, Storage) or not _answers(storage):
        raise ConfigurationError(
            f"the store of the abuse limits ({scheme}://) does not answer: "
            "check PRIVAULT_RATE_LIMIT_STORAGE"
        )
    return storage


def _answers(storage: Storage) -> bool:
    try:
        return bool(storage.check())
    except Exception:  # noqa: BLE001 - any failure of the store means it does not answer
        return False


def build_limits(container: Container) -> AbuseLimits:
    """The app's abuse limits (built once per app from the settings)."""
    return AbuseLimits(storage_of(container), rules_of(container))


def refuse_unshared(container: Container, processes: int) -> None:
    """Several processes must count in one store: ConfigurationError for memory:// with more."""
    uri = container.settings.rate_limit_storage.get_secret_value()
    if processes > 1 and _scheme(uri) == "memory":
        raise ConfigurationError(
            f"{processes} processes would each count the abuse limits on their own "
            "(PRIVAULT_RATE_LIMIT_STORAGE=memory://): set it to a shared redis://host:port"
        )


# --- keys -----------------------------------------------------------------------------------------


def client_ip(request: Request) -> str:
    """The client's address as counted: IPv4 whole, IPv6 by its /64 (one subscriber's network).
    Behind a reverse proxy uvicorn takes it from ``X-Forwarded-For`` when the proxy is trusted
    (``FORWARDED_ALLOW_IPS``)."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def identity_text(kind: str, value: str) -> str:
    """What a mailbox or phone is counted as: an e-mail without its ``+tag`` (and Gmail's dots),
    lower-cased; a phone by its last nine digits, whatever its formatting."""
    text = value.strip().lower()
    if kind == "phone":
        return "phone:" + re.sub(r"\D", "", text)[-9:]
    local, _, domain = _PLUS_TAG.sub("@", text).rpartition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{kind}:{local}@{domain}"


def keyed(container: Container, tenant: str, text: str) -> str | None:
    """HMAC of ``text`` under the tenant's rate-limit key (derived from its keyring), or None for
    a tenant that is not in the manifest or has no keys (its request fails anyway)."""
    if container.manifest.tenant(tenant) is None or not container.keyring.has_keys(tenant):
        return None
    key = container.keyring.index_key(tenant, "rate_limit")
    digest = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{tenant}:{digest[:40]}"


# --- FastAPI dependencies -----------------------------------------------------------------------


def limits_of(request: Request) -> AbuseLimits:
    """The app's abuse limits."""
    limits: AbuseLimits = request.app.state.limits
    return limits


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def _check(request: Request, door: Door, key: str) -> None:
    await run_in_threadpool(limits_of(request).check, door, key)


async def _intake_identities(request: Request) -> tuple[str | None, list[tuple[str, str]]]:
    """(tenant, [(kind, value)]) of a request being opened: the JSON body or the form."""
    if "tenant" in request.path_params:
        form = await request.form()
        pairs = [(k, form.get(k)) for k in ("email", "phone")]
        return str(request.path_params["tenant"]), [
            (k, v) for k, v in pairs if isinstance(v, str) and v
        ]
    try:
        body = await request.json()
    except ValueError:
        return None, []  # not JSON: the route answers 422
    if not isinstance(body, dict) or not isinstance(body.get("identities"), dict):
        return None, []
    tenant = body.get("tenant")
    found = [
        (str(kind), value)
        for kind, values in body["identities"].items()
        if isinstance(values, list)
        for value in values
        if isinstance(value, str) and value
    ]
    return (tenant if isinstance(tenant, str) else None), found


async def limit_intake(request: Request) -> None:
    """Requests opened without an API key: per client IP, then per identity named (a request made
    with an API key is staff's; a wrong key is refused with 401 before anything happens)."""
    if "authorization" in request.headers:
        return
    await _check(request, Door.INTAKE_IP, client_ip(request))
    tenant, identities = await _intake_identities(request)
    if tenant is not None:
        limits, container = limits_of(request), _container(request)
        await run_in_threadpool(_check_identities, limits, container, tenant, identities)


def _check_identities(
    limits: AbuseLimits, container: Container, tenant: str, identities: list[tuple[str, str]]
) -> None:
    """Count the request once for each identity it names (each under its keyed hash)."""
    for kind, value in identities:
        key = keyed(container, tenant, identity_text(kind, value))
        if key is not None:
            limits.check(Door.INTAKE_IDENTITY, key)


async def limit_banner(request: Request) -> None:
    """The cookie banner's choices and the preference center's saves, per client IP."""
    await _check(request, Door.BANNER_IP, client_ip(request))


async def limit_visits(request: Request) -> None:
    """Visit beacons, per client IP."""
    await _check(request, Door.VISITS_IP, client_ip(request))


# one argument for a route's decorator: ``@router.post(..., dependencies=INTAKE_LIMIT)``
INTAKE_LIMIT = [Depends(limit_intake)]
BANNER_LIMIT = [Depends(limit_banner)]
VISITS_LIMIT = [Depends(limit_visits)]


def signin_keys(request: Request, tenant: str, username: str) -> dict[Door, str]:
    """The counters one sign-in attempt uses, in the order they are counted: the IP; the IP at
    that login; the login (tenant and username) from every IP. An attempt refused at one is not
    counted at the next, so one IP's refused tries never use up the login's own count."""
    ip = client_ip(request)
    login = keyed(_container(request), tenant, f"staff:{username.strip().lower()}")
    keys = {Door.SIGNIN_IP: ip}
    if login is not None:
        keys |= {Door.SIGNIN_IP_USERNAME: f"{ip}|{login}", Door.SIGNIN_USERNAME: login}
    return keys


def check_signin(limits: AbuseLimits, keys: Mapping[Door, str]) -> None:
    """Count one sign-in attempt on each of its counters (RateLimited beyond any)."""
    for door, key in keys.items():
        limits.check(door, key)


def signed_in(limits: AbuseLimits, keys: Mapping[Door, str]) -> None:
    """A right password from this IP: its tries at this login start again."""
    if Door.SIGNIN_IP_USERNAME in keys:
        limits.forget(Door.SIGNIN_IP_USERNAME, keys[Door.SIGNIN_IP_USERNAME])
