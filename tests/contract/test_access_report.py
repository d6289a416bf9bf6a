"""What an access report says, item by item (GDPR Art. 15(1)(a)-(h), 15(2), 15(3)), and the date
range a Californian report covers (Cal. Civ. Code 1798.130(a)(2)(B)): a real request, fulfilled on
each engine, its package read back.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.jurisdictions import RIGHT_TITLES, Right
from privault.core.requests import State
from privault.outbound.messenger import read_outbox
from privault.services.fulfilment import fulfil, staff_download
from privault.services.fulfilment.access import CCPA_EARLIEST_LOOKBACK
from privault.services.requests import open_request, verify_codes
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import update_subject
from privault.services.vault_import import create_subject
from tests.contract.test_retention_datastores import _shop
from tests.fixtures.shop import email

EMAIL = "ana.lima@example.com"
STAFF = "staff:alice"


@pytest.fixture
def c(container: Container) -> Container:
    """The template manifest applied."""
    apply_manifest(container.deps)
    return container


def _at(c: Container, when: datetime) -> None:
    assert isinstance(c.clock, FixedClock)
    c.clock.at = when


def _officer(c: Container, tenant: str) -> Principal:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    return Principal(tenant_id, tenant, "privacy-officer", "cli", "test")


def _collect(c: Container, tenant: str, data: dict[str, str], purpose: str) -> None:
    """Ana's values collected now (created on the first call, added to afterwards)."""
    officer = _officer(c, tenant)
    body = {"data": data, "source": "direct", "purpose": purpose}
    with c.uow() as uow:
        uow.bind_tenant(officer.tenant_id)
        exists = uow.subjects.existing_refs(["ana"])
    if not exists:
        create_subject(c.deps, officer, {"subject": "ana", "identities": {"email": EMAIL}, **body})
        return
    update_subject(c.deps, officer, "ana", body)


def _report(c: Container, tenant: str, *, who: str = EMAIL, **raw: Any) -> dict[str, Any]:
    """Open an access request (Ana's by default), verify it from the outbox, fulfil it; data.json,
    read back."""
    body = {"type": "access", "identities": {"email": [who]}, **raw}
    opened = open_request(c.deps, tenant, body)
    sent = [m for m in read_outbox(c.settings.outbox_path) if m["kind"] == "verification_code"]
    code = re.search(r"\bis (\d{6})\b", sent[-1]["body"])
    assert code is not None
    verify_codes(c.deps, tenant, opened.ref, [code.group(1)])
    assert fulfil(c.deps, tenant, opened.ref, STAFF).state is State.COMPLETED
    got = staff_download(c.deps, tenant, opened.ref, STAFF)
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        files = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    data: dict[str, Any] = json.loads(files["data.json"])
    data["html"] = files["report.html"]
    return data


def _labels(items: list[dict[str, str]]) -> list[str]:
    return [item["label"] for item in items]


def test_a_gdpr_access_report_carries_every_item_of_article_15(c: Container) -> None:
    """Art. 15(1)(a)-(h), 15(2) transfers with their safeguards and 15(3) the copy, each checked."""
    _collect(c, "northwind", {"user.name": "Ana Lima"}, "billing")
    data = _report(c, "northwind", jurisdiction="uk")
    report = data["report"]
    assert "Billing" in " ".join(_labels(report["purposes"]))  # (a) the purposes
    assert "lawful basis" in report["purposes"][0]["detail"]
    assert "user.name" in [i["detail"] for i in report["categories"]]  # (b) the categories
    assert "Payment processor" in " ".join(_labels(report["recipients"]))  # (c) recipients
    assert any("countries: " in i["detail"] for i in report["recipients"])  # in third countries
    assert report["retention"]  # (d) how long
    assert all(i["detail"] for i in report["retention"])
    for right in (Right.RECTIFICATION, Right.ERASURE, Right.RESTRICTION, Right.OBJECTION):
        assert RIGHT_TITLES[right] in _labels(report["rights"]), right  # (e) the rights
    assert "Information Commissioner" in report["complaint_authority"]  # (f) the authority
    assert report["sources"]  # (g) where the data came from
    assert "automated processing" in report["automated_decisions"]  # (h) automated decisions
    transfers = {i["label"]: i["detail"] for i in report["transfers"]}  # 15(2) the safeguards
    assert any("(US)" in label for label in transfers)
    assert all(transfers.values())
    assert "Art. 46" in " ".join(transfers.values())
    assert data["data"]["vault"]["personal_data"][0]["value"] == "Ana Lima"  # 15(3) the copy
    for heading in ("Why we use it", "Transfers outside the EEA", "Automated decisions"):
        assert heading in data["html"], heading


