"""The visit log over HTTP and the CLI (both engines): beacon, pixel, GPC/DNT, consent, stats."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from privault.api.routes.visits import PIXEL, router
from privault.bootstrap import Container
from privault.cli import visits as visits_cli
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.storage import tables as t
from tests.e2e.visitor_helpers import prove

IP = "203.0.113.77"
VISITOR = "visitor-0123456789abcdef"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)


def _app(container: Container) -> FastAPI:
    """The app, with the visits router mounted if the app does not register it yet."""
    app = create_app(container)
    if not any(getattr(r, "path", None) == "/v1/visits" for r in app.routes):
        app.include_router(router)
    return app


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The app with the manifest applied, called from a known client address."""
    apply_manifest(container.deps)
    app = _app(container)
    with TestClient(
        app, raise_server_exceptions=False, client=(IP, 50000), headers={"User-Agent": CHROME}
    ) as test_client:
        prove(test_client, container, VISITOR, "northwind")  # VISITOR's own browser
        yield test_client


def _rows(container: Container, tenant: str = "northwind") -> list[t.Visit]:
    with container.uow() as uow:
        bind_tenant(uow, tenant)
        found = list(uow.session.scalars(select(t.Visit).order_by(t.Visit.id)))
        uow.session.expunge_all()
        return found


def _auth(container: Container, role: str = "privacy-officer") -> dict[str, str]:
    created = create_api_key(container.deps, "northwind", role, name=role)
    return {"Authorization": f"Bearer {created.token.reveal()}"}


def _accept_all(client: TestClient) -> None:
    answer = client.post(
        "/v1/tenants/northwind/cookie-consent", json={"visitor": VISITOR, "method": "accept"}
    )
    assert answer.status_code == 201, answer.text


def test_beacon_answers_204_and_stores_only_the_minimum(
    client: TestClient, container: Container
) -> None:
    """204 without a body; the path, referrer host, family and /24 are stored."""
    answer = client.post(
        "/v1/visits",
        json={
            "tenant": "northwind",
            "page": "/plans?email=ann@example.com",
            "referrer": "https://news.example/story?id=1",
        },
    )
    assert answer.status_code == 204
    assert answer.content == b""
    assert "no-store" in answer.headers["cache-control"]
    [row] = _rows(container)
    assert (row.page, row.referrer, row.browser, row.client, row.visitor) == (
        "/plans",
        "news.example",
        "chrome",
        "203.0.113.0/24",
        None,
    )


def test_beacon_accepts_text_plain_json_from_send_beacon(
    client: TestClient, container: Container
) -> None:
    """navigator.sendBeacon posts text/plain; the body is still read as JSON."""
    body = json.dumps({"tenant": "northwind", "page": "/"})
    answer = client.post("/v1/visits", content=body, headers={"Content-Type": "text/plain"})
    assert answer.status_code == 204
    assert len(_rows(container)) == 1


def test_visitor_kept_only_after_statistics_consent(
    client: TestClient, container: Container
) -> None:
    """Before the banner choice the visitor is dropped; after accepting statistics it is kept."""
    body = {"tenant": "northwind", "page": "/", "visitor": VISITOR}
    assert client.post("/v1/visits", json=body).status_code == 204
    _accept_all(client)
    assert client.post("/v1/visits", json=body).status_code == 204
    assert [r.visitor for r in _rows(container)] == [None, VISITOR]


@pytest.mark.parametrize("header", [{"Sec-GPC": "1"}, {"DNT": "1"}])
def test_gpc_or_dnt_drops_the_visitor(
    client: TestClient, container: Container, header: dict[str, str]
) -> None:
    """A consenting visitor whose browser sends GPC or DNT is recorded anonymously."""
    _accept_all(client)
    body = {"tenant": "northwind", "page": "/", "visitor": VISITOR}
    assert client.post("/v1/visits", json=body, headers=header).status_code == 204
    [row] = _rows(container)
    assert (row.visitor, row.subject_id) == (None, None)


