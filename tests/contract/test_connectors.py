"""The SQL datastore contract, on real SQLite, PostgreSQL and MariaDB databases holding the shop.

PostgreSQL and MariaDB are required: when a server cannot be reached the tests fail, never skip.
PRIVAULT_TEST_POSTGRES_URL and PRIVAULT_TEST_MYSQL_URL point elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from privault.connectors import (
    DatasetSpec,
    ErasureException,
    SqlDatastore,
    load_dataset,
)
from privault.connectors.dated import DatedBatch, DatedScan, collected_at
from privault.errors import ConnectorError, InvalidInput
from tests.fixtures.scratch import MYSQL_URL, POSTGRES_URL, engine_for, require_server
from tests.fixtures.shop import (
    clear,
    create_shop,
    email,
    household_dataset_text,
    phone,
    seed,
    seed_household,
    shop_dataset_text,
)

ENGINES = ["sqlite", "postgresql", "mariadb"]
TABLES = (
    "customers",
    "addresses",
    "orders",
    "order_items",
    "products",
    "payments",
    "logins",
    "tickets",
    "household_notes",
)
ORDERS_OF = "SELECT id FROM orders WHERE customer_id = :c"
SUBJECT_SQL = {
    "customers": "SELECT COUNT(*) FROM customers WHERE id = :c",
    "addresses": "SELECT COUNT(*) FROM addresses WHERE id IN (SELECT address_id FROM customers WHERE id = :c)",
    "orders": "SELECT COUNT(*) FROM orders WHERE customer_id = :c",
    "order_items": f"SELECT COUNT(*) FROM order_items WHERE order_id IN ({ORDERS_OF})",
    "products": f"SELECT COUNT(DISTINCT product_id) FROM order_items WHERE order_id IN ({ORDERS_OF})",
    "payments": f"SELECT COUNT(*) FROM payments WHERE order_id IN ({ORDERS_OF})",
    "logins": "SELECT COUNT(*) FROM logins WHERE customer_id = :c",
    "tickets": "SELECT COUNT(*) FROM tickets WHERE customer_id = :c",
}
SUBJECT_IDS = {
    "customers": "SELECT id FROM customers WHERE id = :c",
    "addresses": "SELECT address_id FROM customers WHERE id = :c",
    "orders": ORDERS_OF,
    "order_items": f"SELECT id FROM order_items WHERE order_id IN ({ORDERS_OF})",
    "products": f"SELECT DISTINCT product_id FROM order_items WHERE order_id IN ({ORDERS_OF})",
    "payments": f"SELECT id FROM payments WHERE order_id IN ({ORDERS_OF})",
    "logins": "SELECT id FROM logins WHERE customer_id = :c",
    "tickets": "SELECT id FROM tickets WHERE customer_id = :c",
}
FINANCIAL = ErasureException(("user.financial",), "legal.tax", "tax-records", "kept 10 years")


@dataclass
class Shop:
    """A seeded shop database: its URL (for the datastore) and an engine for direct checks."""

    url: str
    engine: Engine

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        with self.engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}

    def subject_counts(self, customer: int) -> dict[str, int]:
        """Rows per table reachable from one customer, counted with plain SQL."""
        with self.engine.connect() as conn:
            return {
                t: conn.execute(text(q), {"c": customer}).scalar_one()
                for t, q in SUBJECT_SQL.items()
            }

    def subject_ids(self, customer: int) -> dict[str, set[object]]:
        """Primary keys per table reachable from one customer, found with plain SQL."""
        with self.engine.connect() as conn:
            return {
                t: set(conn.execute(text(q), {"c": customer}).scalars())
                for t, q in SUBJECT_IDS.items()
            }

    def scalar(self, query: str, **params: object) -> object:
        """One value from a query."""
        with self.engine.connect() as conn:
            return conn.execute(text(query), params).scalar()


@pytest.fixture(scope="session")
def sqlite_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The shop in a SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('shop') / 'shop.db'}"
    engine = engine_for(url)
    create_shop(engine, household=True)
    yield Shop(url, engine)
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_shop() -> Iterator[Shop]:
    """The shop in a private PostgreSQL schema, dropped at the end."""
    admin = require_server(POSTGRES_URL, "PostgreSQL")
    schema = f"pv_conn_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    shop_url = url.render_as_string(hide_password=False)
    engine = engine_for(shop_url)
    create_shop(engine, household=True)
    yield Shop(shop_url, engine)
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def mariadb_shop() -> Iterator[Shop]:
    """The shop in a private MariaDB database, dropped at the end."""
    admin = require_server(MYSQL_URL, "MariaDB")
    database = f"pv_conn_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE `{database}`"))
    shop_url = make_url(MYSQL_URL).set(database=database).render_as_string(hide_password=False)
    engine = engine_for(shop_url)
    create_shop(engine, household=True)
    yield Shop(shop_url, engine)
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE `{database}`"))
    admin.dispose()


@pytest.fixture(params=ENGINES)
def shop(request: pytest.FixtureRequest) -> Shop:
    """Four customers (1 and 2 share an address; 3 and 4 live alone) on each engine."""
    built: Shop = request.getfixturevalue(f"{request.param}_shop")
    clear(built.engine, household=True)
    seed(built.engine, customers=4)
    return built


@pytest.fixture(scope="session")
def dataset() -> DatasetSpec:
    """The shop dataset."""
    return load_dataset(shop_dataset_text())


def _variant(change: dict[str, dict[str, object]], **top: object) -> DatasetSpec:
    """The shop dataset with collection-level fides_meta changed and top-level keys added."""
    document = yaml.safe_load(shop_dataset_text())
    for collection in document["dataset"][0]["collections"]:
        collection.setdefault("fides_meta", {}).update(change.get(collection["name"], {}))
    document.update(top)
    return load_dataset(yaml.safe_dump(document))


@pytest.fixture
def store(shop: Shop, dataset: DatasetSpec) -> Iterator[SqlDatastore]:
    """A datastore on the seeded shop."""
    datastore = SqlDatastore(shop.url, dataset)
    yield datastore
    datastore.close()


def _without(before: dict[str, int], gone: dict[str, int]) -> dict[str, int]:
    return {t: before[t] - gone.get(t, 0) for t in before}


def test_access_by_email_finds_every_row_reachable_through_references(
    shop: Shop, store: SqlDatastore
) -> None:
    """Every collection's rows match what plain SQL joins find for the customer."""
    result = store.access({"email": [email(1)]})
    assert {n: len(c.rows) for n, c in result.collections.items()} == shop.subject_counts(1)
    customers = result.collections["customers"]
    assert customers.columns == ("id", "email", "phone", "name", "birth_date", "address_id")
    assert customers.categories[1] == ("user.contact.email",)
    assert customers.rows == [(1, email(1), phone(1), "Customer 1", "1980-01-02", 1)]
    assert customers.primary_keys == [(1,)]
    assert isinstance(result.collections["logins"].rows[0][3], str)


