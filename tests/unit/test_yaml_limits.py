"""YAML privault reads is UTF-8, nested at most 64 levels and expands to at most 100,000 values."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privault.connectors import load_dataset
from privault.core import yamlsafe
from privault.core.manifest import parse_manifest
from privault.errors import InvalidInput, ManifestInvalid
from privault.services.manifest import read_manifest

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _only_issue(text: str | bytes) -> str:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(text, "privault.yaml")
    (issue,) = caught.value.issues
    return str(issue)


def test_billion_laughs_manifest_is_refused_at_the_line_that_expands_too_far() -> None:
    """The 388-byte bomb is refused, naming its line, before anything expands it."""
    issue = _only_issue(BILLION_LAUGHS)
    assert issue.startswith("privault.yaml:6:")
    assert "expands to more than 100,000 values through YAML aliases" in issue


def test_billion_laughs_dataset_is_refused() -> None:
    """A dataset goes through the same limits."""
    with pytest.raises(InvalidInput, match="expands to more than 100,000 values") as caught:
        load_dataset(BILLION_LAUGHS)
    assert caught.value.code == "dataset.invalid"


def test_ten_thousand_open_brackets_are_refused_as_too_deep() -> None:
    """Deep flow nesting is refused with a clear message, not a crash."""
    assert "nested more than 64 levels deep" in _only_issue("[" * 10_000)


def test_deep_block_nesting_is_refused_at_level_65() -> None:
    """Sixty-four levels are read; sixty-five are refused."""
    assert "nested more than" not in _only_issue("- " * 64 + "x")
    assert "nested more than 64 levels deep" in _only_issue("- " * 65 + "x")


def test_latin1_manifest_names_the_byte_offset() -> None:
    """A byte that is not UTF-8 is named with its offset, line and column."""
    issue = _only_issue(b"organization:\n  name: Caf\xe9\n")
    assert issue.startswith("privault.yaml:2:12:")
    assert "not UTF-8 text: byte 0xe9 at byte offset 25" in issue


def test_latin1_dataset_names_the_byte_offset() -> None:
    """Dataset bytes are checked the same way."""
    with pytest.raises(InvalidInput, match="byte 0xe9 at byte offset 3"):
        load_dataset(b"a: \xe9")


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    """A BOM at the start (as some Windows editors write) is dropped, in bytes and in text."""
    assert yamlsafe.safe_load(b"\xef\xbb\xbfa: 1") == {"a": 1}
    assert yamlsafe.safe_load("\ufeffa: 1") == {"a": 1}


def test_control_characters_are_refused_with_their_position() -> None:
    """A control character is refused as a manifest problem, not an internal error."""
    assert "privault.yaml:2:4: character #x0001 is not allowed" in _only_issue("a: 1\nb: \x01")


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    """A recursive document would expand forever."""
    assert "refers to the anchor that contains it" in _only_issue("a: &x [1, *x]")


def test_aliases_within_the_limit_still_work() -> None:
    """Anchors are legitimate YAML; small expansions load as before."""
    data = yamlsafe.safe_load("base: &b {x: 1}\none: *b\ntwo: *b\n")
    assert data == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1}}


@settings(max_examples=60, deadline=None)
@given(width=st.integers(2, 12), levels=st.integers(1, 12))
def test_alias_bombs_are_loaded_only_when_small(width: int, levels: int) -> None:
    """Any level/width bomb is either loaded (its expansion fits) or refused; never expanded."""
    lines = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, levels + 1)]
    text = "\n".join(lines)
    sizes = [1 + width]
    for _ in range(levels):
        sizes.append(1 + width * sizes[-1])
    expanded = 1 + sum(1 + size for size in sizes)  # the mapping, each key and each value
    if expanded > yamlsafe.MAX_NODES:
        with pytest.raises(yamlsafe.YamlRefused, match="expands to more than"):
            yamlsafe.safe_load(text)
    else:
        assert len(yamlsafe.safe_load(text)) == levels + 1


@settings(max_examples=40, deadline=None)
@given(depth=st.integers(1, 3000), flow=st.booleans())
def test_nesting_is_refused_exactly_beyond_the_limit(depth: int, flow: bool) -> None:
    """Nesting of any depth either loads (<= 64) or is refused (> 64)."""
    text = "[" * depth + "]" * depth if flow else "- " * depth + "x"
    if depth > yamlsafe.MAX_DEPTH:
        with pytest.raises(yamlsafe.YamlRefused, match="nested more than 64 levels"):
            yamlsafe.safe_load(text)
    else:
        assert yamlsafe.safe_load(text) is not None


def test_a_latin1_manifest_file_is_named_with_its_offset(tmp_path: Path) -> None:
    """Reading the file itself: a byte that is not UTF-8 is a manifest problem naming the file."""
    path = tmp_path / "privault.yaml"
    path.write_bytes("organization:\n  name: Café\n".encode("latin-1"))
    with pytest.raises(ManifestInvalid) as caught:
        read_manifest(path)
    assert str(caught.value.issues[0]).startswith(f"{path}:2:12: not UTF-8 text: byte 0xe9")


def test_read_text_names_the_file_and_byte_offset() -> None:
    """The CLI's reading of a dataset file refuses other encodings as invalid input."""
    with pytest.raises(InvalidInput, match=r"crm\.yml: not UTF-8 text: byte 0xe9 at byte offset 3"):
        yamlsafe.read_text(b"a: \xe9", "crm.yml")
    assert yamlsafe.read_text(b"\xef\xbb\xbfa: 1", "crm.yml") == "a: 1"


def test_a_large_document_written_out_in_full_is_not_an_alias_bomb() -> None:
    """Without aliases the count is what the file writes (its size is bounded elsewhere)."""
    text = "\n".join(f"k{n}: [a, b, c]" for n in range(21_000))  # 105,001 values
    assert len(yamlsafe.safe_load(text)) == 21_000
    with pytest.raises(yamlsafe.YamlRefused, match="expands to more than 105,107 values"):
        yamlsafe.safe_load(
            text
            + "\nbomb: &b ["
            + ", ".join(["x"] * 99)
            + "]\nmore: ["
            + ", ".join(["*b"] * 3)
            + "]"
        )
