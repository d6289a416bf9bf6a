"""The HTTP API end to end (FastAPI test client over a real database, both engines)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from privault.bootstrap import Container
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest
from privault.storage.database import SqlDatabase


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """A client of an app whose manifest has been applied."""
    apply_manifest(container.deps)
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def token(container: Container, client: TestClient) -> str:
    """An API key of the first tenant's first role."""
    created = create_api_key(container.deps, "bluewave", "privacy-officer", name="test")
    return created.token.reveal()


def test_healthz_answers(client: TestClient) -> None:
    """Health is ok when the database answers at the current schema."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_healthz_is_503_when_the_database_does_not_answer(
    client: TestClient, container: Container
) -> None:
    """A database that refuses connections: 503 storage.unavailable, never the connection URL."""
    dead = create_engine("postgresql+psycopg://privault:secret@127.0.0.1:1/none")
    container.__dict__["database"] = SqlDatabase(dead)  # the cached property, replaced
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["code"] == "storage.unavailable"
    assert "secret" not in response.text
    assert "127.0.0.1" not in response.text
    dead.dispose()


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    """Prometheus metrics use route templates, never raw paths."""
    client.get("/v1/tenants/bluewave/notice")
    client.get("/v1/tenants/someone@example.com/notice")
    body = client.get("/metrics").text
    assert 'route="/v1/tenants/{tenant}/notice"' in body
    assert "someone@example.com" not in body


def test_me_needs_a_key(client: TestClient) -> None:
    """No key: 401 problem+json with a stable code."""
    response = client.get("/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "auth.unauthenticated"


def test_me_with_a_key(client: TestClient, token: str) -> None:
    """A valid key names its tenant and role."""
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["tenant"] == "bluewave"
    assert response.json()["role"] == "privacy-officer"


def test_a_forged_key_is_refused(client: TestClient, token: str) -> None:
    """Changing the secret part of a key makes it worthless."""
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["code"] == "api_key.invalid"


def test_the_notice_is_public_in_both_formats(client: TestClient) -> None:
    """The current notice is served as HTML and Markdown with its version id."""
    html = client.get("/v1/tenants/bluewave/notice")
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "Last updated" in html.text
    md = client.get("/v1/tenants/bluewave/notice", params={"format": "md"})
    assert md.text.startswith("# Privacy notice")
    assert md.headers["x-notice-version"] == html.headers["x-notice-version"]
    versions = client.get("/v1/tenants/bluewave/notice/versions").json()
    assert versions[0]["version_id"] == html.headers["x-notice-version"]
    old = client.get(f"/v1/tenants/bluewave/notice/versions/{versions[0]['version_id'][:12]}")
    assert old.status_code == 200


def test_unknown_tenant_is_a_404_problem(client: TestClient) -> None:
    """Unknown tenants answer with the tenant.unknown code."""
    response = client.get("/v1/tenants/nobody/notice")
    assert response.status_code == 404
    assert response.json()["code"] == "tenant.unknown"


def test_validation_errors_never_echo_input(client: TestClient) -> None:
    """A bad parameter is described without repeating what was sent."""
    response = client.get("/v1/tenants/bluewave/notice", params={"format": "jane@example.com"})
    assert response.status_code == 422
    assert response.json()["code"] == "input.invalid"
    assert "jane@example.com" not in response.text


def test_unknown_paths_are_problems_too(client: TestClient) -> None:
    """Even a 404 from routing is problem+json."""
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_openapi_is_served(client: TestClient) -> None:
    """The OpenAPI document lists the API."""
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/me" in paths
    assert "/healthz" in paths


def test_brand_sites_may_post_consent_cross_origin_but_not_send_api_keys(client) -> None:
    """CORS: a brand's own site (manifest brands[].domains) may call the banner endpoints; other
    origins get no CORS grant, and the Authorization header is never allowed cross-origin."""
    preflight = {
        "Origin": "https://northwind.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    ok = client.options("/v1/tenants/northwind/cookie-consent", headers=preflight)
    assert ok.headers.get("access-control-allow-origin") == "https://northwind.example"
    evil = client.options(
        "/v1/tenants/northwind/cookie-consent",
        headers={**preflight, "Origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in evil.headers
    keyed = client.options(
        "/v1/requests",
        headers={**preflight, "Access-Control-Request-Headers": "authorization"},
    )
    assert keyed.status_code == 400  # the browser refuses the preflight: no key leaves the site
    assert "authorization" not in keyed.headers.get("access-control-allow-headers", "").lower()
