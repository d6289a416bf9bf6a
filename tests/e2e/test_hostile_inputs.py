"""Hostile inputs over HTTP (both engines): ids beyond 64 bits and nested values are 422, never 500."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.config import Settings
from privault.core.ids import MAX_ID
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest, template_text


class IntParam(NamedTuple):
    """An integer parameter of an API operation, as the OpenAPI document declares it."""

    method: str
    path: str
    name: str
    where: str  # "path" or "query"


def _is_integer(schema: dict[str, Any]) -> bool:
    kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", ())}
    return "integer" in kinds


def _integer_parameters() -> list[IntParam]:
    """Every integer path or query parameter of the app, read from the routes' OpenAPI."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        (data / "privault.yaml").write_text(template_text("contact-centre"), encoding="utf-8")
        container = Container(Settings(data_dir=data, database_url=f"sqlite:///{data}/d.db"))
        try:
            spec = create_app(container).openapi()
        finally:
            container.close()
    return [
        IntParam(method.upper(), path, p["name"], p["in"])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for p in operation.get("parameters", ())
        if p["in"] in {"path", "query"} and _is_integer(p.get("schema", {}))
    ]


INT_PARAMS = _integer_parameters()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """An app with the manifest applied."""
    apply_manifest(container.deps)
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def officer(container: Container, client: TestClient) -> dict[str, str]:
    """The headers of an admin API key (so authorisation never answers first)."""
    created = create_api_key(container.deps, "bluewave", "privacy-officer", name="hostile")
    return {"Authorization": f"Bearer {created.token.reveal()}"}


def _fill(path: str) -> str:
    """Other path parameters get a harmless placeholder."""
    return "/".join("x" if part.startswith("{") else part for part in path.split("/"))


def _names_param(response: Any, param: IntParam) -> bool:
    if response.status_code != 422:
        return False
    return [param.where, param.name] in [e["loc"] for e in response.json().get("errors", ())]


def test_the_routes_take_integer_ids() -> None:
    """The discovery finds the id parameters (a test over nothing could not fail)."""
    names = {(p.path, p.name) for p in INT_PARAMS}
    assert ("/v1/legal-holds/{hold_id}", "hold_id") in names
    assert ("/v1/requests/{ref}/tasks/{task_id}", "task_id") in names