def test_access_by_phone_finds_the_same_rows(store: SqlDatastore) -> None:
    """The phone_number identity is privault's phone kind."""
    by_email = store.access({"email": [email(3)]})
    by_phone = store.access({"phone": [phone(3)]})
    assert by_phone.collections == by_email.collections


def test_access_for_an_unknown_person_finds_nothing(store: SqlDatastore) -> None:
    """No row matches: no collection is returned."""
    assert store.access({"email": ["nobody@example.com"], "fax": ["1"]}).collections == {}


def test_access_never_reaches_a_person_sharing_an_address(store: SqlDatastore) -> None:
    """Customer 1's access holds customer 1 only, although customer 2 lives at the same address."""
    result = store.access({"email": [email(1)]})
    assert [row[0] for row in result.collections["customers"].rows] == [1]


def test_erasure_deletes_exactly_the_persons_rows(shop: Shop, store: SqlDatastore) -> None:
    """Customer 3 (private address) disappears; every other customer's row is still there."""
    before, mine = shop.counts(), shop.subject_counts(3)
    result = store.erase({"email": [email(3)]})
    assert result.complete
    assert result.deleted == {t: n for t, n in mine.items() if t != "products"}
    assert shop.counts() == _without(before, result.deleted)
    assert shop.subject_counts(3)["customers"] == 0
    assert shop.scalar("SELECT COUNT(*) FROM addresses WHERE id = 3") == 0
    assert result.retained == []


