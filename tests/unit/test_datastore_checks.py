"""The pure pieces of ``datastores test``: value shapes, whether a stored identity would be found,
the hints, the index statements, type families, unknown categories and what makes a check ok."""

from __future__ import annotations

import pytest
from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    create_engine,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url

from privault.connectors import load_dataset
from privault.connectors.checks import FINDING_CODES
from privault.connectors.dataset_checks import unknown_categories
from privault.connectors.identity import IdentityColumn
from privault.connectors.indexes import create_index
from privault.connectors.privileges import sqlite_read_only
from privault.connectors.results import DatastoreCheck, Finding
from privault.connectors.sampling import classify, missed_hint, shape, would_be_found
from privault.connectors.schema import comparable, type_family
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import known_categories
from privault.core.taxonomy import fides_categories
from tests.fixtures.shop import shop_dataset_text

EMAIL = IdentityColumn("customers", "email", "email", "any_case")
EMAIL_CI = IdentityColumn("customers", "email", "email", "any_case", case_insensitive=True)
EMAIL_EXACT = IdentityColumn("customers", "email", "email", "exact")
PHONE = IdentityColumn("customers", "phone", "phone", "any_format")
PHONE_NUMBER = IdentityColumn("customers", "phone", "phone", "any_format", is_string=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mary.Smith@Example.com", "Aaaa.Aaaa@Aaaa.aaa"),
        (" customer4@example.com", "␣aaa9@aaa.aaa"),
        ("+44 7700 900123", "+99␣999␣999"),
        ("+44 7700\u2013000003", "+99␣999\u2013999"),
        (4155550001, "999"),
    ],
)
def test_a_shape_shows_what_is_odd_and_hides_the_value(value: object, expected: str) -> None:
    """Letters become A/a, digits 9, a space ␣; runs are cut at three, so lengths do not show."""
    assert shape(value) == expected


def test_a_long_shape_is_cut() -> None:
    """Shapes stay short whatever was stored."""
    assert len(shape("a." * 100)) == 40


@pytest.mark.parametrize(
    ("column", "value", "dialect", "found"),
    [
        (EMAIL, "  MARY@Example.com ", "sqlite", True),
        (EMAIL, "mary@example.com", "postgresql", True),
        (EMAIL_CI, "MARY@example.com  ", "mysql", True),
        (EMAIL_CI, " mary@example.com", "mysql", False),
        (EMAIL_EXACT, "Mary@example.com", "postgresql", False),
        (EMAIL, "not an address", "sqlite", None),
        (PHONE, "(0)20 7946 0958", "postgresql", None),  # no region given below: unreadable
        (PHONE, "+44 20 7946 0958", "sqlite", True),
        (PHONE, "+44 20 7946\u20130958", "sqlite", False),
        (PHONE, "+44 20 7946\u20130958", "postgresql", True),
    ],
)
def test_a_stored_value_is_found_as_the_database_compares_it(
    column: IdentityColumn, value: object, dialect: str, found: bool | None
) -> None:
    """Found, missed (a valid identity the comparison misses) or None (no identity at all)."""
    assert _found(column, value, dialect, None) is found


def _found(column: IdentityColumn, value: object, dialect: str, region: str | None) -> bool | None:
    """``would_be_found`` with the key Python's copy of the database's expression gives."""
    return would_be_found(column, value, column.stored_key(value, dialect), region)


def test_a_national_number_is_read_in_the_tenants_region() -> None:
    """Without a region a national number is no phone; with the tenant's, it is found (in a text
    column or as the digits of a number column)."""
    assert _found(PHONE, "020 7946 0958", "postgresql", None) is None
    assert _found(PHONE, "020 7946 0958", "postgresql", "GB") is True
    assert _found(PHONE_NUMBER, 2079460958, "postgresql", "GB") is True


def test_a_sample_is_counted_by_shape_only() -> None:
    """The missed and the unreadable values are kept as shapes, never as values."""
    values = ["a@b.co", " c@d.co", "nope"]
    sample = classify(EMAIL_CI, [(v, EMAIL_CI.stored_key(v, "mysql")) for v in values], None)
    assert (sample.total, sample.missed, sample.unparseable) == (3, ("␣a@a.aa",), ("aaa",))


def test_the_key_the_database_computed_decides() -> None:
    """A tab trim() kept is missed, whatever Python's strip() makes of it; capitals an ASCII-only
    lower() left are among the spellings a request compares, so found."""
    assert would_be_found(EMAIL, "a@b.co\t", "a@b.co\t", None) is False
    assert would_be_found(EMAIL, "ŁUKASZ@WP.PL", "Łukasz@wp.pl", None) is True  # SQLite's lower()
    assert would_be_found(EMAIL, "ŁUKASZ@WP.PL", "łukasz@wp.pl", None) is True


