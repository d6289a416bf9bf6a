"""Body and value size limits: a pure ASGI middleware in front of the API and the web.

A body larger than ``PRIVAULT_MAX_BODY_BYTES`` is refused with 413 (``request.too_large``): at once
when its ``Content-Length`` says so, else as soon as the chunks read add up to more (a chunked body has
no length). A JSON or form body holding a text longer than ``PRIVAULT_MAX_VALUE_CHARS`` is refused with
422 (``value.too_long``) naming the field. Browsers asking for HTML get the error page, everyone else
``application/problem+json`` (the installer gives the ``answer``: ``api/app.py``). The body read is
handed on to the app unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from privault.core.sizes import refuse_long_values
from privault.errors import InvalidInput, PrivaultError

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})
Answer = Callable[[Scope, PrivaultError, int], Response]  # (request, error, status) -> the refusal


class _TooLarge(Exception):
    """The body grew past the limit while it was read."""


class BodyLimits:
    """Refuse bodies over ``max_body_bytes`` (413) and texts over ``max_value_chars`` (422)."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, max_value_chars: int, answer: Answer
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_value_chars = max_value_chars
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the whole body (up to the limit), check it, then run the app on it."""
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_body_bytes:
            await self._refuse(scope, receive, send, self._too_large())
            return
        try:
            body = await self._read(receive)
        except _TooLarge:
            await self._refuse(scope, receive, send, self._too_large())
            return
        if body is None:
            return  # the client went away
        try:
            self._check_values(scope, body)
        except InvalidInput as exc:
            await self._refuse(scope, receive, send, exc)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _check_values(self, scope: Scope, body: bytes) -> None:
        data = _parsed(_content_type(scope), body)
        if data is not None:
            refuse_long_values(data, self.max_value_chars)

    def _too_large(self) -> PrivaultError:
        return InvalidInput(
            f"the request body is larger than {self.max_body_bytes} bytes",
            code="request.too_large",
        )

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, exc: PrivaultError) -> None:
        status = 413 if exc.code == "request.too_large" else exc.status
        response = self.answer(scope, exc, status)
        response.headers["Connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)


def _has_body(scope: Scope) -> bool:
    if scope["method"] not in _NO_BODY:
        return True
    headers = dict(scope["headers"])
    return b"content-length" in headers or b"transfer-encoding" in headers


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # the server refuses a malformed length itself
    return 0


def _content_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bytes(value).decode("latin-1").split(";")[0].strip().lower()
    return ""


def _parsed(content_type: str, body: bytes) -> Any:
    """The body's values: JSON (also sent as text/plain by beacons), or a urlencoded form; None for
    anything else or anything that does not parse (the route answers for that)."""
    try:
        if content_type == "application/x-www-form-urlencoded":
            return _form_fields(body.decode("utf-8"))
        if content_type in ("application/json", "text/plain") or content_type.endswith("+json"):
            return json.loads(body)
    except (ValueError, RecursionError):
        return None
    return None


def _form_fields(text: str) -> dict[str, str]:
    """Each field of a form by its name (the longest value where a name repeats)."""
    fields: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        if len(value) >= len(fields.get(name, "")):
            fields[name] = value
    return fields


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read once, then whatever the client sends next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def wants_html(scope: Scope) -> bool:
    """Whether the refusal should be a page: a browser on a privacy-center or console path."""
    path: str = scope.get("path", "")
    accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
    return not path.startswith(("/v1/", "/u/")) and b"text/html" in accept