def test_erasure_keeps_a_shared_address_untouched(shop: Shop, store: SqlDatastore) -> None:
    """Customer 1's address is customer 2's too: retained as shared, deleted once nobody uses it."""
    result = store.erase({"email": [email(1)]})
    assert result.complete
    assert [(r.collection, r.key, r.code) for r in result.retained] == [
        ("addresses", "1", "shared")
    ]
    assert "customers" in result.retained[0].reason
    assert shop.scalar("SELECT street FROM addresses WHERE id = 1") == "1 High Street"
    assert shop.scalar("SELECT address_id FROM customers WHERE id = 2") == 1
    second = store.erase({"phone": [phone(2)]})
    assert second.deleted["addresses"] == 1
    assert second.retained == []


def test_an_exception_on_financial_data_keeps_payments_with_its_code(
    shop: Shop, store: SqlDatastore
) -> None:
    """Payments stay (their orders too, unlinked from the person); everything else goes."""
    payments = shop.subject_counts(3)["payments"]
    before = shop.counts()
    result = store.erase({"email": [email(3)]}, exceptions=[FINANCIAL])
    assert result.complete
    codes = [r.code for r in result.retained if r.collection == "payments"]
    assert codes == ["legal.tax"] * payments
    assert shop.counts()["payments"] == before["payments"]
    assert shop.scalar("SELECT COUNT(*) FROM customers WHERE id = 3") == 0
    kept_orders = shop.scalar("SELECT COUNT(*) FROM orders WHERE customer_id IS NULL")
    assert kept_orders == payments
    assert result.masked["orders"] == {"customer_id": payments}
    assert "order_items" in result.deleted


def test_a_skipped_collection_with_personal_data_leaves_the_erasure_incomplete(shop: Shop) -> None:
    """skip_processing on tickets: not erased, reported; the customer row its tickets use stays,
    masked as far as it can be (its NOT NULL birth date cannot, and says so)."""
    datastore = SqlDatastore(shop.url, _variant({"tickets": {"skip_processing": True}}))
    result = datastore.erase({"email": [email(4)]})
    datastore.close()
    assert not result.complete
    assert [(n.collection, n.field, n.reason) for n in result.not_erased] == [
        ("customers", "birth_date", "not_nullable"),
        ("tickets", "customer_id", "skip_processing"),
        ("tickets", "body", "skip_processing"),
    ]
    assert [r.code for r in result.retained if r.collection == "customers"] == ["depended_on"]
    assert shop.scalar("SELECT COUNT(*) FROM tickets WHERE customer_id = 4") == 1
    assert shop.scalar("SELECT email FROM customers WHERE id = 4") == "[erased]"
    assert shop.scalar("SELECT COUNT(*) FROM logins WHERE customer_id = 4") == 0


def test_a_masked_collection_with_a_not_null_date_leaves_the_erasure_incomplete(shop: Shop) -> None:
    """customers masked: e-mail becomes [erased], nullable fields NULL, the birth date cannot go."""
    datastore = SqlDatastore(shop.url, _variant({}, privault={"mask": ["customers"]}))
    result = datastore.erase({"email": [email(3)]})
    datastore.close()
    assert not result.complete
    assert [(n.collection, n.field, n.rows, n.reason) for n in result.not_erased] == [
        ("customers", "birth_date", 1, "not_nullable")
    ]
    assert result.masked["customers"] == {"email": 1, "phone": 1, "name": 1, "address_id": 1}
    assert shop.scalar("SELECT email FROM customers WHERE id = 3") == "[erased]"
    assert shop.scalar("SELECT name FROM customers WHERE id = 3") is None
    assert shop.scalar("SELECT COUNT(*) FROM addresses WHERE id = 3") == 0


