"""privault's checks on a dataset that fideslang accepted: what a SQL traversal and erasure need.

Every check returns messages that start with a path (``collections[2].fields[1]...``) and the
collection or field name, so all problems can be reported together.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from typing import Any

from privault.connectors.graph import reachable, undirected_references
from privault.connectors.identity import allowed_forms
from privault.connectors.model import DatasetSpec, reference_parts
from privault.core.taxonomy import fides_data_subjects

_WORD = re.compile(r"[a-z][a-z0-9_]*")


def check_dataset(
    model: Any,
    spec: DatasetSpec,
    mask: tuple[str, ...],
    dated: tuple[str, ...] = (),
    stored: dict[str, str] | None = None,
) -> list[str]:
    """Every problem found in a validated fideslang Dataset and its converted spec."""
    problems: list[str] = []
    for index, collection in enumerate(model.collections):
        where = f"collections[{index}] ({collection.name})"
        problems += _collection_meta(where, collection, spec)
        problems += _subjects(where, collection.data_subjects)
        for position, field in enumerate(collection.fields):
            at = f"{where}.fields[{position}] ({field.name})"
            problems += _field(at, field, model, spec) + _subjects(at, field.data_subjects)
    problems += _identities(spec)
    problems += _stored_forms(spec, stored or {})
    problems += _collections(spec)
    problems += _mask(spec, mask)
    problems += _dated(spec, dated)
    return problems


def _field(where: str, field: Any, model: Any, spec: DatasetSpec) -> list[str]:
    problems: list[str] = []
    if field.fields:
        problems.append(f"{where}: nested fields are not supported for SQL datasets")
    meta = field.fides_meta
    if meta is None:
        return problems
    if meta.identity is not None and not _WORD.fullmatch(meta.identity):
        problems.append(f"{where}.fides_meta.identity: must be a lower-case word such as email")
    for index, ref in enumerate(meta.references or ()):
        problem = _reference(ref, model.fides_key, spec)
        if problem:
            problems.append(f"{where}.fides_meta.references[{index}].field: {problem}")
    return problems


def _reference(ref: Any, dataset_key: str, spec: DatasetSpec) -> str | None:
    if ref.dataset != dataset_key:
        return f"cross-dataset references are not supported (dataset {ref.dataset!r})"
    parts = reference_parts(ref.field)
    if parts is None:
        return f"{ref.field!r} must be of the form collection.field"
    target = spec.collection(parts[0])
    if target is None:
        return f"collection {parts[0]!r} does not exist"
    if target.field(parts[1]) is None:
        return f"field {parts[1]!r} does not exist in collection {parts[0]!r}"
    return None


def _collection_meta(where: str, collection: Any, spec: DatasetSpec) -> list[str]:
    meta = collection.fides_meta
    if meta is None:
        return []
    problems = []
    for index, key in enumerate(meta.erase_after or ()):
        name = key.rpartition(".")[2]
        if spec.collection(name) is None:
            problems.append(
                f"{where}.fides_meta.erase_after[{index}]: collection {name!r} does not exist"
            )
    return problems


def _identities(spec: DatasetSpec) -> list[str]:
    problems = [
        f"{c.name}.{f.name}: an identity field in a collection or field describing other people "
        "(its data_subjects): a requester is never looked up there"
        for c in spec.collections
        for f in c.fields
        if f.identity and (c.others or f.others)
    ]
    if any(f.identity for c in spec.collections for f in c.fields):
        return problems
    return ["collections: no field is marked fides_meta.identity, so no person's rows can be found"]


def _subjects(where: str, subjects: Any) -> list[str]:
    known = fides_data_subjects()
    return [
        f"{where}.data_subjects: {s!r} is not a data subject of the taxonomy"
        for s in subjects or ()
        if s not in known
    ]


def _stored_forms(spec: DatasetSpec, stored: dict[str, str]) -> list[str]:
    """Each ``privault.identities`` entry names an identity field and a form its kind allows."""
    problems = []
    for name, form in stored.items():
        where = f"privault.identities.{name}"
        parts = reference_parts(name)
        collection = spec.collection(parts[0]) if parts else None
        field = collection.field(parts[1]) if collection and parts else None
        if field is None:
            problems.append(f"{where}: no such field (write collection.field)")
        elif not field.identity:
            problems.append(f"{where}: the field is not an identity (fides_meta.identity)")
        elif form not in allowed_forms(field.identity):
            forms = ", ".join(sorted(allowed_forms(field.identity)))
            problems.append(
                f"{where}: {form!r} is not a stored form of a {field.identity} identity ({forms})"
            )
    return problems


def _collections(spec: DatasetSpec) -> list[str]:
    found = reachable(spec, through_others=True)  # only through other people: theirs, not skipped
    problems = []
    for index, collection in enumerate(spec.collections):
        if not collection.personal or collection.skip:
            continue
        where = f"collections[{index}] ({collection.name})"
        if not collection.primary_key:
            problems.append(
                f"{where}: holds personal data but has no primary key "
                "(mark a field fides_meta.primary_key or name it id)"
            )
        if collection.name not in found:
            problems.append(
                f"{where}: holds personal data but no reference path leads to it from an identity field"
            )
    return problems


def _mask(spec: DatasetSpec, mask: tuple[str, ...]) -> list[str]:
    problems = []
    for index, name in enumerate(mask):
        collection = spec.collection(name)
        if collection is None:
            problems.append(f"privault.mask[{index}]: collection {name!r} does not exist")
    return problems


def _dated(spec: DatasetSpec, names: tuple[str, ...]) -> list[str]:
    """Dated collections exist, hold personal data, are processed, and date a declared field."""
    problems = []
    for name in names:
        where = f"privault.retention.{name}"
        collection = spec.collection(name)
        if collection is None:
            problems.append(f"{where}: collection {name!r} does not exist")
        elif collection.skip or not collection.personal:
            problems.append(
                f"{where}: collection {name!r} holds no personal data privault processes"
            )
        elif collection.dated is not None and collection.field(collection.dated.field) is None:
            field = collection.dated.field
            problems.append(f"{where}.date: field {field!r} does not exist in collection {name!r}")
    return problems


def dataset_warnings(spec: DatasetSpec) -> list[str]:
    """What is accepted but worth knowing: references without a direction (followed both ways).

    The rows a person's rows point at through such a reference (an address) are returned, but the
    other rows pointing at them are followed only when no one else's row references them too.
    """
    return [
        f"{ref}: reference without a direction, followed both ways "
        "(from a row other people's rows also reference, never towards those rows)"
        for ref in undirected_references(spec)
    ]


def unknown_categories(spec: DatasetSpec, known: Collection[str]) -> list[str]:
    """Each field's data category the taxonomy (fideslang's and the manifest's own) lacks, with
    the closest known one."""
    problems = []
    for index, collection in enumerate(spec.collections):
        for position, field in enumerate(collection.fields):
            where = f"collections[{index}] ({collection.name}).fields[{position}] ({field.name})"
            problems += [
                f"{where}.data_categories: unknown category {category!r}{_closest(category, known)}"
                for category in field.categories
                if category not in known
            ]
    return problems


def _closest(category: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(category, sorted(known), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return " (declare it under data_categories in the manifest first)"
