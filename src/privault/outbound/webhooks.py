"""Webhooks signed the Standard Webhooks way (https://www.standardwebhooks.com), and delivered.

A delivery carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` under the endpoint's secret), so a
receiver can check it with any Standard Webhooks library. Secrets look like ``whsec_<base64>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import http.client
import json
import secrets
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from privault.errors import InvalidInput, Unauthenticated

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SIGNATURE_VERSION = "v1"
_SECRET_BYTES = 32
_RESPONSE_READ_LIMIT = 64 * 1024


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    """The HMAC key inside a secret (the ``whsec_`` prefix is optional)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise InvalidInput("the webhook secret is not valid base64", code="webhook.invalid_secret")
    return key


def message_body(event: str, at: datetime, data: Mapping[str, object]) -> str:
    """The JSON body of a message: its type, when it happened and its data (keys sorted)."""
    return json.dumps({"type": event, "timestamp": at.isoformat(), "data": data}, sort_keys=True)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` + base64(HMAC-SHA256(id.timestamp.body))."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header one delivery carries."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now: int, tolerance: int = 300
) -> None:
    """Accept a delivery or raise ``Unauthenticated`` (code ``webhook.signature_invalid``).

    Header names are matched without regard to case. The timestamp must be within ``tolerance``
    seconds of ``now`` (either way), and one of the space-separated ``v1,`` signatures must match;
    other versions are ignored. Signatures are compared in constant time.
    """
    found = {name.lower(): value for name, value in headers.items()}
    msg_id, stamp = found.get("webhook-id"), found.get("webhook-timestamp", "")
    offered = found.get("webhook-signature", "").split()
    if not msg_id or not stamp.isdigit() or not offered:
        raise _invalid("the webhook headers are missing or malformed")
    timestamp = int(stamp)
    if abs(now - timestamp) > tolerance:
        raise _invalid("the webhook timestamp is too old or too far in the future")
    expected = sign(secret, msg_id, timestamp, body).encode("ascii")
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in offered]
    if not any(matches):
        raise _invalid("no webhook signature matches")


def _invalid(message: str) -> Unauthenticated:
    return Unauthenticated(message, code="webhook.signature_invalid")


# --- delivery ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How one delivery went: the HTTP status (if any answer came) and the kind of failure."""

    status: int | None
    error: str | None  # "timeout", "connection refused", "http 500", ...: never the URL
    ok: bool


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (a failed delivery), not something to follow with the body."""

    def redirect_request(self, *_: Any, **__: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def check_url(url: str) -> None:
    """Accept only absolute http(s) URLs with a host (code ``webhook.invalid_url`` otherwise)."""
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises for a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        raise InvalidInput("a webhook URL must be http:// or https://", code="webhook.invalid_url")


def deliver(
    url: str, secret: str, msg_id: str, timestamp: int, body: bytes, timeout: float = 5.0
) -> DeliveryResult:
    """POST one signed delivery. Never raises for HTTP or network failures: they are returned.

    A 2xx answer is success; anything else, including a redirect, is a failure to retry later.
    """
    check_url(url)
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked just above)
        url, data=body, headers=headers(secret, msg_id, timestamp, body), method="POST"
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(_RESPONSE_READ_LIMIT)
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return DeliveryResult(exc.code, f"http {exc.code}", ok=False)
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        return DeliveryResult(None, _network_error(exc), ok=False)
    ok = 200 <= status < 300
    return DeliveryResult(status, None if ok else f"http {status}", ok=ok)


_NETWORK_ERRORS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (TimeoutError, "timeout"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (socket.gaierror, "host not found"),
    ((ssl.SSLError, ssl.CertificateError), "tls error"),
    (http.client.HTTPException, "bad http response"),
)


def _network_error(exc: BaseException) -> str:
    """A short name for why no HTTP answer came."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    for kinds, name in _NETWORK_ERRORS:
        if isinstance(reason, kinds):
            return name
    return "network error"
