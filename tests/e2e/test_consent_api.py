"""Consent, cookies, GPC, unsubscribe, suppression and decisions over HTTP (both engines)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.core.clock import FixedClock
from privault.http.app import create_app
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest
from privault.services.vault_import import create_subject
from tests.e2e.visitor_helpers import prove

VISITOR = "visitor-0123456789abcdef"


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """An app with the manifest applied and two bluewave customers."""
    apply_manifest(container.deps)
    from privault.core.access import Principal
    from privault.services.tenants import bind_tenant

    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    for n in (1, 2):
        create_subject(
            container.deps,
            officer,
            {
                "subject": f"cust-{n}",
                "identities": {"email": f"p{n}@example.com", "phone": f"+1415555010{n}"},
                "data": {"user.name": f"Person {n}", "cc.account.number": f"ACC-{n}"},
                "source": "direct",
                "purpose": "customer-service",
            },
        )
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        prove(test_client, container, VISITOR, "northwind", "bluewave")  # VISITOR's own browser
        yield test_client


def _auth(
    container: Container, role: str = "privacy-officer", tenant: str = "bluewave"
) -> dict[str, str]:
    created = create_api_key(container.deps, tenant, role, name=role)
    return {"Authorization": f"Bearer {created.token.reveal()}"}


def _decide(client: TestClient, headers: dict[str, str], **question: object) -> dict[str, object]:
    response = client.post("/v1/decisions", json={"questions": [question]}, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()["answers"][0]
    return answer


def _rules(answer: dict[str, object]) -> set[tuple[str, bool]]:
    reasons = answer["reasons"]
    assert isinstance(reasons, list)
    return {(r["rule"], r["allowed"]) for r in reasons}


def _consent(client: TestClient, headers: dict[str, str], **body: object) -> dict[str, object]:
    response = client.post("/v1/consent", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


PHONE = {"method": "agent", "channel": "phone", "agent": "agent-17", "call_id": "call-991"}


def test_consent_by_phone_changes_the_decision_and_keeps_its_proof(
    client: TestClient, container: Container
) -> None:
    """An agent records SMS consent on a call; the decision flips; the ledger holds agent and call."""
    headers = _auth(container)
    before = _decide(
        client, headers, subject="cust-1", purpose="marketing-sms", brand="bluewave-mobile"
    )
    assert before["allowed"] is False
    assert ("POL-CONS-3", False) in _rules(before)
    done = _consent(
        client,
        headers,
        subject="cust-1",
        brand="bluewave-mobile",
        choices=[{"kind": "purpose", "scope": "marketing-sms", "granted": True}],
        **PHONE,
    )
    event = done["events"][0]
    assert event["agent"] == "agent-17"
    assert event["call_id"] == "call-991"
    assert event["notice_version"]  # the latest published notice by default
    assert (
        event["ip_prefix"] == "testclient"
        or event["ip_prefix"] is None
        or "/" in event["ip_prefix"]
    )
    after = _decide(
        client, headers, subject="cust-1", purpose="marketing-sms", brand="bluewave-mobile"
    )
    assert after["allowed"] is True
    assert f"consent_event:{event['id']}" in {r["record"] for r in after["reasons"]}


def test_phone_consent_without_call_id_is_refused_and_nothing_is_written(
    client: TestClient, container: Container
) -> None:
    """Evidence is required: a phone choice without the call id is a clear error."""
    headers = _auth(container)
    response = client.post(
        "/v1/consent",
        json={
            "subject": "cust-1",
            "method": "agent",
            "channel": "phone",
            "agent": "agent-17",
            "choices": [{"kind": "purpose", "scope": "marketing-sms", "granted": True}],
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "consent.evidence_missing"
    history = client.get("/v1/consent/events", params={"subject": "cust-1"}, headers=headers)
    assert history.json()["events"] == []


@pytest.mark.parametrize(
    "evidence",
    [
        {"method": "agent", "channel": "phone", "agent": "a-1", "call_id": "c-1"},
        {"method": "ivr", "channel": "ivr", "call_id": "c-2"},
        {"method": "agent", "channel": "agent_desktop", "agent": "a-1", "call_id": "c-3"},
        {"method": "form", "channel": "web"},
        {"method": "form", "channel": "email"},
        {"method": "form", "channel": "post"},
        {"method": "import", "channel": "api"},
    ],
    ids=lambda e: e["channel"],
)
def test_withdrawal_works_on_every_channel_that_can_grant(
    client: TestClient, container: Container, evidence: dict[str, str]
) -> None:
    """GDPR 7(3): whatever channel granted can withdraw, and the decision follows at once."""
    headers = _auth(container)
    choice = {"kind": "purpose", "scope": "marketing-sms"}
    _consent(client, headers, subject="cust-2", choices=[{**choice, "granted": True}], **evidence)
    assert _decide(client, headers, subject="cust-2", purpose="marketing-sms")["allowed"] is True
    _consent(client, headers, subject="cust-2", choices=[{**choice, "granted": False}], **evidence)
    answer = _decide(client, headers, subject="cust-2", purpose="marketing-sms")
    assert answer["allowed"] is False
    assert ("POL-CONS-2", False) in _rules(answer)


def test_reject_and_unsubscribe_methods_cannot_grant(
    client: TestClient, container: Container
) -> None:
    """A reject button never records a grant (no consent by default, no pre-ticked boxes)."""
    headers = _auth(container)
    response = client.post(
        "/v1/consent",
        json={
            "subject": "cust-1",
            "method": "reject",
            "channel": "web",
            "choices": [{"kind": "purpose", "scope": "marketing-sms", "granted": True}],
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "consent.invalid"


def test_cookie_banner_needs_an_explicit_choice_per_category(
    client: TestClient, container: Container
) -> None:
    """'save' must list every offered category; nothing is assumed on."""
    container.manifest  # noqa: B018 - loaded
    response = client.post(
        "/v1/tenants/northwind/cookie-consent",
        json={"visitor": VISITOR, "method": "save", "choices": {"statistics": True}},
    )
    assert response.status_code == 422
    assert "marketing" in response.json()["detail"]
    status = client.get(f"/v1/tenants/northwind/cookie-consent/{VISITOR}").json()
    assert status["choices"]["statistics"] is None
    assert status["choices"]["necessary"] is True
    assert status["reask"] is True


def test_cookie_choice_is_reasked_after_thirteen_months(
    client: TestClient, container: Container, clock: FixedClock
) -> None:
    """A recorded choice stands for 13 months (policy), then the banner asks again."""
    response = client.post(
        "/v1/tenants/northwind/cookie-consent",
        json={"visitor": VISITOR, "method": "accept", "shown": "banner: Accept all"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["reask"] is False
    assert response.json()["choices"] == {
        "preference": True,
        "statistics": True,
        "marketing": True,
        "necessary": True,
    }
    clock.at += timedelta(days=365)
    assert client.get(f"/v1/tenants/northwind/cookie-consent/{VISITOR}").json()["reask"] is False
    clock.at += timedelta(days=31)
    status = client.get(f"/v1/tenants/northwind/cookie-consent/{VISITOR}").json()
    assert status["reask"] is True
    assert "13 months" in status["reason"]


def test_cookie_choice_is_reasked_when_the_notice_cookies_change(
    client: TestClient, container: Container
) -> None:
    """A material change to the cookie section of the notice asks again; other changes do not."""
    client.post(
        "/v1/tenants/northwind/cookie-consent", json={"visitor": VISITOR, "method": "reject"}
    )
    text = container.settings.manifest_path.read_text()
    container.settings.manifest_path.write_text(
        text.replace("Count visits and pages viewed, without identifying you.", "Count visits.")
    )
    container.reload_manifest()
    apply_manifest(container.deps)
    status = client.get(f"/v1/tenants/northwind/cookie-consent/{VISITOR}").json()
    assert status["reask"] is True
    assert "notice" in status["reason"]


def test_gpc_header_opts_the_visitor_and_linked_subject_out_of_sharing(
    client: TestClient, container: Container
) -> None:
    """Sec-GPC: 1 is recorded once as method gpc; the linked subject's sharing purpose is denied."""
    headers = _auth(container, tenant="northwind")
    from privault.core.access import Principal
    from privault.services.tenants import bind_tenant

    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "northwind").id
    create_subject(
        container.deps,
        Principal(tenant_id, "northwind", "privacy-officer", "cli", "t"),
        {
            "subject": "nw-1",
            "identities": {"email": "n@example.com"},
            "data": {"user.name": "N"},
            "source": "direct",
            "purpose": "customer-service",
        },
    )
    accepted = client.post(
        "/v1/tenants/northwind/cookie-consent", json={"visitor": VISITOR, "method": "accept"}
    )
    assert accepted.status_code == 201
    link = client.post(
        "/v1/consent/link",
        json={"visitor": VISITOR, "subject": "nw-1", "method": "form", "channel": "web"},
        headers=headers,
    )
    assert link.status_code == 201, link.text
    assert _decide(client, headers, subject="nw-1", purpose="targeted-ads")["allowed"] is True
    for _ in range(2):
        status = client.get(
            f"/v1/tenants/northwind/cookie-consent/{VISITOR}", headers={"Sec-GPC": "1"}
        ).json()
        assert status["gpc"] is True
        assert status["gpc_message"] == "Opt-Out Request Honored"
        assert status["choices"]["marketing"] is False
    history = client.get("/v1/consent/events", params={"visitor": VISITOR}, headers=headers).json()
    assert [e["method"] for e in history["events"]].count("gpc") == 2  # sale/sharing + cookie, once
    answer = _decide(client, headers, subject="nw-1", purpose="targeted-ads")
    assert answer["allowed"] is False
    assert ("CCPA-GPC-1", False) in _rules(answer)
    assert client.get("/.well-known/gpc.json").json()["gpc"] is True


