"""Whether a sent marketing message offers one-click unsubscribe as RFC 8058 requires. Pure.

RFC 8058 s.3.1: one ``List-Unsubscribe`` header with one HTTPS URI, one ``List-Unsubscribe-Post``
header holding exactly ``List-Unsubscribe=One-Click``; and s.4: both headers "MUST be covered by the
signature and included in the "h=" tag of a valid DKIM-Signature header field". privault writes the two headers
(``services/unsubscribe.py``); the mail server signs the message, so the coverage can be checked only
on the message as it was sent. This module reads such a message and says what is wrong; it does not
verify the signature's cryptography (that needs the signer's DNS record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

ONE_CLICK = "List-Unsubscribe=One-Click"
SIGNED = ("list-unsubscribe", "list-unsubscribe-post")
_URIS = re.compile(r"<([^>]*)>")


@dataclass(frozen=True, slots=True)
class MessageFinding:
    """One thing a message lacks for one-click unsubscribe, with the RFC 8058 text it breaks."""

    code: str
    message: str


def check_message(raw: bytes) -> tuple[MessageFinding, ...]:
    """What stops ``raw`` (a message as sent, headers and body) from offering one-click unsubscribe."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)  # noqa: S101 - policy.default builds EmailMessage
    return (*_link(message), *_post(message), *_dkim(message))


def _link(message: EmailMessage) -> tuple[MessageFinding, ...]:
    values = message.get_all("List-Unsubscribe") or []
    if len(values) != 1:
        return (
            MessageFinding(
                "mail.list_unsubscribe",
                f"the message has {len(values)} List-Unsubscribe headers; RFC 8058 s.3.1 needs one",
            ),
        )
    https = [u for u in _URIS.findall(str(values[0])) if is_https(u)]
    if len(https) != 1:
        return (
            MessageFinding(
                "mail.list_unsubscribe",
                "List-Unsubscribe must hold exactly one HTTPS URI (RFC 8058 s.3.1)",
            ),
        )
    return ()


def _post(message: EmailMessage) -> tuple[MessageFinding, ...]:
    values = [str(v).strip() for v in message.get_all("List-Unsubscribe-Post") or []]
    if values != [ONE_CLICK]:
        return (
            MessageFinding(
                "mail.list_unsubscribe_post",
                f"List-Unsubscribe-Post must be one header holding exactly '{ONE_CLICK}' "
                "(RFC 8058 s.3.1)",
            ),
        )
    return ()


def _dkim(message: EmailMessage) -> tuple[MessageFinding, ...]:
    signatures = [str(v) for v in message.get_all("DKIM-Signature") or []]
    if not signatures:
        return (
            MessageFinding(
                "mail.dkim_missing",
                "the message has no DKIM-Signature: RFC 8058 s.4 needs one covering "
                "List-Unsubscribe and List-Unsubscribe-Post (sign at the mail server)",
            ),
        )
    if any(set(SIGNED) <= signed_headers(s) for s in signatures):
        return ()
    return (
        MessageFinding(
            "mail.dkim_coverage",
            "no DKIM-Signature covers both List-Unsubscribe and List-Unsubscribe-Post (its h= tag "
            "must name them, RFC 8058 s.4)",
        ),
    )


def is_https(url: str) -> bool:
    """Whether a one-click unsubscribe URI is HTTPS, as RFC 8058 s.3.1 requires."""
    return url.strip().lower().startswith("https://")


def signed_headers(signature: str) -> frozenset[str]:
    """The header names a DKIM-Signature's ``h=`` tag covers (RFC 6376 s.3.5), lower case."""
    for tag in "".join(signature.split()).split(";"):
        name, _, value = tag.partition("=")
        if name == "h":
            return frozenset(h.lower() for h in value.split(":") if h)
    return frozenset()
