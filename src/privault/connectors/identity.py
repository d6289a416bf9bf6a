"""Matching a person's identities against a company's columns, however the columns store them.

privault holds each identity in one canonical form (a trimmed lower-case e-mail, an E.164 phone, a
trimmed case-folded word for other kinds). A company's database may keep ``MARY.SMITH@Example.com ``,
``(415) 555-0001`` or ``4155550001``. Each identity field has a *stored form*, declared in the
dataset's ``privault.identities`` or guessed from its kind:

- ``exact``: the column holds the canonical form; a plain comparison (any index serves it);
- ``any_case`` (e-mails and other kinds by default): compared trimmed and lower-cased, in SQL;
- ``any_format`` (phones by default): compared on its digits alone, against the number's E.164
  digits, its national number with and without the trunk prefix and its ``00`` international form;
- ``e164``: the column holds E.164 phones (``+14155550001``); a plain comparison;
- ``digits``: the column holds a phone's digits alone; a plain comparison against the same
  candidates as ``any_format``.

The database compares (``lower(trim(col))``, a digits-only expression), never Python over a scan:
an index on the same expression serves the lookup where the engine allows it. On MySQL/MariaDB a
column with a case-insensitive collation already compares without case (and ignores trailing
spaces), so ``any_case`` is a plain comparison there and an ordinary index serves it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import phonenumbers
from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    any_,
    bindparam,
    func,
    inspect,
    literal_column,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnClause

from privault.connectors.model import DatasetSpec
from privault.connectors.sqlbits import failing_as

Form = Literal["exact", "any_case", "any_format", "e164", "digits"]
FORMS: tuple[Form, ...] = ("exact", "any_case", "any_format", "e164", "digits")
PHONE_FORMS: frozenset[str] = frozenset({"exact", "any_format", "e164", "digits"})
TEXT_FORMS: frozenset[str] = frozenset({"exact", "any_case"})

# What SQLite's digits-only expression removes (it has no regexp_replace): common phone punctuation.
PHONE_PUNCTUATION = (" ", "-", "(", ")", ".", "+", "/")
# SQLite's lower() (and PostgreSQL's under the C locale) folds ASCII letters only: a stored
# ``WÓJCIK`` lowers to ``wÓjcik``. The candidates then also hold each such spelling, up to this many
# non-ASCII letters (2**6 = 64 spellings); past it, ``datastores test`` reports what is missed.
_CASE_VARIANT_LETTERS = 6
_NOT_DIGIT = re.compile(r"[^0-9]")


def default_form(kind: str) -> Form:
    """The stored form assumed when the dataset declares none."""
    return "any_format" if kind == "phone" else "any_case"


def allowed_forms(kind: str) -> frozenset[str]:
    """The stored forms an identity of ``kind`` may declare."""
    return PHONE_FORMS if kind == "phone" else TEXT_FORMS


@dataclass(frozen=True, slots=True)
class IdentityColumn:
    """One identity field as the database holds it: its form, whether it is text and, on
    MySQL/MariaDB, whether its collation compares without case."""

    collection: str
    field: str
    kind: str
    form: Form
    is_string: bool = True
    case_insensitive: bool = False

    def expression(self, col: ColumnClause[Any], dialect: Dialect) -> ColumnElement[Any]:
        """What the database compares with the candidates."""
        if not self.is_string or self.form in ("exact", "e164", "digits"):
            return col
        if self.form == "any_case":
            if self.case_insensitive:
                return col
            return func.lower(func.trim(col))
        return digits_expression(col, dialect)

    def condition(
        self, col: ColumnClause[Any], dialect: Dialect, values: Sequence[Any]
    ) -> ColumnElement[bool]:
        """``expression IN (candidates)`` (``= ANY(array)`` on PostgreSQL)."""
        expression = self.expression(col, dialect)
        if dialect.name == "postgresql":
            return expression == any_(bindparam(None, list(values)))
        return expression.in_(list(values))

    def candidates(self, values: Iterable[str]) -> list[Any]:
        """The values to compare the column's expression with, for the requester's identities."""
        out: dict[Any, None] = {}
        for value in values:
            for candidate in _candidates(self.form, self.kind, value):
                out[candidate] = None
        if not self.is_string:
            return [int(v) for v in out if isinstance(v, str) and v.isdigit()]
        return list(out)

    def stored_key(self, stored: Any, dialect_name: str) -> Any:
        """What the database's expression makes of a stored value (mirrors ``expression``)."""
        if stored is None or not self.is_string or not isinstance(stored, str):
            return stored
        if self.form in ("exact", "e164", "digits"):
            return stored
        if self.form == "any_case":
            if self.case_insensitive:
                return stored.rstrip(" ").lower()
            trimmed = stored.strip(" ")
            return _ascii_lower(trimmed) if dialect_name == "sqlite" else trimmed.lower()
        return digits_of(stored, dialect_name)


