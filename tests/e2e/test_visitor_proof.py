"""Visitor proof (issue #16): knowing a visitor id is not enough to read or change its choices.

Two TestClients are two browsers: the first one is given its visitor and proof by privault; the
second knows only the visitor id. Runs on SQLite and PostgreSQL (the ``container`` fixture).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import cast

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.consent import Kind, topic
from privault.crypto.keyring import Keyring
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.consent import Holder, current_state, history
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject
from privault.services.visitor_proof import (
    mint_visitor,
    proof_cookie,
    proof_of,
    proven_visitor,
)

TENANT = "northwind"
STATUS = f"/v1/tenants/{TENANT}/cookie-consent"


def _browser(container: Container) -> TestClient:
    return TestClient(create_app(container), raise_server_exceptions=False)


@pytest.fixture
def first(container: Container) -> Iterator[TestClient]:
    """The visitor's own browser."""
    apply_manifest(container.deps)
    with _browser(container) as client:
        yield client


@pytest.fixture
def second(container: Container, first: TestClient) -> Iterator[TestClient]:
    """Another browser, which will learn the first one's visitor id."""
    with _browser(container) as client:
        yield client


def _own_visitor(client: TestClient) -> str:
    """The banner's first call: privault names the visitor and sets its proof."""
    answer = client.get(f"{STATUS}/new")
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["set-cookie"].lower()
    assert proof_cookie(TENANT) in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    visitor = answer.json()["visitor"]
    assert isinstance(visitor, str)
    return visitor


def _accept(client: TestClient, visitor: str) -> int:
    body = {"visitor": visitor, "method": "accept", "shown": "banner: Accept all"}
    return client.post(STATUS, json=body).status_code


def test_the_first_browser_reads_and_changes_its_own_choices(first: TestClient) -> None:
    """The browser privault minted the visitor for chooses, and sees its choice on the next call."""
    visitor = _own_visitor(first)
    assert _accept(first, visitor) == 201
    again = first.get(f"{STATUS}/{visitor}").json()
    assert again["visitor"] == visitor
    assert again["choices"]["statistics"] is True
    assert again["reask"] is False


def test_another_browser_knowing_the_id_sees_a_fresh_visitor(
    container: Container, first: TestClient, second: TestClient
) -> None:
    """GET with a stolen id answers for a new visitor with nothing chosen, never the victim's."""
    visitor = _own_visitor(first)
    assert _accept(first, visitor) == 201
    answer = second.get(f"{STATUS}/{visitor}").json()
    assert answer["visitor"] != visitor
    assert answer["choices"]["statistics"] is None
    assert answer["reask"] is True


