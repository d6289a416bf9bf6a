"""Reading the console's query and form fields: text as typed, turned into what the services take
(errors name the field, never the value), and the links that page through a register."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from urllib.parse import urlencode

from privault.core.ids import MAX_ID
from privault.errors import InvalidInput


def optional(text: str) -> str | None:
    """The field without surrounding spaces; None when empty."""
    return text.strip() or None


def number(text: str) -> int | None:
    """``text`` as a whole number of 1 to MAX_ID written in ASCII digits, else None."""
    text = text.strip()
    if not text.isascii() or not text.isdecimal() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def whole(text: str, what: str, *, default: int | None = None) -> int | None:
    """A whole number of 1 or more (``default`` when empty)."""
    if not text.strip():
        return default
    value = number(text)
    if value is None:
        raise InvalidInput(f"{what} is a whole number of 1 or more", code="input.invalid")
    return value


_CONTROL = frozenset(chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F))


def refuse_control_characters(values: Iterable[str]) -> None:
    """InvalidInput if any value holds a control character (a NUL byte, say) other than tab and
    line breaks: nothing typed into a form has one, and databases refuse some."""
    if any(not _CONTROL.isdisjoint(value) for value in values):
        raise InvalidInput("a field holds a control character", code="input.invalid")


def day(text: str, what: str) -> date | None:
    """A date typed as YYYY-MM-DD (None when empty)."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what} is a date, YYYY-MM-DD", code="input.invalid") from None


def link(path: str, **params: str | int | None) -> str:
    """``path`` with the non-empty parameters as its query."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path