@pytest.mark.parametrize(
    ("column", "dialect", "says"),
    [
        (EMAIL_EXACT, "postgresql", "`customers.email: any_case`"),
        (EMAIL_CI, "mysql", "TRIM(email)"),
        (EMAIL, "postgresql", "tabs"),
        (PHONE, "sqlite", "`customers.phone: e164`"),
        (PHONE, "postgresql", "E.164"),
    ],
)
def test_the_hint_for_missed_values_fits_the_form_and_the_engine(
    column: IdentityColumn, dialect: str, says: str
) -> None:
    """Each way of missing has its own remedy."""
    assert says in missed_hint(column, dialect)


@pytest.mark.parametrize(
    ("column", "dialect", "statement"),
    [
        (EMAIL, sqlite.dialect(), "CREATE INDEX customers_email_match ON customers (lower(trim(email)))"),
        (EMAIL, postgresql.dialect(), "CREATE INDEX customers_email_match ON customers (lower(trim(email)))"),
        (EMAIL, mysql.dialect(), "CREATE INDEX customers_email_match ON customers ((lower(trim(email))))"),
        (EMAIL_CI, mysql.dialect(), "CREATE INDEX customers_email_match ON customers (email)"),
        (PHONE, postgresql.dialect(),
         "CREATE INDEX customers_phone_match ON customers (regexp_replace(phone, '[^0-9]', '', 'g'))"),
        (PHONE_NUMBER, postgresql.dialect(), "CREATE INDEX customers_phone_match ON customers (phone)"),
    ],
)  # fmt: skip
def test_the_index_suggested_is_on_the_expression_the_lookup_compares(
    column: IdentityColumn, dialect: Dialect, statement: str
) -> None:
    """Compiled from the same expression for the dialect, so the planner can match it."""
    assert create_index(column, dialect) == statement


@pytest.mark.parametrize(
    ("kind", "family"),
    [
        (Integer(), "integer"),
        (BigInteger(), "integer"),
        (mysql.TINYINT(), "integer"),
        (Numeric(), "number"),
        (String(10), "text"),
        (Text(), "text"),
        (postgresql.UUID(), "uuid"),
        (Date(), "date"),
        (DateTime(), "date"),
        (LargeBinary(), "binary"),
        (postgresql.TSVECTOR(), "other"),
    ],
)
def test_reflected_types_fall_into_families(kind: object, family: str) -> None:
    """What a column's values compare as."""
    assert type_family(kind) == family


def test_integers_match_numbers_but_not_text() -> None:
    """Only families whose values can be equal are comparable; an unknown one never mismatches."""
    assert comparable("integer", "number")
    assert not comparable("integer", "text")
    assert not comparable("uuid", "text")
    assert comparable("other", "text")


def test_an_unknown_category_names_the_field_and_the_closest_known_one() -> None:
    """``user.name.frist``: did you mean ``user.name.first``?"""
    spec = load_dataset(shop_dataset_text().replace("[user.name]", "[user.name.frist]"))
    assert unknown_categories(spec, fides_categories()) == [
        "collections[0] (customers).fields[3] (name).data_categories: unknown category "
        "'user.name.frist' (did you mean 'user.name.first'?)"
    ]


def test_a_category_the_manifest_declares_is_known(manifest: Manifest) -> None:
    """The manifest's own categories extend fideslang's; unknown without them."""
    spec = load_dataset(shop_dataset_text().replace("[user.name]", "[cc.account.number]"))
    assert unknown_categories(spec, known_categories(manifest)) == []
    (problem,) = unknown_categories(spec, fides_categories())
    assert "unknown category 'cc.account.number'" in problem


def test_only_errors_make_a_check_fail() -> None:
    """Warnings and notes leave the datastore ok; an error or no connection does not."""
    warning = Finding("identity.no_index", "warning", "customers.email", "m", "h")
    error = Finding("permission.no_delete", "error", "customers", "m", "h")
    assert DatastoreCheck(True, [warning]).ok
    assert not DatastoreCheck(True, [warning, error]).ok
    assert DatastoreCheck(True, [warning, error]).errors == [error]
    assert not DatastoreCheck(False, []).ok


def test_finding_codes_are_unique_dotted_words() -> None:
    """Stable codes: ``area.what``, each listed once."""
    assert len(set(FINDING_CODES)) == len(FINDING_CODES)
    assert all(code.count(".") == 1 and code == code.lower() for code in FINDING_CODES)


def test_a_sqlite_file_opened_read_only_or_query_only_cannot_be_written() -> None:
    """``mode=ro`` in the URL, or ``PRAGMA query_only``: the reason is given; else None."""
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        read_only = make_url("sqlite:///file:/tmp/shop.db?mode=ro&uri=true")
        assert "read-only" in (sqlite_read_only(conn, read_only) or "")
        assert sqlite_read_only(conn, make_url("sqlite://")) is None
        conn.exec_driver_sql("PRAGMA query_only = 1")
        assert "query_only" in (sqlite_read_only(conn, make_url("sqlite://")) or "")
    engine.dispose()
