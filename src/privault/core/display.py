"""How values are shown: card, bank-account and government ID numbers by their last four characters.

CCPA regulations (11 CCR §7024(d)) forbid disclosing a financial account number or a government
identification number in answer to a request to know, and PCI DSS (req. 3.4.1) lets a card number be
displayed with at most its first six and last four digits. So a value whose data category lies within
``LAST_FOUR_CATEGORIES`` (``core/taxonomy.py``: ``user.financial.bank_account``,
``user.financial.credit_card``, ``user.government_id``; directly, below one, or through an extension
category's ``parent`` chain) is shown as ``****`` and its last four letters or digits:
``4111 1111 1111 1001`` reads ``****1001``. Access packages always show that form; a vault read shows
the whole value only to a role whose grant lists the category under ``full_values``
(``core/access.py``), and that read is audited. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from privault.core.manifest.model import Manifest
from privault.core.manifest.resolve import shows_last_four
from privault.core.taxonomy import LAST_FOUR_CATEGORIES

__all__ = [
    "LAST_FOUR_CATEGORIES",
    "MASK",
    "SHOWN",
    "last_four",
    "last_four_columns",
    "rows_shown",
    "shows_last_four",
]

MASK = "****"
"""What stands for the hidden characters, however many there were (the length is not shown)."""

SHOWN = 4
"""How many of the value's last letters or digits are shown; a value with no more is all masked."""


def last_four(value: object) -> str | None:
    """``value`` as it may be shown: ``****`` and its last four letters or digits.

    A value with four or fewer letters and digits is masked whole (``****``); ``None`` and the empty
    string stay as they are (there is nothing to hide). Integers and floats are read as their text;
    anything else (a list, a mapping, a boolean) is masked whole.
    """
    if value is None or value == "":
        return None if value is None else ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return MASK
    significant = [c for c in str(value) if c.isalnum()]
    if len(significant) <= SHOWN:
        return MASK
    return MASK + "".join(significant[-SHOWN:])


def last_four_columns(
    manifest: Manifest, columns: Sequence[str], categories: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """The columns holding a category shown by its last four (any one of its categories is enough)."""
    return tuple(
        column
        for column in columns
        if any(shows_last_four(manifest, c) for c in categories.get(column, ()))
    )


def rows_shown(
    rows: Sequence[Sequence[object]], columns: Sequence[str], masked: Sequence[str]
) -> Sequence[Sequence[object]]:
    """``rows`` with the values of the ``masked`` columns shown by their last four.

    The rows are returned as they are when no column is masked (no copy of a large table).
    """
    if not masked:
        return rows
    positions = [columns.index(column) for column in masked]
    return [_row_shown(row, positions) for row in rows]


def _row_shown(row: Sequence[object], positions: Sequence[int]) -> tuple[object, ...]:
    """One row with the values at ``positions`` shown by their last four."""
    values = list(row)
    for position in positions:
        values[position] = last_four(values[position])
    return tuple(values)
