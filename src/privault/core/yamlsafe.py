"""Reading untrusted YAML within bounds: UTF-8 only, nesting and alias expansion limited.

Every YAML privault reads (the manifest, Fides datasets) goes through :func:`compose`. A document is
refused before anything walks it when it nests deeper than :data:`MAX_DEPTH` levels, or when expanding
its aliases (``*name`` pointing at ``&name``) would give more than :data:`MAX_NODES` values (or more
than the document writes out itself, if that is more) - the "billion laughs" attack, where a few
hundred bytes expand to gigabytes. Refusals are
:class:`YamlRefused`, a ``yaml.MarkedYAMLError`` carrying the line and column, so the callers' existing
YAML error handling reports them with their position.
"""

from __future__ import annotations

from typing import Any

import yaml

from privault.errors import InvalidInput

MAX_DEPTH = 64
MAX_NODES = 100_000

_BOM = "\ufeff"


class YamlRefused(yaml.MarkedYAMLError):
    """A YAML document outside privault's limits (or not UTF-8 text); ``hint`` says what to do."""

    def __init__(self, problem: str, mark: yaml.Mark | None, hint: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


def decode(data: bytes | str, name: str) -> str:
    """UTF-8 text of ``data`` (a leading byte-order mark is dropped); refuse other encodings."""
    if isinstance(data, str):
        return data.removeprefix(_BOM)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start)
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1)
        problem = f"not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset {exc.start}"
        mark = yaml.Mark(name, exc.start, line, column, None, 0)
        raise YamlRefused(problem, mark, "save the file as UTF-8") from None


def read_text(data: bytes, name: str) -> str:
    """The UTF-8 text of a YAML file's bytes; InvalidInput naming the byte offset otherwise."""
    try:
        return decode(data, name)
    except YamlRefused as exc:
        raise InvalidInput(f"{name}: {exc.problem} ({exc.hint})", code="input.invalid") from None


def compose(text: str, loader_class: Any, name: str = "<yaml>") -> tuple[Any, yaml.Node | None]:
    """(loader, root node) of ``text`` within the limits; the caller constructs and disposes."""
    written = _check_depth(text, loader_class, name)
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _Expansion(name, max(MAX_NODES, written)).size(root, 1)
    except yaml.reader.ReaderError as exc:
        loader.dispose()
        raise _reader_refused(exc, text, name) from None
    except BaseException:
        loader.dispose()
        raise
    return loader, root


def _check_depth(text: str, loader_class: Any, name: str) -> int:
    """Stream the parse events (nothing is built), refuse nesting deeper than MAX_DEPTH, and count
    the values written (an alias counts once here)."""
    loader = loader_class(text)
    depth = written = 0
    try:
        while (event := loader.get_event()) is not None:
            written += isinstance(event, yaml.NodeEvent)  # scalars, collections and aliases
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(event.start_mark, name)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.StreamEndEvent):
                break
    except yaml.reader.ReaderError as exc:
        raise _reader_refused(exc, text, name) from None
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own limit (1,000 levels)
            raise _too_deep(exc.problem_mark, name) from None
        raise
    finally:
        loader.dispose()
    return written


def _too_deep(mark: Any, name: str) -> YamlRefused:
    return YamlRefused(
        f"nested more than {MAX_DEPTH} levels deep",
        _named(mark, name),
        f"privault reads YAML nested at most {MAX_DEPTH} levels; flatten the document",
    )


def _named(mark: Any, name: str) -> yaml.Mark | None:
    if mark is None:
        return None
    return yaml.Mark(name, mark.index, mark.line, mark.column, None, 0)


def _reader_refused(exc: yaml.reader.ReaderError, text: str, name: str) -> YamlRefused:
    """A character YAML does not allow (control characters), with its line and column."""
    position = min(max(exc.position, 0), len(text))
    line = text.count("\n", 0, position)
    column = position - (text.rfind("\n", 0, position) + 1)
    mark = yaml.Mark(name, position, line, column, None, 0)
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    problem = f"character #x{code:04x} is not allowed in YAML"
    return YamlRefused(problem, mark, "remove control characters; the file must be UTF-8 text")


class _Expansion:
    """Counts the values a node graph expands to, each shared (aliased) node measured once; more than
    ``limit`` is refused (the limit is never below what the document writes out itself)."""

    def __init__(self, name: str, limit: int) -> None:
        self._name = name
        self._limit = limit
        self._sizes: dict[int, int] = {}
        self._open: set[int] = set()

    def size(self, node: yaml.Node, depth: int) -> int:
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in self._open:
            raise YamlRefused(
                "an alias refers to the anchor that contains it",
                _named(node.start_mark, self._name),
                "a value cannot contain itself; write the value out",
            )
        if depth > MAX_DEPTH and not isinstance(node, yaml.ScalarNode):
            raise _too_deep(node.start_mark, self._name)
        self._open.add(id(node))
        total = 1
        for child in _children(node):
            total += self.size(child, depth + 1)
            self._check(total, node)
        self._open.discard(id(node))
        self._sizes[id(node)] = total
        return total

    def _check(self, total: int, node: yaml.Node) -> None:
        if total > self._limit:
            raise YamlRefused(
                f"the document expands to more than {self._limit:,} values through YAML aliases"
                " (anchors)",
                _named(node.start_mark, self._name),
                "write the repeated parts out instead of using '&anchor' and '*alias'",
            )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def safe_load(data: bytes | str, name: str = "<yaml>") -> Any:
    """``yaml.safe_load`` within the limits (libyaml's parser where PyYAML has it)."""
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader, root = compose(decode(data, name), loader_class, name)
    try:
        return loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