def test_a_californian_report_has_no_gdpr_transfer_item(c: Container) -> None:
    """The Art. 15(2) item is left out (null) where the GDPR does not apply to the request."""
    _collect(c, "bluewave", {"user.name": "Ana Lima"}, "billing")
    data = _report(c, "bluewave", jurisdiction="us-ca")
    assert data["report"]["transfers"] is None
    assert "Transfers outside the EEA" not in data["html"]


def _dated_history(c: Container) -> None:
    """Ana's name collected in 2021, her address in 2023, her phone number this month."""
    _at(c, datetime(2021, 6, 1, 9, tzinfo=UTC))
    _collect(c, "bluewave", {"user.name": "Ana Lima"}, "customer-service")
    _at(c, datetime(2023, 6, 1, 9, tzinfo=UTC))
    _collect(c, "bluewave", {"user.contact.address": "1 Main St"}, "customer-service")
    _at(c, datetime(2026, 3, 1, 9, tzinfo=UTC))
    _collect(c, "bluewave", {"user.contact.phone_number": "+14155550134"}, "customer-service")
    _at(c, datetime(2026, 3, 2, 9, tzinfo=UTC))


def _values(data: dict[str, Any]) -> set[str]:
    return {row["value"] for row in data["data"]["vault"]["personal_data"]}


def test_a_californian_report_covers_the_last_12_months_by_default(c: Container) -> None:
    """Asked on 2026-03-02: the report runs from 2025-03-02; older values are left out."""
    _dated_history(c)
    data = _report(c, "bluewave", jurisdiction="us-ca")
    assert (data["report"]["lookback_from"], data["report"]["lookback_to"]) == (
        "2025-03-02",
        "2026-03-02",
    )
    assert _values(data) == {"+14155550134"}
    assert "This report covers 2025-03-02 to 2026-03-02" in data["html"]
    assert any(
        n.startswith("This copy covers what we collected from 2025-03-02") for n in data["notes"]
    )


def test_a_californian_report_goes_back_to_2022_on_request_and_no_further(c: Container) -> None:
    """Asked from 2020: the report runs from 2022-01-01 (1798.130(a)(2)(B)); 2021's value stays out."""
    _dated_history(c)
    data = _report(c, "bluewave", jurisdiction="us-ca", lookback_from="2020-01-01")
    assert data["report"]["lookback_from"] == CCPA_EARLIEST_LOOKBACK.isoformat() == "2022-01-01"
    assert _values(data) == {"+14155550134", "1 Main St"}


def test_a_gdpr_report_has_no_lookback(c: Container) -> None:
    """Under the GDPR the copy holds everything, however old (no date range)."""
    _at(c, datetime(2021, 6, 1, 9, tzinfo=UTC))
    _collect(c, "northwind", {"user.name": "Ana Lima"}, "customer-service")
    _at(c, datetime(2026, 3, 2, 9, tzinfo=UTC))
    data = _report(c, "northwind", jurisdiction="uk")
    assert data["report"]["lookback_from"] is None
    assert _values(data) == {"Ana Lima"}
    assert not any(n.startswith("This copy covers") for n in data["notes"])


def _shop_report(c: Container, **raw: Any) -> dict[str, Any]:
    """The shop's customer 1 asks, under California law."""
    return _report(c, "bluewave", who=email(1), jurisdiction="us-ca", **raw)


def test_a_dated_datastore_table_keeps_only_the_rows_in_the_range(
    c: Container, tmp_path: Path
) -> None:
    """Logins of 1 January 2025 fall outside 2025-03-02..2026-03-02; asked from 2024, they are in.
    Undated tables are kept whole, and the notes name them."""
    _at(c, datetime(2026, 3, 2, 9, tzinfo=UTC))
    _shop(c, tmp_path, purpose=None)  # its logins dated by their column 'at'
    recent = _shop_report(c)
    assert recent["data"]["shop"]["logins"] == []
    assert recent["data"]["shop"]["customers"]  # undated: all kept
    [note] = [n for n in recent["notes"] if n.startswith("This copy covers")]
    assert "shop.customers" in note
    assert "shop.logins" not in note
    older = _shop_report(c, lookback_from="2024-06-01")
    assert len(older["data"]["shop"]["logins"]) == 3
