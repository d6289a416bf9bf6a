"""``datastores test`` on real SQLite, PostgreSQL and MariaDB databases holding a messy shop: the
e-mails and phones as applications store them (mixed case, punctuation, a national number), one
value each engine's comparison misses, one that is no phone at all, and logins that may only read.

PostgreSQL and MariaDB are required: when a server cannot be reached the tests fail, never skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from privault.connectors import DatastoreCheck, SqlDatastore, load_dataset
from privault.connectors.results import Finding
from tests.fixtures.scratch import require_server
from tests.fixtures.shop import create_shop, email, phone, seed, shop_dataset_text

POSTGRES_URL = os.environ.get(
    "PRIVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("PRIVAULT_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
ENGINES = ["sqlite", "postgresql", "mariadb"]
REGION = "GB"  # the shop's phones are UK mobiles (+44 7700 ...)

# customer -> (email, phone) as the shop's applications stored them: all found by a request
STORED = {
    1: ("Customer1@Example.COM", "+44 7700 000001"),
    2: ("customer2@example.com", "07700-000-002"),
    3: ("CUSTOMER3@example.com", "(07700) 000 003"),
    4: ("customer4@example.com", "n/a"),  # no phone at all
}
# per engine, a value its comparison misses: (customer, column, value)
MISSED = {
    "sqlite": (3, "phone", "+44 7700\u2013000003"),  # an en dash: SQLite removes common marks only
    "postgresql": (3, "phone", "+44 7700 000003 ext. 12"),  # the extension's digits remain
    "mariadb": (4, "email", " customer4@example.com"),  # the collation ignores trailing spaces only
}
# collections an erasure deletes rows of (they hold the requester's personal data)
ERASED = {"customers", "addresses", "orders", "order_items", "payments", "logins", "tickets"}


@dataclass
class Db:
    """A seeded shop in a private SQLite file, PostgreSQL schema or MariaDB database."""

    kind: str
    url: str
    engine: Engine
    place: str  # the schema or database name (SQLite: the file)

    def run(self, *statements: str) -> None:
        """Run statements as the owner."""
        with self.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))

    def check(self, dataset: str | None = None, url: str | None = None) -> DatastoreCheck:
        """``test()`` with the shop dataset (or ``dataset``), as the owner (or through ``url``)."""
        store = SqlDatastore(url or self.url, load_dataset(dataset or shop_dataset_text()))
        try:
            return store.test(phone_region=REGION)
        finally:
            store.close()


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """The messy shop on each engine (four customers), dropped after the test."""
    kind: str = request.param
    place = f"pv_chk_{uuid.uuid4().hex[:10]}"
    admin = (
        None
        if kind == "sqlite"
        else require_server(POSTGRES_URL if kind == "postgresql" else MYSQL_URL, kind)
    )
    if kind == "sqlite":
        place = str(tmp_path / "shop.db")
        url = f"sqlite:///{place}"
    elif kind == "postgresql":
        with admin.begin() as conn:  # type: ignore[union-attr]
            conn.execute(text(f'CREATE SCHEMA "{place}"'))
        options = {"options": f"-csearch_path={place}"}
        url = (
            make_url(POSTGRES_URL).update_query_dict(options).render_as_string(hide_password=False)
        )
    else:
        with admin.begin() as conn:  # type: ignore[union-attr]
            conn.execute(text(f"CREATE DATABASE `{place}`"))
        url = make_url(MYSQL_URL).set(database=place).render_as_string(hide_password=False)
    built = Db(kind, url, create_engine(url), place)
    _fill(built)
    yield built
    built.engine.dispose()
    if admin is not None:
        drop = (
            f'DROP SCHEMA "{place}" CASCADE' if kind == "postgresql" else f"DROP DATABASE `{place}`"
        )
        with admin.begin() as conn:
            conn.execute(text(drop))
        admin.dispose()


def _fill(db: Db) -> None:
    create_shop(db.engine)
    seed(db.engine, customers=4)
    stored = {n: dict(zip(("email", "phone"), values, strict=True)) for n, values in STORED.items()}
    customer, column, value = MISSED[db.kind]
    stored[customer][column] = value
    with db.engine.begin() as conn:
        for n, values in stored.items():
            conn.execute(
                text("UPDATE customers SET email = :email, phone = :phone WHERE id = :n"),
                values | {"n": n},
            )


def _dataset(identities: dict[str, str] | None = None, **references: dict[str, Any]) -> str:
    """The shop dataset with stored forms declared and references added (``collection__field``)."""
    document = yaml.safe_load(shop_dataset_text())
    collections = {c["name"]: c for c in document["dataset"][0]["collections"]}
    for name, reference in references.items():
        collection, field = name.split("__")
        entry = next(f for f in collections[collection]["fields"] if f["name"] == field)
        entry.setdefault("fides_meta", {}).setdefault("references", []).append(reference)
    if identities:
        document["privault"] = {"identities": identities}
    return str(yaml.safe_dump(document, sort_keys=False))


def _at(check: DatastoreCheck, code: str) -> dict[str, Finding]:
    return {f.where: f for f in check.findings if f.code == code}


def test_mixed_case_and_punctuated_identities_pass_and_the_missed_value_is_found(db: Db) -> None:
    """Only the value this engine's comparison misses is an identity.form_missed error, and the
    phone that is no phone is counted apart; neither finding holds a value."""
    check = db.check()
    _, column, value = MISSED[db.kind]
    missed = _at(check, "identity.form_missed")
    assert list(missed) == [f"customers.{column}"]
    finding = missed[f"customers.{column}"]
    assert finding.severity == "error"
    assert finding.message.startswith("1 of 4 sampled values")
    assert finding.hint
    unparseable = _at(check, "identity.unparseable")
    assert list(unparseable) == ["customers.phone"]
    assert unparseable["customers.phone"].message.startswith("1 of 4 sampled values")
    shown = " ".join(f"{f.message} {f.hint}" for f in check.findings)
    assert value.strip() not in shown
    assert "n/a" not in shown
    assert not check.ok


def test_the_checks_verdict_is_what_a_request_finds(db: Db) -> None:
    """Every customer is found by e-mail and phone except the one value the check flags."""
    customer, column, _ = MISSED[db.kind]
    store = SqlDatastore(db.url, load_dataset(shop_dataset_text()))
    try:
        for n in (1, 2, 3):
            for kind, value in (("email", email(n)), ("phone", phone(n))):
                found = store.access({kind: [value]}).collections.get("customers")
                expected = 0 if (n, kind) == (customer, column) else 1
                assert len(found.rows if found else []) == expected, (n, kind)
        assert store.access({"email": [email(4)]}).no_match == (customer == 4)
    finally:
        store.close()


def test_the_databases_own_comparison_decides_what_is_missed(db: Db) -> None:
    """Capitals outside ASCII (SQLite's lower() leaves them) and a trailing tab (trim() keeps it):
    the check counts a value as missed exactly when the lookup misses it."""
    db.run(
        "UPDATE customers SET email = 'ŁUKASZ@EXAMPLE.COM' WHERE id = 1",
        "UPDATE customers SET email = 'customer2@example.com\t' WHERE id = 2",
    )
    store = SqlDatastore(db.url, load_dataset(shop_dataset_text()))
    try:
        lookups = (["łukasz@example.com"], [email(2)])
        missed_by_lookup = sum(store.access({"email": e}).no_match for e in lookups)
    finally:
        store.close()
    assert missed_by_lookup >= 1  # the tab, on every engine
    finding = _at(db.check(), "identity.form_missed").get("customers.email")
    reported = int(finding.message.split()[0]) if finding else 0
    assert reported == missed_by_lookup + (MISSED[db.kind][1] == "email")


def test_each_collection_is_counted(db: Db) -> None:
    """The check reports the rows of every declared collection, in the dataset's order."""
    check = db.check()
    assert check.rows == {
        "customers": 4,
        "addresses": 3,
        "orders": 8,
        "order_items": 16,
        "products": 5,
        "payments": 8,
        "logins": 12,
        "tickets": 4,
    }


def test_an_empty_collection_holding_identities_is_noted(db: Db) -> None:
    """No customers at all: an info finding (perhaps the wrong database), still ok otherwise."""
    db.run(
        *(f"DELETE FROM {t}" for t in ("order_items", "payments", "orders", "logins", "tickets"))
    )
    db.run("DELETE FROM customers")
    check = db.check()
    empty = _at(check, "collection.empty")
    assert list(empty) == ["customers"]
    assert empty["customers"].severity == "info"
    assert check.rows["customers"] == 0
    assert check.ok


def test_a_plain_lookup_without_index_names_the_index_and_the_index_silences_it(db: Db) -> None:
    """Phones declared e164 are compared as stored: no index on the column, then one."""
    dataset = _dataset({"customers.phone": "e164"})
    finding = _at(db.check(dataset), "identity.no_index")["customers.phone"]
    assert finding.severity == "warning"
    statement = finding.hint.removeprefix("create one: ")
    assert statement.startswith("CREATE INDEX")
    assert "customers_phone_match ON customers (phone)" in statement
    db.run(statement)
    assert "customers.phone" not in _at(db.check(dataset), "identity.no_index")


@pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
def test_an_expression_lookup_gets_an_expression_index(db: Db) -> None:
    """E-mails are compared lower(trim()): the index suggested is on that expression, and serves."""
    finding = _at(db.check(), "identity.no_index")["customers.email"]
    statement = finding.hint.removeprefix("create one: ")
    assert "lower(trim(email))" in statement
    db.run(statement)
    after = _at(db.check(), "identity.no_index")
    assert "customers.email" not in after
    assert "customers.phone" in after  # the digits-only expression is still unindexed


@pytest.mark.parametrize("db", ["mariadb"], indirect=True)
def test_mariadb_uses_a_plain_index_for_emails_and_asks_for_e164_phones(db: Db) -> None:
    """A case-insensitive collation: the column's own unique index serves e-mails; a phone's
    digits cannot be indexed there, so the hint asks for E.164 and its declaration."""
    found = _at(db.check(), "identity.no_index")
    assert "customers.email" not in found
    hint = found["customers.phone"].hint
    assert "MariaDB cannot index an expression" in hint
    assert "`customers.phone: e164`" in hint


def test_a_reference_between_an_integer_and_a_text_column_is_an_error(db: Db) -> None:
    """logins.ip (text) said to hold customers.id (integer) values: reference.type_mismatch."""
    reference = {"dataset": "shop", "field": "customers.id", "direction": "from"}
    check = db.check(_dataset(logins__ip=reference))
    mismatch = _at(check, "reference.type_mismatch")
    assert list(mismatch) == ["logins.ip"]
    assert "text" in mismatch["logins.ip"].message
    assert "integer" in mismatch["logins.ip"].message
    assert not check.ok


@pytest.fixture
def reader(db: Db) -> Iterator[str]:
    """A URL whose login may only read (every table but tickets); SQLite: the file opened
    read-only."""
    if db.kind == "sqlite":
        yield f"sqlite:///file:{db.place}?mode=ro&uri=true"
        return
    login = f"pv_ro_{uuid.uuid4().hex[:8]}"
    tables = ("customers", "addresses", "orders", "order_items", "products", "payments", "logins")
    if db.kind == "postgresql":
        db.run(f"CREATE ROLE {login} LOGIN", f'GRANT USAGE ON SCHEMA "{db.place}" TO {login}')
        db.run(*(f"GRANT SELECT ON {t} TO {login}" for t in tables))
        url = make_url(db.url).set(username=login)
        drop = (f"DROP OWNED BY {login}", f"DROP ROLE {login}")
    else:
        db.run(f"CREATE USER '{login}'@'%' IDENTIFIED BY 'pw-{login}'")
        db.run(*(f"GRANT SELECT ON `{db.place}`.{t} TO '{login}'@'%'" for t in tables))
        url = make_url(db.url).set(username=login, password=f"pw-{login}")
        drop = (f"DROP USER '{login}'@'%'",)
    yield url.render_as_string(hide_password=False)
    db.run(*drop)


def test_a_login_that_may_only_read_cannot_erase(db: Db, reader: str) -> None:
    """Deleting and masking are refused to the login: errors per collection (SQLite: the file is
    read-only); a table it may not read is neither counted nor sampled (MariaDB hides it from the
    login altogether, so there it is missing)."""
    check = db.check(url=reader)
    assert not check.ok
    if db.kind == "sqlite":
        assert [(f.code, f.where) for f in check.errors if f.code.startswith("permission.")] == [
            ("permission.read_only", "")
        ]
        return
    hidden = "schema.missing_table" if db.kind == "mariadb" else "permission.no_select"
    assert set(_at(check, hidden)) == {"tickets"}
    visible = ERASED if db.kind == "postgresql" else ERASED - {"tickets"}
    assert set(_at(check, "permission.no_delete")) == visible
    assert "GRANT DELETE ON customers TO" in _at(check, "permission.no_delete")["customers"].hint
    assert "customers" in _at(check, "permission.no_update")
    assert "tickets" not in check.rows
    assert check.rows["customers"] == 4


@pytest.mark.parametrize("db", ["postgresql", "mariadb"], indirect=True)
def test_granting_what_an_erasure_needs_clears_the_permission_findings(db: Db, reader: str) -> None:
    """SELECT, DELETE and UPDATE granted on every table: no permission finding is left."""
    login = make_url(reader).username
    if db.kind == "postgresql":
        db.run(f'GRANT SELECT, DELETE, UPDATE ON ALL TABLES IN SCHEMA "{db.place}" TO {login}')
    else:
        db.run(f"GRANT SELECT, DELETE, UPDATE ON `{db.place}`.* TO '{login}'@'%'")
    check = db.check(url=reader)
    assert [f.code for f in check.findings if f.code.startswith("permission.")] == []
    assert check.rows["tickets"] == 4


@pytest.mark.parametrize("db", ["postgresql", "mariadb"], indirect=True)
def test_a_masked_collection_needs_update_and_says_so_as_an_error(db: Db, reader: str) -> None:
    """Tickets masked (privault.mask) and its body not updatable: no_update is an error there."""
    login = make_url(reader).username
    if db.kind == "postgresql":
        db.run(f"GRANT SELECT ON tickets TO {login}")
    else:
        db.run(f"GRANT SELECT ON `{db.place}`.tickets TO '{login}'@'%'")
    document = yaml.safe_load(shop_dataset_text())
    document["privault"] = {"mask": ["tickets"]}
    check = db.check(yaml.safe_dump(document), url=reader)
    no_update = _at(check, "permission.no_update")
    assert no_update["tickets"].severity == "error"
    assert "body" in no_update["tickets"].message
    assert no_update["customers"].severity == "warning"
    assert "tickets" not in _at(check, "permission.no_delete")
