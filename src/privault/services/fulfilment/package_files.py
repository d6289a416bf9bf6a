"""The files of an access or portability package, and the zip that holds them.

``README.txt`` says what each file is; ``data.json`` and the CSVs are the text of
``core/package.py``'s ``data_files``; ``report.html`` is drawn by the renderer (``package.html``)
from the report and the first rows of each section. The zip is built in memory and returned as bytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from markupsafe import Markup, escape

from privault.core.package import KnowReport, Package, ReportItem, Section, data_files
from privault.core.rendering import Renderer

HTML_ROW_LIMIT = 500
"""At most this many rows of each section are shown in ``report.html``; the files hold every row."""

_ZipTime = tuple[int, int, int, int, int, int]


# --- the zip -------------------------------------------------------------------------------------


def build_zip(renderer: Renderer, package: Package) -> bytes:
    """The whole package as zip bytes: data.json, one CSV per section, report.html, README.txt.

    One helper thread compresses each file while the next one is built: zlib releases the GIL while
    it deflates, so on two cores most of the compression overlaps the building (the helper still
    waits for the GIL between output blocks, so the last files are compressed after the building
    ends). Files are written in the order they are built.
    """
    stamp = _zip_time(package.generated_at)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="package-zip") as writer,
    ):
        written = [
            writer.submit(_add, archive, name, data, stamp)
            for name, data in _members(renderer, package)
        ]
        for done in written:
            done.result()
    return buffer.getvalue()


def _members(renderer: Renderer, package: Package) -> Iterator[tuple[str, bytes]]:
    """Each file of the zip, built only when asked for (so building overlaps compressing)."""
    yield "README.txt", _utf8(readme_text(package))
    for name, text in data_files(package):
        yield name, _utf8(text)
    yield "report.html", _utf8(render_html(renderer, package))


def _utf8(text: str) -> bytes:
    """UTF-8 bytes; a lone surrogate (never valid text) becomes '?' instead of failing."""
    return text.encode("utf-8", "replace")


def _add(archive: zipfile.ZipFile, name: str, data: bytes, stamp: _ZipTime) -> None:
    """Write one member as a plain file (mode 0644), deflated at the fastest level."""
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.external_attr = 0o100644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data, compresslevel=1)


def _zip_time(moment: datetime) -> _ZipTime:
    """The zip timestamp for every member (zip cannot store years before 1980)."""
    year = max(moment.year, 1980)
    return (year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


# --- README.txt ----------------------------------------------------------------------------------


def readme_text(package: Package) -> str:
    """What each file in the zip is, in plain words."""
    what = "a copy of your personal data" if package.kind == "access" else "your data, portable"
    lines = [
        f"{package.tenant_name}: {what}",
        f"Request {package.request_ref}, generated {_when(package.generated_at)}.",
        "",
        "Files in this package:",
        "  report.html  A readable page: "
        + ("what we hold, why, and your rights, then " if package.report else "")
        + f"your data as tables (at most {HTML_ROW_LIMIT} rows each).",
        "  data.json    Everything in one JSON file, for reuse by another service or program.",
        "  csv/         One CSV file per table (UTF-8, comma-separated, first row = column names):",
        *(f"               {s.csv_path} ({_rows(len(s.rows))})" for s in package.sections),
        "  README.txt   This file.",
    ]
    if package.all_notes:
        lines += ["", "Notes:", *(f"  - {note}" for note in package.all_notes)]
    return "\r\n".join(lines) + "\r\n"


def _rows(count: int) -> str:
    """'1 row', '2 rows'."""
    return f"{count:,} row" + ("" if count == 1 else "s")


def _when(moment: datetime) -> str:
    """A readable instant, e.g. '2025-03-01 14:05 UTC'."""
    zone = moment.tzname() or ""
    return f"{moment:%Y-%m-%d %H:%M} {zone}".strip()


# --- report.html ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TableView:
    """What the template needs to draw one section."""

    section: Section
    headers: list[tuple[str, str]]  # (column, its categories joined)
    body: Markup  # one "<tr><td>...</td></tr>" line per row shown, escaped
    hidden: int


def render_html(renderer: Renderer, package: Package) -> str:
    """The package as one self-contained, accessible HTML page (no external resources)."""
    return renderer.render(
        "package.html",
        {
            "package": package,
            "report": package.report,
            "when": _when(package.generated_at),
            "report_groups": _report_groups(package.report),
            "tables": [_table_view(section) for section in package.sections],
            "row_limit": HTML_ROW_LIMIT,
        },
    )


def _report_groups(report: KnowReport | None) -> list[tuple[str, tuple[ReportItem, ...]]]:
    """The report's lists, each with its heading, in the order the law lists them."""
    if report is None:
        return []
    groups = [
        ("What personal data we hold", report.categories),
        ("Where it came from", report.sources),
        ("Why we use it", report.purposes),
        ("Who we share it with", report.recipients),
        ("How long we keep it", report.retention),
        ("Your rights", report.rights),
    ]
    if report.transfers is not None:
        groups.append(("Transfers outside the EEA and their safeguards", report.transfers))
    return groups


def _table_view(section: Section) -> _TableView:
    """The first rows of a section, escaped for HTML, and how many rows are left out."""
    shown = section.rows[:HTML_ROW_LIMIT]
    headers = [(c, ", ".join(section.categories.get(c, ()))) for c in section.columns]
    return _TableView(section, headers, _html_body(shown), len(section.rows) - len(shown))


_CELL, _ROW = "\x00", "\x01"  # never valid in HTML text, so never in a value worth showing
_ROW_HTML = Markup("<tr><td>%s</td></tr>\n")
_CELL_BREAK = Markup("</td><td>")


def _html_body(rows: Sequence[Sequence[object]]) -> Markup:
    """The rows as table lines, one ``<tr><td>...</td></tr>`` per row, every value escaped.

    Escaping thousands of cells one by one is slow, so the whole table is written as text with
    two control characters between cells and rows (one %-format call, as for the CSV files),
    escaped in one call, and the characters replaced by the tags. If a value holds one of those
    characters the counts do not match and every cell is escaped on its own instead.
    """
    if not rows:
        return Markup()
    width = len(rows[0])
    values = list(chain.from_iterable(rows))
    for index in range(width):
        column = values[index::width]
        if not _HTML_PLAIN.issuperset(map(type, column)):
            values[index::width] = list(map(_display, column))
    text = _ROW.join([_CELL.join(["%s"] * width)] * len(rows)) % tuple(values)
    if text.count(_CELL) != (width - 1) * len(rows) or text.count(_ROW) != len(rows) - 1:
        return Markup().join(_ROW_HTML % _CELL_BREAK.join(map(_display, row)) for row in rows)
    escaped = str(escape(text)).replace(_CELL, _CELL_BREAK).replace(_ROW, "</td></tr>\n<tr><td>")
    return _ROW_HTML % Markup(escaped)  # noqa: S704 (escaped above)


_HTML_PLAIN = frozenset({str, int, float})  # shown as %s shows them; None and booleans are not


def _display(value: object) -> str:
    """How one value reads in the page: empty for none, yes/no for booleans."""
    if value is None:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)
