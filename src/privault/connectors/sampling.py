"""Identity values as a datastore holds them, sampled: would a request find the person they name?

A sample of each identity column is read, with what the lookup compares: the database's own
expression (``lower(trim(col))``, the digits-only expression) computed by the database, so its
rules (SQLite's ASCII-only ``lower``, ``trim`` removing spaces only) are the ones applied; for a
plain comparison, the value itself (``stored_key``: on a MySQL/MariaDB ``*_ci`` column, as its
collation compares). A value is *missed* when it is a valid identity (``normalise`` accepts it) but
that key is none of the candidates the requester's canonical identity is compared as; values that
are no identity at all are counted apart. The values never leave this module: findings carry
counts and at most a value's shape (``Aaa.Aaa@aaa.aaa``: letters A/a, digits 9, a space ␣, runs cut
at three).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from privault.connectors.identity import PHONE_PUNCTUATION, IdentityColumn, default_form
from privault.connectors.results import Finding
from privault.connectors.sqlbits import failing_as, sql_table
from privault.core.identities import normalise
from privault.errors import InvalidInput

SAMPLE_ROWS = 1000  # values read per identity column
_SHAPES = 3  # distinct shapes shown per finding
_SHAPE_LENGTH = 40
_KIND_NAMES = {"email": "e-mail addresses", "phone": "phone numbers"}


@dataclass(frozen=True, slots=True)
class Sample:
    """What a sample of one identity column holds: how many values, how many a request would miss
    and how many are no identity at all (with a few of their shapes)."""

    total: int
    missed: tuple[str, ...]  # the shape of each missed value
    unparseable: tuple[str, ...]  # the shape of each value that is no identity


def classify(
    column: IdentityColumn, sampled: Sequence[tuple[Any, Any]], region: str | None
) -> Sample:
    """Sort sampled (value, compared key) pairs into found, missed and not identities (by shape)."""
    missed: list[str] = []
    unparseable: list[str] = []
    for value, key in sampled:
        found = would_be_found(column, value, key, region)
        if found is None:
            unparseable.append(shape(value))
        elif not found:
            missed.append(shape(value))
    return Sample(len(sampled), tuple(missed), tuple(unparseable))


def would_be_found(column: IdentityColumn, value: Any, key: Any, region: str | None) -> bool | None:
    """Whether a request giving the identity ``value`` finds its row, the lookup comparing ``key``
    (None: ``value`` is no identity)."""
    try:
        canonical = normalise(column.kind, str(value), region)
    except InvalidInput:
        return None
    return key in column.candidates([canonical])


def shape(value: Any) -> str:
    """A value's shape, which tells what is odd about it without telling the value."""
    out: list[str] = []
    run = 0
    for char in str(value):
        mark = _mark(char)
        run = run + 1 if out and out[-1] == mark and mark in "Aa9" else 1
        if run <= 3:
            out.append(mark)
    text = "".join(out)
    return text if len(text) <= _SHAPE_LENGTH else text[: _SHAPE_LENGTH - 1] + "…"


def _mark(char: str) -> str:
    if char.isalpha():
        return "A" if char.isupper() else "a"
    if char.isdigit():
        return "9"
    return {" ": "␣", "\t": "⇥", "\u00a0": "⍽"}.get(char, char)


def sample_findings(
    conn: Connection, columns: Iterable[IdentityColumn], region: str | None
) -> list[Finding]:
    """``identity.form_missed`` and ``identity.unparseable`` for each sampled identity column."""
    findings: list[Finding] = []
    dialect = conn.dialect.name
    for column in columns:
        sample = classify(column, _sample(conn, column), region)
        if sample.missed:
            findings.append(_missed(column, sample, dialect))
        if sample.unparseable:
            findings.append(_unparseable(column, sample, region))
    return findings


def _sample(conn: Connection, column: IdentityColumn) -> list[tuple[Any, Any]]:
    """Up to ``SAMPLE_ROWS`` (value, what the lookup compares) pairs of the column."""
    tab = sql_table(column.collection, [column.field])
    col = tab.c[column.field]
    expression = column.expression(col, conn.dialect)
    dialect = conn.dialect.name
    with failing_as(column.collection, "sample"):
        if expression is col:
            query = select(col).where(col.is_not(None)).limit(SAMPLE_ROWS)
            return [(v, column.stored_key(v, dialect)) for v in conn.execute(query).scalars()]
        query = select(col, expression).where(col.is_not(None)).limit(SAMPLE_ROWS)
        return [(value, key) for value, key in conn.execute(query)]


def shown(shapes: Sequence[str]) -> str:
    """A few distinct shapes, quoted."""
    return ", ".join(f"«{s}»" for s in list(dict.fromkeys(shapes))[:_SHAPES])


def _missed(column: IdentityColumn, sample: Sample, dialect: str) -> Finding:
    kind = _KIND_NAMES.get(column.kind, f"{column.kind} identities")
    message = (
        f"{len(sample.missed)} of {sample.total} sampled values are {kind} a request giving them "
        f"would not find (compared as {column.form}; shapes: {shown(sample.missed)})"
    )
    where = f"{column.collection}.{column.field}"
    return Finding("identity.form_missed", "error", where, message, missed_hint(column, dialect))


def missed_hint(column: IdentityColumn, dialect: str) -> str:
    """What to change so that values like the missed ones are found."""
    where = f"{column.collection}.{column.field}"
    if column.form in ("exact", "e164", "digits"):
        return (
            f"the values are compared as stored ({column.form}): declare how they are stored in "
            f"privault.identities (`{where}: {default_form(column.kind)}`), or store them so"
        )
    if column.form == "any_case" and column.case_insensitive:
        table, name = column.collection, column.field
        statement = f"UPDATE {table} SET {name} = TRIM({name})"  # noqa: S608 - a hint, never run
        return (
            "the column's collation ignores case and trailing spaces, not leading ones: store the "
            f"values trimmed ({statement})"
        )
    if column.form == "any_case":
        return (
            "the comparison trims spaces and lower-cases; other white space (tabs, non-breaking "
            "spaces) stays: clean the stored values"
        )
    if dialect == "sqlite":
        marks = " ".join(m for m in PHONE_PUNCTUATION if m.strip())
        return (
            f"SQLite's comparison removes only spaces and {marks} from phones: store them in "
            f"E.164 and declare `{where}: e164` in privault.identities, or write them with those "
            "marks only"
        )
    return (
        "their digits are none of the forms a requester's number is compared as (E.164, national "
        f"with or without trunk prefix, 00 international): store them in E.164 and declare "
        f"`{where}: e164` in privault.identities"
    )


def _unparseable(column: IdentityColumn, sample: Sample, region: str | None) -> Finding:
    kind = _KIND_NAMES.get(column.kind, f"{column.kind} identities")
    message = (
        f"{len(sample.unparseable)} of {sample.total} sampled values are not {kind} "
        f"(shapes: {shown(sample.unparseable)})"
    )
    hint = "no request can name the rows holding them: correct or remove the values"
    if column.kind == "phone":
        read_as = (
            f"a value without a country code is read as a {region} number"
            if region
            else "without the tenant's phone region (its default jurisdiction), a value without "
            "a country code cannot be read"
        )
        hint = (
            "these values are not possible phone numbers as stored (too few or too many digits "
            f"for their country, or letters); {read_as}. A request's number may still match "
            "their digits; correct the values, or store numbers in E.164"
        )
    where = f"{column.collection}.{column.field}"
    return Finding("identity.unparseable", "warning", where, message, hint)
