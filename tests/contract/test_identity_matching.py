"""People are found however their database stores their identities, on SQLite, PostgreSQL and MariaDB.

The shop's customers 3 and 4 live alone; their e-mails are rewritten in mixed case and their phones
with national formats and punctuation, as real CRMs keep them. privault holds the canonical forms
(``customer3@example.com``, ``+447700000003``).
"""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import text

from privault.connectors import SqlDatastore, load_dataset
from tests.contract.test_connectors import (  # noqa: F401 - session fixtures, by name below
    ENGINES,
    Shop,
    mariadb_shop,
    postgresql_shop,
    sqlite_shop,
)
from tests.fixtures.shop import clear, email, phone, seed, shop_dataset_text

STORED = {
    1: (" Customer1@Example.com", "(+44) 7700.000001"),
    2: ("customer2@example.com", "+44 7700 000002"),
    3: ("Customer3@EXAMPLE.com", "07700 000003"),
    4: ("CUSTOMER4@Example.COM ", "+44 (0)7700-000004"),
}


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest) -> Shop:
    """The seeded shop (four customers) on each engine."""
    built: Shop = request.getfixturevalue(f"{request.param}_shop")
    clear(built.engine, household=True)
    seed(built.engine, customers=4)
    return built


def _restyle(built: Shop, customers: tuple[int, ...] = (3, 4)) -> None:
    with built.engine.begin() as conn:
        for c in customers:
            mail, tel = STORED[c]
            conn.execute(
                text("UPDATE customers SET email = :e, phone = :p WHERE id = :c"),
                {"e": mail, "p": tel, "c": c},
            )


def _store(built: Shop, **privault: object) -> SqlDatastore:
    document = yaml.safe_load(shop_dataset_text())
    if privault:
        document["privault"] = privault
    return SqlDatastore(built.url, load_dataset(yaml.safe_dump(document)))


@pytest.mark.parametrize("kind", ["email", "phone"])
def test_access_finds_a_person_stored_in_mixed_case_and_punctuation(db: Shop, kind: str) -> None:
    """Mixed-case e-mails and national, punctuated phones match the canonical identities."""
    _restyle(db)
    datastore = _store(db)
    for customer in (3, 4):
        given = email(customer) if kind == "email" else phone(customer)
        result = datastore.access({kind: [given]})
        assert result.matched == {kind: 1}
        assert not result.no_match
        ids = db.subject_ids(customer)
        for name, rows in result.collections.items():
            if name in ids:
                found = {k[0] for k in rows.primary_keys}
                assert found == ids[name], name
    datastore.close()


@pytest.mark.parametrize("kind", ["email", "phone"])
def test_erasure_through_either_identity_removes_every_row(db: Shop, kind: str) -> None:
    """Erasure by the e-mail alone, or the phone alone, deletes the restyled customer's rows."""
    _restyle(db)
    datastore = _store(db)
    given = email(3) if kind == "email" else phone(3)
    result = datastore.erase({kind: [given]})
    datastore.close()
    assert result.complete
    assert result.matched == {kind: 1}
    assert db.subject_counts(3)["customers"] == 0
    assert db.scalar("SELECT COUNT(*) FROM orders WHERE customer_id = 3") == 0
    assert db.scalar("SELECT COUNT(*) FROM addresses WHERE id = 3") == 0
    assert db.scalar("SELECT COUNT(*) FROM customers WHERE id = 4") == 1


def test_leading_and_trailing_spaces_and_plus_forms_match_where_the_engine_trims(
    db: Shop,
) -> None:
    """Spaces around an e-mail and ``(+44)`` phones match (MariaDB's index-served comparison
    ignores trailing spaces only: a leading space is what ``datastores test`` reports)."""
    _restyle(db, (1, 4))
    datastore = _store(db)
    by_phone = datastore.access({"phone": [phone(1)]})
    by_mail = datastore.access({"email": [email(4)]})
    leading = datastore.access({"email": [email(1)]})
    datastore.close()
    assert by_phone.matched == {"phone": 1}
    assert by_mail.matched == {"email": 1}
    mariadb = db.engine.dialect.name in ("mysql", "mariadb")
    assert leading.matched == {"email": 0 if mariadb else 1}


def test_a_lookup_that_finds_no_one_says_so(db: Shop) -> None:
    """Searched and unmatched is ``no_match``; identities the datastore does not hold are not searched."""
    datastore = _store(db)
    nobody = datastore.access({"email": ["nobody@example.com"], "phone": ["+447711111111"]})
    elsewhere = datastore.access({"customer_number": ["c-17"]})
    datastore.close()
    assert nobody.matched == {"email": 0, "phone": 0}
    assert nobody.no_match
    assert nobody.total_rows == 0
    assert not elsewhere.searched
    assert not elsewhere.no_match


def test_a_declared_stored_form_is_compared_as_declared(db: Shop) -> None:
    """``e164`` compares the column as it is: E.164 phones match, punctuated ones do not."""
    _restyle(db, (3,))
    datastore = _store(db, identities={"customers.phone": "e164"})
    plain = datastore.access({"phone": [phone(2)]})
    punctuated = datastore.access({"phone": [phone(3)]})
    datastore.close()
    assert plain.matched == {"phone": 1}
    assert punctuated.matched == {"phone": 0}


def test_an_exact_email_is_compared_as_stored(db: Shop) -> None:
    """``exact`` on an e-mail column: the canonical lower-case form must be what is stored."""
    _restyle(db, (3,))
    datastore = _store(db, identities={"customers.email": {"stored": "exact"}})
    stored_lower = datastore.access({"email": [email(2)]})
    mixed = datastore.access({"email": [email(3)]})
    datastore.close()
    assert stored_lower.matched == {"email": 1}
    mariadb = db.engine.dialect.name in ("mysql", "mariadb")
    assert mixed.matched == {"email": 1 if mariadb else 0}  # a _ci collation ignores case


def test_an_email_with_non_ascii_capitals_is_found(db: Shop) -> None:
    """``STANISŁAW.WÓJCIK@WP.PL`` is found by ``stanisław.wójcik@wp.pl`` although SQLite's lower()
    folds ASCII letters only (the candidates carry each spelling it leaves)."""
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE customers SET email = :e WHERE id = 3"), {"e": "STANISŁAW.WÓJCIK@WP.PL"}
        )
    datastore = _store(db)
    found = datastore.access({"email": ["stanisław.wójcik@wp.pl"]})
    datastore.close()
    assert found.matched == {"email": 1}
    assert {k[0] for k in found.collections["customers"].primary_keys} == {3}
