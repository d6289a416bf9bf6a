"""The embedded demo behind ``make run``: a manifest, a schema, tenants, notices and one admin key."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.consent import Choice, Kind, Method, Via
from privault.errors import ConfigurationError, PrivaultError
from privault.services.api_keys import authenticate, create_api_key
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.database import upgrade_schema
from privault.services.datastores import add_datastore, list_datastores
from privault.services.setup import apply_manifest, write_template
from privault.services.staff import create_staff, list_staff
from privault.services.tenants import find_tenant
from privault.services.vault_import import existing_refs, import_subjects

CREDENTIALS = "demo-credentials.txt"
# Demo only: a fixed, published password so that `make run` can say how to sign in to the console.
DEMO_STAFF = "officer"
DEMO_PASSWORD = "privault-demo-officer"  # noqa: S105 - documented in the README; never in production


@dataclass(frozen=True, slots=True)
class Demo:
    """Where the demo's admin credentials are, and the console login."""

    tenant: str
    role: str
    token: str
    credentials_file: Path
    staff_username: str = DEMO_STAFF
    staff_password: str = DEMO_PASSWORD


def prepare_demo(container: Container) -> Demo:
    """Idempotent: only what is missing is created; an existing manifest is never overwritten."""
    settings = container.settings
    if not settings.manifest_path.exists():
        write_template(settings.manifest_path.parent)
    upgrade_schema(container.database)
    manifest = container.reload_manifest()
    apply_manifest(container.deps)
    tenant = manifest.tenants[0].key
    role = next((r.key for r in manifest.roles if r.admin), None)
    if role is None:
        raise ConfigurationError("the demo needs a role with 'admin: true' in the manifest")
    _sample_subjects(container, tenant, role)
    _demo_datastore(container, tenant)
    _demo_staff(container, tenant, role)
    path = settings.data_dir / CREDENTIALS
    token = _existing_token(container, path)
    if token is None:
        created = create_api_key(container.deps, tenant, role, name="demo admin")
        token = created.token.reveal()
        path.write_text(token + "\n", encoding="utf-8")
        os.chmod(path, 0o600)
    return Demo(tenant, role, token, path)


_FIRST = ("Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hugo", "Ines", "Jamal")
_LAST = ("Okafor", "Lindqvist", "Moreau", "Patel", "Rossi", "Nakamura", "Kowalski", "Silva")


def _email(n: int) -> str:
    return f"{_FIRST[n % 10].lower()}.{_LAST[n % 8].lower()}{n}@example.com"


def _name(n: int) -> str:
    return f"{_FIRST[n % 10]} {_LAST[n % 8]}"


_CRM_SCHEMA = """
CREATE TABLE addresses (id INTEGER PRIMARY KEY, street TEXT NOT NULL, city TEXT NOT NULL);
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, phone TEXT, name TEXT,
    address_id INTEGER REFERENCES addresses(id));
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
    placed_on TEXT, item TEXT, total_cents INTEGER);
CREATE TABLE call_records (id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id), started_at TEXT, seconds INTEGER,
    agent_notes TEXT);
CREATE TABLE tickets (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
    subject TEXT, status TEXT);
"""


