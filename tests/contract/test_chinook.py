"""privault on data it did not design: the public Chinook music store, with a dataset written from
docs/datasets.md alone (tests/fixtures/chinook/chinook.yml).

Chinook is built on SQLite from its published script and copied into PostgreSQL and MariaDB, fresh
for each test. Its customers keep phones as ``+55 (12) 3923-5555`` or ``+49 0711 2842222``; each has
invoices and invoice lines pointing at catalogue tracks; ``Customer.SupportRepId`` and
``Employee.ReportsTo`` point at employees, who are other people. Every expectation is computed with
plain SQL on the database itself, never with privault.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, text

from privault.connectors import AccessResult, ErasureException, SqlDatastore, load_dataset
from tests.fixtures.chinook_db import build_sqlite, copy_database, dataset_text
from tests.fixtures.scratch import engine_for, scratch_database

ENGINES = ["sqlite", "postgresql", "mariadb"]
TABLES = (
    "Artist",
    "Album",
    "Genre",
    "MediaType",
    "Track",
    "Playlist",
    "PlaylistTrack",
    "Employee",
    "Customer",
    "Invoice",
    "InvoiceLine",
)
ERASABLE = ("Customer", "Invoice", "InvoiceLine")  # each table's first column is its primary key

LUIS = 1  # Luís Gonçalves, stored as luisg@embraer.com.br and "+55 (12) 3923-5555"
LUIS_EMAIL = "luisg@embraer.com.br"
LUIS_PHONE = "+551239235555"
STORED_PHONES = [  # customer, the number in E.164 as privault holds it, as Chinook stores it
    (1, "+551239235555", "+55 (12) 3923-5555"),
    (2, "+497112842222", "+49 0711 2842222"),
    (52, "+442077070707", "+44 020 7707 0707"),
    (56, "+541143114333", "+54 (0)11 4311 4333"),
]
INVOICES_EACH, LINES_EACH = 7, 38  # what each of those customers bought, in the published data
JANE = ("jane@chinookcorp.com", "+14032623443")  # an employee: Luís's support rep
NOBODY = ("nobody@example.com", "+14155550199")

INVOICES = 'SELECT "InvoiceId" FROM "Invoice" WHERE "CustomerId" = :c'
SUBJECT = {
    "Customer": 'SELECT "CustomerId" FROM "Customer" WHERE "CustomerId" = :c',
    "Invoice": INVOICES,
    "InvoiceLine": f'SELECT "InvoiceLineId" FROM "InvoiceLine" WHERE "InvoiceId" IN ({INVOICES})',
    "Track": f'SELECT DISTINCT "TrackId" FROM "InvoiceLine" WHERE "InvoiceId" IN ({INVOICES})',
}
ORPHANS = (
    'SELECT COUNT(*) FROM "Invoice" WHERE "CustomerId" NOT IN (SELECT "CustomerId" FROM "Customer")',
    'SELECT COUNT(*) FROM "InvoiceLine" WHERE "InvoiceId" NOT IN (SELECT "InvoiceId" FROM "Invoice")',
    'SELECT COUNT(*) FROM "InvoiceLine" WHERE "TrackId" NOT IN (SELECT "TrackId" FROM "Track")',
    'SELECT COUNT(*) FROM "Customer" WHERE "SupportRepId" NOT IN (SELECT "EmployeeId" FROM "Employee")',
    'SELECT COUNT(*) FROM "Employee" WHERE "ReportsTo" NOT IN (SELECT "EmployeeId" FROM "Employee")',
)
CUSTOMER_PERSONAL = (
    "FirstName",
    "LastName",
    "Company",
    "Address",
    "City",
    "State",
    "Country",
    "PostalCode",
    "Phone",
    "Fax",
    "Email",
)
BILLING = ("BillingAddress", "BillingCity", "BillingState", "BillingCountry", "BillingPostalCode")
TAX = ErasureException(
    ("user.behavior.purchase_history",), "legal_obligation", "tax-records", "invoices kept 10 years"
)

Rows = dict[str, set[tuple[Any, ...]]]


@dataclass
class Chinook:
    """A fresh Chinook database: its URL (for the datastore) and an engine for plain-SQL checks."""

    url: str
    engine: Engine

    def sql(self, query: str) -> str:
        """The query (written with double-quoted names) in this engine's quoting."""
        return query.replace('"', "`") if self.engine.dialect.name == "mysql" else query

    def scalar(self, query: str, **params: Any) -> Any:
        """One value."""
        with self.engine.connect() as conn:
            return conn.execute(text(self.sql(query)), params).scalar()

    def column(self, query: str, **params: Any) -> set[Any]:
        """The first column of every row."""
        with self.engine.connect() as conn:
            return set(conn.execute(text(self.sql(query)), params).scalars())

    def row(self, query: str, **params: Any) -> dict[str, Any]:
        """The one row a query returns, by column name."""
        with self.engine.connect() as conn:
            return dict(conn.execute(text(self.sql(query)), params).mappings().one())

    def execute(self, query: str, **params: Any) -> None:
        """Run a statement and commit."""
        with self.engine.begin() as conn:
            conn.execute(text(self.sql(query)), params)

    def subject(self, customer: int) -> dict[str, set[Any]]:
        """The keys of one customer's rows and of the tracks they bought."""
        return {name: self.column(query, c=customer) for name, query in SUBJECT.items()}

    def snapshot(self) -> Rows:
        """Every row of every table."""
        with self.engine.connect() as conn:
            return {
                t: set(map(tuple, conn.execute(text(self.sql(f'SELECT * FROM "{t}"')))))
                for t in TABLES
            }

    def orphans(self) -> int:
        """References that point at no row (a broken foreign key)."""
        return sum(self.scalar(query) for query in ORPHANS)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Chinook on SQLite, built once from the vendored script."""
    path = tmp_path_factory.mktemp("chinook") / "published.db"
    build_sqlite(path)
    return path


@contextmanager
def _database(kind: str, published: Path, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        shutil.copy(published, folder / "chinook.db")
        yield f"sqlite:///{folder / 'chinook.db'}"
        return
    with scratch_database(kind, folder) as url:
        copy_database(published, url)
        yield url


@pytest.fixture(params=ENGINES)
def chinook(request: pytest.FixtureRequest, published: Path, tmp_path: Path) -> Iterator[Chinook]:
    """A fresh copy of Chinook on each engine."""
    with _database(request.param, published, tmp_path) as url:
        engine = engine_for(url)
        yield Chinook(url, engine)
        engine.dispose()


def _store(built: Chinook, **privault: object) -> SqlDatastore:
    document = yaml.safe_load(dataset_text())
    if privault:
        document["privault"] = privault
    return SqlDatastore(built.url, load_dataset(yaml.safe_dump(document)))


@pytest.fixture
def store(chinook: Chinook) -> Iterator[SqlDatastore]:
    """The datastore described by the dataset written from the docs."""
    datastore = _store(chinook)
    yield datastore
    datastore.close()


def _found(result: AccessResult) -> dict[str, set[Any]]:
    return {name: {key[0] for key in c.primary_keys} for name, c in result.collections.items()}


def _without(before: Rows, gone: dict[str, set[Any]]) -> Rows:
    """The snapshot with the rows whose keys are in ``gone`` removed."""
    return {t: {r for r in rows if r[0] not in gone.get(t, set())} for t, rows in before.items()}


def _employee_values(built: Chinook) -> set[Any]:
    query = 'SELECT "Email", "Phone", "Fax", "Address" FROM "Employee"'
    with built.engine.connect() as conn:
        return {v for row in conn.execute(text(built.sql(query))) for v in row if v is not None}


def test_the_check_counts_every_table_and_flags_the_one_broken_phone(
    chinook: Chinook, store: SqlDatastore
) -> None:
    """``test()`` passes, counts each table as SQL does, and flags the one impossible phone (``+453 3331 9991``)."""
    check = store.test()
    assert check.ok, [f.message for f in check.errors]
    expected = {t: chinook.scalar(f'SELECT COUNT(*) FROM "{t}"') for t in check.rows}
    assert set(check.rows) == {"Customer", "Employee", "Invoice", "InvoiceLine", "Track"}
    assert check.rows == expected
    phones = chinook.scalar('SELECT COUNT(*) FROM "Customer" WHERE "Phone" IS NOT NULL')
    unparseable = [f for f in check.findings if f.code == "identity.unparseable"]
    assert [(f.where, f.severity) for f in unparseable] == [("Customer.Phone", "warning")]
    assert f"1 of {phones} sampled values" in unparseable[0].message


def test_access_by_email_finds_the_customer_invoices_and_lines(
    chinook: Chinook, store: SqlDatastore
) -> None:
    """The lower-case e-mail finds Luís, his 7 invoices, their 38 lines and the tracks bought, as SQL does."""
    mine = chinook.subject(LUIS)
    assert (len(mine["Invoice"]), len(mine["InvoiceLine"])) == (INVOICES_EACH, LINES_EACH)
    result = store.access({"email": [LUIS_EMAIL]})
    assert result.matched == {"email": 1}
    assert _found(result) == mine


def test_access_by_an_email_stored_in_mixed_case(chinook: Chinook, store: SqlDatastore) -> None:
    """Luís's e-mail rewritten as ``LuisG@Embraer.COM.br`` is still found by its lower-case form."""
    chinook.execute(
        'UPDATE "Customer" SET "Email" = :e WHERE "CustomerId" = 1', e="LuisG@Embraer.COM.br"
    )
    result = store.access({"email": [LUIS_EMAIL]})
    assert result.matched == {"email": 1}
    assert _found(result) == chinook.subject(LUIS)