def _ascii_lower(value: str) -> str:
    """What SQLite's lower() makes of a value: ASCII capitals lowered, every other letter kept."""
    return value.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def digits_expression(col: ColumnClause[Any], dialect: Dialect) -> ColumnElement[Any]:
    """The column with everything but its digits removed (SQLite: common punctuation only)."""
    if dialect.name == "postgresql":
        return func.regexp_replace(col, _sql("[^0-9]"), _sql(""), _sql("g"))
    if dialect.name in ("mysql", "mariadb"):
        return func.regexp_replace(col, _sql("[^0-9]"), _sql(""))
    expression: ColumnElement[Any] = col
    for mark in PHONE_PUNCTUATION:
        expression = func.replace(expression, _sql(mark), _sql(""))
    return expression


def _sql(constant: str) -> ColumnElement[Any]:
    """A string constant written into the SQL (not a bound parameter), so that the expression is
    the same text as an index on it and the planner can use that index."""
    return literal_column("'" + constant.replace("'", "''") + "'")


def digits_of(value: str, dialect_name: str) -> str:
    """Python's copy of ``digits_expression`` for one value."""
    if dialect_name == "sqlite":
        for mark in PHONE_PUNCTUATION:
            value = value.replace(mark, "")
        return value
    return _NOT_DIGIT.sub("", value)


def _candidates(form: Form, kind: str, value: str) -> list[str]:
    if form == "exact":
        return [value]
    if form == "any_case":
        return case_spellings(value.strip().lower())
    if form == "e164":
        return [value] if value.startswith("+") else []
    return phone_digit_forms(value)


def case_spellings(folded: str) -> list[str]:
    """``folded`` and its spellings with non-ASCII letters in capitals, as an ASCII-only lower()
    leaves a stored value (``wójcik`` and ``wÓjcik``); at most 2**_CASE_VARIANT_LETTERS."""
    positions = [i for i, c in enumerate(folded) if not c.isascii() and c.upper() != c][
        :_CASE_VARIANT_LETTERS
    ]
    spellings = [folded]
    for position in positions:
        spellings += [
            s[:position] + s[position].upper() + s[position + 1 :]
            for s in spellings
            if len(s[position].upper()) == 1
        ]
    return spellings


def phone_digit_forms(value: str) -> list[str]:
    """The digit strings a phone may be stored as: E.164 digits, the national number with and
    without the trunk prefix, the ``00`` international form and ``+44 (0)20 ...`` written out."""
    try:
        number = phonenumbers.parse(value if value.startswith("+") else f"+{value}", None)
    except phonenumbers.NumberParseException:
        digits = _NOT_DIGIT.sub("", value)
        return [digits] if digits else []
    national = phonenumbers.national_significant_number(number)
    code = str(number.country_code)
    trunk = _NOT_DIGIT.sub(
        "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    )
    forms = [code + national, national, trunk, "00" + code + national, code + "0" + national]
    return list(dict.fromkeys(f for f in forms if f))


def string_column(kind: object) -> bool:
    """Whether a reflected column type holds text."""
    return isinstance(kind, String)


def identity_columns(
    conn: Connection, dataset: DatasetSpec
) -> dict[tuple[str, str], IdentityColumn]:
    """Each identity field as the database holds it: reflected column types and (MySQL/MariaDB)
    collations; a column the database lacks is taken as text."""
    tables = sorted({c.name for c in dataset.collections for f in c.fields if f.identity})
    inspector = inspect(conn)
    with failing_as("*", "reflection"):
        types = {
            (name, info["name"]): info["type"]
            for name in tables
            if inspector.has_table(name)
            for info in inspector.get_columns(name)
        }
        collations = _collations(conn, tables)
    return declared_columns(dataset, types, collations)


def declared_columns(
    dataset: DatasetSpec,
    types: Mapping[tuple[str, str], object] | None = None,
    collations: Mapping[tuple[str, str], str] | None = None,
) -> dict[tuple[str, str], IdentityColumn]:
    """Each identity field with its declared stored form (or its kind's default); text columns
    with case-sensitive comparison unless ``types`` and ``collations`` say otherwise."""
    types, collations = types or {}, collations or {}
    return {
        (c.name, f.name): IdentityColumn(
            c.name,
            f.name,
            f.identity,
            cast(Form, f.stored or default_form(f.identity)),
            string_column(types.get((c.name, f.name), String())),
            collations.get((c.name, f.name), "").endswith("_ci"),
        )
        for c in dataset.collections
        for f in c.fields
        if f.identity
    }


def _collations(conn: Connection, tables: list[str]) -> dict[tuple[str, str], str]:
    """(table, column) -> collation name, on MySQL/MariaDB (elsewhere: nothing)."""
    if conn.dialect.name not in ("mysql", "mariadb") or not tables:
        return {}
    query = text(
        "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN :tables"
    ).bindparams(bindparam("tables", expanding=True))
    rows = conn.execute(query, {"tables": tables}).all()
    return {(str(t), str(c)): str(k or "") for t, c, k in rows}
