"""A contact-centre company's own database for the requests benchmark: 15 tables, their Fides dataset.

customers (email and phone identities) live at addresses (some shared), hold accounts with contracts
and invoices, place orders of products (no personal data) with items and payments, log in from
devices, call in (call records with notes) and open tickets (with messages). Every link is a real
foreign key with an index on the referencing column.

``Seeder`` builds the rows of one customer at a time, with a row count per table, and inserts them
with ``executemany`` (psycopg pipelines it): a few seconds for ~80,000 rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

DATASET_KEY = "care"
PRODUCTS = 50

# Fides dataset (file form). On field F of collection C, `from: X.y` queries C by F with the values
# of X.y; `to: X.y` queries X by y with the values of C.F.
DATASET_YAML = """\
dataset:
  - fides_key: care
    name: Contact-centre company database
    description: Customers, billing, orders, logins, calls and tickets (15 tables)
    collections:
      - name: customers
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - {name: email, data_categories: [user.contact.email], fides_meta: {identity: email}}
          - {name: phone, data_categories: [user.contact.phone_number],
             fides_meta: {identity: phone_number}}
          - {name: name, data_categories: [user.name]}
          - {name: birth_date, data_categories: [user.demographic.date_of_birth]}
          - name: address_id
            data_categories: [system.operations]
            fides_meta:
              references: [{dataset: care, field: addresses.id, direction: to}]
      - name: addresses
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - {name: street, data_categories: [user.contact.address.street]}
          - {name: city, data_categories: [user.contact.address.city]}
          - {name: postcode, data_categories: [user.contact.address.postal_code]}
      - name: accounts
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: customer_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: care, field: customers.id, direction: from}]
          - {name: number, data_categories: [user.account]}
          - {name: status, data_categories: [system.operations]}
          - {name: opened_on, data_categories: [system.operations]}
      - name: contracts
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: account_id
            data_categories: [system.operations]
            fides_meta:
              references: [{dataset: care, field: accounts.id, direction: from}]
          - {name: plan, data_categories: [user.behavior.purchase_history]}
          - {name: started_on, data_categories: [system.operations]}
          - {name: monthly_cents, data_categories: [user.financial]}
      - name: invoices
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: account_id
            data_categories: [system.operations]
            fides_meta:
              references: [{dataset: care, field: accounts.id, direction: from}]
          - {name: issued_on, data_categories: [system.operations]}
          - {name: amount_cents, data_categories: [user.financial]}
          - {name: status, data_categories: [system.operations]}
      - name: orders
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: customer_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: care, field: customers.id, direction: from}]
          - {name: created_at, data_categories: [system.operations]}
          - {name: total_cents, data_categories: [user.behavior.purchase_history]}
      - name: order_items
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: order_id
            data_categories: [system.operations]
            fides_meta:
              references: [{dataset: care, field: orders.id, direction: from}]
          - name: product_id
            data_categories: [system.operations]
            fides_meta:
              references: [{dataset: care, field: products.id, direction: to}]
          - {name: quantity, data_categories: [user.behavior.purchase_history]}
      - name: products
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - {name: name, data_categories: [system.operations]}
          - {name: price_cents, data_categories: [system.operations]}
      - name: payments
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: order_id
            data_categories: [system.operations]
            fides_meta:
              references: [{dataset: care, field: orders.id, direction: from}]
          - {name: card_last4, data_categories: [user.financial.credit_card]}
          - {name: amount_cents, data_categories: [user.financial]}
          - {name: paid_at, data_categories: [system.operations]}
      - name: devices
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: customer_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: care, field: customers.id, direction: from}]
          - {name: device_id, data_categories: [user.device.device_id]}
          - {name: model, data_categories: [system.operations]}
      - name: logins
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: customer_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: care, field: customers.id, direction: from}]
          - name: device_id
            data_categories: [system.operations]
            fides_meta:
              references: [{dataset: care, field: devices.id, direction: to}]
          - {name: ip, data_categories: [user.device.ip_address]}
          - {name: at, data_categories: [system.operations]}
      - name: call_records
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: customer_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: care, field: customers.id, direction: from}]
          - {name: caller_number, data_categories: [user.contact.phone_number]}
          - {name: started_at, data_categories: [system.operations]}
          - {name: duration_s, data_categories: [system.operations]}
      - name: call_notes
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: call_id
            data_categories: [system.operations]
            fides_meta:
              references: [{dataset: care, field: call_records.id, direction: from}]
          - {name: agent, data_categories: [system.operations]}
          - {name: body, data_categories: [user.content.private]}
      - name: tickets
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: customer_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: care, field: customers.id, direction: from}]
          - {name: subject, data_categories: [user.content.private]}
          - {name: opened_at, data_categories: [system.operations]}
      - name: ticket_messages
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: ticket_id
            data_categories: [system.operations]
            fides_meta:
              references: [{dataset: care, field: tickets.id, direction: from}]
          - {name: author, data_categories: [system.operations]}
          - {name: body, data_categories: [user.content.private]}
          - {name: sent_at, data_categories: [system.operations]}
