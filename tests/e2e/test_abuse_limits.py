"""Abuse limits end to end (docs/limits.md): each public door answers 429 with ``Retry-After`` past
its limit, a burst from one IP sends no more messages than the limit allows, one IP cannot lock a login
out, bodies and values have sizes (413 and 422), and several processes share one count in Redis.

Runs on both engines through the ``container`` fixture; the Redis tests need the server on
127.0.0.1:6379 (skipped with the reason when it is not there).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from privault.bootstrap import Container
from privault.config import Settings
from privault.errors import ConfigurationError
from privault.http.app import create_app
from privault.http.limits import AbuseLimits, rules_of
from privault.outbound.messenger import read_outbox
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest
from privault.services.staff import create_staff

REDIS = "redis://127.0.0.1:6379"
PASSWORD = "correct horse battery staple"
TENANT = "bluewave"


def _browser(app: object, ip: str = "198.51.100.7") -> TestClient:
    """A client at ``ip``, on https (the console's Secure cookies come back)."""
    return TestClient(
        app,  # type: ignore[arg-type]
        base_url="https://testserver",
        raise_server_exceptions=False,
        client=(ip, 50000),
    )


@pytest.fixture
def app(container: Container) -> object:
    """The app with the manifest applied and an officer login."""
    apply_manifest(container.deps)
    create_staff(container.deps, TENANT, "officer", "privacy-officer", PASSWORD, "cli:test")
    return create_app(container)


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    """One browser at one IP."""
    with _browser(app) as browser:
        yield browser


def _open(client: TestClient, address: str) -> int:
    body = {"tenant": TENANT, "type": "access", "identities": {"email": [address]}}
    return client.post("/v1/requests", json={**body, "jurisdiction": "eu"}).status_code


def _refused(response: object) -> None:
    status, headers = response.status_code, response.headers  # type: ignore[attr-defined]
    assert status == 429
    assert 1 <= int(headers["Retry-After"]) <= 86_400


def _messages_to(container: Container, address: str | None = None) -> int:
    messages = read_outbox(container.settings.outbox_path)
    return len([m for m in messages if address is None or m["to"] == address])


def test_a_burst_from_one_ip_sends_no_more_messages_than_the_limit(
    container: Container, client: TestClient
) -> None:
    """200 anonymous requests from one IP: five are taken (5/hour), the rest answer 429 with
    Retry-After, and the outbox holds the messages of five requests only."""
    assert _open(client, "victim-0@example.com") == 201
    per_request = _messages_to(container)
    assert per_request >= 1
    statuses = [_open(client, f"victim-{n}@example.com") for n in range(1, 200)]
    assert statuses.count(201) == 4
    assert statuses.count(429) == 195
    _refused(client.post("/v1/requests", json={"tenant": TENANT}))
    assert _messages_to(container) == 5 * per_request


def test_one_mailbox_gets_three_requests_a_day_from_any_ip(
    container: Container, app: object
) -> None:
    """The identity limit holds across IPs and sees through +tags and Gmail's dots."""
    variants = ["jo.smith@gmail.com", "josmith+a@gmail.com", "JO.SMITH+b@googlemail.com"]
    for n, address in enumerate(variants):
        with _browser(app, f"203.0.113.{n + 1}") as browser:
            assert _open(browser, address) == 201
    sent = _messages_to(container)
    with _browser(app, "203.0.113.99") as browser:
        body = {
            "tenant": TENANT,
            "type": "access",
            "identities": {"email": ["j.o.smith@gmail.com"]},
        }
        _refused(browser.post("/v1/requests", json=body | {"jurisdiction": "eu"}))
        assert _open(browser, "someone.else@example.com") == 201
    assert _messages_to(container) > sent  # only the other person's request sent anything


def test_staff_with_an_api_key_are_not_counted_and_a_made_up_key_gets_nothing(
    container: Container, client: TestClient
) -> None:
    """Past the IP's limit, a request with a real key (staff taking a call) is opened; one with a
    made-up key is refused (401) and sends nothing."""
    for n in range(5):
        assert _open(client, f"caller-{n}@example.com") == 201
    sent = _messages_to(container)
    body = {"tenant": TENANT, "type": "access", "identities": {"email": ["a@example.com"]}}
    body |= {"jurisdiction": "eu"}
    made_up = client.post("/v1/requests", json=body, headers={"Authorization": "Bearer pv_x_y"})
    assert made_up.status_code == 401
    assert _messages_to(container) == sent
    key = create_api_key(container.deps, TENANT, "privacy-officer", name="desk").token.reveal()
    staff = client.post("/v1/requests", json=body, headers={"Authorization": f"Bearer {key}"})
    assert staff.status_code == 201, staff.text


def test_the_request_form_answers_429_with_retry_after(client: TestClient) -> None:
    """The privacy center's form has the same per-IP limit, as an HTML page."""
    form = {"jurisdiction": "us-ca", "right": "access", "details": ""}
    statuses = []
    for n in range(6):
        response = client.post(
            f"/p/{TENANT}/request",
            data=form | {"email": f"form-{n}@example.com"},
            follow_redirects=False,
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [303] * 5
    _refused(response)
    assert "text/html" in response.headers["content-type"]
    assert "too many requests: try again in" in response.text


def _sign_in(browser: TestClient, password: str, username: str = "officer") -> object:
    page = browser.get("/admin/login")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    fields = {"csrf": token, "tenant": TENANT, "username": username, "password": password}
    return browser.post("/admin/login", data=fields, follow_redirects=False)


def test_one_ip_cannot_lock_a_login_out(app: object) -> None:
    """Ten wrong passwords from one IP: four are checked, the rest get 429 before the password is
    looked at; the officer, elsewhere, still signs in."""
    with _browser(app, "192.0.2.66") as attacker:
        statuses = [_sign_in(attacker, "wrong wrong wrong").status_code for _ in range(10)]
        assert statuses == [401] * 4 + [429] * 6
        _refused(_sign_in(attacker, "wrong wrong wrong"))
    with _browser(app, "198.51.100.20") as officer:
        assert _sign_in(officer, PASSWORD).status_code == 303


def test_a_right_password_starts_the_ips_tries_again(app: object) -> None:
    """Three typos then the right password: the next typos are counted from zero."""
    with _browser(app) as browser:
        assert [_sign_in(browser, "typo typo typo").status_code for _ in range(3)] == [401] * 3
        assert _sign_in(browser, PASSWORD).status_code == 303
        assert [_sign_in(browser, "typo typo typo").status_code for _ in range(4)] == [401] * 4


def test_sign_in_per_ip_across_usernames(client: TestClient) -> None:
    """Ten attempts a minute from one IP, whatever the usernames (password spraying)."""
    statuses = [_sign_in(client, "guess guess", f"user{n}").status_code for n in range(11)]
    assert statuses[:10] == [401] * 10
    _refused(_sign_in(client, "guess guess", "user99"))


def test_a_login_from_many_ips_is_slowed(app: object) -> None:
    """Ten attempts a minute at one login from all IPs together; past them, 429. (The lock-out
    after five wrong passwords in a row still applies: a distributed attacker can cause it.)"""
    statuses = []
    for n in range(11):
        with _browser(app, f"203.0.113.{n + 10}") as browser:
            statuses.append(_sign_in(browser, "wrong wrong wrong").status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_banner_choices_and_preference_saves_per_ip(client: TestClient) -> None:
    """30 a minute from one IP; then 429 with Retry-After (JSON for the banner, a page for the
    preference center)."""
    url = f"/v1/tenants/{TENANT}/cookie-consent"
    assert all(client.post(url, json={}).status_code != 429 for _ in range(30))
    _refused(client.post(url, json={}))
    _refused(client.post(f"/p/{TENANT}/preferences", data={"visitor": "v"}))


def test_visit_beacons_per_ip(client: TestClient) -> None:
    """120 beacons a minute from one IP (POST and pixel together); then 429."""
    assert all(client.post("/v1/visits", json={}).status_code != 429 for _ in range(120))
    _refused(client.post("/v1/visits", json={}))
    _refused(client.get("/v1/visits/pixel.gif", params={"t": TENANT, "p": "/"}))


# --- sizes ---------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_with_or_without_content_length(
    container: Container, client: TestClient
) -> None:
    """The limit + 1 byte: refused at once by its length, or while the chunks are counted."""
    big = b"x" * (container.settings.max_body_bytes + 1)
    declared = client.post(
        "/v1/requests", content=big, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json()["code"] == "request.too_large"

    def chunks() -> Iterator[bytes]:
        for _ in range(len(big) // 65_536 + 1):
            yield b"x" * 65_536

    streamed = client.post("/v1/visits", content=chunks())
    assert streamed.status_code == 413
    assert _messages_to(container) == 0


def test_a_huge_value_is_422_naming_the_field(container: Container, client: TestClient) -> None:
    """A value one character over the limit: 422 ``value.too_long`` with the field's path, never the value."""
    long = "y" * (container.settings.max_value_chars + 1)
    body = {"tenant": TENANT, "type": "access", "identities": {"email": ["a@example.com"]}}
    response = client.post("/v1/requests", json=body | {"details": long})
    assert response.status_code == 422
    assert response.json()["code"] == "value.too_long"
    assert "'details'" in response.json()["detail"]
    assert long not in response.text
    named = client.post("/v1/requests", json=body | {"identities": {"email": [long]}})
    assert "identities.email[0]" in named.json()["detail"]
    page = client.post(
        f"/p/{TENANT}/request",
        data={
            "jurisdiction": "us-ca",
            "right": "access",
            "email": "a@example.com",
            "details": long,
        },
        headers={"Accept": "text/html"},
    )
    assert page.status_code == 422
    assert "text/html" in page.headers["content-type"]
    assert _messages_to(container) == 0


# --- the store -------------------------------------------------------------------------------------


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS}")


def _process(settings: Settings, container: Container, **changes: object) -> Container:
    """Another server process on the same database (its own container, as a process has)."""
    return Container(settings.model_copy(update=changes), clock=container.clock)


def test_two_processes_share_one_count_in_redis(settings: Settings, container: Container) -> None:
    """Two apps (two containers, as two processes) on one Redis: 4 beacons a minute in all; the
    counters hold no identity in clear."""
    _redis_or_skip()
    apply_manifest(container.deps)
    shared = {
        "rate_limit_storage": SecretStr(REDIS),
        "rate_limit_prefix": f"test-{uuid.uuid4().hex}",
        "rate_limit_visits_ip": "4/minute",
    }
    first, second = (_process(settings, container, **shared) for _ in range(2))
    with _browser(create_app(first)) as a, _browser(create_app(second)) as b:
        assert [c.post("/v1/visits", json={}).status_code for c in (a, b, a, b)] == [422] * 4
        _refused(a.post("/v1/visits", json={}))
        _refused(b.post("/v1/visits", json={}))
        assert _open(a, "kept.secret@example.com") == 201
    stored = redis.Redis.from_url(REDIS).keys(f"{shared['rate_limit_prefix']}*")
    assert len(stored) >= 2  # the IP's and the identity's counters
    assert not any(b"@" in key or b"kept" in key for key in stored)  # never the identity in clear
    first.close()
    second.close()


def test_in_memory_two_processes_would_count_apart(
    settings: Settings, container: Container
) -> None:
    """The reason for redis://: with memory:// each process has its own count."""
    changes = {"rate_limit_visits_ip": "2/minute"}
    first, second = (_process(settings, container, **changes) for _ in range(2))
    with _browser(create_app(first)) as a, _browser(create_app(second)) as b:
        assert [c.post("/v1/visits", json={}).status_code for c in (a, a, b, b)] == [422] * 4
    first.close()
    second.close()


def test_a_store_that_does_not_answer_stops_the_app_from_starting(
    settings: Settings, container: Container
) -> None:
    """Fail closed at start-up: a redis:// nobody answers is a ConfigurationError."""
    dead = _process(settings, container, rate_limit_storage=SecretStr("redis://127.0.0.1:1"))
    with pytest.raises(ConfigurationError, match="does not answer"):
        create_app(dead)
    dead.close()


def test_a_store_lost_while_serving_closes_the_doors(app: object, container: Container) -> None:
    """Fail closed while serving: 503 ``rate_limit.unavailable``, nothing sent."""
    from limits.storage import storage_from_string

    lost = storage_from_string("redis://127.0.0.1:1", wrap_exceptions=True, socket_timeout=0.5)
    app.state.limits = AbuseLimits(lost, rules_of(container))  # type: ignore[attr-defined]
    with _browser(app) as browser:
        assert _open(browser, "a@example.com") == 503
        response = browser.post("/v1/visits", json={})
        assert response.json()["code"] == "rate_limit.unavailable"
    assert _messages_to(container) == 0


def test_serve_with_several_workers_refuses_memory_storage(cli) -> None:
    """``privault serve --workers 2`` with memory:// stops before anything is written."""
    code, _, err = cli("serve", "--workers", "2")
    assert code == ConfigurationError.exit_code
    assert "redis://" in err


def test_an_import_line_with_a_huge_value_is_refused_by_number(cli, tmp_path) -> None:
    """A 10 MB name in an import refuses that line (named field, no value) and the rest import."""
    row = {
        "subject": "cust-1",
        "identities": {"email": "ana@example.com"},
        "data": {"user.name": "Ana"},
        "source": "direct",
        "purpose": "billing",
    }
    huge = row | {"subject": "cust-2", "data": {"user.name": "N" * 10_000_000}}
    path = tmp_path / "subjects.jsonl"
    path.write_text(f"{json.dumps(huge)}\n{json.dumps(row)}\n", encoding="utf-8")
    assert cli("manifest", "apply")[0] == 0
    code, out, err = cli("subjects", "import", "--tenant", TENANT, str(path))
    assert code == 2
    assert "imported 1 subjects, 1 lines refused" in out
    assert "subjects.jsonl:1:" in err
    limit = Settings().max_value_chars  # the default: the test's environment sets none
    assert f"'data.user.name' is longer than {limit} characters" in err
    assert "NNNN" not in err