def test_dry_run_changes_nothing(shop: Shop, store: SqlDatastore) -> None:
    """The plan is computed and reported, then rolled back."""
    before = shop.counts()
    result = store.erase({"email": [email(3)]}, dry_run=True)
    assert result.dry_run
    assert result.deleted["customers"] == 1
    assert shop.counts() == before


def test_a_failure_mid_erasure_rolls_everything_back(shop: Shop) -> None:
    """Masking two customers breaks the unique e-mail: nothing changes, the error names no value."""
    datastore = SqlDatastore(shop.url, _variant({}, privault={"mask": ["customers"]}))
    before = shop.counts()
    with pytest.raises(ConnectorError) as caught:
        datastore.erase({"email": [email(3), email(4)]})
    datastore.close()
    assert caught.value.code == "datastore.query_failed"
    assert "customers" in caught.value.message
    assert "example.com" not in caught.value.message
    assert shop.counts() == before
    assert shop.scalar("SELECT name FROM customers WHERE id = 3") == "Customer 3"


def test_the_check_reports_nothing_for_a_matching_dataset(shop: Shop, store: SqlDatastore) -> None:
    """Every declared collection and field exists; the rows of each collection are counted."""
    check = store.test()
    assert check.ok
    declared = [c.name for c in store.dataset.collections]
    assert check.rows == {t: n for t, n in shop.counts().items() if t in declared}
    assert list(check.rows) == declared
    assert {f.code for f in check.warnings} <= {"identity.no_index"}


def test_the_check_reports_an_unknown_column_and_table(shop: Shop) -> None:
    """Columns and tables the database lacks are problems; unmaskable fields are warnings."""
    document = yaml.safe_load(shop_dataset_text())
    collections = document["dataset"][0]["collections"]
    collections[0]["fields"].append({"name": "nickname", "data_categories": ["user.name"]})
    collections.append({"name": "wishlists", "fields": [{"name": "id"}]})
    document["privault"] = {"mask": ["customers"]}
    datastore = SqlDatastore(shop.url, load_dataset(yaml.safe_dump(document)))
    check = datastore.test()
    datastore.close()
    assert [(f.code, f.where) for f in check.errors] == [
        ("schema.missing_column", "customers.nickname"),
        ("schema.missing_table", "wishlists"),
    ]
    masking = [f for f in check.warnings if f.code == "erasure.cannot_mask"]
    assert [(f.where, f.message) for f in masking] == [
        (
            "customers.birth_date",
            "the collection is masked, and this field cannot be (not_nullable)",
        ),
        ("customers.nickname", "the collection is masked, and this field cannot be (missing)"),
    ]
    assert "wishlists" not in check.rows


def _unreachable_url(engine: str, tmp_path: Path) -> str:
    return {
        "sqlite": f"sqlite:///{tmp_path / 'missing' / 'shop.db'}",
        "postgresql": "postgresql+psycopg://shop:s3cret@127.0.0.1:9/shop",
        "mariadb": "mysql+pymysql://shop:s3cret@127.0.0.1:9/shop",
    }[engine]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unreachable_datastore_raises_without_its_password(
    engine: str, tmp_path: Path, dataset: DatasetSpec
) -> None:
    """ConnectorError datastore.unreachable, the URL shown with its password masked."""
    datastore = SqlDatastore(_unreachable_url(engine, tmp_path), dataset)
    for call in (datastore.test, lambda: datastore.access({"email": [email(1)]})):
        with pytest.raises(ConnectorError) as caught:
            call()
        assert caught.value.code == "datastore.unreachable"
        assert "s3cret" not in caught.value.message
    assert not (tmp_path / "missing").exists()


def test_foreign_keys_are_enforced_in_the_test_database(shop: Shop) -> None:
    """The checks above mean something: deleting a referenced address fails on every engine."""
    with pytest.raises(IntegrityError), shop.engine.begin() as conn:
        conn.execute(text("DELETE FROM addresses WHERE id = 3"))