def test_unsubscribe_get_only_confirms_and_post_unsubscribes(
    client: TestClient, container: Container
) -> None:
    """RFC 8058: GET never changes anything; the one-click POST does, without a login."""
    headers = _auth(container)
    link = client.post(
        "/v1/unsubscribe-links",
        json={"subject": "cust-1", "brand": "bluewave-mobile", "channel": "email"},
        headers=headers,
    ).json()
    assert link["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link["url"].removeprefix(container.settings.public_url)
    page = client.get(path)
    assert page.status_code == 200
    assert '<form method="post">' in page.text
    question = {"subject": "cust-1", "purpose": "marketing-email", "brand": "bluewave-mobile"}
    assert _decide(client, headers, **question)["allowed"] is True
    done = client.post(
        path,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    assert "unsubscribed" in done.text
    answer = _decide(client, headers, **question)
    assert answer["allowed"] is False
    assert ("CANSPAM-1", False) in _rules(answer)
    other_brand = {**question, "brand": "tidal-prepaid"}
    assert _decide(client, headers, **other_brand)["allowed"] is True
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get("/v1/suppression", params={"channel": "email"}, headers=headers).text
            )
        )
    )
    assert [(r["value"], r["subject"], r["rule"]) for r in rows] == [
        ("p1@example.com", "cust-1", "CANSPAM-1")
    ]


