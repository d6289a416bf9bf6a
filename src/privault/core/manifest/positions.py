"""Read YAML while remembering where each value stands, so errors can name a line and column."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from privault.core import yamlsafe

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Position:
    """1-based line and column."""

    line: int
    column: int


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser where PyYAML has it


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader with YAML 1.2 booleans that refuses duplicate keys instead of keeping the last one.

    YAML 1.1 reads ``no``, ``yes``, ``on`` and ``off`` as booleans, so Norway's country code ``NO``
    would become ``False``; here only ``true`` and ``false`` are booleans.
    """


_BOOL = "tag:yaml.org,2002:bool"
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping names the same key twice."""


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise DuplicateKeyError(
                "while reading a mapping",
                node.start_mark,
                f"the key {key!r} appears twice",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class PositionMap:
    """Positions of every node of a YAML document, by path."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._positions: dict[Path, Position] = {}
        self._key_positions: dict[Path, Position] = {}
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: Path) -> None:
        self._positions[path] = Position(node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = (*path, str(key_node.value))
                mark = key_node.start_mark
                self._key_positions[child] = Position(mark.line + 1, mark.column + 1)
                self._walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*path, index))

    def locate(self, path: Path) -> Position:
        """The position of ``path``, or of its nearest existing ancestor."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in self._positions:
                return self._positions[prefix]
        return Position(1, 1)

    def locate_key(self, path: Path) -> Position:
        """The position of the key that introduces ``path`` (falls back to :meth:`locate`)."""
        return self._key_positions.get(path) or self.locate(path)


def load_with_positions(text: str | bytes, name: str = "privault.yaml") -> tuple[Any, PositionMap]:
    """Parse YAML into plain data and a map of positions. Raises ``yaml.YAMLError``.

    The text must be UTF-8 and stay within :mod:`privault.core.yamlsafe`'s nesting and alias limits
    (:class:`~privault.core.yamlsafe.YamlRefused` otherwise).
    """
    loader, root = yamlsafe.compose(yamlsafe.decode(text, name), _UniqueKeyLoader, name)
    try:
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return data, PositionMap(root)