CYCLE_DATASET = """
fides_key: d
collections:
  - name: people
    fields:
      - {name: id}
      - {name: email, data_categories: [user.contact.email], fides_meta: {identity: email}}
      - {name: name, data_categories: [user.name]}
      - {name: best_note_id, data_categories: [system.operations]}
  - name: notes
    fields:
      - {name: id}
      - name: person_id
        data_categories: [user.unique_id]
        fides_meta: {references: [{dataset: d, field: people.id, direction: from}]}
      - {name: body, data_categories: [user.content.private]}
"""


def test_a_foreign_key_cycle_falls_back_to_masking(tmp_path: Path) -> None:
    """people <-> notes reference each other: the rows are masked and reported, not left or broken."""
    url = f"sqlite:///{tmp_path / 'cycle.db'}"
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, "
                          "best_note_id INTEGER REFERENCES notes(id))"))  # fmt: skip
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, "
                          "person_id INTEGER REFERENCES people(id), body TEXT)"))  # fmt: skip
        conn.execute(text("INSERT INTO people VALUES (1, 'a@example.com', 'A', NULL)"))
        conn.execute(text("INSERT INTO notes VALUES (10, 1, 'hello')"))
        conn.execute(text("UPDATE people SET best_note_id = 10"))
    datastore = SqlDatastore(url, load_dataset(CYCLE_DATASET))
    result = datastore.erase({"email": ["a@example.com"]})
    datastore.close()
    assert result.complete
    assert result.deleted == {}
    assert {(r.collection, r.code) for r in result.retained} == {
        ("people", "cycle"),
        ("notes", "cycle"),
    }
    with engine.connect() as conn:
        assert conn.execute(text("SELECT email, name FROM people")).all() == [("[erased]", None)]
        assert conn.execute(text("SELECT person_id, body FROM notes")).all() == [(None, None)]
    engine.dispose()


def test_erasing_someone_unknown_changes_nothing(shop: Shop, store: SqlDatastore) -> None:
    """No row found: nothing deleted, complete."""
    before = shop.counts()
    result = store.erase({"email": ["nobody@example.com"]})
    assert result.complete
    assert (result.deleted, result.retained) == ({}, [])
    assert shop.counts() == before


# Shared parents: customers 1 and 2 share address 1 (customer 2 has orders, payments, logins and
# tickets too); customer 3 lives alone at address 3. Two datasets give address 1 children a `from`
# edge reaches: customers.address_id without a direction (Fides default: followed both ways), and
# the household dataset (household_notes reference addresses with `from`).


def _undirected_address() -> DatasetSpec:
    """The shop dataset with customers.address_id -> addresses.id left without a direction."""
    document = yaml.safe_load(shop_dataset_text())
    customers = document["dataset"][0]["collections"][0]
    address = next(f for f in customers["fields"] if f["name"] == "address_id")
    del address["fides_meta"]["references"][0]["direction"]
    return load_dataset(yaml.safe_dump(document))


def _household() -> DatasetSpec:
    """The shop dataset plus household_notes, reached from addresses by a `from` reference."""
    return load_dataset(household_dataset_text())


VARIANTS = {"undirected": _undirected_address, "household": _household}
HOUSEHOLD = {"undirected": {1: 2}, "household": {1: 2, 3: 1}}  # notes per address


def _variant_store(shop: Shop, variant: str) -> SqlDatastore:
    seed_household(shop.engine, HOUSEHOLD[variant])
    return SqlDatastore(shop.url, VARIANTS[variant]())


