"""Subject requests end to end over HTTP: intake, both identities verified from the outbox, fulfilment
across the vault and two real datastores (a SQLite file and a PostgreSQL schema), the package download.

Runs on both privault engines (SQLite and PostgreSQL) through the ``container`` fixture.
"""

from __future__ import annotations

import io
import json
import os
import re
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.http.app import create_app
from privault.outbound.messenger import read_outbox
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject
from tests.fixtures.shop import create_shop, email, phone, seed, shop_dataset_text

POSTGRES_URL = os.environ.get(
    "PRIVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CUSTOMER = 3  # a customer with a private address
SHARING = 1  # customer 1 shares an address with customer 2


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url)
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))
    return engine


@pytest.fixture
def shops(tmp_path: Path) -> Iterator[dict[str, tuple[str, Engine]]]:
    """Two company databases holding the shop: a SQLite file and a private PostgreSQL schema."""
    sqlite_url = f"sqlite:///{tmp_path / 'shop.db'}"
    lite = _sqlite_engine(sqlite_url)
    create_shop(lite)
    seed(lite, customers=4)
    schema = f"pv_shop_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    pg_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    pg = create_engine(pg_url)
    create_shop(pg)
    seed(pg, customers=4)
    yield {"web-shop": (sqlite_url, lite), "store-shop": (pg_url, pg)}
    lite.dispose()
    pg.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The API with the manifest applied and two customers in the vault."""
    apply_manifest(container.deps)
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    for n in (SHARING, CUSTOMER):
        create_subject(
            container.deps,
            officer,
            {
                "subject": f"cust-{n}",
                "identities": {"email": email(n), "phone": phone(n)},
                "data": {"user.name": f"Customer {n}", "cc.account.number": f"ACC-{n}"},
                "source": "direct",
                "purpose": "customer-service",
            },
        )
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def staff(container: Container, client: TestClient) -> dict[str, str]:
    """An admin API key of the tenant."""
    created = create_api_key(container.deps, "bluewave", "privacy-officer", name="t")
    return {"Authorization": f"Bearer {created.token.reveal()}"}


def _connect(
    client: TestClient, staff: dict[str, str], shops: dict[str, tuple[str, Engine]]
) -> None:
    for key, (url, _) in shops.items():
        response = client.post(
            "/v1/datastores",
            json={"key": key, "url": url, "dataset": shop_dataset_text()},
            headers=staff,
        )
        assert response.status_code == 201, response.text
        assert "password" not in response.text
        check = client.post(f"/v1/datastores/{key}/test", headers=staff).json()
        assert check["ok"], check


def _codes(container: Container, to: str) -> list[str]:
    messages = read_outbox(container.settings.outbox_path)
    return [
        m["body"].split(" is ")[1][:6]
        for m in messages
        if m["to"] == to and m["kind"] == "verification_code"
    ]


def _open(client: TestClient, customer: int, kind: str) -> dict[str, object]:
    response = client.post(
        "/v1/requests",
        json={
            "tenant": "bluewave",
            "type": kind,
            "identities": {"email": [email(customer)], "phone": [phone(customer)]},
            "jurisdiction": "eu",
        },
    )
    assert response.status_code == 201, response.text
    opened: dict[str, object] = response.json()
    return opened


def _verify_both(container: Container, client: TestClient, customer: int, token: str) -> None:
    first = client.post(
        f"/v1/requests/status/{token}/verify", json={"codes": _codes(container, email(customer))}
    )
    assert first.status_code == 200, first.text
    assert first.json()["state"] == "received"  # one identity of two
    assert first.json()["verified"] == [True, False]
    second = client.post(
        f"/v1/requests/status/{token}/verify", json={"codes": _codes(container, phone(customer))}
    )
    assert second.json()["state"] == "verified", second.text


def test_access_across_vault_and_two_datastores_then_download(
    container: Container,
    client: TestClient,
    staff: dict[str, str],
    shops: dict[str, tuple[str, Engine]],
) -> None:
    """The issue's end-to-end flow: intake, two codes, fulfilment everywhere, the package."""
    _connect(client, staff, shops)
    opened = _open(client, CUSTOMER, "access")
    token = str(opened["token"])
    assert opened["state"] == "received"
    assert opened["rule"] == "GDPR-DSR-1"
    wrong = client.post(f"/v1/requests/status/{token}/verify", json={"codes": ["000000"]})
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "verification.failed"
    _verify_both(container, client, CUSTOMER, token)

    done = client.post(
        f"/v1/requests/{opened['ref']}/actions", json={"action": "complete"}, headers=staff
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed"
    status = client.get(f"/v1/requests/status/{token}").json()
    assert status["state"] == "completed"
    link = status["download_url"]
    assert link
    assert status["download_expires_at"]
    assert link.endswith(f"/v1/requests/status/{token}/package")
    package = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert package.headers["referrer-policy"] == "no-referrer"
    assert package.status_code == 200
    assert package.headers["content-type"] == "application/zip"

    archive = zipfile.ZipFile(io.BytesIO(package.content))
    names = set(archive.namelist())
    assert {"data.json", "report.html", "README.txt"} <= names
    assert "csv/web-shop/orders.csv" in names
    assert "csv/store-shop/orders.csv" in names
    data = json.loads(archive.read("data.json"))
    text_data = json.dumps(data)
    assert f"Customer {CUSTOMER}" in text_data  # vault and datastores
    assert email(CUSTOMER) in text_data
    assert email(SHARING) not in text_data  # nobody else's data
    for key, (_, engine) in shops.items():
        with engine.connect() as conn:
            orders = conn.execute(
                text("SELECT COUNT(*) FROM orders WHERE customer_id = :c"), {"c": CUSTOMER}
            ).scalar_one()
        assert orders > 0
        assert archive.read(f"csv/{key}/orders.csv").decode().count("\n") == orders + 1
    html = archive.read("report.html").decode()
    assert "Bluewave" in html
    assert "<script" not in html


def test_erasure_keeps_a_shared_address_and_completes_after_recipients_are_told(
    container: Container,
    client: TestClient,
    staff: dict[str, str],
    shops: dict[str, tuple[str, Engine]],
) -> None:
    """Erasure deletes the person's rows in both datastores and the vault, keeps the address another
    customer still lives at (reported), and is incomplete until the recipients are told (Art. 19)."""
    _connect(client, staff, shops)
    opened = _open(client, SHARING, "erasure")
    _verify_both(container, client, SHARING, str(opened["token"]))
    ref = opened["ref"]
    first = client.post(f"/v1/requests/{ref}/actions", json={"action": "complete"}, headers=staff)
    body = first.json()
    assert body["state"] == "incomplete", body
    retained = body["result"]["retained"]
    assert {(r["datastore"], r["collection"], r["code"]) for r in retained} >= {
        ("web-shop", "addresses", "shared"),
        ("store-shop", "addresses", "shared"),
    }
    assert body["result"]["not_erased"] == []
    for _, engine in shops.values():
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM customers WHERE id = 1")).scalar() == 0
            assert (
                conn.execute(text("SELECT COUNT(*) FROM orders WHERE customer_id = 1")).scalar()
                == 0
            )
            assert conn.execute(text("SELECT COUNT(*) FROM customers WHERE id = 2")).scalar() == 1
            assert conn.execute(text("SELECT COUNT(*) FROM addresses WHERE id = 1")).scalar() == 1
    tasks = [t for t in body["tasks"] if t["state"] == "open"]
    assert tasks
    assert all(t["system"].startswith("recipient:") for t in tasks)
    lookup = client.post(
        "/v1/subjects/lookup",
        json={"kind": "email", "values": [email(SHARING)], "purpose": "customer-service"},
        headers=staff,
    )
    assert lookup.status_code == 200, lookup.text
    assert (
        lookup.json()["subjects"] == []
    )  # crypto-shredded: the identities are gone from the vault
    for task in tasks:
        closed = client.post(
            f"/v1/requests/{ref}/tasks/{task['id']}", json={"note": "told"}, headers=staff
        )
        assert closed.status_code == 200
    again = client.post(f"/v1/requests/{ref}/actions", json={"action": "complete"}, headers=staff)
    assert again.json()["state"] == "completed", again.text


def test_staff_queue_extend_and_deny(
    container: Container, client: TestClient, staff: dict[str, str]
) -> None:
    """The queue sorts by due date; an extension moves the date the requester sees; a denial
    carries its code and text."""
    first = _open(client, CUSTOMER, "access")
    second = _open(client, SHARING, "rectification")
    queue = client.get("/v1/requests", headers=staff).json()
    assert [r["ref"] for r in queue] == sorted(
        [first["ref"], second["ref"]],
        key=lambda ref: next(r["due_on"] for r in queue if r["ref"] == ref),
    )
    assert client.get("/v1/requests").status_code == 401
    extended = client.post(
        f"/v1/requests/{first['ref']}/actions",
        json={"action": "extend", "reasons": "Records are spread over several archives."},
        headers=staff,
    )
    assert extended.status_code == 200, extended.text
    status = client.get(f"/v1/requests/status/{first['token']}").json()
    assert status["extended"]
    assert status["due_on"] > str(first["due_on"])
    denied = client.post(
        f"/v1/requests/{second['ref']}/actions",
        json={
            "action": "deny",
            "code": "manifestly_unfounded",
            "text": "This request repeats one we answered last week.",
            "evidence": "Same identities and same request as the one answered last week.",
            "prior_requests": [first["ref"]],
        },
        headers=staff,
    )
    assert denied.json()["state"] == "denied"
    seen = client.get(f"/v1/requests/status/{second['token']}").json()
    assert re.search("complain", seen["denial_text"])
    again = client.post(
        f"/v1/requests/{second['ref']}/actions", json={"action": "resume"}, headers=staff
    )
    assert again.status_code == 409
    assert again.json()["code"] == "request.invalid_transition"


def test_a_field_that_cannot_be_erased_leaves_the_request_incomplete(
    container: Container,
    client: TestClient,
    staff: dict[str, str],
    shops: dict[str, tuple[str, Engine]],
) -> None:
    """The company marked its tickets table skip_processing: its personal fields cannot be erased,
    so the erasure request is incomplete and says which fields, never completed."""
    url, engine = shops["web-shop"]
    raw = yaml.safe_load(shop_dataset_text())
    tickets = next(c for c in raw["dataset"][0]["collections"] if c["name"] == "tickets")
    tickets["fides_meta"] = {"skip_processing": True}
    added = client.post(
        "/v1/datastores",
        json={"key": "web-shop", "url": url, "dataset": yaml.safe_dump(raw)},
        headers=staff,
    )
    assert added.status_code == 201, added.text
    opened = _open(client, CUSTOMER, "erasure")
    _verify_both(container, client, CUSTOMER, str(opened["token"]))
    ref = opened["ref"]
    body = client.post(
        f"/v1/requests/{ref}/actions", json={"action": "complete"}, headers=staff
    ).json()
    assert body["state"] == "incomplete"
    skipped = {(n["collection"], n["field"], n["reason"]) for n in body["result"]["not_erased"]}
    assert ("tickets", "body", "skip_processing") in skipped
    assert "tickets.body could not be erased" in " ".join(body["result"]["problems"])
    assert "tickets" not in body["response"]  # the requester is not told our table names
    for task in (t for t in body["tasks"] if t["state"] == "open"):
        client.post(f"/v1/requests/{ref}/tasks/{task['id']}", json={"note": "told"}, headers=staff)
    again = client.post(f"/v1/requests/{ref}/actions", json={"action": "complete"}, headers=staff)
    assert again.json()["state"] == "incomplete"  # recipients told, the field is still there
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT COUNT(*) FROM tickets WHERE customer_id = :c"), {"c": CUSTOMER}
        ).scalar_one()
    assert left > 0


