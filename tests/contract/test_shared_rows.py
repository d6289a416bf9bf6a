"""A rental paid for by others: the person's own rows that stay for someone else are masked, on every
engine, and staff described by the dataset as employees never reach a customer's answer.

A small DVD-rental database in the shape of the public Sakila/pagila sample: cities shared by
addresses, customers at addresses, rentals handled by staff (who have managers), payments for rentals.
Ben paid for one of Mary's rentals, so that rental must stay.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    text,
)

from privault.connectors import SqlDatastore, load_dataset
from tests.fixtures.scratch import engine_for, scratch_database

DATASET = """
dataset:
  - fides_key: rentals
    name: DVD rentals
    collections:
      - name: customer
        fields:
          - {name: customer_id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - {name: first_name, data_categories: [user.name.first]}
          - {name: last_name, data_categories: [user.name.last]}
          - {name: email, data_categories: [user.contact.email], fides_meta: {identity: email}}
          - name: address_id
            data_categories: [system.operations]
            fides_meta: {references: [{dataset: rentals, field: address.address_id, direction: to}]}
      - name: address
        fields:
          - {name: address_id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - {name: address, data_categories: [user.contact.address.street]}
          - {name: phone, data_categories: [user.contact.phone_number], fides_meta: {identity: phone_number}}
          - name: city_id
            data_categories: [system.operations]
            fides_meta: {references: [{dataset: rentals, field: city.city_id, direction: to}]}
      - name: city
        fields:
          - {name: city_id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - {name: city, data_categories: [user.contact.address.city]}
      - name: rental
        fields:
          - {name: rental_id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - {name: rental_date, data_categories: [user.behavior.purchase_history]}
          - name: customer_id
            data_categories: [system.operations]
            fides_meta: {references: [{dataset: rentals, field: customer.customer_id, direction: from}]}
          - name: staff_id
            data_categories: [system.operations]
            fides_meta: {references: [{dataset: rentals, field: staff.staff_id, direction: to}]}
      - name: payment
        fields:
          - {name: payment_id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: customer_id
            data_categories: [user.unique_id]
            fides_meta: {references: [{dataset: rentals, field: customer.customer_id, direction: from}]}
          - name: rental_id
            data_categories: [system.operations]
            fides_meta: {references: [{dataset: rentals, field: rental.rental_id, direction: to}]}
          - {name: amount, data_categories: [system.operations]}
      - name: staff
        data_subjects: [employee]
        fields:
          - {name: staff_id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - {name: first_name, data_categories: [user.name.first]}
          - {name: email, data_categories: [user.contact.email]}
          - name: manager_id
            data_categories: [system.operations]
            fides_meta: {references: [{dataset: rentals, field: staff.staff_id, direction: to}]}
"""

MARY, BEN = 1, 2


def _schema() -> MetaData:
    meta = MetaData()
    Table("city", meta, Column("city_id", Integer, primary_key=True, autoincrement=False),
          Column("city", String(50), nullable=False))  # fmt: skip
    Table("address", meta, Column("address_id", Integer, primary_key=True, autoincrement=False),
          Column("address", String(50), nullable=False), Column("phone", String(20), nullable=False),
          Column("city_id", Integer, ForeignKey("city.city_id"), nullable=False))  # fmt: skip
    Table("staff", meta, Column("staff_id", Integer, primary_key=True, autoincrement=False),
          Column("first_name", String(45), nullable=False), Column("email", String(50)),
          Column("manager_id", Integer, ForeignKey("staff.staff_id")))  # fmt: skip
    Table("customer", meta, Column("customer_id", Integer, primary_key=True, autoincrement=False),
          Column("first_name", String(45), nullable=False), Column("last_name", String(45), nullable=False),
          Column("email", String(50)),
          Column("address_id", Integer, ForeignKey("address.address_id"), nullable=False))  # fmt: skip
    Table("rental", meta, Column("rental_id", Integer, primary_key=True, autoincrement=False),
          Column("rental_date", Date, nullable=False),
          Column("customer_id", Integer, ForeignKey("customer.customer_id"), nullable=False),
          Column("staff_id", Integer, ForeignKey("staff.staff_id"), nullable=False))  # fmt: skip
    Table("payment", meta, Column("payment_id", Integer, primary_key=True, autoincrement=False),
          Column("customer_id", Integer, ForeignKey("customer.customer_id"), nullable=False),
          Column("rental_id", Integer, ForeignKey("rental.rental_id"), nullable=False),
          Column("amount", Integer, nullable=False))  # fmt: skip
    return meta


ROWS: dict[str, list[dict[str, object]]] = {
    "city": [{"city_id": 1, "city": "Lethbridge"}],
    "address": [
        {"address_id": 1, "address": "47 MySakila Drive", "phone": "(403) 555-0101", "city_id": 1},
        {"address_id": 2, "address": "28 MySQL Boulevard", "phone": "(403) 555-0102", "city_id": 1},
    ],
    "staff": [
        {"staff_id": 1, "first_name": "Mike", "email": "mike@sakilastaff.com", "manager_id": None},
        {"staff_id": 2, "first_name": "Jon", "email": "jon@sakilastaff.com", "manager_id": 1},
    ],
    "customer": [
        {"customer_id": MARY, "first_name": "MARY", "last_name": "SMITH",
         "email": "MARY.SMITH@sakilacustomer.org", "address_id": 1},
        {"customer_id": BEN, "first_name": "BEN", "last_name": "EASTER",
         "email": "BEN.EASTER@sakilacustomer.org", "address_id": 2},
    ],
    "rental": [
        {"rental_id": 10, "rental_date": "2005-05-24", "customer_id": MARY, "staff_id": 2},
        {"rental_id": 11, "rental_date": "2005-05-25", "customer_id": MARY, "staff_id": 2},
        {"rental_id": 20, "rental_date": "2005-05-26", "customer_id": BEN, "staff_id": 1},
    ],
    "payment": [
        {"payment_id": 100, "customer_id": MARY, "rental_id": 11, "amount": 299},
        {"payment_id": 200, "customer_id": BEN, "rental_id": 10, "amount": 499},
        {"payment_id": 201, "customer_id": BEN, "rental_id": 20, "amount": 199},
    ],
}  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def rentals(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The rental database on each engine."""
    with scratch_database(request.param, tmp_path) as url:
        engine = engine_for(url)
        meta = _schema()
        meta.create_all(engine)
        with engine.begin() as conn:
            for tab in meta.sorted_tables:
                rows = [
                    {**r, "rental_date": _date(r)} if "rental_date" in r else r
                    for r in ROWS[tab.name]
                ]
                conn.execute(insert(tab), rows)
        engine.dispose()
        yield url


def _date(row: dict[str, object]) -> object:
    return date.fromisoformat(str(row["rental_date"]))


def _snapshot(url: str) -> dict[str, set[tuple[object, ...]]]:
    engine = engine_for(url)
    meta = _schema()
    with engine.connect() as conn:
        rows = {t.name: {tuple(r) for r in conn.execute(select(t))} for t in meta.sorted_tables}
    engine.dispose()
    return rows


def test_a_rental_paid_for_by_others_keeps_the_person_masked_behind_it(rentals: str) -> None:
    """Ben paid for Mary's rental 10: it stays, and Mary's customer and address rows stay masked;
    the rental's NOT NULL date cannot be masked, so the erasure says it is incomplete."""
    before = _snapshot(rentals)
    store = SqlDatastore(rentals, load_dataset(DATASET))
    result = store.erase({"email": ["mary.smith@sakilacustomer.org"]})
    store.close()
    after = _snapshot(rentals)
    assert [(n.collection, n.field, n.rows, n.reason) for n in result.not_erased] == [
        ("rental", "rental_date", 1, "not_nullable")
    ]
    assert not result.complete
    codes = {(r.collection, r.key): r.code for r in result.retained}
    assert codes == {
        ("rental", "10"): "depended_on",
        ("customer", "1"): "referenced",
        ("address", "1"): "referenced",
        ("city", "1"): "shared",
    }
    mary = next(r for r in after["customer"] if r[0] == MARY)
    assert mary[1:4] == ("[erased]", "[erased]", None)
    address = next(r for r in after["address"] if r[0] == 1)
    assert address[1:3] == ("[erased]", "[erased]")
    assert {r[0] for r in after["rental"]} == {10, 20}
    assert {r[0] for r in after["payment"]} == {200, 201}
    for table in ("city", "staff"):
        assert after[table] == before[table]
    ben_rows = {
        "customer": [r for r in before["customer"] if r[0] == BEN],
        "address": [r for r in before["address"] if r[0] == 2],
        "rental": [r for r in before["rental"] if r[0] == 20],
    }
    for table, rows in ben_rows.items():
        assert set(rows) <= after[table], table


def test_staff_described_as_employees_never_reach_a_customers_package(rentals: str) -> None:
    """The rental's staff member and their manager are not followed, shown or erased."""
    store = SqlDatastore(rentals, load_dataset(DATASET))
    access = store.access({"email": ["Mary.Smith@SakilaCustomer.org".lower()]})
    erased = store.erase({"email": ["mary.smith@sakilacustomer.org"]})
    store.close()
    assert "staff" not in access.collections
    assert set(access.collections) == {"customer", "address", "city", "rental", "payment"}
    assert "staff" not in erased.deleted
    assert "staff" not in erased.masked
    engine = engine_for(rentals)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM staff")).scalar_one() == 2
    engine.dispose()


def test_a_phone_stored_with_punctuation_finds_the_person_at_her_address(rentals: str) -> None:
    """``(403) 555-0101`` matches +14035550101: the address, then who lives there is not followed
    (an up edge), but the address row itself is found."""
    store = SqlDatastore(rentals, load_dataset(DATASET))
    access = store.access({"phone": ["+14035550101"]})
    store.close()
    assert access.matched == {"phone": 1}
    assert {k[0] for k in access.collections["address"].primary_keys} == {1}