@pytest.mark.parametrize(("customer", "e164", "stored"), STORED_PHONES)
def test_access_by_phone_in_e164_finds_the_customer_however_chinook_wrote_it(
    chinook: Chinook, store: SqlDatastore, customer: int, e164: str, stored: str
) -> None:
    """The E.164 number finds the customer whose phone has spaces, brackets, dashes or a trunk ``0``."""
    assert (
        chinook.scalar('SELECT "Phone" FROM "Customer" WHERE "CustomerId" = :c', c=customer)
        == stored
    )
    result = store.access({"phone": [e164]})
    assert result.matched == {"phone": 1}
    assert _found(result) == chinook.subject(customer)


def test_access_returns_no_employee_data(chinook: Chinook, store: SqlDatastore) -> None:
    """Luís's package holds no employee's name, e-mail, phone or address (not his support rep's)."""
    result = store.access({"email": [LUIS_EMAIL], "phone": [LUIS_PHONE]})
    assert result.matched == {"email": 1, "phone": 1}
    assert "Employee" not in result.collections
    values = {v for c in result.collections.values() for row in c.rows for v in row}
    assert not values & _employee_values(chinook)
    with chinook.engine.connect() as conn:
        staff = conn.execute(text(chinook.sql('SELECT "FirstName", "LastName" FROM "Employee"')))
        names = [set(name) for name in staff]
    rows = [set(row) for c in result.collections.values() for row in c.rows]
    assert not [name for name in names for row in rows if name <= row]


