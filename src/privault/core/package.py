"""The access / portability package: a subject's data and the right-to-know report, as one zip.

Pure: the model of the package and the text of its data files, ``data.json`` (everything) and one
CSV per section at ``csv/<source>/<collection>.csv``; nothing here reads or writes anything. The
zip, with ``report.html`` (a readable page) and ``README.txt``, is laid out by
``services/fulfilment/package_files.py``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from json.encoder import encode_basestring
from typing import Any, Literal, TypeVar

from privault.core.display import WITHHELD
from privault.errors import InvalidInput

LAST_FOUR_NOTE = (
    "Card, bank-account, government ID, health insurance and medical record numbers show only their "
    "last four characters (for example ****1001), so that the whole number is never sent in a copy "
    "of your data."
)
"""Said in every package where some value is shown by its last four (11 CCR §7024(d))."""

WITHHELD_NOTE = (
    f"Passwords, security questions and answers, login credentials and biometric data show as "
    f"{WITHHELD}: the law does not allow us to disclose them in answer to a request to know. You "
    f"can ask our staff to confirm that we hold them, or to reset them."
)
"""Said in every package where some value is withheld (11 CCR §7024(d))."""

_T = TypeVar("_T")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Section:
    """One table of the subject's data, from the vault or one datastore."""

    source: str  # "vault" or a datastore key, e.g. "crm"
    collection: str  # "customers", or "personal_data" / "identities" for the vault
    columns: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]  # column -> data categories (fideslang keys)
    rows: Sequence[Sequence[object]]  # JSON-friendly values (str/int/float/bool/None)
    last_four: tuple[str, ...] = ()  # columns shown by their last four characters (core/display.py)
    withheld: tuple[str, ...] = ()  # columns holding values shown as [withheld] (core/display.py)

    def __post_init__(self) -> None:
        for name in (self.source, self.collection):
            if not _SAFE_NAME.fullmatch(name):
                raise InvalidInput(
                    "a package section needs a source and collection made of letters, digits, "
                    "'_', '.' and '-'",
                    code="package.invalid",
                )
        if not self.columns or len(set(self.columns)) != len(self.columns):
            raise InvalidInput(
                "a package section needs at least one column and no column twice",
                code="package.invalid",
            )
        if not set(self.last_four) | set(self.withheld) <= set(self.columns):
            raise InvalidInput(
                "a package section masks only columns it has", code="package.invalid"
            )
        width = len(self.columns)
        if not set(map(len, self.rows)) <= {width}:
            raise InvalidInput(
                "every row of a package section needs one value per column", code="package.invalid"
            )

    @property
    def csv_path(self) -> str:
        """Where this section's CSV file sits inside the zip."""
        return f"csv/{self.source}/{self.collection}.csv"


@dataclass(frozen=True, slots=True)
class ReportItem:
    """One line of the right-to-know report: a label and an optional explanation."""

    label: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class KnowReport:
    """The right-to-know report (GDPR Art. 15(1)(a)-(h), CCPA 1798.110)."""

    categories: tuple[ReportItem, ...]
    sources: tuple[ReportItem, ...]
    purposes: tuple[ReportItem, ...]
    recipients: tuple[ReportItem, ...]
    retention: tuple[ReportItem, ...]
    rights: tuple[ReportItem, ...]
    lookback_from: date | None
    lookback_to: date
    complaint_authority: str
    automated_decisions: str
    # GDPR Art. 15(2): per recipient and country outside the EEA, the adequacy decision or the
    # Art. 46 safeguard; None where the GDPR does not apply to the request.
    transfers: tuple[ReportItem, ...] | None = None


@dataclass(frozen=True, slots=True)
class Package:
    """Everything one access or portability answer hands to the subject."""

    kind: Literal["access", "portability"]
    tenant_name: str
    request_ref: str
    generated_at: datetime
    report: KnowReport | None
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = field(default=())  # e.g. why some data was retained or withheld

    def __post_init__(self) -> None:
        paths = [section.csv_path for section in self.sections]
        if len(set(paths)) != len(paths):
            raise InvalidInput(
                "a package holds each source and collection once", code="package.invalid"
            )

    @property
    def all_notes(self) -> tuple[str, ...]:
        """The notes, and what the last-four form and [withheld] mean when some section uses them."""
        last_four = any(section.last_four for section in self.sections)
        withheld = any(section.withheld for section in self.sections)
        return (
            *self.notes,
            *((LAST_FOUR_NOTE,) if last_four else ()),
            *((WITHHELD_NOTE,) if withheld else ()),
        )

    @property
    def row_count(self) -> int:
        """How many rows all sections hold together."""
        return sum(len(section.rows) for section in self.sections)


