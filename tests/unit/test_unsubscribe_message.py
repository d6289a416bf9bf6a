"""RFC 8058 one-click unsubscribe, checked on a message as it was sent (DKIM coverage included)."""

from __future__ import annotations

from privault.core.unsubscribe import check_message, signed_headers

LINK = "List-Unsubscribe: <mailto:u@bluewave.example>, <https://privacy.example/u/abc.def>"
POST = "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
DKIM = (
    "DKIM-Signature: v=1; a=rsa-sha256; d=bluewave.example; s=s1; c=relaxed/relaxed;\r\n"
    "\th=From:To:Subject:Date:List-Unsubscribe:\r\n\t List-Unsubscribe-Post; bh=abc=; b=xyz="
)


def _message(*headers: str) -> bytes:
    lines = ["From: offers@bluewave.example", "To: ana@example.org", "Subject: Offers", *headers]
    return ("\r\n".join(lines) + "\r\n\r\nHello\r\n").encode()


def _codes(*headers: str) -> list[str]:
    return [f.code for f in check_message(_message(*headers))]


def test_a_signed_message_with_both_headers_passes() -> None:
    """One HTTPS link, the one-click pair and a DKIM h= naming both headers: nothing to report."""
    assert _codes(LINK, POST, DKIM) == []


def test_a_signature_that_leaves_out_the_post_header_is_reported() -> None:
    """Signing List-Unsubscribe alone is not enough (RFC 8058 s.4)."""
    partial = DKIM.replace(":\r\n\t List-Unsubscribe-Post", "")
    assert _codes(LINK, POST, partial) == ["mail.dkim_coverage"]


def test_an_unsigned_message_is_reported() -> None:
    """No DKIM-Signature at all: the mail server must sign it."""
    assert _codes(LINK, POST) == ["mail.dkim_missing"]


def test_the_link_and_the_post_pair_are_checked() -> None:
    """No HTTPS URI, and a List-Unsubscribe-Post with another value, are both reported."""
    codes = _codes(
        "List-Unsubscribe: <mailto:u@bluewave.example>", "List-Unsubscribe-Post: yes", DKIM
    )
    assert codes == ["mail.list_unsubscribe", "mail.list_unsubscribe_post"]


def test_two_https_links_or_no_header_are_reported() -> None:
    """RFC 8058 s.3.1 asks for exactly one HTTPS URI in exactly one header."""
    two = "List-Unsubscribe: <https://a.example/u/1>, <https://b.example/u/2>"
    assert _codes(two, POST, DKIM) == ["mail.list_unsubscribe"]
    assert _codes(POST, DKIM) == ["mail.list_unsubscribe"]


def test_signed_header_names_ignore_case_and_folding() -> None:
    """h= is read across folded lines and compared in lower case."""
    assert signed_headers("v=1; h = From : LIST-UNSUBSCRIBE ; b=x") == frozenset(
        {"from", "list-unsubscribe"}
    )
