"""How values are shown: card, bank-account, government and medical ID numbers by their last four
characters; passwords, credentials, security answers and biometric data never.

CCPA regulations (11 CCR §7024(d)) forbid disclosing, in answer to a request to know, a Social
Security number, a driver's licence or other government ID number, a financial account number, a
health insurance or medical identification number, an account password, security questions and
answers, or unique biometric data; PCI DSS (req. 3.4.1) lets a card number be displayed with at most
its first six and last four digits. So each data category is shown one of three ways
(``category_display``, the one rule; it lives in ``core/manifest/resolve.py`` so that the manifest
checks can use it, and is re-exported here):

- ``Display.WITHHELD``: within ``WITHHELD_CATEGORIES`` (``core/taxonomy.py``:
  ``user.authorization.password``, ``user.authorization.credentials``,
  ``user.authorization.biometric``, ``user.biometric``), shown as ``[withheld]``;
- ``Display.LAST_FOUR``: within ``LAST_FOUR_CATEGORIES`` (``user.financial.bank_account``,
  ``user.financial.credit_card``, ``user.government_id``,
  ``user.health_and_medical.insurance_beneficiary_id``, ``user.health_and_medical.record_id``),
  shown as ``****`` and its last four letters or digits: ``4111 1111 1111 1001`` reads ``****1001``;
- ``Display.WHOLE``: anything else.

"Within" means the category itself, one below it, or an extension category whose ``parent`` chain
leads to one; the strictest wins. Access packages always show the masked form; a vault read shows the
whole value only to a role whose grant lists the category under ``full_values`` (``core/access.py``),
and that read is audited. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from privault.core.manifest.model import Manifest
from privault.core.manifest.resolve import category_display
from privault.core.taxonomy import LAST_FOUR_CATEGORIES, WITHHELD_CATEGORIES, Display, strictest

__all__ = [
    "LAST_FOUR_CATEGORIES",
    "MASK",
    "SHOWN",
    "WITHHELD",
    "WITHHELD_CATEGORIES",
    "Display",
    "as_shown",
    "category_display",
    "columns_as",
    "last_four",
    "masked_columns",
    "rows_shown",
    "withhold",
]

MASK = "****"
"""What stands for the hidden characters, however many there were (the length is not shown)."""

SHOWN = 4
"""How many of the value's last letters or digits are shown; a value with no more is all masked."""

WITHHELD = "[withheld]"
"""What stands for a withheld value, whatever it was (nothing of it is shown, not even its length)."""


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


def withhold(value: object) -> str | None:
    """``value`` as it may be shown when withheld: ``[withheld]``; ``None`` and the empty string stay
    as they are (there is nothing to hide)."""
    if value is None or value == "":
        return None if value is None else ""
    return WITHHELD


def as_shown(value: object, display: Display) -> object:
    """``value`` as ``display`` shows it: whole, by its last four, or withheld."""
    if display is Display.LAST_FOUR:
        return last_four(value)
    if display is Display.WITHHELD:
        return withhold(value)
    return value


def masked_columns(
    manifest: Manifest, columns: Sequence[str], categories: Mapping[str, Sequence[str]]
) -> dict[str, Display]:
    """The columns not shown whole, each with how it is shown: the strictest of its categories'."""
    masked: dict[str, Display] = {}
    for column in columns:
        display = strictest(category_display(manifest, c) for c in categories.get(column, ()))
        if display is not Display.WHOLE:
            masked[column] = display
    return masked


def columns_as(masked: Mapping[str, Display], display: Display) -> tuple[str, ...]:
    """The columns of ``masked`` shown as ``display``, in order."""
    return tuple(column for column, shown_as in masked.items() if shown_as is display)


def rows_shown(
    rows: Sequence[Sequence[object]], columns: Sequence[str], masked: Mapping[str, Display]
) -> Sequence[Sequence[object]]:
    """``rows`` with the values of the ``masked`` columns shown as each column's display says.

    The rows are returned as they are when no column is masked (no copy of a large table).
    """
    if not masked:
        return rows
    positions = [(columns.index(column), display) for column, display in masked.items()]
    return [_row_shown(row, positions) for row in rows]


def _row_shown(
    row: Sequence[object], positions: Sequence[tuple[int, Display]]
) -> tuple[object, ...]:
    """One row with the values at ``positions`` shown as each one's display says."""
    values = list(row)
    for position, display in positions:
        values[position] = as_shown(values[position], display)
    return tuple(values)