# --- the files -----------------------------------------------------------------------------------


def data_files(package: Package) -> Iterator[tuple[str, str]]:
    """``data.json``, then each section's CSV, as (path in the zip, text), each built only when
    asked for; each section's values are laid out once for both."""
    tables = [_table(section) for section in package.sections]
    yield "data.json", _data_json(package, tables)
    for section, table in zip(package.sections, tables, strict=True):
        yield section.csv_path, _section_csv(section, table)


def package_filename(package: Package) -> str:
    """A safe file name such as ``bluewave-access-req-42-20250301.zip`` (no personal data)."""
    parts = (package.tenant_name, package.kind, package.request_ref)
    slug = "-".join(filter(None, (_slug(part) for part in parts)))
    return f"{slug}-{package.generated_at:%Y%m%d}.zip"


def _slug(text: str) -> str:
    """Lower-case letters and digits joined by '-'."""
    return _SLUG_DROP.sub("-", text.lower()).strip("-")[:60]


# --- data.json and CSV ---------------------------------------------------------------------------


def data_json(package: Package) -> str:
    """Everything in the package as one JSON document (compact, UTF-8, not ASCII-escaped)."""
    return _data_json(package, [_table(section) for section in package.sections])


def _data_json(package: Package, tables: Sequence[_Table]) -> str:
    """data.json, given each section's values laid out."""
    head = {
        "kind": package.kind,
        "tenant": package.tenant_name,
        "request_ref": package.request_ref,
        "generated_at": package.generated_at.isoformat(),
        "report": _report_dict(package.report),
        "notes": list(package.all_notes),
        "categories": _nest(package.sections, _categories),
    }
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"), default=str)
    data = _data_object(package.sections, tables)
    return "".join([text[:-1], ',"data":', *data, "}"])  # one copy of the megabytes of rows


def _nest(sections: Iterable[Section], value: Callable[[Section], _T]) -> dict[str, dict[str, _T]]:
    """``{source: {collection: value(section)}}`` in section order."""
    nested: dict[str, dict[str, _T]] = {}
    for section in sections:
        nested.setdefault(section.source, {})[section.collection] = value(section)
    return nested


def _categories(section: Section) -> dict[str, list[str]]:
    """Column -> its data categories, for every column."""
    return {column: list(section.categories.get(column, ())) for column in section.columns}


def _data_object(sections: Sequence[Section], tables: Sequence[_Table]) -> Iterator[str]:
    """``{source: {collection: [{column: value}, ...]}}`` as pieces of JSON text."""
    nested: dict[str, list[tuple[str, list[str]]]] = {}
    for section, table in zip(sections, tables, strict=True):
        rows = [_rows_json(section, table)]
        nested.setdefault(section.source, []).append((section.collection, rows))
    return _object((source, _object(collections)) for source, collections in nested.items())


def _object(members: Iterable[tuple[str, Iterable[str]]]) -> Iterator[str]:
    """A JSON object from (key, value as pieces of JSON text) pairs, as pieces of JSON text.

    The pieces are joined once, by the caller: joining each level would copy the rows each time.
    """
    separator = "{"
    for key, value in members:
        yield separator + encode_basestring(key) + ":"
        yield from value
        separator = ","
    yield "{}" if separator == "{" else "}"


def _report_dict(report: KnowReport | None) -> dict[str, object] | None:
    """The report as plain JSON values."""
    if report is None:
        return None

    def items(values: tuple[ReportItem, ...]) -> list[dict[str, str]]:
        return [{"label": item.label, "detail": item.detail} for item in values]

    return {
        "categories": items(report.categories),
        "sources": items(report.sources),
        "purposes": items(report.purposes),
        "recipients": items(report.recipients),
        "retention": items(report.retention),
        "rights": items(report.rights),
        "lookback_from": report.lookback_from.isoformat() if report.lookback_from else None,
        "lookback_to": report.lookback_to.isoformat(),
        "complaint_authority": report.complaint_authority,
        "automated_decisions": report.automated_decisions,
        "transfers": None if report.transfers is None else items(report.transfers),
    }


def section_csv(section: Section) -> str:
    """One section as RFC 4180 CSV (CRLF line ends): a header row of column names, then every row.

    The text is exactly what ``csv.writer`` writes; the rows are filled in faster (see below), except
    in a one-column section, which goes through ``csv.writer`` itself.
    """
    return _section_csv(section, _table(section))


