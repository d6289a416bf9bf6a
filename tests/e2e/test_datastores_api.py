"""Datastores over HTTP: the test's findings as JSON, a dataset or URL changed in place with
``PATCH /v1/datastores/{key}``, unknown categories refused when added or changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from privault.bootstrap import Container
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest
from tests.fixtures.shop import create_shop, seed, shop_dataset_text

UNKNOWN = shop_dataset_text().replace("[user.name]", "[user.name.frist]")


def _shop(path: Path, customers: int) -> str:
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    create_shop(engine)
    seed(engine, customers=customers)
    engine.dispose()
    return url


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The API with the manifest applied."""
    apply_manifest(container.deps)
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def staff(container: Container, client: TestClient, tmp_path: Path) -> dict[str, str]:
    """An admin API key of the tenant, and the shop (four customers) connected as ``shop``."""
    created = create_api_key(container.deps, "bluewave", "privacy-officer", name="t")
    headers = {"Authorization": f"Bearer {created.token.reveal()}"}
    body = {"key": "shop", "url": _shop(tmp_path / "shop.db", 4), "dataset": shop_dataset_text()}
    assert client.post("/v1/datastores", json=body, headers=headers).status_code == 201
    return headers


def test_the_test_answers_the_collections_and_each_finding(
    client: TestClient, staff: dict[str, str]
) -> None:
    """Rows per collection in the dataset's order; findings with code, severity, where, message
    and hint; warnings leave the datastore ok."""
    check = client.post("/v1/datastores/shop/test", headers=staff).json()
    assert check["ok"] is True
    assert check["collections"][:2] == [
        {"name": "customers", "rows": 4},
        {"name": "addresses", "rows": 3},
    ]
    (email,) = [f for f in check["findings"] if f["where"] == "customers.email"]
    assert email["code"] == "identity.no_index"
    assert email["severity"] == "warning"
    assert set(email) == {"code", "severity", "where", "message", "hint"}
    assert "lower(trim(email))" in email["hint"]


def test_patch_changes_the_url_and_the_dataset_in_place(
    client: TestClient, staff: dict[str, str], tmp_path: Path
) -> None:
    """Both parts at once: the answer names them; the next test reads the new database."""
    body = {"url": _shop(tmp_path / "other.db", 2), "dataset": shop_dataset_text() + "\n"}
    changed = client.patch("/v1/datastores/shop", json=body, headers=staff)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "key": "shop",
        "kind": "sqlite",
        "url": body["url"],
        "collections": 8,
        "changed": ["url", "dataset"],
    }
    check = client.post("/v1/datastores/shop/test", headers=staff).json()
    assert check["collections"][0] == {"name": "customers", "rows": 2}
    again = client.patch("/v1/datastores/shop", json=body, headers=staff).json()
    assert again["changed"] == []


def test_an_unknown_category_is_refused_when_added_or_changed(
    client: TestClient, staff: dict[str, str], tmp_path: Path
) -> None:
    """422 dataset.invalid naming the category and the close match; nothing is stored."""
    url = _shop(tmp_path / "crm.db", 1)
    added = client.post(
        "/v1/datastores", json={"key": "crm", "url": url, "dataset": UNKNOWN}, headers=staff
    )
    assert (added.status_code, added.json()["code"]) == (422, "dataset.invalid")
    assert "did you mean 'user.name.first'?" in added.json()["detail"]
    changed = client.patch("/v1/datastores/shop", json={"dataset": UNKNOWN}, headers=staff)
    assert (changed.status_code, changed.json()["code"]) == (422, "dataset.invalid")
    keys = [d["key"] for d in client.get("/v1/datastores", headers=staff).json()]
    assert keys == ["shop"]


def test_patch_needs_a_part_and_a_known_datastore(
    client: TestClient, staff: dict[str, str]
) -> None:
    """Neither URL nor dataset: 422 datastore.invalid; an unknown key: 404 datastore.unknown."""
    empty = client.patch("/v1/datastores/shop", json={}, headers=staff)
    assert (empty.status_code, empty.json()["code"]) == (422, "datastore.invalid")
    unknown = client.patch("/v1/datastores/nope", json={"dataset": UNKNOWN}, headers=staff)
    assert unknown.status_code == 422  # the dataset is checked first, before the key is looked up
    missing = client.patch(
        "/v1/datastores/nope", json={"dataset": shop_dataset_text()}, headers=staff
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "datastore.unknown")
