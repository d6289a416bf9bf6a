"""What a value looks like when shown: cards, bank accounts, government and medical IDs by their
last four, passwords, credentials, security answers and biometric data withheld, and which grants
show them whole."""

from __future__ import annotations

import pytest

from privault.core.access import full_value
from privault.core.display import (
    LAST_FOUR_CATEGORIES,
    WITHHELD,
    WITHHELD_CATEGORIES,
    Display,
    as_shown,
    category_display,
    columns_as,
    last_four,
    masked_columns,
    rows_shown,
    withhold,
)
from privault.core.manifest import Manifest, parse_manifest
from privault.core.manifest.resolve import tenant_view
from privault.core.package import WITHHELD_NOTE
from privault.core.taxonomy import fides_categories
from privault.errors import ManifestInvalid
from tests.fixtures.grants import BILLING_CATEGORIES, OFFICER_CATEGORIES, with_full_values


def test_a_card_number_shows_only_its_last_four_digits() -> None:
    """Spaces and dashes are dropped; four asterisks stand for the rest, whatever its length."""
    assert last_four("4111 1111 1111 1001") == "****1001"
    assert last_four("4111-1111-1111-1001") == "****1001"
    assert last_four("378282246310005") == "****0005"


def test_a_government_id_shows_its_last_four_letters_or_digits() -> None:
    """A UK National Insurance number keeps its last three digits and its letter."""
    assert last_four("QQ 12 34 56 C") == "****456C"
    assert last_four("123-45-6789") == "****6789"


@pytest.mark.parametrize("value", ["1001", "12-34", "X7", "----", " "])
def test_four_or_fewer_letters_and_digits_are_masked_whole(value: str) -> None:
    """A short value could be the whole number: nothing of it is shown."""
    assert last_four(value) == "****"


def test_nothing_stays_nothing() -> None:
    """None and the empty string have nothing to hide."""
    assert last_four(None) is None
    assert last_four("") == ""


def test_numbers_are_read_as_their_digits_and_other_values_are_masked_whole() -> None:
    """An int card number shows its last four; a list, a mapping or a boolean shows nothing."""
    assert last_four(4111111111111001) == "****1001"
    assert last_four(1234) == "****"
    for value in (["4111", "1111", "1111", "1001"], {"number": "4111111111111001"}, True):
        assert last_four(value) == "****"


@pytest.mark.parametrize(
    "category",
    [
        "user.financial.credit_card",
        "user.financial.bank_account",
        "user.government_id",
        "user.government_id.national_identification_number",
        "user.government_id.passport_number",
        "cc.payment.card",  # an extension whose parent is user.financial.credit_card
        "cc.payment.bank_account",
        "user.health_and_medical.insurance_beneficiary_id",
        "user.health_and_medical.record_id",
    ],
)
def test_cards_bank_accounts_government_and_medical_ids_show_their_last_four(
    manifest: Manifest, category: str
) -> None:
    """The fideslang categories, their descendants and extensions declared under them."""
    assert category_display(manifest, category) is Display.LAST_FOUR


@pytest.mark.parametrize(
    "category",
    [
        "user.authorization.password",
        "user.authorization.credentials",
        "user.authorization.biometric",
        "user.biometric",
        "user.biometric.fingerprint",
        "user.biometric.voice",
        "cc.account.security_pin",  # the template's extension whose parent is the password
    ],
)
def test_passwords_credentials_and_biometric_data_are_withheld(
    manifest: Manifest, category: str
) -> None:
    """The fideslang categories, their descendants and the template's security PIN are withheld."""
    assert category_display(manifest, category) is Display.WITHHELD


def test_an_extension_is_withheld_through_its_whole_parent_chain(template: str) -> None:
    """A security answer declared under the template's security PIN is withheld too."""
    pin = "  - {key: cc.account.security_pin,"
    answer = (
        "  - {key: cc.account.security_answer, name: Security answer, "
        "parent: cc.account.security_pin}\n"
    )
    manifest = parse_manifest(template.replace(pin, answer + pin, 1), "privault.yaml")
    assert category_display(manifest, "cc.account.security_answer") is Display.WITHHELD


@pytest.mark.parametrize(
    "category",
    [
        "user.financial",
        "user.payment",
        "user.contact.email",
        "user.unique_id",
        "cc.account.number",
        "user.authorization",
        "user.health_and_medical",
        "user.health_and_medical.genetic",
    ],
)
def test_other_categories_are_shown_whole(manifest: Manifest, category: str) -> None:
    """Amounts, payment history, contact details, customer account numbers, a role's permissions
    and health records other than their ID numbers are not masked."""
    assert category_display(manifest, category) is Display.WHOLE


def test_every_listed_category_is_a_fideslang_category() -> None:
    """The lists name real fideslang keys (a typo would mask nothing)."""
    assert set(LAST_FOUR_CATEGORIES) | set(WITHHELD_CATEGORIES) <= set(fides_categories())


def test_a_withheld_value_shows_nothing_of_itself() -> None:
    """Any value reads [withheld]; None and the empty string have nothing to hide."""
    for value in ("hunter2", "What was your first pet? Rex", 1234, ["a"], {"k": "v"}, True):
        assert withhold(value) == WITHHELD
    assert withhold(None) is None
    assert withhold("") == ""