def test_errors_are_problems(client: TestClient, container: Container) -> None:
    """Unknown tenant 404 tenant.unknown; a bad page 422 visit.invalid; a missing page input.invalid."""
    unknown = client.post("/v1/visits", json={"tenant": "acme", "page": "/"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "tenant.unknown")
    for page in ("plans", "/" + "x" * 500):
        bad = client.post("/v1/visits", json={"tenant": "northwind", "page": page})
        assert (bad.status_code, bad.json()["code"]) == (422, "visit.invalid")
        assert page not in bad.text
    missing = client.post("/v1/visits", json={"tenant": "northwind"})
    assert (missing.status_code, missing.json()["code"]) == (422, "input.invalid")
    assert _rows(container) == []


def test_pixel_answers_an_uncached_gif_and_records(
    client: TestClient, container: Container
) -> None:
    """The no-JS pixel answers a 1x1 GIF that is never cached and records the path only."""
    answer = client.get("/v1/visits/pixel.gif", params={"t": "northwind", "p": "/faq?x=1"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/gif"
    assert "no-store" in answer.headers["cache-control"]
    assert answer.content == PIXEL
    assert answer.content.startswith(b"GIF89a\x01\x00\x01\x00")
    [row] = _rows(container)
    assert (row.page, row.client) == ("/faq", "203.0.113.0/24")
    unknown = client.get("/v1/visits/pixel.gif", params={"t": "acme", "p": "/"})
    assert unknown.status_code == 404


def test_pseudonym_mode_keeps_no_prefix(container: Container) -> None:
    """With visit_ip_mode=pseudonym the client column holds a 32-hex pseudonym, not the network."""
    container.settings = container.settings.model_copy(update={"visit_ip_mode": "pseudonym"})
    apply_manifest(container.deps)
    with TestClient(_app(container), client=(IP, 1)) as client:
        assert (
            client.post("/v1/visits", json={"tenant": "northwind", "page": "/"}).status_code == 204
        )
    [row] = _rows(container)
    assert row.client is not None
    assert len(row.client) == 32
    assert "203.0.113" not in row.client


def test_stats_for_an_admin_only(client: TestClient, container: Container) -> None:
    """The stats answer counts; a non-admin key gets 403; no key 401."""
    _accept_all(client)
    for page in ("/a", "/a", "/b"):
        client.post("/v1/visits", json={"tenant": "northwind", "page": page, "visitor": VISITOR})
    client.get("/v1/visits/pixel.gif", params={"t": "northwind", "p": "/a"})
    answer = client.get("/v1/visits/stats", params={"days": 7}, headers=_auth(container))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["visits"], found["consented"], found["linked"]) == (4, 3, 0)
    assert found["pages"] == [{"key": "/a", "visits": 3}, {"key": "/b", "visits": 1}]
    assert found["browsers"] == [{"key": "chrome", "visits": 4}]
    assert len(found["days"]) == 7
    assert found["days"][-1] == {"day": "2026-03-02", "visits": 4}
    assert VISITOR not in answer.text
    assert "203.0.113" not in answer.text
    agent = client.get("/v1/visits/stats", headers=_auth(container, "agent"))
    assert (agent.status_code, agent.json()["code"]) == (403, "access.denied")
    assert client.get("/v1/visits/stats").status_code == 401
    too_many = client.get("/v1/visits/stats", params={"days": 400}, headers=_auth(container))
    assert too_many.status_code == 422


def _cli(container: Container) -> typer.Typer:
    """``privault visits`` on the test's container (the root callback's job in the real CLI)."""
    root = typer.Typer()

    @root.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = container

    root.add_typer(visits_cli.app, name="visits")
    return root


def test_cli_stats_prints_tables_and_json(client: TestClient, container: Container) -> None:
    """`privault visits stats` shows the counts, and --json the same as the API."""
    for page in ("/a", "/b", "/a"):
        client.post(
            "/v1/visits",
            json={"tenant": "northwind", "page": page, "referrer": "https://r.example/"},
        )
    runner = CliRunner()
    shown = runner.invoke(_cli(container), ["visits", "stats", "--tenant", "northwind"])
    assert shown.exit_code == 0, shown.output
    for expected in ("Popular pages", "/a", "Chrome", "Visits per day"):
        assert expected in shown.output
    assert "r.example" in shown.output
    as_json = runner.invoke(
        _cli(container), ["visits", "stats", "--tenant", "northwind", "--days", "3", "--json"]
    )
    assert as_json.exit_code == 0, as_json.output
    found = json.loads(as_json.output)
    assert found["visits"] == 3
    assert found["pages"][0] == {"key": "/a", "visits": 2}
    assert found["referrers"] == [{"key": "r.example", "visits": 3}]
    assert len(found["days"]) == 3
