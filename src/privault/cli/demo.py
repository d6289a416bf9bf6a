"""``privault demo``: prepare the embedded demo (used by ``make run``)."""

from __future__ import annotations

import json

import typer

from privault.cli.context import container, out


def demo(ctx: typer.Context) -> None:
    """Create the demo manifest, schema, tenants and an admin API key (once), then print how to start."""
    from privault.demo import prepare_demo

    c = container(ctx)
    result = prepare_demo(c)
    base = f"http://{c.settings.host}:{c.settings.port}"
    out.print(f"demo data in {c.settings.data_dir}/ (database {c.settings.database_url_masked})")
    out.print(f"open {base}/docs for the API, {base}/healthz for health")
    out.print(f"privacy notice: {base}/v1/tenants/{result.tenant}/notice")
    out.print(
        f"admin console: {base}/admin - organisation '{result.tenant}', username "
        f"'{result.staff_username}', password '{result.staff_password}' (demo only)",
        markup=False,
    )
    out.print(
        f"demo admin: tenant '{result.tenant}', role '{result.role}', API key in {result.credentials_file}"
    )
    auth = f"-H 'Authorization: Bearer {result.token}'"
    out.print(f"  curl {auth} {base}/v1/me", markup=False)
    out.print(
        "twenty fictitious customers are in the vault (demo-1 ... demo-20), for example:",
        markup=False,
    )
    out.print(f"  curl {auth} '{base}/v1/subjects/demo-1?purpose=billing'", markup=False)
    out.print("may we text demo-1 and demo-3? (demo-1 consented by phone, demo-3 objected):")
    asks = [{"subject": ref, "purpose": "marketing-sms"} for ref in ("demo-1", "demo-3")]
    question = json.dumps({"questions": asks})
    out.print(
        f"  curl {auth} -H 'Content-Type: application/json' -d '{question}' {base}/v1/decisions",
        markup=False,
    )
    body = '{"kind": "email", "values": ["ben.lindqvist1@example.com"], "purpose": "billing"}'
    out.print(
        f"  curl {auth} -H 'Content-Type: application/json' -d '{body}' {base}/v1/subjects/lookup",
        markup=False,
    )
    out.print(
        "a subject request (the demo's own customer database is connected as datastore 'crm'):",
        markup=False,
    )
    ask = (
        '{"tenant": "bluewave", "type": "access", "jurisdiction": "us-ca", '
        '"identities": {"email": ["chloe.moreau2@example.com"]}}'
    )
    out.print(
        f"  curl -H 'Content-Type: application/json' -d '{ask}' {base}/v1/requests", markup=False
    )
    out.print(
        "  then: privault outbox (the code), privault requests verify R-... --tenant bluewave "
        "--code ...; a Californian's access needs 3 matched data points and a signed declaration "
        "(11 CCR 7062(c)): privault requests declare R-... --tenant bluewave --name 'Chloe Moreau', "
        "privault requests verify R-... --tenant bluewave --manual 'called back' "
        "--point postal_address --point last_order; then privault requests complete R-... "
        "--tenant bluewave",
        markup=False,
    )