def test_the_other_customer_at_the_shared_address_has_rows_of_every_kind(shop: Shop) -> None:
    """What the tests below must not reach: customer 2's orders, payments, logins and tickets."""
    theirs = shop.subject_counts(2)
    assert all(theirs[t] > 0 for t in ("orders", "order_items", "payments", "logins", "tickets"))
    assert shop.subject_ids(2)["addresses"] == shop.subject_ids(1)["addresses"] == {1}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_access_through_a_shared_parent_returns_none_of_the_other_persons_rows(
    shop: Shop, variant: str
) -> None:
    """Exactly customer 1's rows (as plain SQL finds them); the shared address returned, reported."""
    datastore = _variant_store(shop, variant)
    result = datastore.access({"email": [email(1)]})
    datastore.close()
    keys = {n: {k[0] for k in c.primary_keys} for n, c in result.collections.items()}
    assert keys == shop.subject_ids(1)
    assert result.shared == {"addresses": 1}
    theirs = shop.subject_ids(2)
    assert all(not keys[t] & theirs[t] for t in keys if t not in ("addresses", "products"))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_erasure_through_a_shared_parent_leaves_the_other_person_intact(
    shop: Shop, variant: str
) -> None:
    """Customer 1's rows go; customer 2's rows, the address and its notes stay, row for row."""
    datastore = _variant_store(shop, variant)
    before, mine, theirs = shop.counts(), shop.subject_counts(1), shop.subject_counts(2)
    result = datastore.erase({"email": [email(1)]})
    datastore.close()
    assert result.complete
    assert result.deleted == {t: n for t, n in mine.items() if t not in ("products", "addresses")}
    assert shop.counts() == _without(before, result.deleted)
    assert shop.subject_counts(2) == theirs
    assert [(r.collection, r.key, r.code) for r in result.retained] == [
        ("addresses", "1", "shared")
    ]
    assert shop.scalar("SELECT street FROM addresses WHERE id = 1") == "1 High Street"
    assert shop.scalar("SELECT COUNT(*) FROM household_notes WHERE address_id = 1") == 2


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_private_parent_still_has_its_children_followed_and_erased(
    shop: Shop, variant: str
) -> None:
    """Customer 3's own address is not shared: its notes are returned, then erased with it."""
    datastore = _variant_store(shop, variant)
    notes = HOUSEHOLD[variant].get(3, 0)
    expected = {t: n for t, n in shop.subject_counts(3).items() if n}
    expected |= {"household_notes": notes} if notes else {}
    access = datastore.access({"email": [email(3)]})
    assert {n: len(c.rows) for n, c in access.collections.items()} == expected
    assert access.shared == {}
    before = shop.counts()
    result = datastore.erase({"email": [email(3)]})
    datastore.close()
    assert (result.complete, result.retained) == (True, [])
    assert result.deleted == {t: n for t, n in expected.items() if t != "products"}
    assert shop.counts() == _without(before, result.deleted)
    assert shop.scalar("SELECT COUNT(*) FROM addresses WHERE id = 3") == 0


def test_a_foreign_key_from_outside_the_dataset_makes_a_parent_shared(shop: Shop) -> None:
    """A household note the dataset does not describe points at address 3: shared, kept."""
    seed_household(shop.engine, {3: 1})
    datastore = SqlDatastore(shop.url, _undirected_address())
    expected = {t: n for t, n in shop.subject_counts(3).items() if n}
    access = datastore.access({"email": [email(3)]})
    result = datastore.erase({"email": [email(3)]})
    datastore.close()
    assert {n: len(c.rows) for n, c in access.collections.items()} == expected
    assert access.shared == {"addresses": 1}
    assert [(r.collection, r.key, r.code) for r in result.retained] == [
        ("addresses", "3", "shared")
    ]
    assert shop.scalar("SELECT COUNT(*) FROM household_notes WHERE address_id = 3") == 1


def test_the_check_warns_about_a_reference_without_a_direction(shop: Shop) -> None:
    """Accepted (Fides datasets use them), and the check says how privault follows it."""
    datastore = SqlDatastore(shop.url, _undirected_address())
    check = datastore.test()
    datastore.close()
    assert check.ok
    undirected = [f for f in check.warnings if f.code == "reference.undirected"]
    assert [(f.where, f.message) for f in undirected] == [
        (
            "customers.address_id",
            "the reference to addresses.id has no direction and is followed both ways (from a "
            "row other people's rows also reference, never towards those rows)",
        )
    ]


def test_a_parent_shared_only_between_the_persons_own_rows_is_followed(shop: Shop) -> None:
    """Both customers at address 1 are the person asking (two accounts): its notes are theirs."""
    datastore = _variant_store(shop, "household")
    result = datastore.access({"email": [email(1)], "phone": [phone(2)]})
    datastore.close()
    assert result.shared == {}
    assert len(result.collections["household_notes"].rows) == 2
    assert len(result.collections["customers"].rows) == 2