"""


def _id() -> Column[int]:
    return Column("id", BigInteger, primary_key=True, autoincrement=False)


def _fk(name: str, target: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, BigInteger, ForeignKey(f"{target}.id"), nullable=nullable, index=True)


def metadata() -> MetaData:
    """The 15 tables (in the connection's search_path)."""
    meta = MetaData()
    Table("addresses", meta, _id(), Column("street", String(200), nullable=False),
          Column("city", String(100), nullable=False), Column("postcode", String(10)))  # fmt: skip
    Table("customers", meta, _id(), Column("email", String(255), nullable=False, unique=True),
          Column("phone", String(32)), Column("name", String(100)), Column("birth_date", Date),
          _fk("address_id", "addresses", nullable=True))  # fmt: skip
    Table("accounts", meta, _id(), _fk("customer_id", "customers"),
          Column("number", String(20), nullable=False), Column("status", String(10), nullable=False),
          Column("opened_on", Date, nullable=False))  # fmt: skip
    Table("contracts", meta, _id(), _fk("account_id", "accounts"),
          Column("plan", String(40), nullable=False), Column("started_on", Date, nullable=False),
          Column("monthly_cents", Integer, nullable=False))  # fmt: skip
    Table("invoices", meta, _id(), _fk("account_id", "accounts"),
          Column("issued_on", Date, nullable=False), Column("amount_cents", Integer, nullable=False),
          Column("status", String(10), nullable=False))  # fmt: skip
    Table("products", meta, _id(), Column("name", String(100), nullable=False),
          Column("price_cents", Integer, nullable=False))  # fmt: skip
    Table("orders", meta, _id(), _fk("customer_id", "customers"),
          Column("created_at", DateTime, nullable=False), Column("total_cents", Integer, nullable=False))  # fmt: skip
    Table("order_items", meta, _id(), _fk("order_id", "orders"), _fk("product_id", "products"),
          Column("quantity", Integer, nullable=False))  # fmt: skip
    Table("payments", meta, _id(), _fk("order_id", "orders"),
          Column("card_last4", String(4), nullable=False), Column("amount_cents", Integer, nullable=False),
          Column("paid_at", DateTime, nullable=False))  # fmt: skip
    Table("devices", meta, _id(), _fk("customer_id", "customers"),
          Column("device_id", String(40), nullable=False), Column("model", String(40)))  # fmt: skip
    Table("logins", meta, _id(), _fk("customer_id", "customers"), _fk("device_id", "devices", nullable=True),
          Column("ip", String(45), nullable=False), Column("at", DateTime, nullable=False))  # fmt: skip
    Table("call_records", meta, _id(), _fk("customer_id", "customers"),
          Column("caller_number", String(32)), Column("started_at", DateTime, nullable=False),
          Column("duration_s", Integer, nullable=False))  # fmt: skip
    Table("call_notes", meta, _id(), _fk("call_id", "call_records"),
          Column("agent", String(40), nullable=False), Column("body", Text, nullable=False))  # fmt: skip
    Table("tickets", meta, _id(), _fk("customer_id", "customers"),
          Column("subject", String(200), nullable=False), Column("opened_at", DateTime, nullable=False))  # fmt: skip
    Table("ticket_messages", meta, _id(), _fk("ticket_id", "tickets"),
          Column("author", String(40), nullable=False), Column("body", Text, nullable=False),
          Column("sent_at", DateTime, nullable=False))  # fmt: skip
    return meta


TABLES = tuple(metadata().tables)  # 15


@dataclass(frozen=True, slots=True)
class Profile:
    """How many rows one customer owns, per table (customers and addresses are 1 each)."""

    accounts: int
    contracts_per_account: int
    invoices_per_account: int
    orders: int
    items_per_order: int
    devices: int
    logins: int
    calls: int  # each call has one note
    tickets: int
    messages_per_ticket: int

    def rows(self) -> int:
        """Rows of this customer's own (not counting the address or the products)."""
        return (
            1
            + self.accounts * (1 + self.contracts_per_account + self.invoices_per_account)
            + self.orders * (2 + self.items_per_order)  # order, payment, items
            + self.devices
            + self.logins
            + 2 * self.calls
            + self.tickets * (1 + self.messages_per_ticket)
        )


# ~56,000 rows (plus the shared address and the 50 products its orders name).
BIG = Profile(4, 2, 600, 4000, 3, 20, 10_000, 6000, 1650, 6)
# ~10 rows with the address and the one product.
SMALL = Profile(1, 1, 1, 1, 1, 0, 1, 0, 0, 0)
# ~5,000 rows.
ERASE = Profile(2, 2, 120, 400, 3, 5, 1000, 500, 150, 4)
OTHER = Profile(1, 2, 6, 5, 2, 1, 10, 4, 2, 2)


@dataclass
class Seeder:
    """Rows for customers, one at a time; ids are unique per table across the whole run."""

    start: datetime = datetime(2024, 1, 1, 8, 0, 0)  # noqa: DTZ001 - naive, as many apps store them
    next_id: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 1))
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {name: [] for name in TABLES}
    )

    def _add(self, table: str, *values: Any) -> int:
        new = self.next_id[table]
        self.next_id[table] = new + 1
        self.rows[table].append((new, *values))
        return new

    def products(self) -> None:
        """The catalogue (no personal data)."""
        for p in range(PRODUCTS):
            self._add("products", f"Plan add-on {p + 1}", 199 + 100 * p)

    def address(self, n: int) -> int:
        """A new address; returns its id."""
        return self._add("addresses", f"{n} Harbour Street", "Leeds", f"LS{n % 30 + 1}")

    def customer(self, email: str, phone: str, address_id: int, p: Profile) -> int:
        """One customer and every row it owns; returns its id."""
        at = self.start
        name = f"Customer {email.partition('@')[0]}"
        c = self._add("customers", email, phone, name, date(1980, 1, 1), address_id)
        for a in range(p.accounts):
            account = self._add("accounts", c, f"ACC-{c:06d}-{a}", "active", date(2020, 1, 1))
            for k in range(p.contracts_per_account):
                self._add("contracts", account, f"Plan {k % 5}", date(2020, 1 + k % 12, 1), 2500)
            for k in range(p.invoices_per_account):
                day = date(2020, 1, 1) + timedelta(days=k)
                self._add("invoices", account, day, 2500 + k % 100, "paid")
        for o in range(p.orders):
            when = at + timedelta(minutes=17 * o)
            order = self._add("orders", c, when, 1000 + o % 500)
            for i in range(p.items_per_order):
                self._add("order_items", order, 1 + (order + i) % PRODUCTS, 1 + i)
            self._add("payments", order, f"{c % 10_000:04d}", 1000 + o % 500, when)
        devices = [
            self._add("devices", c, f"IMEI{c:08d}{d:04d}", "Phone X") for d in range(p.devices)
        ]
        for n in range(p.logins):
            device = devices[n % len(devices)] if devices else None
            self._add(
                "logins", c, device, f"10.{c % 256}.{n // 256 % 256}.{n % 256}",
                at + timedelta(minutes=5 * n),
            )  # fmt: skip
        for n in range(p.calls):
            call = self._add("call_records", c, phone, at + timedelta(hours=n), 60 + n % 900)
            self._add("call_notes", call, f"agent-{n % 40}", "Customer asked about the last bill.")
        for n in range(p.tickets):
            ticket = self._add("tickets", c, f"Ticket {n}: line fault", at + timedelta(hours=3 * n))
            for m in range(p.messages_per_ticket):
                author = "customer" if m % 2 == 0 else f"agent-{m % 40}"
                self._add(
                    "ticket_messages", ticket, author, "The line drops every evening.",
                    at + timedelta(hours=3 * n, minutes=m),
                )  # fmt: skip
        return c

    def take(self) -> dict[str, list[tuple[Any, ...]]]:
        """The rows built so far (and forget them)."""
        rows, self.rows = self.rows, {name: [] for name in TABLES}
        return rows


def insert(conn: Connection, rows: Mapping[str, list[tuple[Any, ...]]]) -> int:
    """executemany per table, parents first; returns the number of rows inserted."""
    total = 0
    for tab in metadata().sorted_tables:
        values = rows.get(tab.name)
        if not values:
            continue
        columns = ", ".join(f'"{c.name}"' for c in tab.columns)
        marks = ", ".join(["%s"] * len(tab.columns))
        conn.exec_driver_sql(f'INSERT INTO "{tab.name}" ({columns}) VALUES ({marks})', values)  # noqa: S608
        total += len(values)
    return total


def count_rows(conn: Connection, column_of: Mapping[str, tuple[str, list[int]]]) -> int:
    """Rows still present: table -> (key column, ids)."""
    total = 0
    for name, (column, ids) in column_of.items():
        if ids:
            total += conn.exec_driver_sql(
                f'SELECT count(*) FROM "{name}" WHERE "{column}" = ANY(%s)',  # noqa: S608
                (ids,),
            ).scalar_one()
    return total
