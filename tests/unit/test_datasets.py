"""Dataset YAML: the Fides file and bare forms, privault's extension, and every validation error."""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from privault.connectors import load_dataset
from privault.connectors.dataset_checks import dataset_warnings
from privault.connectors.graph import owner_links, query_edges
from privault.connectors.model import Dated, Reference
from privault.connectors.results import json_rows
from privault.errors import InvalidInput
from tests.fixtures.shop import household_dataset_text, shop_dataset_text

BARE = """
fides_key: crm
name: CRM
collections:
  - name: people
    fields:
      - name: pid
        fides_meta: {primary_key: true}
      - name: mail
        data_categories: [user.contact.email]
        fides_meta: {identity: email}
      - name: mobile
        data_categories: [user.contact.phone_number]
        fides_meta: {identity: phone_number}
  - name: notes
    fields:
      - name: id
      - name: person
        data_categories: [user.unique_id]
        fides_meta:
          references: [{dataset: crm, field: people.pid, direction: from}]
      - name: text
        data_categories: [user.content.private]
"""


def _problems(text: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        load_dataset(textwrap.dedent(text))
    assert caught.value.code == "dataset.invalid"
    return caught.value.message


def _with_notes_field(extra: str) -> str:
    return BARE + textwrap.indent(textwrap.dedent(extra), "      ")


def test_the_bare_form_is_read_in_declared_order() -> None:
    """Collections and fields keep the order written (fideslang sorts them by name)."""
    spec = load_dataset(BARE)
    assert (spec.key, spec.name) == ("crm", "CRM")
    assert [c.name for c in spec.collections] == ["people", "notes"]
    people = spec.collections[0]
    assert people.field_names == ("pid", "mail", "mobile")
    assert people.primary_key == ("pid",)
    assert spec.collections[1].primary_key == ("id",)


def test_the_file_form_gives_the_same_dataset() -> None:
    """``dataset: [ {...} ]`` with exactly one dataset is the Fides file form."""
    assert load_dataset(_file_form(BARE)) == load_dataset(BARE)


def _file_form(bare: str) -> str:
    lines = textwrap.dedent(bare).strip().splitlines()
    body = ["  - " + lines[0]] + ["    " + line for line in lines[1:]]
    return "dataset:\n" + "\n".join(body) + "\n"


def test_identity_names_map_to_privault_kinds() -> None:
    """phone_number becomes phone; email stays email."""
    people = load_dataset(BARE).collections[0]
    assert [f.identity for f in people.fields] == [None, "email", "phone"]


def test_a_custom_lower_case_identity_is_kept() -> None:
    """Any lower-case word names an identity kind."""
    spec = load_dataset(BARE.replace("identity: email", "identity: loyalty_card"))
    assert spec.collections[0].fields[1].identity == "loyalty_card"


def test_an_identity_that_is_not_a_lower_case_word_is_refused() -> None:
    """Identity names are kinds such as email or phone."""
    message = _problems(BARE.replace("identity: email", "identity: Email Address"))
    assert (
        "collections[0] (people).fields[1] (mail).fides_meta.identity: must be a lower-case word"
        in message
    )


def test_references_keep_their_direction() -> None:
    """from / to / none, as written."""
    notes = load_dataset(BARE).collections[1]
    assert notes.fields[1].references == (Reference("people", "pid", "from"),)
    assert notes.fields[1].personal
    assert not notes.fields[0].personal


def test_the_shop_dataset_loads() -> None:
    """The fixture dataset used by the contract tests is valid."""
    spec = load_dataset(shop_dataset_text())
    assert len(spec.collections) == 8
    assert not spec.collection("products").personal  # type: ignore[union-attr]


def test_broken_yaml_names_the_line() -> None:
    """A YAML syntax error gives its position, not the text."""
    assert "the YAML cannot be read at line 3, column 1" in _problems(
        "fides_key: x\ncollections: [\n"
    )


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    """A list or scalar is not a dataset."""
    assert "must be a mapping" in _problems("- a\n- b\n")


def test_a_file_with_two_datasets_is_refused() -> None:
    """One file, one dataset."""
    text = _file_form(BARE) + "  - fides_key: other\n    collections: []\n"
    assert "exactly one dataset" in _problems(text)


def test_fideslang_errors_name_their_path() -> None:
    """Pydantic errors become ``collections[1].fields[1]...: message``."""
    message = _problems(BARE.replace("references: [{dataset: crm, field", "references: [{field"))
    assert "collections[1].fields[1].fides_meta.references[0].dataset: Field required" in message


def test_a_missing_field_name_is_reported_with_its_path() -> None:
    """A field without a name."""
    message = _problems(BARE.replace("      - name: text\n", "      - description: text\n"))
    assert "collections[1].fields[2].name: Field required" in message


def test_a_cross_dataset_reference_is_refused() -> None:
    """References must stay in the dataset."""
    message = _problems(BARE.replace("dataset: crm, field", "dataset: billing, field"))
    assert (
        "collections[1] (notes).fields[1] (person).fides_meta.references[0].field: "
        "cross-dataset references are not supported (dataset 'billing')"
    ) in message


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("ghosts.pid", "collection 'ghosts' does not exist"),
        ("people.nope", "field 'nope' does not exist in collection 'people'"),
        ("people", "'people' must be of the form collection.field"),
    ],
)
def test_a_reference_must_name_an_existing_field(target: str, expected: str) -> None:
    """collection.field, both declared."""
    message = _problems(BARE.replace("field: people.pid", f"field: {target}"))
    assert f"references[0].field: {expected}" in message


