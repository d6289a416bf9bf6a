"""Reading import files line by line, so one unreadable line is refused by its number and the rest
import. Pure: the callers open the file (in binary) and hand the lines over.

A line that is not UTF-8 text (a binary line), holds a NUL character, or is not valid JSON (or CSV) is
yielded as a :class:`BadLine` with the reason; the reason names the byte or column, never the content
(it may be personal data).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that could not be read, and why (never its content)."""

    reason: str


def _decode(raw: bytes | str) -> tuple[str, BadLine | None]:
    """The line as text and, if it is not UTF-8 text free of NUL characters, why. The text then has
    the bad bytes and NULs replaced, so a CSV reader keeps its place in quoted fields."""
    problem = None
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problem = BadLine(
                f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
                " (a binary line?)"
            )
            text = raw.decode("utf-8", errors="replace")
    else:
        text = raw
    if "\x00" in text:
        column = text.index("\x00") + 1
        problem = problem or BadLine(f"holds a NUL character at column {column} (a binary line?)")
        text = text.replace("\x00", "\ufffd")
    return text, problem


def _lines(lines: Iterable[bytes | str]) -> Iterator[tuple[int, str, BadLine | None]]:
    """(number, text, problem) of each line, a UTF-8 byte-order mark dropped from the first."""
    for number, raw in enumerate(lines, start=1):
        text, problem = _decode(raw)
        yield number, text.removeprefix(_BOM) if number == 1 else text, problem


def json_lines(lines: Iterable[bytes | str]) -> Iterator[tuple[int, Any]]:
    """(line number, the parsed JSON value or a BadLine) of each line that is not blank."""
    for number, text, problem in _lines(lines):
        if problem is not None:
            yield number, problem
        elif text.strip():
            yield number, _json(text.rstrip())


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return BadLine(f"not valid JSON: {exc.msg.lower()} at column {exc.colno}")
    except RecursionError:
        return BadLine("not valid JSON: nested too deeply")


def csv_rows(lines: Iterable[bytes | str]) -> Iterator[tuple[int, dict[str, str] | BadLine]]:
    """(number of the row's first line, the row by column or a BadLine) of each row after the header.

    A row that spans lines (a quoted line break) is refused if any of its lines is unreadable.
    """
    bad: dict[int, BadLine] = {}

    def texts() -> Iterator[str]:
        for number, text, problem in _lines(lines):
            if problem is not None:
                bad[number] = problem  # the row it falls in is refused below
            yield text

    reader = csv.reader(texts())
    header: list[str] | None = None
    while True:
        first = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield first, BadLine(f"not valid CSV: {exc}")
            continue
        found = next((bad[n] for n in range(first, reader.line_num + 1) if n in bad), None)
        if header is None:
            if found is not None:
                yield first, found
                return
            header = row
        elif found is not None:
            yield first, found
        elif row:
            yield first, dict(zip(header, row, strict=False))
