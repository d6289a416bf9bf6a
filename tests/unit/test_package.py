"""The access / portability package: a zip with data.json, CSVs, report.html and README.txt."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from privault.core.package import (
    LAST_FOUR_NOTE,
    KnowReport,
    Package,
    ReportItem,
    Section,
    data_json,
    package_filename,
    section_csv,
)
from privault.errors import InvalidInput
from privault.rendering import TemplateRenderer
from privault.services.fulfilment.package_files import HTML_ROW_LIMIT, build_zip, render_html

AT = datetime(2025, 3, 1, 14, 5, tzinfo=UTC)
RENDERER = TemplateRenderer()


def _section(rows: list[tuple[object, ...]], collection: str = "customers") -> Section:
    return Section(
        source="crm",
        collection=collection,
        columns=("id", "name", "visits", "vip"),
        categories={"id": ("user.unique_id",), "name": ("user.name",)},
        rows=rows,
    )


def _report() -> KnowReport:
    return KnowReport(
        categories=(ReportItem("Contact details", "email, phone"),),
        sources=(ReportItem("You", "when you signed up"),),
        purposes=(ReportItem("Billing"),),
        recipients=(),
        retention=(ReportItem("Call recordings", "90 days after the call"),),
        rights=(ReportItem("Erasure", "ask us to delete your data"),),
        lookback_from=date(2024, 3, 1),
        lookback_to=date(2025, 3, 1),
        complaint_authority="The ICO, ico.org.uk",
        automated_decisions="We make no decisions about you by automated means alone.",
    )


def _package(*sections: Section, notes: tuple[str, ...] = ()) -> Package:
    return Package("access", "Bluewave Telecom", "req-42", AT, _report(), sections, notes)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


ROWS: list[tuple[object, ...]] = [("c-1", 'Ana, "A"', 3, True), ("c-2", None, 0, False)]


def test_the_zip_holds_data_json_one_csv_per_section_the_page_and_a_readme() -> None:
    """Every file is there, with the layout the README describes."""
    package = _package(_section(ROWS), _section([], "tickets"))
    files = _members(build_zip(RENDERER, package))
    assert set(files) == {
        "README.txt",
        "data.json",
        "report.html",
        "csv/crm/customers.csv",
        "csv/crm/tickets.csv",
    }
    readme = files["README.txt"].decode()
    assert "csv/crm/customers.csv (2 rows)" in readme
    assert "data.json" in readme
    assert "report.html" in readme


def test_data_json_holds_the_report_and_every_row_as_objects() -> None:
    """data.json: {source: {collection: [{column: value}]}} plus the report and categories."""
    document = json.loads(_members(build_zip(RENDERER, _package(_section(ROWS))))["data.json"])
    assert document["data"] == {
        "crm": {
            "customers": [
                {"id": "c-1", "name": 'Ana, "A"', "visits": 3, "vip": True},
                {"id": "c-2", "name": None, "visits": 0, "vip": False},
            ]
        }
    }
    assert document["categories"]["crm"]["customers"]["name"] == ["user.name"]
    assert document["categories"]["crm"]["customers"]["vip"] == []
    assert document["report"]["lookback_from"] == "2024-03-01"
    assert document["report"]["purposes"] == [{"label": "Billing", "detail": ""}]
    assert document["request_ref"] == "req-42"


def test_each_csv_has_a_header_row_and_rfc_4180_quoting() -> None:
    """Commas and quotes are quoted; None is an empty field; lines end in CRLF."""
    text = _members(build_zip(RENDERER, _package(_section(ROWS))))["csv/crm/customers.csv"].decode()
    assert text == 'id,name,visits,vip\r\nc-1,"Ana, ""A""",3,True\r\nc-2,,0,False\r\n'
    assert list(csv.reader(io.StringIO(text)))[1][1] == 'Ana, "A"'


def test_the_page_escapes_values() -> None:
    """A value that looks like HTML is shown, never run."""
    rows: list[tuple[object, ...]] = [("<script>alert(1)</script>", "a & b", 1, True)]
    page = render_html(RENDERER, _package(_section(rows)))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<td>a &amp; b</td>" in page