# --- retention by date in dated collections --------------------------------------------------------

LOGIN_0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)  # login n was at LOGIN_0 + n minutes
DATED = {"retention": {"logins": {"date": "at"}, "orders": {"date": "created_at"}}}


def _dated_store(shop: Shop) -> SqlDatastore:
    return SqlDatastore(shop.url, _variant({}, privault=DATED))


def _before_minute(minute: int, fields: dict[str, str]) -> Callable[[datetime], dict[str, str]]:
    """Due: ``fields`` of logins made before LOGIN_0 + ``minute`` minutes."""
    return lambda when: fields if when < LOGIN_0 + timedelta(minutes=minute) else {}


def _sweep_all(
    store: SqlDatastore,
    collection: str,
    due: Callable[[datetime], dict[str, str]],
    *,
    limit: int,
    held: frozenset[Any] = frozenset(),
    dry_run: bool = False,
) -> list[DatedBatch]:
    batches, after = [], None
    while True:
        scan = DatedScan(LOGIN_0 + timedelta(days=1), due, after, limit, held)
        batch = store.sweep_dated(collection, scan, dry_run=dry_run)
        batches.append(batch)
        if batch.cursor is None:
            return batches
        after = batch.cursor


def test_due_fields_of_a_dated_row_are_masked_and_the_rest_kept(shop: Shop) -> None:
    """Only the IP of logins 1-6 is due: masked to [erased] (NOT NULL text); the rows, their
    customer and later logins are untouched."""
    datastore = _dated_store(shop)
    before = shop.counts()
    [batch] = _sweep_all(datastore, "logins", _before_minute(7, {"ip": "fraud-signals"}), limit=50)
    datastore.close()
    assert (batch.rows_deleted, batch.rows_masked, batch.values) == (0, 6, {"fraud-signals": 6})
    assert shop.counts() == before
    assert shop.scalar("SELECT COUNT(*) FROM logins WHERE ip = '[erased]'") == 6
    assert shop.scalar("SELECT MIN(id) FROM logins WHERE ip <> '[erased]'") == 7
    assert shop.scalar("SELECT COUNT(*) FROM logins WHERE customer_id IS NULL") == 0


def test_a_dated_row_wholly_due_is_deleted_in_batches_from_a_cursor(shop: Shop) -> None:
    """Every personal field of logins 1-9 due: deleted over batches of 2, none twice, none missed;
    a second sweep finds nothing more to do."""
    datastore = _dated_store(shop)
    due = _before_minute(10, {"ip": "r", "customer_id": "r"})
    batches = _sweep_all(datastore, "logins", due, limit=2)
    again = _sweep_all(datastore, "logins", due, limit=2)
    datastore.close()
    assert len(batches) == 7  # 12 rows read 2 at a time, and the empty read that ends it
    assert sum(b.rows_deleted for b in batches) == 9
    assert sum(b.rows_deleted + b.rows_masked for b in again) == 0
    assert shop.scalar("SELECT MIN(id) FROM logins") == 10
    assert shop.scalar("SELECT COUNT(*) FROM logins") == 3


def test_a_dated_row_others_still_reference_is_masked_not_deleted(shop: Shop) -> None:
    """Orders are referenced by their items and payments: the due customer link is set to NULL
    and every order stays, so no foreign key breaks."""
    datastore = _dated_store(shop)
    orders = shop.counts()["orders"]
    [batch] = _sweep_all(datastore, "orders", lambda _when: {"customer_id": "r"}, limit=100)
    datastore.close()
    assert (batch.rows_deleted, batch.rows_masked) == (0, orders)
    assert shop.counts()["orders"] == orders
    assert shop.scalar("SELECT COUNT(*) FROM orders WHERE customer_id IS NOT NULL") == 0


