"""Imports refuse an unreadable line by its number and import the rest (both engines)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.import_lines import BadLine, csv_rows, json_lines
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import import_subjects
from privault.storage import tables as t
from tests.subject_records import subject_record

BINARY = b"\xff\xfe\x00garbage"


def _subject(n: int) -> dict[str, Any]:
    return subject_record(f"c-{n}", f"c{n}@example.com", f"C {n}", "customer-service")


def _jsonl(*lines: bytes) -> bytes:
    return b"\n".join(lines) + b"\n"


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record).encode()


def _refs(container: Container) -> set[str]:
    with container.uow() as uow:
        bind_tenant(uow, "bluewave")
        return set(uow.session.scalars(select(t.Subject.ref)))


def test_a_binary_line_is_refused_by_number_and_the_rest_import(container: Container) -> None:
    """Line 2 is binary: it is named, lines 1 and 3 are stored."""
    apply_manifest(container.deps)
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "api_key", "test")
    data = _jsonl(_line(_subject(1)), BINARY, _line(_subject(3)))
    report = import_subjects(container.deps, officer, json_lines(io.BytesIO(data)))
    assert report.imported == 2
    assert report.errors == [(2, "not UTF-8 text: byte 0xff at column 1 (a binary line?)")]
    assert _refs(container) == {"c-1", "c-3"}


@pytest.fixture
def ready(cli: Any) -> Any:
    """The schema and the manifest applied, through the CLI."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    return cli


def test_the_cli_imports_around_a_binary_line(
    ready: Any, tmp_path: Path, container: Container
) -> None:
    """``subjects import`` names the binary line and the bad JSON line; the others are stored."""
    path = tmp_path / "subjects.jsonl"
    path.write_bytes(_jsonl(_line(_subject(1)), BINARY, b"{not json", _line(_subject(4))))
    code, out, err = ready("subjects", "import", str(path), "--tenant", "bluewave")
    assert code == 2
    assert "imported 2 subjects, 2 lines refused" in out
    assert f"{path}:2: not UTF-8 text" in err
    assert f"{path}:3: not valid JSON" in err
    assert _refs(container) == {"c-1", "c-4"}


def test_the_cli_imports_a_csv_around_a_binary_line(
    ready: Any, tmp_path: Path, container: Container
) -> None:
    """A CSV row with a binary line is refused by its line number; the next rows import."""
    path = tmp_path / "subjects.csv"
    path.write_bytes(
        b"\xef\xbb\xbfsubject,source,purpose,identity:email,user.name\n"
        b"c-1,direct,customer-service,c1@example.com,C 1\n" + BINARY + b"\n"
        b"c-3,direct,customer-service,c3@example.com,C 3\n"
    )
    code, out, err = ready("subjects", "import", str(path), "--tenant", "bluewave")
    assert code == 2
    assert "imported 2 subjects, 1 lines refused" in out
    assert f"{path}:3: not UTF-8 text" in err
    assert _refs(container) == {"c-1", "c-3"}


def test_the_consent_import_skips_a_binary_line(ready: Any, tmp_path: Path) -> None:
    """``consent import`` names the binary line; the records around it go in."""
    people = tmp_path / "people.jsonl"
    people.write_bytes(_jsonl(_line(_subject(1)), _line(_subject(2))))
    assert ready("subjects", "import", str(people), "--tenant", "bluewave")[0] == 0
    choice = {"kind": "purpose", "scope": "marketing-sms", "granted": True}
    lines = [
        _line({"subject": f"c-{n}", "at": "2025-05-01T10:00:00+00:00", "choices": [choice]})
        for n in (1, 2)
    ]
    path = tmp_path / "history.jsonl"
    path.write_bytes(_jsonl(lines[0], BINARY, lines[1]))
    code, out, err = ready("consent", "import", str(path), "--tenant", "bluewave")
    assert code == 1
    assert "imported 2 records (2 events)" in out
    assert "line 2: not UTF-8 text: byte 0xff" in err


def test_json_lines_number_every_line_and_hide_the_content() -> None:
    """Blank lines count; a NUL character or bad JSON is a BadLine without the line's text."""
    data = b'\xef\xbb\xbf{"a": 1}\n\n{"secret": "x\x00"}\n{"secret"\n[1]\n'
    assert list(json_lines(io.BytesIO(data))) == [
        (1, {"a": 1}),
        (3, BadLine("holds a NUL character at column 14 (a binary line?)")),
        (4, BadLine("not valid JSON: expecting ':' delimiter at column 10")),
        (5, [1]),
    ]


def test_csv_rows_are_numbered_by_their_first_line() -> None:
    """A quoted line break keeps the numbering true; a bad line inside a row refuses that row."""
    data = b'k,v\n1,"a\nb"\n2,"\xff\nc"\n3,d\n'
    rows = list(csv_rows(io.BytesIO(data)))
    assert rows[0] == (2, {"k": "1", "v": "a\nb"})
    assert rows[1][0] == 4
    assert isinstance(rows[1][1], BadLine)
    assert rows[2] == (6, {"k": "3", "v": "d"})