def test_the_page_escapes_values_that_hold_control_characters() -> None:
    """Values with the characters the fast escaping path joins on still land in their own cells."""
    rows: list[tuple[object, ...]] = [("a\x00<b>", "c\x01d", 1, None)]
    page = render_html(RENDERER, _package(_section(rows)))
    assert "<td>a\x00&lt;b&gt;</td><td>c\x01d</td><td>1</td><td></td>" in page


def test_the_page_is_accessible_and_self_contained() -> None:
    """lang, a caption, column headers with scope, headings, and no external resources."""
    page = render_html(
        RENDERER, _package(_section(ROWS), notes=("Some call recordings are withheld.",))
    )
    assert '<html lang="en">' in page
    assert '<th scope="col">name<span class="cats">user.name</span></th>' in page
    assert "<caption>customers from crm: 2 rows</caption>" in page
    assert "<h1>" in page
    assert "Some call recordings are withheld." in page
    assert "The ICO, ico.org.uk" in page
    assert "<link" not in page
    assert "src=" not in page
    assert "@import" not in page


def test_the_page_shows_at_most_500_rows_and_says_where_the_rest_are() -> None:
    """Big sections are cut in the page; the files keep every row."""
    rows: list[tuple[object, ...]] = [(f"c-{i}", "x", i, False) for i in range(HTML_ROW_LIMIT + 7)]
    package = _package(_section(rows))
    page = render_html(RENDERER, package)
    assert page.count("<tr><td>") == HTML_ROW_LIMIT
    assert "7 more rows are in the CSV and JSON files" in page
    files = _members(build_zip(RENDERER, package))
    assert len(json.loads(files["data.json"])["data"]["crm"]["customers"]) == len(rows)
    assert files["csv/crm/customers.csv"].decode().count("\r\n") == len(rows) + 1


def test_a_portability_package_without_a_report_still_renders() -> None:
    """Portability packages may carry data only."""
    package = Package("portability", "Bluewave", "req-7", AT, None, (_section(ROWS),))
    page = render_html(RENDERER, package)
    assert "Your data, portable" in page
    assert json.loads(data_json(package))["report"] is None


def test_the_file_name_is_safe_and_free_of_personal_data() -> None:
    """Tenant, kind, reference and date, slugged."""
    assert package_filename(_package()) == "bluewave-telecom-access-req-42-20250301.zip"


@pytest.mark.parametrize(
    ("source", "collection", "columns", "rows"),
    [
        ("../etc", "customers", ("id",), []),
        ("crm", "a/b", ("id",), []),
        ("crm", "customers", (), []),
        ("crm", "customers", ("id", "id"), []),
        ("crm", "customers", ("id", "name"), [("only-one",)]),
    ],
)
def test_malformed_sections_are_refused(
    source: str, collection: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]
) -> None:
    """Unsafe paths, missing or repeated columns and ragged rows raise package.invalid."""
    with pytest.raises(InvalidInput) as caught:
        Section(source, collection, columns, {}, rows)
    assert caught.value.code == "package.invalid"


def test_a_section_masks_only_columns_it_has() -> None:
    """A last-four column that is not one of the section's columns is refused."""
    with pytest.raises(InvalidInput) as caught:
        Section("crm", "customers", ("id",), {}, [], last_four=("card",))
    assert caught.value.code == "package.invalid"


def test_a_package_with_last_four_values_says_what_they_are_in_every_file() -> None:
    """README.txt, data.json and report.html explain the ****1001 form; without one, no note."""
    cards = Section(
        "billing", "cards", ("id", "card"), {"card": ("user.financial.credit_card",)},
        [("c-1", "****1001")], last_four=("card",),
    )  # fmt: skip
    files = _members(build_zip(RENDERER, _package(_section(ROWS), cards)))
    assert LAST_FOUR_NOTE in files["README.txt"].decode()
    assert json.loads(files["data.json"])["notes"] == [LAST_FOUR_NOTE]
    assert str(escape(LAST_FOUR_NOTE)) in files["report.html"].decode()
    assert LAST_FOUR_NOTE not in render_html(RENDERER, _package(_section(ROWS)))
    assert _package(_section(ROWS), notes=("x",)).all_notes == ("x",)


