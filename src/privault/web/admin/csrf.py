"""Cross-site request forgery: every POST of the console must come from the console itself.

Two checks, both required: the browser's own word (``Sec-Fetch-Site`` same-origin, or an ``Origin``
naming this host or ``PRIVAULT_PUBLIC_URL``), and a token in the form (field ``csrf``): the session's
own token once signed in; before that (the sign-in form) the random value of a ``pv_login`` cookie
(double submit; the cookie is ``__Host-`` prefixed, so no other site or subdomain can plant it).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request

from privault.errors import Forbidden

FIELD = "csrf"
LOGIN_COOKIE = "pv_login"
_SITES = frozenset({"same-origin", "none"})


def _refused() -> Forbidden:
    return Forbidden(
        "this form did not come from this console (or it has expired): open the page again",
        code="csrf.invalid",
    )


def same_origin(request: Request, public_url: str) -> bool:
    """True unless the browser says the POST came from another site.

    ``Sec-Fetch-Site`` (set by the browser, never by a page) decides when present; otherwise the
    ``Origin`` must name this host, or be absent (older browsers and scripts: the token still has
    to match). ``Origin: null`` (sandboxed frames, ``data:`` pages) is refused without it.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in _SITES
    origin = request.headers.get("origin")
    if origin is None:
        return True
    allowed = {request.headers.get("host", ""), urlsplit(public_url).netloc}
    return urlsplit(origin).netloc in allowed - {""}


async def form_token(request: Request) -> str:
    """The token the posted form carries ("" if none)."""
    value = (await request.form()).get(FIELD)
    return value if isinstance(value, str) else ""


async def check(request: Request, expected: str, public_url: str) -> None:
    """Refuse (403 ``csrf.invalid``) a POST from elsewhere or without the expected token."""
    if not same_origin(request, public_url):
        raise _refused()
    token = await form_token(request)
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise _refused()


def new_login_token() -> str:
    """A fresh value for the sign-in form's cookie and hidden field."""
    return secrets.token_urlsafe(32)