def test_an_employee_is_never_searched_as_a_requester(
    chinook: Chinook, store: SqlDatastore
) -> None:
    """Jane's own e-mail and phone match no customer and reach no Employee row; her erasure changes nothing."""
    before = chinook.snapshot()
    found = store.access({"email": [JANE[0]], "phone": [JANE[1]]})
    erased = store.erase({"email": [JANE[0]], "phone": [JANE[1]]})
    assert found.no_match
    assert found.total_rows == 0
    assert (erased.no_match, erased.deleted, erased.masked) == (True, {}, {})
    assert chinook.snapshot() == before


def test_a_person_not_in_the_database_is_no_match(chinook: Chinook, store: SqlDatastore) -> None:
    """An unknown e-mail and phone are searched, match nothing (``no_match``), and erasing them changes nothing."""
    before = chinook.snapshot()
    found = store.access({"email": [NOBODY[0]], "phone": [NOBODY[1]]})
    erased = store.erase({"email": [NOBODY[0]], "phone": [NOBODY[1]]})
    assert found.matched == {"email": 0, "phone": 0}
    assert found.no_match
    assert found.total_rows == 0
    assert erased.no_match
    assert (erased.deleted, erased.masked, erased.retained) == ({}, {}, [])
    assert chinook.snapshot() == before


def test_erasure_deletes_exactly_the_customers_rows(chinook: Chinook, store: SqlDatastore) -> None:
    """Luís's lines, invoices and row go; every other row stays as it was and no reference dangles."""
    before, mine = chinook.snapshot(), chinook.subject(LUIS)
    result = store.erase({"email": [LUIS_EMAIL], "phone": [LUIS_PHONE]})
    assert result.deleted == {t: len(mine[t]) for t in ERASABLE}
    assert result.deleted == {"Customer": 1, "Invoice": INVOICES_EACH, "InvoiceLine": LINES_EACH}
    assert (result.masked, result.retained, result.not_erased) == ({}, [], [])
    assert result.complete
    assert chinook.snapshot() == _without(before, {t: mine[t] for t in ERASABLE})
    assert chinook.orphans() == 0