@pytest.mark.parametrize("param", INT_PARAMS, ids=lambda p: f"{p.method} {p.path} {p.name}")
def test_an_integer_beyond_64_bits_is_422_naming_the_parameter(
    client: TestClient, officer: dict[str, str], param: IntParam
) -> None:
    """2**64 is refused as invalid input naming the parameter, before any use case runs."""
    response = client.request(
        param.method,
        _fill(_with(param, 2**64)),
        params=_query(param, 2**64),
        headers=officer,
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "input.invalid"
    assert _names_param(response, param), response.text


@pytest.mark.parametrize(
    "param",
    [p for p in INT_PARAMS if p.where == "path"],
    ids=lambda p: f"{p.method} {p.path} {p.name}",
)
def test_the_largest_64_bit_id_is_read_without_an_internal_error(
    client: TestClient, officer: dict[str, str], param: IntParam
) -> None:
    """2**63 - 1 passes the bound and reaches the database without overflowing it."""
    response = client.request(param.method, _fill(_with(param, MAX_ID)), headers=officer)
    assert response.status_code != 500, response.text
    assert not _names_param(response, param)


def _with(param: IntParam, value: int) -> str:
    path = param.path.replace("{tenant}", "bluewave")
    return path.replace("{" + param.name + "}", str(value)) if param.where == "path" else path


def _query(param: IntParam, value: int) -> dict[str, str]:
    return {param.name: str(value)} if param.where == "query" else {}


SUBJECT = {
    "subject": "cust-9",
    "identities": {"email": "nia@example.com"},
    "data": {"user.name": "Nia"},
    "source": "direct",
    "purpose": "billing",
}


@pytest.mark.parametrize("value", [{"first": "Nia"}, ["Nia", "N"], [{"deep": [1]}]])
def test_a_nested_value_is_422_naming_the_field(
    client: TestClient, officer: dict[str, str], value: object
) -> None:
    """An object or a list where one value belongs is refused, never stored as its repr."""
    body = {**SUBJECT, "data": {"user.name": value}}
    response = client.post("/v1/subjects", json=body, headers=officer)
    assert response.status_code == 422, response.text
    locs = [e["loc"] for e in response.json()["errors"]]
    assert all(loc[:3] == ["body", "data", "user.name"] for loc in locs)
    assert "Nia" not in response.text


def test_a_nested_value_in_an_update_is_422(client: TestClient, officer: dict[str, str]) -> None:
    """The update refuses it the same way, and the stored value stays."""
    assert client.post("/v1/subjects", json=SUBJECT, headers=officer).status_code == 201
    patch = {"data": {"user.name": {"a": 1}}, "source": "direct", "purpose": "billing"}
    response = client.patch("/v1/subjects/cust-9", json=patch, headers=officer)
    assert response.status_code == 422
    read = client.get("/v1/subjects/cust-9", params={"purpose": "billing"}, headers=officer)
    assert read.json()["data"]["user.name"]["value"] == "Nia"


def test_numbers_and_booleans_are_still_values(client: TestClient, officer: dict[str, str]) -> None:
    """Scalars other than text keep working: what was stored is what is read."""
    body = {**SUBJECT, "data": {"user.name": 42}}
    assert client.post("/v1/subjects", json=body, headers=officer).status_code == 201
    read = client.get("/v1/subjects/cust-9", params={"purpose": "billing"}, headers=officer)
    assert read.json()["data"]["user.name"]["value"] == 42


@pytest.mark.parametrize(
    ("field", "value"),
    [("identities", {"email": {"a": "b"}}), ("identities", {"email": 5}), ("source", ["direct"])],
)
def test_a_non_text_identity_or_source_is_422(
    client: TestClient, officer: dict[str, str], field: str, value: object
) -> None:
    """Identities and the source are text: a number or a nested value is refused by field."""
    response = client.post("/v1/subjects", json={**SUBJECT, field: value}, headers=officer)
    assert response.status_code == 422, response.text
    assert all(e["loc"][1] == field for e in response.json()["errors"])


def test_a_nested_correction_is_422(client: TestClient, officer: dict[str, str]) -> None:
    """A correction request's new values are single values too."""
    body = {
        "tenant": "bluewave",
        "type": "rectification",
        "identities": {"email": ["nia@example.com"]},
        "corrections": {"user.name": {"first": "Nia"}},
    }
    response = client.post("/v1/requests", json=body, headers=officer)
    assert response.status_code == 422, response.text
    assert all(e["loc"][:2] == ["body", "corrections"] for e in response.json()["errors"])


@pytest.mark.parametrize(
    "args",
    [
        ("retention", "hold", "release", str(2**64), "--tenant", "bluewave"),
        ("webhooks", "remove", str(2**64), "--tenant", "bluewave"),
        ("dpia", "decide", str(2**64), "--tenant", "bluewave", "--approve"),
        ("requests", "task", "R-1", "--tenant", "bluewave", "--done", str(2**64)),
    ],
    ids=lambda a: " ".join(a[:3]),
)
def test_the_cli_refuses_an_id_beyond_64_bits(cli: Any, args: tuple[str, ...]) -> None:
    """The CLI answers a usage error naming the bound (exit 2), not a database overflow."""
    code, _, err = cli(*args)
    assert code == 2
    assert "9223372036854775807" in err


@pytest.mark.parametrize(
    ("field", "value"),
    [("evidence", {"source": {"nested": 1}}), ("agent", 17), ("subject", ["cust-9"])],
)
def test_a_non_text_consent_field_is_422(
    client: TestClient, officer: dict[str, str], field: str, value: object
) -> None:
    """Consent evidence and references are text: a number or nested value is refused by field."""
    body = {
        "subject": "cust-9",
        "method": "agent",
        "channel": "phone",
        "choices": [{"kind": "purpose", "scope": "marketing-sms", "granted": True}],
        field: value,
    }
    response = client.post("/v1/consent", json=body, headers=officer)
    assert response.status_code == 422, response.text
    assert all(e["loc"][:2] == ["body", field] for e in response.json()["errors"])