def test_another_browser_cannot_change_the_choices(
    container: Container, first: TestClient, second: TestClient
) -> None:
    """POST for a visitor the browser cannot prove is 403 and records nothing."""
    visitor = _own_visitor(first)
    assert _accept(first, visitor) == 201
    _own_visitor(second)  # the second browser has a proof, of its own visitor
    refused = second.post(STATUS, json={"visitor": visitor, "method": "reject"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "consent.visitor_unproven"
    no_proof = _browser(container).post(STATUS, json={"visitor": visitor, "method": "reject"})
    assert no_proof.status_code == 403
    state = current_state(container.deps, TENANT, Holder(visitor=visitor))
    assert state[topic(Kind.COOKIE, "statistics")].granted is True
    assert len(history(container.deps, TENANT, Holder(visitor=visitor))) == 3  # the accept only


def test_gpc_from_another_browser_lands_on_its_own_visitor(
    container: Container, first: TestClient, second: TestClient
) -> None:
    """A GPC signal with a stolen id opts out the sender's (new) visitor, not the named one."""
    visitor = _own_visitor(first)
    assert _accept(first, visitor) == 201
    second.get(f"{STATUS}/{visitor}", headers={"Sec-GPC": "1"})
    assert current_state(container.deps, TENANT, Holder(visitor=visitor))[
        topic(Kind.COOKIE, "marketing")
    ].granted


def _linked(container: Container, first: TestClient) -> str:
    """The first browser's visitor, linked by staff to subject nw-1."""
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, TENANT).id
    create_subject(
        container.deps,
        Principal(tenant_id, TENANT, "privacy-officer", "cli", "t"),
        {
            "subject": "nw-1",
            "identities": {"email": "n@example.com"},
            "data": {"user.name": "N"},
            "source": "direct",
            "purpose": "customer-service",
        },
    )
    visitor = _own_visitor(first)
    key = create_api_key(container.deps, TENANT, "privacy-officer", name="t").token.reveal()
    link = first.post(
        "/v1/consent/link",
        json={"visitor": visitor, "subject": "nw-1", "method": "form", "channel": "web"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert link.status_code == 201, link.text
    return visitor


def test_a_linked_subjects_consent_cannot_change_through_the_visitor_id(
    container: Container, first: TestClient, second: TestClient
) -> None:
    """Without the proof a linked visitor's choices are refused with a message naming the link;
    nothing is recorded as the person's choice. The person's own browser still may."""
    visitor = _linked(container, first)
    before = len(history(container.deps, TENANT, Holder(subject="nw-1")))
    refused = second.post(STATUS, json={"visitor": visitor, "method": "accept"})
    assert refused.status_code == 403
    assert "linked to a person" in refused.json()["detail"]
    page = second.get(f"/p/{TENANT}/preferences?visitor={visitor}")
    form = _hidden(page.text)
    assert form["visitor"] != visitor
    forged = form | {"visitor": visitor, "marketing:northwind:email": "on"}
    assert second.post(f"/p/{TENANT}/preferences", data=forged).status_code == 403
    assert len(history(container.deps, TENANT, Holder(subject="nw-1"))) == before
    assert _accept(first, visitor) == 201  # the proven browser: recorded for the subject
    assert len(history(container.deps, TENANT, Holder(subject="nw-1"))) == before + 3


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def test_preference_center_ignores_a_visitor_id_in_the_address(
    container: Container, first: TestClient, second: TestClient
) -> None:
    """?visitor=ID without the proof shows a new visitor's defaults; the form cannot be replayed
    for ID even with a token made for ID."""
    page = first.get(f"/p/{TENANT}/preferences")
    mine = _hidden(page.text)
    assert "httponly" in page.headers["set-cookie"].lower()
    saved = first.post(f"/p/{TENANT}/preferences", data=mine | {"cookie:statistics": "on"})
    assert saved.status_code == 200
    assert "Your choices are saved" in saved.text
    theirs = second.get(f"/p/{TENANT}/preferences?visitor={mine['visitor']}")
    assert _hidden(theirs.text)["visitor"] != mine["visitor"]
    assert "now: on" not in theirs.text
    replay = second.post(f"/p/{TENANT}/preferences", data=mine)  # even with the victim's token
    assert replay.status_code == 403
    state = current_state(container.deps, TENANT, Holder(visitor=mine["visitor"]))
    assert state[topic(Kind.COOKIE, "statistics")].granted is True


def test_a_choice_from_a_foreign_site_is_refused(first: TestClient) -> None:
    """A page on neither privault nor a brand's site cannot post the visitor's choice."""
    visitor = _own_visitor(first)
    body = {"visitor": visitor, "method": "accept"}
    foreign = first.post(STATUS, json=body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403


def test_a_brand_site_may_send_the_proof_cross_origin(
    container: Container, first: TestClient
) -> None:
    """A brand's own site gets credentials allowed, and may post text/plain (no preflight)."""
    domain = next(d for t in container.manifest.tenants for b in t.brands for d in b.domains)
    origin = {"Origin": f"https://{domain}"}
    answer = first.get(f"{STATUS}/new", headers=origin)
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert answer.headers["access-control-allow-origin"] == origin["Origin"]
    body = f'{{"visitor": "{answer.json()["visitor"]}", "method": "reject"}}'
    posted = first.post(STATUS, content=body, headers=origin | {"Content-Type": "text/plain"})
    assert posted.status_code == 201, posted.text


@given(st.from_regex(r"[A-Za-z0-9_-]{16,64}", fullmatch=True), st.text(max_size=60))
@settings(max_examples=80, deadline=None)
def test_no_forged_proof_is_accepted(visitor: str, mac: str) -> None:
    """Property: a well-formed visitor id with any other MAC never proves the visitor."""
    real = proof_of(_KEYRING, TENANT, visitor).value
    forged = f"{visitor}.{mac}"
    assert proven_visitor(_KEYRING, TENANT, forged) == (visitor if forged == real else None)
    assert proven_visitor(_KEYRING, TENANT, real) == visitor


def test_a_minted_proof_proves_only_its_visitor_and_tenant() -> None:
    """A proof is bound to its visitor and its tenant."""
    minted = mint_visitor(_KEYRING, TENANT)
    assert proven_visitor(_KEYRING, TENANT, minted.value) == minted.visitor
    assert proven_visitor(_KEYRING, "bluewave", minted.value) is None
    other = mint_visitor(_KEYRING, TENANT)
    swapped = f"{minted.visitor}.{other.value.split('.', 1)[1]}"
    assert proven_visitor(_KEYRING, TENANT, swapped) is None
    assert "value='***'" in repr(minted)


class _FakeKeyring:
    """Only what the proof needs: a derived key per tenant and kind."""

    def index_key(self, tenant: str, kind: str) -> bytes:
        return f"{tenant}:{kind}".encode().ljust(32, b"\0")


_KEYRING = cast(Keyring, _FakeKeyring())


def test_over_https_the_proof_is_a_secure_host_only_cookie(
    container: Container, clock: FixedClock
) -> None:
    """With an https public address the proof is Secure and __Host- prefixed, and still works."""
    apply_manifest(container.deps)
    secure = Container(
        container.settings.model_copy(update={"public_url": "https://p.example"}), clock=clock
    )
    try:
        with TestClient(create_app(secure), base_url="https://testserver") as client:
            answer = client.get(f"{STATUS}/new")
            cookie = answer.headers["set-cookie"]
            assert cookie.startswith(f"__Host-{proof_cookie(TENANT)}=")
            assert "secure" in cookie.lower()
            assert _accept(client, answer.json()["visitor"]) == 201
    finally:
        secure.close()
