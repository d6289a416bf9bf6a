"""Fides-compatible dataset YAML, validated and turned into privault's own frozen model.

A dataset describes a company's own database: its collections (tables), their fields (columns), the
data categories each holds, which fields identify a person and how collections reference each other.
``load_dataset`` accepts the Fides file form (``dataset: [ {...} ]``) or a bare dataset mapping,
validates it with ``fideslang`` and then with privault's own checks, and reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from privault.connectors.dataset_checks import check_dataset
from privault.connectors.model import (
    CollectionSpec,
    DatasetSpec,
    Dated,
    FieldSpec,
    Reference,
    describes_others,
    identity_kind,
    primary_key,
    reference_parts,
)
from privault.core import yamlsafe
from privault.errors import InvalidInput

__all__ = ["CollectionSpec", "DatasetSpec", "FieldSpec", "Reference", "load_dataset"]

CODE = "dataset.invalid"


def load_dataset(text: str | bytes) -> DatasetSpec:
    """Parse and validate dataset YAML; raise InvalidInput(code="dataset.invalid") listing every problem."""
    body, ext = _unwrap(_parse_yaml(text))
    model = _in_declared_order(_validate(body), body)
    spec = _convert(model, ext)
    problems = check_dataset(model, spec, ext.mask, tuple(ext.dated), ext.identities)
    if problems:
        raise dataset_invalid(problems)
    return spec


def dataset_invalid(problems: list[str]) -> InvalidInput:
    """One InvalidInput naming every problem found."""
    count = len(problems)
    head = f"the dataset has {count} problem{'s' if count != 1 else ''}"
    return InvalidInput(head + ":\n" + "\n".join(f"  - {p}" for p in problems), code=CODE)


def _parse_yaml(text: str | bytes) -> Any:
    try:
        return yamlsafe.safe_load(text, "dataset")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        hint = f" ({exc.hint})" if isinstance(exc, yamlsafe.YamlRefused) else ""
        raise dataset_invalid([f"the YAML cannot be read{where}: {exc.problem}{hint}"]) from None
    except yaml.YAMLError:
        raise dataset_invalid(["the YAML cannot be read"]) from None


@dataclass(frozen=True, slots=True)
class Extension:
    """The ``privault:`` extension: collections masked instead of deleted, dated collections, and
    how identity fields store their values (``collection.field`` -> stored form)."""

    mask: tuple[str, ...] = ()
    dated: dict[str, Dated] = field(default_factory=dict)
    identities: dict[str, str] = field(default_factory=dict)


def _unwrap(raw: Any) -> tuple[dict[str, Any], Extension]:
    """The dataset mapping (file form or bare) and the privault extension."""
    if not isinstance(raw, Mapping):
        raise dataset_invalid(["the document must be a mapping (a dataset or `dataset: [...]`)"])
    outer = dict(raw)
    mask = outer.pop("privault", {})
    if "dataset" in outer:
        entries = outer.pop("dataset")
        if (
            not isinstance(entries, list)
            or len(entries) != 1
            or not isinstance(entries[0], Mapping)
        ):
            raise dataset_invalid(["dataset: the file must hold exactly one dataset mapping"])
        extra = sorted(str(k) for k in outer)
        if extra:
            raise dataset_invalid([f"{', '.join(extra)}: unknown top-level key next to `dataset`"])
        outer = dict(entries[0])
        mask = outer.pop("privault", mask)
    return outer, _extension(mask)


def _extension(ext: Any) -> Extension:
    if not isinstance(ext, Mapping) or set(ext) - {"mask", "retention", "identities"}:
        raise dataset_invalid(
            [
                "privault: must be a mapping with `mask: [collection names]`, `retention: {...}` "
                "and/or `identities: {collection.field: stored form}`"
            ]
        )
    names = ext.get("mask", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise dataset_invalid(["privault.mask: must be a list of collection names"])
    return Extension(
        tuple(names), _dated(ext.get("retention", {})), _identities(ext.get("identities", {}))
    )


def _identities(raw: Any) -> dict[str, str]:
    """``identities: {collection.field: form}`` (or ``{stored: form}``), shapes checked here."""
    if not isinstance(raw, Mapping):
        raise dataset_invalid(["privault.identities: must map collection.field to a stored form"])
    forms: dict[str, str] = {}
    problems: list[str] = []
    for name, entry in raw.items():
        form = entry.get("stored") if isinstance(entry, Mapping) else entry
        if not isinstance(form, str) or (isinstance(entry, Mapping) and set(entry) - {"stored"}):
            problems.append(
                f"privault.identities.{name}: must be a stored form such as any_case, exact, "
                "any_format, e164 or digits"
            )
        else:
            forms[str(name)] = form
    if problems:
        raise dataset_invalid(problems)
    return forms


def _dated(raw: Any) -> dict[str, Dated]:
    """``retention: {collection: {date: field, purpose: key}}``, every problem named."""
    if not isinstance(raw, Mapping):
        raise dataset_invalid(["privault.retention: must map collection names to {date, purpose}"])
    dated: dict[str, Dated] = {}
    problems: list[str] = []
    for name, entry in raw.items():
        where = f"privault.retention.{name}"
        if not isinstance(entry, Mapping) or set(entry) - {"date", "purpose"}:
            problems.append(f"{where}: must be a mapping with `date` and optionally `purpose`")
            continue
        date_field, purpose = entry.get("date"), entry.get("purpose")
        if not isinstance(date_field, str) or not date_field:
            problems.append(
                f"{where}.date: must name the field holding when the row's data was collected"
            )
        elif purpose is not None and (not isinstance(purpose, str) or not purpose):
            problems.append(f"{where}.purpose: must be a purpose key of the manifest")
        else:
            dated[str(name)] = Dated(date_field, purpose)
    if problems:
        raise dataset_invalid(problems)
    return dated


def _validate(body: dict[str, Any]) -> Any:
    from fideslang.models import Dataset  # noqa: PLC0415 - heavy import, only when loading

    try:
        model = Dataset.model_validate(body)
    except ValidationError as exc:
        raise dataset_invalid([_describe(e) for e in exc.errors()]) from None
    return model


def _in_declared_order(model: Any, body: Mapping[str, Any]) -> Any:
    """fideslang sorts collections and fields by name; put them back in the order written."""
    raw = [c for c in body.get("collections", ()) if isinstance(c, Mapping)]
    order = {c.get("name"): i for i, c in enumerate(raw)}
    collections = []
    for collection in sorted(model.collections, key=lambda c: order.get(c.name, len(order))):
        fields_raw = (
            raw[order[collection.name]].get("fields") or () if collection.name in order else ()
        )
        positions = {f.get("name"): i for i, f in enumerate(fields_raw) if isinstance(f, Mapping)}
        fields = sorted(collection.fields, key=lambda f: positions.get(f.name, len(positions)))
        collections.append(collection.model_copy(update={"fields": fields}))
    return model.model_copy(update={"collections": collections})


def _describe(error: Mapping[str, Any]) -> str:
    """``collections[2].fields[1].name: Field required`` - the path and message, never the input."""
    path = ""
    for part in error.get("loc", ()):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return f"{path or 'dataset'}: {error.get('msg', 'invalid')}"


def _convert(model: Any, ext: Extension) -> DatasetSpec:
    collections = tuple(_collection(c, ext) for c in model.collections)
    return DatasetSpec(
        key=model.fides_key, name=model.name or model.fides_key, collections=collections
    )


def _collection(model: Any, ext: Extension) -> CollectionSpec:
    fields = tuple(_field(f, ext.identities.get(f"{model.name}.{f.name}")) for f in model.fields)
    meta = model.fides_meta
    override = meta.masking_strategy_override if meta else None
    delete_rows: bool | None = True if override is not None else None
    if model.name in ext.mask:
        delete_rows = False
    return CollectionSpec(
        name=model.name,
        fields=fields,
        primary_key=primary_key(fields),
        skip=bool(meta and meta.skip_processing),
        delete_rows=delete_rows,
        erase_after=tuple(a.rpartition(".")[2] for a in (meta.erase_after or ())) if meta else (),
        dated=ext.dated.get(model.name),
        others=describes_others(tuple(model.data_subjects or ())),
    )


def _field(model: Any, stored: str | None = None) -> FieldSpec:
    meta = model.fides_meta
    references: list[Reference] = []
    for ref in (meta.references or ()) if meta else ():
        parts = reference_parts(ref.field)
        if parts:
            direction = ref.direction.value if ref.direction is not None else None
            references.append(Reference(parts[0], parts[1], direction))
    return FieldSpec(
        name=model.name,
        categories=tuple(model.data_categories or ()),
        identity=identity_kind(meta.identity) if meta and meta.identity else None,
        references=tuple(references),
        primary_key=bool(meta and meta.primary_key),
        read_only=bool(meta and meta.read_only),
        stored=stored,
        others=describes_others(tuple(model.data_subjects or ())),
    )
