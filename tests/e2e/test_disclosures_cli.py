"""Disclosures and partner offers from the command line (``privault disclosures``, ``privault offers``)
and over HTTP (``/v1/disclosures``, ``/v1/offers``), on both engines.

The Typer apps are driven with ``CliRunner`` and the container as the root object; the router is
mounted on the app built by ``create_app``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from privault.api.routes.disclosures import router
from privault.bootstrap import Container
from privault.cli.disclosures import app, offers_app
from privault.core.access import Principal
from privault.core.consent import Choice, Kind, Method, Via
from privault.errors import PolicyViolation
from privault.http.app import create_app
from privault.outbound.messenger import read_outbox
from privault.services.api_keys import create_api_key
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject

PHONE = "+14155550134"


@pytest.fixture
def c(container: Container) -> Container:
    """The manifest applied, and two bluewave customers: one consented to marketing texts."""
    apply_manifest(container.deps)
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    for ref, phone in (("cust-1", PHONE), ("cust-2", "+14155550135")):
        create_subject(
            container.deps,
            officer,
            {
                "subject": ref,
                "identities": {"email": f"{ref}@example.com", "phone": phone},
                "data": {"user.name": "Ana Lima", "cc.call.agent_notes": "roaming"},
                "source": "direct",
                "purpose": "customer-service",
            },
        )
    record_choices(
        container.deps,
        "bluewave",
        "test",
        Holder(subject="cust-1"),
        [Choice(Kind.PURPOSE, "marketing-sms", True)],
        Evidence(Method.FORM, Via.WEB),
        container.clock.now(),
    )
    return container


def _run(c: Container, which: object, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(which, list(args), obj=c)  # type: ignore[arg-type]
    return result.exit_code, result.output, result.exception


def test_make_writes_the_minimised_payload_and_list_shows_the_register(
    c: Container, tmp_path: Path
) -> None:
    """`disclosures make` to the carrier partner: name and phone only, written owner-only; `list`
    shows the row (and the register as JSON)."""
    target = tmp_path / "payload.json"
    code, output, error = _run(
        c,
        app,
        "make",
        "--tenant",
        "bluewave",
        "--recipient",
        "carrier-partner",
        "--purpose",
        "customer-service",
        "--subject",
        "cust-1",
        "--output",
        str(target),
    )
    assert code == 0, (output, error)
    assert "1 subject(s) to carrier-partner" in output
    payload = json.loads(target.read_text(encoding="utf-8"))
    [sent] = payload["subjects"]
    assert sent["data"] == {"user.name": "Ana Lima"}
    assert sent["identities"] == {"phone": [PHONE]}
    assert target.stat().st_mode & 0o077 == 0
    code, output, _ = _run(c, app, "list", "--tenant", "bluewave")
    assert code == 0
    assert "cust-1" in output
    code, output, _ = _run(c, app, "list", "--tenant", "bluewave", "--json")
    [row] = json.loads(output)
    assert (row["recipient"], row["subject"], row["categories"]) == (
        "carrier-partner",
        "cust-1",
        ["user.contact.phone_number", "user.name"],
    )
    code, output, _ = _run(c, app, "list", "--tenant", "bluewave", "--subject", "cust-2", "--json")
    assert json.loads(output) == []


def test_make_prints_the_payload_and_refusals(c: Container) -> None:
    """Without --output the payload is the command's standard output; a restricted subject is named."""
    record_choices(
        c.deps,
        "bluewave",
        "test",
        Holder(subject="cust-2"),
        [Choice(Kind.RESTRICTION, "*", False)],
        Evidence(Method.FORM, Via.WEB),
        c.clock.now(),
    )
    args = ["make", "--tenant", "bluewave", "--recipient", "carrier-partner"]
    args += ["--purpose", "customer-service", "--subject", "cust-1", "--subject", "cust-2"]
    code, output, error = _run(c, app, *args)
    assert code == 0, (output, error)
    assert "refused cust-2: POL-RES-1" in output
    assert '"subject": "cust-1"' in output