def test_erasure_under_a_tax_exception_keeps_invoices_and_says_it_is_incomplete(
    chinook: Chinook, store: SqlDatastore
) -> None:
    """Invoices kept for tax still hold Luís's id: reported as ``not_erased``, incomplete, the rest masked."""
    before, mine = chinook.snapshot(), chinook.subject(LUIS)
    result = store.erase({"email": [LUIS_EMAIL]}, exceptions=[TAX])
    assert result.deleted == {}
    retained = Counter((r.collection, r.code) for r in result.retained)
    assert retained == {
        ("Invoice", "legal_obligation"): len(mine["Invoice"]),
        ("InvoiceLine", "legal_obligation"): len(mine["InvoiceLine"]),
        ("Customer", "referenced"): 1,
    }
    kept = {r.key for r in result.retained if r.collection == "Invoice"}
    assert kept == {str(k) for k in mine["Invoice"]}
    assert result.masked == {
        "Invoice": dict.fromkeys(BILLING, INVOICES_EACH),
        "Customer": dict.fromkeys(CUSTOMER_PERSONAL, 1),
    }
    assert [(n.collection, n.field, n.rows, n.reason) for n in result.not_erased] == [
        ("Invoice", "CustomerId", INVOICES_EACH, "not_nullable")
    ]
    assert not result.complete
    still = chinook.scalar('SELECT COUNT(*) FROM "Invoice" WHERE "CustomerId" = 1')
    assert still == INVOICES_EACH  # what not_erased reports is true
    row = chinook.row('SELECT * FROM "Customer" WHERE "CustomerId" = 1')
    assert {k: row[k] for k in ("FirstName", "LastName", "Email")} == dict.fromkeys(
        ("FirstName", "LastName", "Email"), "[erased]"
    )
    assert {k: row[k] for k in CUSTOMER_PERSONAL[2:-1]} == dict.fromkeys(CUSTOMER_PERSONAL[2:-1])
    assert row["SupportRepId"] == 3
    billing = ", ".join(f'"{c}"' for c in BILLING)
    left = chinook.column(f'SELECT COALESCE({billing}) FROM "Invoice" WHERE "CustomerId" = 1')
    assert left == {None}
    after = chinook.snapshot()
    untouched = [t for t in TABLES if t not in ("Customer", "Invoice")]
    assert {t: after[t] for t in untouched} == {t: before[t] for t in untouched}
    mine_gone = {"Customer": {LUIS}, "Invoice": mine["Invoice"]}
    assert _without(after, mine_gone) == _without(before, mine_gone)
    assert chinook.orphans() == 0


def test_a_masked_customer_collection_keeps_the_row_and_deletes_the_invoices(
    chinook: Chinook,
) -> None:
    """With ``privault.mask: [Customer]`` Luís's row stays, masked, and his invoices and lines are deleted."""
    before, mine = chinook.snapshot(), chinook.subject(LUIS)
    datastore = _store(chinook, mask=["Customer"])
    result = datastore.erase({"phone": [LUIS_PHONE]})
    datastore.close()
    assert result.deleted == {"Invoice": INVOICES_EACH, "InvoiceLine": LINES_EACH}
    assert result.masked == {"Customer": dict.fromkeys(CUSTOMER_PERSONAL, 1)}
    assert (result.not_erased, result.complete) == ([], True)
    row = chinook.row('SELECT * FROM "Customer" WHERE "CustomerId" = 1')
    assert (row["FirstName"], row["Email"], row["Phone"], row["SupportRepId"]) == (
        "[erased]",
        "[erased]",
        None,
        3,
    )
    gone = {"Customer": {LUIS}, "Invoice": mine["Invoice"], "InvoiceLine": mine["InvoiceLine"]}
    assert _without(chinook.snapshot(), gone) == _without(before, gone)
    assert chinook.orphans() == 0


def test_an_email_with_non_ascii_capitals_is_found_or_reported(
    chinook: Chinook, store: SqlDatastore
) -> None:
    """``STANISŁAW.WÓJCIK@WP.PL`` is found by its lower-case form, or ``test()`` reports the miss."""
    chinook.execute(
        'UPDATE "Customer" SET "Email" = :e WHERE "CustomerId" = 49', e="STANISŁAW.WÓJCIK@WP.PL"
    )
    found = store.access({"email": ["stanisław.wójcik@wp.pl"]}).matched == {"email": 1}
    missed = [f for f in store.test().findings if f.code == "identity.form_missed"]
    assert found or [(f.where, f.severity) for f in missed] == [("Customer.Email", "error")]