def test_forged_or_altered_unsubscribe_tokens_are_rejected(
    client: TestClient, container: Container
) -> None:
    """Changing the subject, brand or signature of a token makes it invalid; nothing is recorded."""
    import base64

    headers = _auth(container)
    url = client.post(
        "/v1/unsubscribe-links",
        json={"subject": "cust-1", "brand": "bluewave-mobile", "channel": "email"},
        headers=headers,
    ).json()["url"]
    token = url.rsplit("/", 1)[1]
    body, signature = token.split(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    other = (
        client.post(
            "/v1/unsubscribe-links",
            json={"subject": "cust-2", "brand": "bluewave-mobile", "channel": "email"},
            headers=headers,
        )
        .json()["url"]
        .rsplit("/", 1)[1]
    )
    parts = payload.split("|")
    parts[2] = str(int(parts[2]) + 1)  # point at the other subject, keep the signature
    forged_body = base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    mixed = f"{body}.{other.split('.')[1]}"  # cust-1's payload with cust-2's signature
    for bad in (f"{forged_body}.{signature}", f"{body}.{flipped}", mixed, "garbage", f"{body}."):
        response = client.post(f"/u/{bad}")
        assert response.status_code == 403, bad
        assert "not valid" in response.text
    for ref in ("cust-1", "cust-2"):
        events = client.get("/v1/consent/events", params={"subject": ref}, headers=headers).json()
        assert events["events"] == []


def test_restriction_of_a_billing_run_stops_billing_reads(
    client: TestClient, container: Container
) -> None:
    """A bulk restriction (one billing run) denies billing for each subject; legal records continue."""
    headers = _auth(container)
    response = client.post(
        "/v1/consent/restrictions",
        json={
            "subjects": ["cust-1", "cust-2"],
            "purpose": "billing",
            "reference": "billing-run:2026-03",
            "method": "request",
            "channel": "api",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"subjects": 2, "events": 2}
    answer = _decide(client, headers, subject="cust-2", purpose="billing")
    assert answer["allowed"] is False
    assert ("POL-RES-1", False) in _rules(answer)
    assert _decide(client, headers, subject="cust-2", purpose="customer-service")["allowed"] is True
    read = client.get("/v1/subjects/cust-1", params={"purpose": "billing"}, headers=headers)
    assert read.status_code == 403
    assert "POL-RES-1" in read.json()["detail"]
    events = client.get("/v1/consent/events", params={"subject": "cust-1"}, headers=headers).json()
    assert events["events"][0]["evidence"] == {"reference": "billing-run:2026-03"}


def test_restriction_with_an_unknown_subject_changes_nothing(
    client: TestClient, container: Container
) -> None:
    """All or nothing: one unknown subject in the run and no restriction is written."""
    headers = _auth(container)
    response = client.post(
        "/v1/consent/restrictions",
        json={"subjects": ["cust-1", "nobody"], "method": "request", "channel": "api"},
        headers=headers,
    )
    assert response.status_code == 404
    assert _decide(client, headers, subject="cust-1", purpose="billing")["allowed"] is True


def test_decision_batch_answers_in_order_and_rejects_unknown_purposes(
    client: TestClient, container: Container
) -> None:
    """A batch in, a batch out; an unknown purpose is a 404 naming it; unknown subjects are denied."""
    headers = _auth(container)
    response = client.post(
        "/v1/decisions",
        json={
            "questions": [
                {"subject": "cust-1", "purpose": "customer-service"},
                {"subject": "nobody", "purpose": "customer-service"},
                {"visitor": VISITOR, "purpose": "marketing-sms"},
            ]
        },
        headers=headers,
    )
    answers = response.json()["answers"]
    assert [a["allowed"] for a in answers] == [True, False, False]
    assert answers[1]["reasons"][0]["rule"] == "SUBJECT"
    bad = client.post(
        "/v1/decisions",
        json={"questions": [{"subject": "cust-1", "purpose": "nope"}]},
        headers=headers,
    )
    assert bad.status_code == 404
    assert bad.json()["code"] == "purpose.unknown"


def test_ledger_history_restrictions_and_links_are_for_admin_roles(
    client: TestClient, container: Container
) -> None:
    """An agent may record a choice but not read the evidence ledger, restrict a run or link."""
    agent = _auth(container, role="agent")
    recorded = client.post(
        "/v1/consent",
        json={
            "subject": "cust-1",
            "choices": [{"kind": "purpose", "scope": "marketing-sms", "granted": True}],
            **PHONE,
        },
        headers=agent,
    )
    assert recorded.status_code == 201
    history = client.get("/v1/consent/events", params={"subject": "cust-1"}, headers=agent)
    assert history.status_code == 403
    restrict = client.post(
        "/v1/consent/restrictions",
        json={"subjects": ["cust-1"], "method": "request", "channel": "api"},
        headers=agent,
    )
    assert restrict.status_code == 403
    link = client.post(
        "/v1/consent/link",
        json={"visitor": VISITOR, "subject": "cust-1", "method": "form", "channel": "web"},
        headers=agent,
    )
    assert link.status_code == 403
    assert client.get("/v1/consent", params={"subject": "cust-1"}, headers=agent).status_code == 200


def test_server_side_calls_record_only_the_ip_they_state(
    client: TestClient, container: Container
) -> None:
    """The API caller's own address is not the person's: only a stated IP is kept, truncated."""
    headers = _auth(container)
    choice = [{"kind": "purpose", "scope": "marketing-sms", "granted": True}]
    plain = _consent(
        client, headers, subject="cust-1", choices=choice, method="form", channel="web"
    )
    assert plain["events"][0]["ip_prefix"] is None
    stated = _consent(
        client, headers, subject="cust-1", choices=choice, method="form", channel="web",
        ip="203.0.113.77", user_agent="Mozilla/5.0",
    )  # fmt: skip
    assert stated["events"][0]["ip_prefix"] == "203.0.113.0/24"
    assert stated["events"][0]["user_agent"] == "Mozilla/5.0"


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({"kind": "objection", "scope": "billing", "granted": False}, "Art. 21(1)"),
        (
            {"kind": "special", "scope": "vulnerability-support:user.name", "granted": True},
            "special",
        ),
        ({"kind": "marketing", "scope": "no-such-brand:email", "granted": False}, "brand"),
        ({"kind": "cookie", "scope": "necessary", "granted": False}, "necessary"),
        ({"kind": "cpni", "scope": "billing", "granted": True}, "'*'"),
    ],
    ids=[
        "objection-to-contract",
        "special-not-special",
        "unknown-brand",
        "necessary-cookie",
        "cpni-scope",
    ],
)
def test_choices_the_law_or_manifest_does_not_allow_are_refused(
    client: TestClient, container: Container, choice: dict[str, object], message: str
) -> None:
    """Each refused choice names what is wrong; nothing is written."""
    headers = _auth(container)
    response = client.post(
        "/v1/consent",
        json={"subject": "cust-1", "choices": [choice], "method": "form", "channel": "web"},
        headers=headers,
    )
    assert response.status_code in (404, 422), response.text
    assert message in response.json()["detail"]
    assert (
        client.get("/v1/consent/events", params={"subject": "cust-1"}, headers=headers).json()[
            "events"
        ]
        == []
    )