def _section_csv(section: Section, table: _Table) -> str:
    """A section's CSV, given its values laid out."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(section.columns)
    lines = _rows_csv(section, table)
    if lines is None:
        writer.writerows(section.rows)
    else:
        out.write(lines)
    return out.getvalue()


# --- fast row text -------------------------------------------------------------------------------
# The rows are nearly all of a package, so each section's rows are written by one %-format call: a
# row template with one slot per column, repeated once per row, filled from all the values laid end
# to end. A column of plain strings that need no escaping, or of ints, fills its slots untouched;
# other columns are converted value by value first, as a slice of the laid-out values. Nothing is
# made per row (transposing with zip(*rows) made an iterator per row, which kept the garbage
# collector busy). Property tests hold the results to what json.dumps and csv.writer write.

_Fill = tuple[str, list[str] | None]  # (%-slot, the column's values as text, or None for "as is")
_JSON_ESCAPES = "".join(map(chr, range(0x20))) + '"\\'  # what json.dumps escapes in a string
_CSV_QUOTES = ',"\r\n'  # what makes csv.writer quote a field
_JSON_VALUE: dict[type, Callable[[Any], str]] = {
    str: encode_basestring,
    int: int.__repr__,
    bool: {True: "true", False: "false"}.__getitem__,
    type(None): lambda _: "null",
}
_json_any = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


@dataclass(frozen=True, slots=True)
class _Table:
    """A section's values laid end to end (row after row), as columns, and each column's types."""

    values: list[object]
    columns: list[list[object]]
    kinds: list[set[type]]


def _table(section: Section) -> _Table:
    """Lay a section's values out once, for both its JSON and its CSV."""
    values = list(chain.from_iterable(section.rows))
    width = len(section.columns)
    columns = [values[index::width] for index in range(width)]
    return _Table(values, columns, [set(map(type, column)) for column in columns])


def _rows_json(section: Section, table: _Table) -> str:
    """The section's rows as a JSON array of ``{column: value}`` objects."""
    if not section.rows:
        return "[]"
    fills = list(map(_json_fill, table.columns, table.kinds))
    keys = [encode_basestring(column).replace("%", "%%") for column in section.columns]
    members = ",".join(f"{key}:{slot}" for key, (slot, _) in zip(keys, fills, strict=True))
    template = ",".join(["{" + members + "}"] * len(section.rows))
    return "[" + _filled(template, table.values, fills) + "]"


def _json_fill(values: list[Any], kinds: set[type]) -> _Fill:
    """How one column goes into the JSON template."""
    if kinds == {str} and not _holds_any("".join(values), _JSON_ESCAPES):
        return '"%s"', None
    if kinds == {int}:
        return "%d", None
    if len(kinds) == 1 and (kind := next(iter(kinds))) in _JSON_VALUE:
        return "%s", list(map(_JSON_VALUE[kind], values))
    return "%s", [_JSON_VALUE.get(type(value), _json_any)(value) for value in values]


def _rows_csv(section: Section, table: _Table) -> str | None:
    """The section's rows as CSV lines, or None to leave them to csv.writer (one column, no rows)."""
    if len(section.columns) < 2 or not section.rows:  # csv.writer quotes a lone empty field
        return None
    fills = list(map(_csv_fill, table.columns, table.kinds))
    template = (",".join(slot for slot, _ in fills) + "\r\n") * len(section.rows)
    return _filled(template, table.values, fills)


def _csv_fill(values: list[Any], kinds: set[type]) -> _Fill:
    """How one column goes into the CSV template."""
    if kinds == {str} and not _holds_any("".join(values), _CSV_QUOTES):
        return "%s", None
    if kinds == {int}:
        return "%d", None
    return "%s", list(map(_csv_field, values))


def _csv_field(value: object) -> str:
    """One value as csv.writer writes it: floats by repr, None empty, quoted when needed."""
    text = "" if value is None else repr(value) if isinstance(value, float) else str(value)
    if _holds_any(text, _CSV_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def _holds_any(text: str, characters: str) -> bool:
    """Whether any of the characters is in the text (one fast C search each, unlike a regex)."""
    return any(character in text for character in characters)


def _filled(template: str, values: list[object], fills: Sequence[_Fill]) -> str:
    """``template % values``, with each converted column swapped in first."""
    width = len(fills)
    if any(converted is not None for _, converted in fills):
        values = values.copy()
        for index, (_, converted) in enumerate(fills):
            if converted is not None:
                values[index::width] = converted
    return template % tuple(values)
