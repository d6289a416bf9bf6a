"""docs/datasets.md is true: every example builds its SQLite database, loads its dataset and finds,
erases and keeps exactly what the page says; every refused dataset is refused with the message shown."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from privault.connectors import SqlDatastore, load_dataset
from privault.errors import InvalidInput

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "datasets.md"
MARKER = re.compile(r"<!-- (example|refused): (.+?) -->")
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


@dataclass
class Example:
    """One marked example: its kind, name (or refusal text) and its fenced blocks by language."""

    kind: str
    name: str
    blocks: dict[str, str] = field(default_factory=dict)


def examples() -> list[Example]:
    """The marked examples of the guide, each with the blocks up to the next marker or heading."""
    text = GUIDE.read_text(encoding="utf-8")
    found = []
    for marker in MARKER.finditer(text):
        rest = text[marker.end() :]
        end = min(
            (m.start() for m in (MARKER.search(rest), re.search(r"^## ", rest, re.M)) if m),
            default=len(rest),
        )
        blocks = dict(BLOCK.findall(rest[:end]))
        found.append(Example(marker.group(1), marker.group(2), blocks))
    return found


EXAMPLES = [e for e in examples() if e.kind == "example"]
REFUSED = [e for e in examples() if e.kind == "refused"]


def _database(tmp_path: Path, example: Example) -> str:
    path = tmp_path / f"{example.name}.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(example.blocks["sql"])
    return f"sqlite:///{path}"


def _keys(result: Any) -> dict[str, list[Any]]:
    return {
        name: sorted(k[0] for k in rows.primary_keys) for name, rows in result.collections.items()
    }


def test_the_guide_has_examples() -> None:
    """The page holds runnable and refused examples (the parser found them)."""
    assert len(EXAMPLES) >= 5
    assert len(REFUSED) >= 2


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_each_example_finds_and_erases_what_the_guide_says(
    example: Example, tmp_path: Path
) -> None:
    """Access finds the rows listed; erasure deletes and keeps what is listed."""
    expected = json.loads(example.blocks["json"])
    store = SqlDatastore(_database(tmp_path, example), load_dataset(example.blocks["yaml"]))
    access = store.access(expected["identities"])
    assert _keys(access) == expected["found"]
    if "matched" in expected:
        assert access.matched == expected["matched"]
    for rows in access.collections.values():
        spec = store.dataset.collection(rows.name)
        assert spec is not None
        hidden = {f.name for f in spec.fields if f.others}
        assert not hidden & set(rows.columns)
    if "erase" in expected:
        erased = store.erase(expected["identities"])
        assert erased.deleted == expected["erase"]["deleted"]
        kept = {(r.collection, r.code) for r in erased.retained}
        assert kept == set(expected["erase"]["retained"].items())
    store.close()


@pytest.mark.parametrize("example", REFUSED, ids=lambda e: e.name[:40])
def test_each_refused_dataset_is_refused_with_the_message_shown(example: Example) -> None:
    """load_dataset names the problem the guide quotes."""
    with pytest.raises(InvalidInput) as raised:
        load_dataset(example.blocks["yaml"])
    assert example.name in str(raised.value)
