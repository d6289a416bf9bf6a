"""Turn manifest text into a validated :class:`Manifest`, or report every problem with its position."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError

from privault.core.manifest.checks import Finding, check_manifest
from privault.core.manifest.model import Manifest
from privault.core.manifest.positions import Path, PositionMap, load_with_positions
from privault.core.yamlsafe import YamlRefused
from privault.errors import ManifestInvalid, ManifestIssue

_LIST_SECTIONS = {
    name: _field
    for name, _field in Manifest.model_fields.items()
    if typing.get_origin(_field.annotation) is list
}


def parse_manifest(text: str | bytes, filename: str = "privault.yaml") -> Manifest:
    """Validate manifest text (or UTF-8 bytes); raise :class:`ManifestInvalid` listing every problem."""
    try:
        data, positions = load_with_positions(text, filename)
    except yaml.MarkedYAMLError as exc:
        raise ManifestInvalid([_yaml_issue(exc, filename)]) from exc
    if not isinstance(data, dict):
        issue = ManifestIssue(filename, 1, 1, "", "the manifest must be a mapping of sections")
        raise ManifestInvalid([issue])
    manifest, findings, index_map = _validate_structure(data)
    if manifest is not None:
        broken = _broken_keys(data, index_map)
        findings += [
            _remap(f, index_map)
            for f in check_manifest(manifest)
            if f.ref is None or f.ref[1] not in broken.get(f.ref[0], set())
        ]
    if findings:
        raise ManifestInvalid(sorted(_to_issues(findings, positions, filename), key=_order))
    assert manifest is not None  # noqa: S101 - no findings implies a manifest
    return manifest


def _yaml_issue(exc: yaml.MarkedYAMLError, filename: str) -> ManifestIssue:
    """The one issue of a manifest YAML cannot read, or that is outside the YAML limits."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if isinstance(exc, YamlRefused):
        return ManifestIssue(filename, line, column, "", str(exc.problem), exc.hint)
    message = f"not valid YAML: {exc.problem or exc.context}"
    return ManifestIssue(filename, line, column, "", message, "check indentation and quoting")


def _broken_keys(data: dict[str, Any], index_map: dict[str, list[int]]) -> dict[str, set[str]]:
    """Keys of items dropped for structural errors: references to them are not errors too."""
    broken: dict[str, set[str]] = {}
    for section, kept in index_map.items():
        items = data[section]
        dropped = set(range(len(items))) - set(kept)
        broken[section] = {
            str(items[i]["key"])
            for i in dropped
            if isinstance(items[i], dict) and "key" in items[i]
        }
    return broken


def _order(issue: ManifestIssue) -> tuple[int, int, str]:
    return (issue.line, issue.column, issue.message)


def _validate_structure(
    data: dict[str, Any],
) -> tuple[Manifest | None, list[Finding], dict[str, list[int]]]:
    """Validate section by section and item by item, so one bad item hides nothing else."""
    findings: list[Finding] = []
    kept: dict[str, Any] = {}
    index_map: dict[str, list[int]] = {}
    for key, value in data.items():
        if key in _LIST_SECTIONS and isinstance(value, list):
            item_model = typing.get_args(_LIST_SECTIONS[key].annotation)[0]
            kept[key], index_map[key] = _validate_items(key, value, item_model, findings)
        else:
            kept[key] = value
    try:
        return Manifest.model_validate(kept), findings, index_map
    except ValidationError as exc:
        findings += _from_validation_error(exc, (), Manifest, index_map)
        return None, findings, index_map


def _validate_items(
    section: str, items: list[Any], model: type[BaseModel], findings: list[Finding]
) -> tuple[list[Any], list[int]]:
    good: list[Any] = []
    indices: list[int] = []
    for index, item in enumerate(items):
        try:
            model.model_validate(item)
        except ValidationError as exc:
            findings += _from_validation_error(exc, (section, index), model, {})
            continue
        good.append(item)
        indices.append(index)
    return good, indices


def _remap(finding: Finding, index_map: dict[str, list[int]]) -> Finding:
    """Map an index into the kept items back to the index in the file."""
    path = finding.path
    if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
        original = index_map.get(path[0])
        if original is not None and path[1] < len(original):
            path = (path[0], original[path[1]], *path[2:])
    return finding._replace(path=path)


def _from_validation_error(
    exc: ValidationError, prefix: Path, model: type[BaseModel], index_map: dict[str, list[int]]
) -> list[Finding]:
    findings = []
    for error in exc.errors(include_input=False, include_url=False):
        loc: Path = tuple(part for part in error["loc"] if not _is_union_tag(part))
        finding = _finding_for(error["type"], error["msg"], loc, model)
        findings.append(_remap(Finding((*prefix, *finding.path), *finding[1:]), index_map))
    return findings


def _is_union_tag(part: str | int) -> bool:
    """pydantic adds the tried type's name to a loc inside unions (e.g. 'str', 'list[str]')."""
    return isinstance(part, str) and (
        part in {"str", "int", "bool", "function-before"} or "[" in part
    )


def _finding_for(kind: str, msg: str, loc: Path, model: type[BaseModel]) -> Finding:
    name = str(loc[-1]) if loc else ""
    if kind == "missing":
        return Finding(loc, f"missing required field '{name}'", f"add '{name}:' here", at_key=False)
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known fields: {', '.join(known)}"
        return Finding(loc, f"unknown field '{name}'", hint, at_key=True)
    if kind == "string_pattern_mismatch":
        return Finding(loc, f"'{name}' is not in the expected form", _pattern_hint(msg))
    return Finding(loc, f"'{name}': {msg[0].lower()}{msg[1:]}" if name else msg, "")


def _pattern_hint(msg: str) -> str:
    if "a-z0-9" in msg:
        return "keys use lower-case letters, digits, '.', '_' and '-'"
    if "#[0-9a-fA-F]{6}" in msg:
        return "colours are written '#rrggbb'"
    if "A-Z]{2}" in msg:
        return "countries are ISO 3166-1 alpha-2 codes such as 'US' or 'DE'"
    if "@" in msg:
        return "an e-mail address such as privacy@example.com"
    return msg


def _fields_at(model: type[BaseModel], loc: Path) -> list[str]:
    """The field names of the model found by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = _unwrap(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] and list[...] to reach the model inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if args else annotation
        elif origin is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def _to_issues(
    findings: list[Finding], positions: PositionMap, filename: str
) -> list[ManifestIssue]:
    issues = []
    for finding in findings:
        where = (
            positions.locate_key(finding.path) if finding.at_key else positions.locate(finding.path)
        )
        path = _dotted(finding.path)
        issues.append(
            ManifestIssue(filename, where.line, where.column, path, finding.message, finding.hint)
        )
    return issues


def _dotted(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