def test_a_package_holds_each_collection_once() -> None:
    """Two sections with the same CSV path are refused."""
    with pytest.raises(InvalidInput) as caught:
        _package(_section(ROWS), _section(ROWS))
    assert caught.value.code == "package.invalid"


def test_the_zip_members_are_plain_files_with_the_generation_time() -> None:
    """Mode 0644 and the package's timestamp on every member."""
    with zipfile.ZipFile(io.BytesIO(build_zip(RENDERER, _package(_section(ROWS))))) as archive:
        for info in archive.infolist():
            assert info.external_attr >> 16 == 0o100644
            assert info.date_time == (2025, 3, 1, 14, 5, 0)
            assert info.compress_type == zipfile.ZIP_DEFLATED


# --- the fast row encoders write what json and csv would -----------------------------------------

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
_COLUMN_VALUES = st.sampled_from(
    [
        _VALUES,
        st.text(alphabet="abc %", max_size=5),
        st.text(alphabet='a,"\r\n\\', max_size=4),
        st.integers(),
        st.booleans(),
        st.one_of(st.none(), st.text(alphabet="xy", max_size=3)),
    ]
)


@st.composite
def _sections(draw: st.DrawFn) -> Section:
    width = draw(st.integers(min_value=1, max_value=4))
    columns = draw(
        st.lists(st.text(min_size=1, max_size=4), min_size=width, max_size=width, unique=True)
    )
    kinds = [draw(_COLUMN_VALUES) for _ in columns]
    count = draw(st.integers(min_value=0, max_value=5))
    rows = [tuple(draw(kind) for kind in kinds) for _ in range(count)]
    return Section("crm", "customers", tuple(columns), {}, rows)


@settings(max_examples=300, deadline=None)
@given(_sections())
def test_data_json_is_exactly_what_json_dumps_writes(section: Section) -> None:
    """The column-at-a-time encoder matches json.dumps over one dict per row, byte for byte."""
    package = Package("access", "t", "r", AT, None, (section,))
    document = json.loads(data_json(package))
    document["data"] = {
        "crm": {"customers": [dict(zip(section.columns, row, strict=True)) for row in section.rows]}
    }
    expected = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    assert data_json(package) == expected


@settings(max_examples=300, deadline=None)
@given(_sections())
def test_section_csv_is_exactly_what_csv_writer_writes(section: Section) -> None:
    """The fast CSV path matches csv.writer, byte for byte."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(section.columns)
    writer.writerows(section.rows)
    assert section_csv(section) == out.getvalue()


def _cell(value: object) -> str:
    """One cell as the page shows it, escaped on its own."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = str(value)
    return str(escape(text))


@settings(max_examples=300, deadline=None)
@given(_sections())
def test_the_page_body_is_every_cell_escaped_on_its_own(section: Section) -> None:
    """The table body, escaped in one call, matches escaping each cell by itself."""
    page = render_html(RENDERER, Package("access", "t", "r", AT, None, (section,)))
    body = "".join(
        "<tr><td>" + "</td><td>".join(map(_cell, row)) + "</td></tr>\n" for row in section.rows
    )
    assert f"<tbody>\n{body}</tbody>" in page


def test_rows_keep_their_values_when_a_column_mixes_types() -> None:
    """Columns mixing None, booleans, floats, big ints and JSON values match json and csv."""
    rows: list[tuple[object, ...]] = [
        (None, 1.5, 10**20, {"k": [1, "a,b"]}, "x"),
        (True, 1e16, -3, ["é", None], 'say "hi"\n'),
        (False, 0.1, 0, None, ""),
    ]
    section = Section("crm", "mixed", ("a", "b", "c", "d", "e"), {}, rows)
    document = json.loads(data_json(Package("access", "t", "r", AT, None, (section,))))
    assert document["data"]["crm"]["mixed"][1] == dict(zip(section.columns, rows[1], strict=True))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([section.columns, *rows])
    assert section_csv(section) == out.getvalue()
