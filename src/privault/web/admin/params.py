"""Reading the console's query and form fields: text as typed, turned into what the services take
(errors name the field, never the value), and the links that page through a register."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from privault.errors import InvalidInput


def optional(text: str) -> str | None:
    """The field without surrounding spaces; None when empty."""
    return text.strip() or None


def whole(text: str, what: str, *, default: int | None = None) -> int | None:
    """A whole number of 1 or more (``default`` when empty)."""
    text = text.strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(f"{what} is a whole number of 1 or more", code="input.invalid")
    return int(text)


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