def test_a_granted_appeal_of_a_virginia_refusal_has_its_own_clock(
    client: TestClient, staff: dict[str, str], container: Container
) -> None:
    """Refused, then appealed through the API: due 60 days after receipt (Va. Code
    § 59.1-577(C)), verified, and granted by completing it; the person is told each step."""
    who = {"email": [email(CUSTOMER)]}
    body = {"type": "erasure", "identities": who, "jurisdiction": "us-va"}
    refused = client.post("/v1/requests", json=body, headers=staff).json()
    assert (refused["due_on"], refused["rule"]) == ("2026-04-16", "VCDPA-RESP-1")
    denial = {"action": "deny", "code": "exempt", "text": "We must keep your billing records."}
    client.post(f"/v1/requests/{refused['ref']}/actions", json=denial, headers=staff)
    appeal_body = {"type": "appeal", "identities": who, "appeal_of": refused["ref"]}
    response = client.post("/v1/requests", json=appeal_body, headers=staff)
    assert response.status_code == 201, response.text
    appeal = response.json()
    assert (appeal["due_on"], appeal["rule"]) == ("2026-05-01", "VCDPA-APPEAL-1")
    ref = appeal["ref"]
    client.post(
        f"/v1/requests/{ref}/actions", json={"action": "verify", "note": "call"}, headers=staff
    )
    done = client.post(f"/v1/requests/{ref}/actions", json={"action": "complete"}, headers=staff)
    assert done.json()["state"] == "completed", done.text
    bodies = [m["body"] for m in read_outbox(container.settings.outbox_path)]
    assert any("You may appeal this decision" in b and "59.1-577(C)" in b for b in bodies)
    assert any("reversed it" in b for b in bodies)


def test_an_appeal_without_the_refused_request_is_invalid(
    client: TestClient, staff: dict[str, str]
) -> None:
    """An appeal names the request it appeals; nothing else names one."""
    who = {"email": [email(CUSTOMER)]}
    bare = client.post("/v1/requests", json={"type": "appeal", "identities": who}, headers=staff)
    assert bare.status_code == 422
    assert "appeal_of" in bare.text