def test_a_subjects_history_includes_its_linked_visitors_choices(
    client: TestClient, container: Container
) -> None:
    """Cookie choices made before the visitor was linked are part of the subject's proof."""
    headers = _auth(container)
    client.post(
        "/v1/tenants/bluewave/cookie-consent", json={"visitor": VISITOR, "method": "reject"}
    )
    client.post(
        "/v1/consent/link",
        json={"visitor": VISITOR, "subject": "cust-2", "method": "form", "channel": "web"},
        headers=headers,
    )
    events = client.get("/v1/consent/events", params={"subject": "cust-2"}, headers=headers).json()[
        "events"
    ]
    assert [(e["kind"], e["scope"], e["granted"]) for e in events] == [
        ("cookie", "preference", False),
        ("link", "*", True),
    ]


def test_every_reference_in_the_openapi_document_resolves(client: TestClient) -> None:
    """The API docs page can render every request body, the decisions batch included."""
    document = client.get("/openapi.json").json()

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    def resolves(ref: str) -> bool:
        node: object = document
        for part in ref.removeprefix("#/").split("/"):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    found = refs(document)
    assert found
    assert [r for r in found if not resolves(r)] == []
    body = document["paths"]["/v1/decisions"]["post"]["requestBody"]["content"]["application/json"]
    assert "questions" in body["schema"]["properties"]


def test_gpc_sent_through_an_agent_desktop_call_is_recorded_as_web(
    client: TestClient, container: Container
) -> None:
    """A voice-channel choice with Sec-GPC: 1 succeeds; the GPC signal is recorded once, from the web."""
    headers = {**_auth(container), "Sec-GPC": "1"}
    response = client.post(
        "/v1/consent",
        json={
            "subject": "cust-1",
            "choices": [{"kind": "purpose", "scope": "marketing-sms", "granted": True}],
            **PHONE,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["gpc_honoured"] is True
    assert response.json()["state"]["sale_sharing:*"]["method"] == "gpc"


def test_an_objection_can_always_be_lifted(client: TestClient, container: Container) -> None:
    """Lifting is checked for the purpose only; recording a new objection to contract data is not allowed."""
    headers = _auth(container)
    lift = {"kind": "objection", "scope": "billing", "granted": True}
    response = client.post(
        "/v1/consent",
        json={"subject": "cust-1", "choices": [lift], "method": "request", "channel": "api"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