def test_held_rows_are_counted_and_left_alone_and_a_dry_run_changes_nothing(shop: Shop) -> None:
    """Customer 1's logins (found from the identity, as the sweep finds a held subject's) stay; a
    dry run reports the same and rolls back."""
    datastore = _dated_store(shop)
    held = datastore.keys_of({"email": [email(1)]})["logins"]
    due = _before_minute(100, {"ip": "r", "customer_id": "r"})
    before = shop.counts()
    [dry] = _sweep_all(datastore, "logins", due, limit=50, held=held, dry_run=True)
    assert shop.counts() == before
    [batch] = _sweep_all(datastore, "logins", due, limit=50, held=held)
    datastore.close()
    assert (dry.rows_deleted, dry.held) == (batch.rows_deleted, batch.held) == (9, 3)
    assert shop.scalar("SELECT COUNT(*) FROM logins") == 3
    assert shop.scalar("SELECT COUNT(*) FROM logins WHERE customer_id = 1") == 3


def test_dated_collections_are_validated_with_every_problem_named() -> None:
    """A missing collection, a missing field and a collection without personal data are refused."""
    retention = {
        "nowhere": {"date": "at"},
        "logins": {"date": "when"},
        "products": {"date": "name"},
        "tickets": {"purpose": "x"},
    }
    with pytest.raises(InvalidInput) as caught:
        _variant({}, privault={"retention": retention})
    assert "privault.retention.tickets.date: must name the field" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        _variant({}, privault={"retention": {k: v for k, v in retention.items() if k != "tickets"}})
    message = caught.value.message
    assert "privault.retention.nowhere: collection 'nowhere' does not exist" in message
    assert "privault.retention.logins.date: field 'when' does not exist" in message
    assert "privault.retention.products: collection 'products' holds no personal data" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-01-01 12:00:00", datetime(2025, 1, 1, 12, tzinfo=UTC)),
        ("2025-01-01T12:00:00+02:00", datetime(2025, 1, 1, 10, tzinfo=UTC)),
        (date(2025, 1, 1), datetime(2025, 1, 1, tzinfo=UTC)),
        (datetime(2025, 1, 1, 12), datetime(2025, 1, 1, 12, tzinfo=UTC)),  # noqa: DTZ001
        ("not a date", None),
        (None, None),
        (42, None),
    ],
)
def test_a_rows_date_is_read_as_utc(raw: object, expected: datetime | None) -> None:
    """Naive times are UTC, aware ones converted, dates start at midnight; the rest is undated."""
    assert collected_at(raw) == expected


def test_a_second_sweep_neither_masks_nor_counts_what_the_first_erased(shop: Shop) -> None:
    """Masked fields count as erased: the next day's sweep (or a batch repeated after a crash)
    changes nothing and reports nothing; referenced orders are not masked again either."""
    datastore = _dated_store(shop)
    due_ip = _before_minute(7, {"ip": "fraud-signals"})
    _sweep_all(datastore, "logins", due_ip, limit=50)
    _sweep_all(datastore, "orders", lambda _when: {"customer_id": "r"}, limit=100)
    [logins] = _sweep_all(datastore, "logins", due_ip, limit=50)
    [orders] = _sweep_all(datastore, "orders", lambda _when: {"customer_id": "r"}, limit=100)
    datastore.close()
    assert (logins.rows_masked, logins.values, orders.rows_masked, orders.values) == (0, {}, 0, {})


def test_counting_a_dated_collection_reads_what_a_sweep_would_erase_and_changes_nothing(
    shop: Shop,
) -> None:
    """count_dated over batches of 5 finds the 6 rows the sweep then erases; nothing changes."""
    datastore = _dated_store(shop)
    due = _before_minute(7, {"ip": "fraud-signals"})
    before = shop.counts()
    counted, after = [], None
    while True:
        scan = DatedScan(LOGIN_0 + timedelta(days=1), due, after, 5)
        batch = datastore.count_dated("logins", scan)
        counted.append(batch)
        if batch.cursor is None:
            break
        after = batch.cursor
    assert shop.counts() == before
    assert shop.scalar("SELECT COUNT(*) FROM logins WHERE ip = '[erased]'") == 0
    assert sum(b.rows_due for b in counted) == 6
    assert sum(b.rows_masked + b.rows_deleted for b in counted) == 0
    [swept] = _sweep_all(datastore, "logins", due, limit=50)
    datastore.close()
    assert swept.rows_due == swept.rows_masked == 6