def test_nested_fields_are_refused() -> None:
    """SQL columns are flat."""
    text = _with_notes_field("""
        - name: meta
          fields:
            - name: inner
        """)
    assert "collections[1] (notes).fields[3] (meta): nested fields are not supported" in _problems(
        text
    )


def test_a_dataset_without_identity_is_refused() -> None:
    """Nothing could find a person's rows."""
    text = BARE.replace("fides_meta: {identity: email}", "").replace(
        "fides_meta: {identity: phone_number}", ""
    )
    assert "no field is marked fides_meta.identity" in _problems(text)


def test_personal_data_no_reference_reaches_is_refused() -> None:
    """Silently skipping a collection would hide data."""
    text = BARE.replace("references: [{dataset: crm, field: people.pid, direction: from}]", "")
    text = text.replace("        fides_meta:\n      - name: text", "      - name: text")
    assert (
        "collections[1] (notes): holds personal data but no reference path leads to it"
        in _problems(text)
    )


def test_a_reference_in_the_wrong_direction_leaves_the_collection_unreachable() -> None:
    """``to`` on notes.person queries people from notes, so notes itself is never reached."""
    message = _problems(BARE.replace("direction: from", "direction: to"))
    assert "collections[1] (notes): holds personal data but no reference path" in message


def test_personal_data_without_a_primary_key_is_refused() -> None:
    """Erasure needs a key to name rows."""
    message = _problems(BARE.replace("      - name: id\n", "      - name: note_no\n"))
    assert "collections[1] (notes): holds personal data but has no primary key" in message


def test_every_problem_is_reported_at_once() -> None:
    """A wrong reference and a missing key, one message."""
    text = BARE.replace("dataset: crm, field", "dataset: billing, field").replace(
        "      - name: id\n", "      - name: note_no\n"
    )
    message = _problems(text)
    assert message.startswith("the dataset has 2 problems:")
    assert "cross-dataset" in message
    assert "no primary key" in message


def test_duplicate_names_are_refused() -> None:
    """Two fields of one collection cannot share a name (fideslang's own check, with its path)."""
    text = _with_notes_field("""
        - name: text
        """)
    assert "collections[1].fields: Value error, Duplicate entries found: [text]" in _problems(text)


def test_skip_erase_after_and_masking_override_are_read() -> None:
    """Collection-level fides_meta becomes flags on the collection."""
    text = BARE.replace(
        "  - name: notes\n",
        "  - name: notes\n    fides_meta:\n      skip_processing: true\n"
        "      erase_after: [crm.people]\n      masking_strategy_override: {strategy: delete}\n",
    )
    notes = load_dataset(text).collections[1]
    assert (notes.skip, notes.erase_after, notes.delete_rows) == (True, ("people",), True)