def test_a_value_is_shown_as_its_display_says() -> None:
    """Whole stays as it is, last four masks, withheld replaces."""
    assert as_shown("4111 1111 1111 1001", Display.WHOLE) == "4111 1111 1111 1001"
    assert as_shown("4111 1111 1111 1001", Display.LAST_FOUR) == "****1001"
    assert as_shown("4111 1111 1111 1001", Display.WITHHELD) == WITHHELD


def test_a_table_masks_each_column_holding_a_masked_category(manifest: Manifest) -> None:
    """A column takes the strictest display of its categories; the other columns are untouched."""
    columns = ("id", "card", "ssn", "password", "both", "amount")
    categories = {
        "id": ("system.operations",),
        "card": ("user.financial.credit_card",),
        "ssn": ("user.name", "user.government_id.national_identification_number"),
        "password": ("user.authorization.password",),
        "both": ("user.health_and_medical.record_id", "user.biometric.retinal"),
        "amount": ("user.financial",),
    }
    masked = masked_columns(manifest, columns, categories)
    assert masked == {
        "card": Display.LAST_FOUR,
        "ssn": Display.LAST_FOUR,
        "password": Display.WITHHELD,
        "both": Display.WITHHELD,
    }
    assert columns_as(masked, Display.LAST_FOUR) == ("card", "ssn")
    assert columns_as(masked, Display.WITHHELD) == ("password", "both")
    rows = [(1, "4111 1111 1111 1001", "123-45-6789", "hunter2", "MRN-0012345", 2500)]
    rows.append((2, None, "", None, "", 0))
    assert rows_shown(rows, columns, masked) == [
        (1, "****1001", "****6789", WITHHELD, WITHHELD, 2500),
        (2, None, "", None, "", 0),
    ]


def test_a_table_without_masked_columns_is_returned_as_it_is() -> None:
    """No copy of a large table when nothing in it is masked."""
    rows = [(1, "Ana")]
    assert rows_shown(rows, ("id", "name"), {}) is rows


def test_the_package_note_says_what_withheld_means_and_what_to_do() -> None:
    """The note names the marker, says the law forbids it and offers confirmation or a reset."""
    assert WITHHELD in WITHHELD_NOTE
    assert "the law does not allow" in WITHHELD_NOTE
    assert "confirm" in WITHHELD_NOTE
    assert "reset" in WITHHELD_NOTE


def test_only_a_grant_listing_the_category_under_full_values_shows_it_whole(
    template: str,
) -> None:
    """The billing agent reads whole cards for billing once granted; not for another purpose, not
    bank accounts it was not granted whole, and the officer (no full_values) never does."""
    manifest = parse_manifest(with_full_values(template, "[cc.payment.card]"), "privault.yaml")
    view = tenant_view(manifest, "bluewave")
    granted = full_value(view, "billing-agent", "billing", "cc.payment.card")
    assert granted.allowed
    assert granted.rule == "allow: roles.billing-agent.grants[0].full_values"
    assert not full_value(view, "billing-agent", "customer-service", "cc.payment.card").allowed
    assert not full_value(view, "billing-agent", "billing", "cc.payment.bank_account").allowed
    officer = full_value(view, "privacy-officer", "billing", "cc.payment.card")
    assert not officer.allowed
    assert officer.rule.startswith("not shown whole")
    assert not full_value(view, "nobody", "billing", "cc.payment.card").allowed


def test_the_template_grants_no_full_values(manifest: Manifest) -> None:
    """Out of the box every role sees cards, bank accounts and government IDs by their last four."""
    assert not [g for r in manifest.roles for g in r.grants if g.full_values]


def test_a_grant_may_list_a_withheld_category_under_full_values(template: str) -> None:
    """The officer granted security PINs whole reads them for its purposes; nobody else does."""
    granted = with_full_values(template, "[cc.account.security_pin]", OFFICER_CATEGORIES)
    view = tenant_view(parse_manifest(granted, "privault.yaml"), "bluewave")
    allowed = full_value(view, "privacy-officer", "fraud-prevention", "cc.account.security_pin")
    assert allowed.rule == "allow: roles.privacy-officer.grants[0].full_values"
    assert not full_value(view, "privacy-officer", "fraud-prevention", "user.biometric").allowed
    assert not full_value(view, "agent", "fraud-prevention", "cc.account.security_pin").allowed


@pytest.mark.parametrize(
    ("full", "words"),
    [
        ("[cc.payment.crad]", ("unknown data category 'cc.payment.crad'", "cc.payment.card")),
        ("[cc.account.number]", ("'cc.account.number' is always shown in full", "last four")),
        ("[user.government_id]", ("not among the grant's categories", "add it to 'categories'")),
    ],
)
def test_a_full_values_entry_must_be_a_last_four_category_the_grant_reads(
    template: str, full: str, words: tuple[str, str]
) -> None:
    """Unknown keys, categories shown whole anyway and categories the grant does not read are refused."""
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(with_full_values(template, full), "privault.yaml")
    [issue] = caught.value.issues
    assert words[0] in issue.message
    assert words[1] in issue.hint


def test_full_values_needs_a_grant_that_reads(template: str) -> None:
    """A write-only grant cannot show anything whole."""
    grant = "      - actions: [read, write]\n        purposes: [billing]\n" + BILLING_CATEGORIES
    write_only = template.replace(grant, grant.replace("[read, write]", "[write]"), 1)
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(with_full_values(write_only, "[cc.payment.card]"), "privault.yaml")
    [issue] = caught.value.issues
    assert "does not read" in issue.message