def _demo_datastore(container: Container, tenant: str) -> None:
    """The company's own customer database, as a SQLite file connected as datastore 'crm' (once).

    demo-1 and demo-2 share a household address, so erasing one keeps the address for the other.
    Orders are bills: the tax law of the billing-records rule keeps them from erasure (unlinked from
    the customer, whose own row goes), so an order's customer may be empty.
    """
    if any(d.key == "crm" for d in list_datastores(container.deps, tenant)):
        return
    path = container.settings.data_dir / "demo-crm.db"
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(_CRM_SCHEMA)
        db.executemany(
            "INSERT INTO addresses VALUES (?, ?, ?)",
            [(n, f"{100 + n} Harbour Street", "Springfield") for n in range(1, 21) if n != 2],
        )
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
            [
                (n, _email(n), f"+1415555{n:04d}", _name(n), 1 if n == 2 else n)
                for n in range(1, 21)
            ],
        )
        db.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
            [
                (n * 10 + k, n, f"2026-0{k}-1{n % 10}", f"Plan upgrade {k}", 1500 * k)
                for n in range(1, 21)
                for k in (1, 2, 3)
            ],
        )
        db.executemany(
            "INSERT INTO call_records VALUES (?, ?, ?, ?, ?)",
            [
                (n * 10 + k, n, f"2026-10-0{k}T10:1{n % 10}:00", 60 * (k + n), "Billing question")
                for n in range(1, 21)
                for k in (1, 2)
            ],
        )
        db.executemany(
            "INSERT INTO tickets VALUES (?, ?, ?, ?)",
            [(n, n, "No signal at home", "closed") for n in range(1, 21)],
        )
    dataset = (files("privault") / "templates" / "demo" / "crm-dataset.yml").read_text("utf-8")
    add_datastore(
        container.deps,
        tenant,
        "system:demo",
        "crm",
        url=f"sqlite:///{path.resolve()}",
        dataset=dataset,
        description="Customer database (demo)",
        privault_url=container.settings.sqlalchemy_url,
    )


def _sample_subjects(container: Container, tenant: str, role: str) -> None:
    """Twenty fictitious customers (example.com addresses, 555 numbers), once."""
    tenant_id = find_tenant(container.deps, tenant).id
    principal = Principal(tenant_id, tenant, role, "system", "demo")
    if existing_refs(container.deps, principal, ["demo-1"]):
        return
    records = [
        (
            n,
            {
                "subject": f"demo-{n}",
                "identities": {
                    "email": _email(n),
                    "phone": f"+1415555{n:04d}",
                },
                "data": {
                    "user.name": _name(n),
                    "user.contact.address": f"{100 + n} Harbour Street, Springfield",
                    "cc.account.number": f"BW-{100000 + n}",
                    "cc.payment.card": f"4111 1111 1111 {1000 + n}",
                },
                "source": "direct",
                "purpose": "billing",
            },
        )
        for n in range(1, 21)
    ]
    import_subjects(container.deps, principal, records)
    _sample_consents(container, tenant)


def _sample_consents(container: Container, tenant: str) -> None:
    """A few recorded choices, so the decision has something to say: SMS consent taken by an agent
    (demo-1), an e-mail unsubscribe for one brand (demo-2), an objection to marketing (demo-3)."""
    view = container.decider.view(tenant)
    brand = view.tenant.brands[0].key if view.tenant.brands else None
    agent = Evidence(Method.AGENT, Via.PHONE, brand, agent="demo-agent", call_id="demo-call-1")
    choices = [
        ("demo-1", Choice(Kind.PURPOSE, "marketing-sms", True), agent),
        (
            "demo-2",
            Choice(Kind.MARKETING, f"{brand or '*'}:email", False),
            Evidence(Method.UNSUBSCRIBE, Via.EMAIL),
        ),
        ("demo-3", Choice(Kind.OBJECTION, "marketing", False), Evidence(Method.FORM, Via.WEB)),
    ]
    for ref, choice, evidence in choices:
        if view.purpose("marketing-sms") is None:
            return
        record_choices(
            container.deps,
            tenant,
            "system:demo",
            Holder(subject=ref),
            [choice],
            evidence,
            container.clock.now(),
        )


def _demo_staff(container: Container, tenant: str, role: str) -> None:
    """The console login ``officer`` with the admin role and the demo password (once)."""
    staff = container.deps
    if any(s.username == DEMO_STAFF for s in list_staff(staff, tenant)):
        return
    create_staff(staff, tenant, DEMO_STAFF, role, DEMO_PASSWORD, "system:demo")


def _existing_token(container: Container, path: Path) -> str | None:
    if not path.exists():
        return None
    token = path.read_text(encoding="utf-8").strip()
    try:
        authenticate(container.deps, token)
    except PrivaultError:
        return None
    return token