def test_make_refuses_an_authority_without_a_legal_basis(c: Container) -> None:
    """The error propagates from the command (the root app turns it into exit code 2)."""
    args = ["make", "--tenant", "bluewave", "--recipient", "law-enforcement"]
    code, _, error = _run(c, app, *args, "--purpose", "legal-records", "--subject", "cust-1")
    assert code != 0
    assert getattr(error, "code", None) == "disclosure.invalid"
    code, output, error = _run(
        c,
        app,
        *args,
        "--purpose",
        "legal-records",
        "--subject",
        "cust-1",
        "--legal-basis",
        "Court order",
        "--document-ref",
        "No. 26-114",
        "--withhold-until",
        "2026-06-01",
        "--withhold-reference",
        "Delay order 7",
    )
    assert code == 0, (output, error)
    assert "notice withheld until 2026-06-01" in output


def test_offers_send_prints_counts_only(c: Container) -> None:
    """`offers send`: one text sent (cust-1 consented), one suppressed; no number printed."""
    code, output, error = _run(
        c,
        offers_app,
        "send",
        "--tenant",
        "bluewave",
        "--partner",
        "carrier-partner",
        "--purpose",
        "marketing-sms",
        "--channel",
        "sms",
        "--subject-line",
        "Faster fibre",
        "--body",
        "Our partner's fibre is here.",
    )
    assert code == 0, (output, error)
    counts = json.loads(output)
    assert (counts["eligible"], counts["sent"], counts["suppressed"]) == (2, 1, {"POL-CONS-3": 1})
    assert "+1415" not in output
    offers = [m for m in read_outbox(c.settings.outbox_path) if m["kind"] == "partner_offer"]
    assert [m["to"] for m in offers] == [PHONE]


# --- HTTP ----------------------------------------------------------------------------------------


@pytest.fixture
def client(c: Container) -> Iterator[TestClient]:
    """The API with the disclosures router mounted."""
    api = create_app(c)
    if not any(getattr(r, "path", "") == "/v1/disclosures" for r in api.routes):
        api.include_router(router)
    with TestClient(api) as test_client:
        yield test_client


def _headers(c: Container, role: str) -> dict[str, str]:
    created = create_api_key(c.deps, "bluewave", role, name=role)
    return {"Authorization": f"Bearer {created.token.reveal()}"}


def test_the_api_discloses_lists_and_sends_offers(c: Container, client: TestClient) -> None:
    """POST /v1/disclosures, GET /v1/disclosures?subject=, POST /v1/offers with an admin key."""
    admin = _headers(c, "privacy-officer")
    body = {"recipient": "carrier-partner", "subjects": ["cust-1"], "purpose": "customer-service"}
    made = client.post("/v1/disclosures", json=body, headers=admin)
    assert made.status_code == 200, made.text
    assert made.json()["payload"]["subjects"][0]["data"] == {"user.name": "Ana Lima"}
    listed = client.get("/v1/disclosures", params={"subject": "cust-1"}, headers=admin)
    assert [r["recipient"] for r in listed.json()] == ["carrier-partner"]
    refused = client.post(
        "/v1/disclosures", json={**body, "categories": ["cc.call.agent_notes"]}, headers=admin
    )
    assert refused.status_code == PolicyViolation.status
    assert refused.json()["code"] == "disclosure.refused"
    offer = {
        "partner": "carrier-partner",
        "purpose": "marketing-sms",
        "channel": "sms",
        "subject": "Faster fibre",
        "body": "Our partner's fibre is here.",
    }
    sent = client.post("/v1/offers", json=offer, headers=admin)
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent"] == 1
    agent = client.post("/v1/offers", json=offer, headers=_headers(c, "agent"))
    assert agent.status_code == 403
