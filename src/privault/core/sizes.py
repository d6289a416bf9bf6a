"""Size limits of single values: no text in a body or an import longer than the settings allow.

Pure: the HTTP middleware (``http/body_limits.py``) checks every JSON or form body with it, and an
import checks each line's values the same way (``sized_lines``: an over-long value refuses its line
by number, and the rest import).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from privault.core.import_lines import BadLine
from privault.errors import InvalidInput

DOCUMENT_FIELDS = frozenset({"dataset"})  # whole documents (a dataset's YAML): bounded by the body


def _children(value: Any, path: str) -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (f"{path}.{key}" if path else str(key)), key
            if str(key) not in DOCUMENT_FIELDS or path:
                yield (f"{path}.{key}" if path else str(key)), item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{path}[{index}]", item


def too_long(data: Any, max_chars: int) -> str | None:
    """The path (``identities.email[0]``) of the first text or key longer than ``max_chars``, or
    None. Iterative, so any depth is walked without recursion; a top-level ``dataset`` is skipped."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if len(value) > max_chars:
                return path or "body"
            continue
        stack.extend(_children(value, path))
    return None


def refuse_long_values(data: Any, max_chars: int) -> None:
    """InvalidInput (``value.too_long``, naming the field, never the value) for any text longer
    than ``max_chars``."""
    path = too_long(data, max_chars)
    if path is not None:
        raise InvalidInput(_message(path, max_chars), code="value.too_long")


def sized_lines(lines: Iterable[tuple[int, Any]], max_chars: int) -> Iterator[tuple[int, Any]]:
    """The import's (number, value) lines, each holding a text longer than ``max_chars`` turned into
    a :class:`BadLine` naming the field (the importers report it by number and go on)."""
    for number, value in lines:
        path = None if isinstance(value, BadLine) else too_long(value, max_chars)
        yield number, value if path is None else BadLine(_message(path, max_chars))


def _message(path: str, max_chars: int) -> str:
    shown = path if len(path) <= 200 else path[:200] + "..."
    return f"the value of '{shown}' is longer than {max_chars} characters"