def test_the_privault_mask_extension_marks_collections_to_mask() -> None:
    """``privault: {mask: [...]}`` keeps rows and masks their personal fields."""
    spec = load_dataset(BARE + "privault: {mask: [notes]}\n")
    assert [c.delete_rows for c in spec.collections] == [None, False]
    in_file = load_dataset(_file_form(BARE) + "privault: {mask: [notes]}\n")
    assert in_file == spec


def test_the_privault_mask_extension_is_checked() -> None:
    """Unknown collections and unknown keys are refused."""
    assert "privault.mask[0]: collection 'ghosts' does not exist" in _problems(
        BARE + "privault: {mask: [ghosts]}\n"
    )
    assert "with `mask: [collection names]`, `retention: {...}` and/or `identities" in _problems(
        BARE + "privault: {delete: [notes]}\n"
    )


def test_the_privault_retention_extension_dates_a_collection() -> None:
    """``privault: {retention: {notes: {date: ..., purpose: ...}}}`` dates the notes' rows."""
    spec = load_dataset(BARE + "privault: {retention: {notes: {date: id, purpose: billing}}}\n")
    assert [c.dated for c in spec.collections] == [None, Dated("id", "billing")]
    assert "privault.retention: must map" in _problems(BARE + "privault: {retention: [notes]}\n")


def test_an_erase_after_naming_an_unknown_collection_is_refused() -> None:
    """erase_after must name a collection of the dataset."""
    text = BARE.replace(
        "  - name: notes\n", "  - name: notes\n    fides_meta: {erase_after: [crm.ghosts]}\n"
    )
    assert "fides_meta.erase_after[0]: collection 'ghosts' does not exist" in _problems(text)


def test_values_are_made_json_friendly() -> None:
    """Dates, decimals, bytes and UUIDs become strings; plain values stay."""
    uid = UUID(int=7)
    rows = json_rows([(date(2020, 1, 2), Decimal("1.50"), b"\x00\x01", uid, 3, None)])
    assert rows == [("2020-01-02", "1.50", "AAE=", str(uid), 3, None)]
    assert json_rows([(datetime(2020, 1, 2, 3, 4, 5), None)]) == [("2020-01-02T03:04:05", None)]  # noqa: DTZ001


UNDIRECTED = (
    BARE.replace(", direction: from}", "}")
    + """
  - name: households
    fields:
      - {name: id}
      - {name: label, data_categories: [user.contact.address]}
  - name: members
    fields:
      - {name: id}
      - name: household_id
        data_categories: [user.unique_id]
        fides_meta: {references: [{dataset: crm, field: households.id}]}
      - name: person
        data_categories: [user.unique_id]
        fides_meta: {references: [{dataset: crm, field: people.pid, direction: from}]}
"""
)


def test_a_reference_without_direction_loads_and_becomes_an_edge_both_ways() -> None:
    """Fides default: both ways; the edge towards the referencing rows is a down edge."""
    spec = load_dataset(UNDIRECTED)
    edges = {(e.source, e.target): e.down for e in query_edges(spec)}
    assert edges[("people", "notes")] is True
    assert edges[("notes", "people")] is False
    assert edges[("members", "households")] is False
    assert edges[("households", "members")] is True


def test_undirected_references_are_warnings_not_problems() -> None:
    """The dataset loads; the warnings name each reference without a direction."""
    warnings = dataset_warnings(load_dataset(UNDIRECTED))
    assert [w.split(":")[0] for w in warnings] == [
        "notes.person -> people.pid",
        "members.household_id -> households.id",
    ]
    assert dataset_warnings(load_dataset(shop_dataset_text())) == []


def test_a_parents_owners_leave_out_collections_only_reachable_through_it() -> None:
    """household_notes hang off addresses only: their rows cannot say an address is shared."""
    spec = load_dataset(household_dataset_text())
    assert [(k.child, k.child_columns) for k in owner_links(spec, "addresses")] == [
        ("customers", ("address_id",))
    ]
    assert [k.child for k in owner_links(load_dataset(UNDIRECTED), "households")] == ["members"]
