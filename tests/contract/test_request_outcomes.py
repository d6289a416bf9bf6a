"""What a fulfilled request tells staff and the requester (issue #13, items 4 and 6), on SQLite and
PostgreSQL: what the law keeps is kept, listed with its rule and law and restricted to the law's use,
as the notice says; counts add up over every run; every datastore is named with what happened there.

privault's own database comes from the ``container`` fixture; the company databases are the shop in
SQLite files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, event, text

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.requests import State
from privault.outbound.messenger import read_outbox
from privault.services.datastores import add_datastore
from privault.services.decisions import decide
from privault.services.fulfilment import fulfil
from privault.services.requests import finish_task, open_request, show_request, verify_codes
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject
from tests.fixtures.shop import (
    billing_dataset_text,
    create_shop,
    email,
    phone,
    seed,
    shop_dataset_text,
)

STAFF = "staff:alice"
CUSTOMER = 3  # lives alone, two orders (each paid once)
TAX_LAW = "Income Tax Act (Canada) s. 230(4); 26 U.S.C. 6001"  # billing-records in the template
SEVEN_YEARS_ON = "2033-03-02"  # the test clock's day (2 March 2026) + 7 years


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied (tenants, keys, notices)."""
    apply_manifest(container.deps)
    return container


def _shop(path: Path, customers: int = 4) -> str:
    """A seeded shop in a SQLite file; its URL."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))
    create_shop(engine)
    seed(engine, customers=customers)
    engine.dispose()
    return url


def _phone_only_dataset() -> str:
    """The shop dataset where only the phone identifies a customer."""
    document = yaml.safe_load(shop_dataset_text())
    customers = document["dataset"][0]["collections"][0]
    customers["fields"][1].pop("fides_meta")  # the email field is no identity here
    return str(yaml.safe_dump(document, sort_keys=False))


def _connect(c: Container, key: str, url: str, dataset: str | None = None) -> None:
    add_datastore(c.deps, "bluewave", STAFF, key, url=url, dataset=dataset or shop_dataset_text())


def _subject(c: Container, data: dict[str, str], purpose: str) -> None:
    """Customer 3 in the vault, found by the shop's e-mail address."""
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    record = {"subject": "cust-3", "identities": {"email": email(CUSTOMER)}, "data": data}
    create_subject(c.deps, officer, record | {"source": "direct", "purpose": purpose})


def _erasure(
    c: Container, *, kind: str = "erasure", who: int = CUSTOMER, jurisdiction: str = "ca"
) -> str:
    """An erasure request (under Canadian law: no GDPR or CCPA ground needed) opened and verified."""
    opened = open_request(
        c.deps,
        "bluewave",
        {"type": kind, "identities": {"email": [email(who)]}, "jurisdiction": jurisdiction},
    )
    codes = [
        m["body"].split(" is ")[1][:6]
        for m in read_outbox(c.settings.outbox_path)
        if m["kind"] == "verification_code" and opened.ref in m["subject"]
    ]
    verify_codes(c.deps, "bluewave", opened.ref, codes)
    return str(opened.ref)


def _finish_tasks(c: Container, ref: str) -> None:
    for task in show_request(c.deps, "bluewave", ref).tasks:
        if task.state == "open":
            finish_task(c.deps, "bluewave", ref, task.id, STAFF, "told them")


def _completed(c: Container, ref: str) -> Any:
    """Fulfil ``ref``, finish the manual tasks it opened, and fulfil it again: completed."""
    closed = fulfil(c.deps, "bluewave", ref, STAFF)
    if closed.state is State.INCOMPLETE:
        _finish_tasks(c, ref)
        closed = fulfil(c.deps, "bluewave", ref, STAFF)
    assert closed.state is State.COMPLETED
    return closed


def _scalar(url: str, sql: str) -> Any:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return found


def _decision(c: Container, purpose: str) -> Any:
    return decide(c.deps, "bluewave", "cust-3", purpose, at=c.clock.now())


BILLING_DATA = {
    "user.name": "Customer 3",
    "user.contact.address": "3 High Street, Leeds",
    "cc.account.number": "ACC-3",
    "cc.payment.card": "4111 1111 1111 1003",
}


# --- item 4: what the law keeps --------------------------------------------------------------------


def test_legal_obligation_data_is_kept_in_vault_and_datastore_with_rule_and_law(
    c: Container, tmp_path: Path
) -> None:
    """Bills (billing-records: tax law) stay, in the vault (values collected for billing) and in
    the datastore (orders dated for billing, unlinked from the person); each is listed with the rule,
    the law, until when and the one use left; the card and everything else goes."""
    url = _shop(tmp_path / "shop.db")
    _connect(c, "shop", url, billing_dataset_text())
    _subject(c, BILLING_DATA, "billing")
    ref = _erasure(c)
    closed = fulfil(c.deps, "bluewave", ref, STAFF)
    result = closed.result
    kept = {
        "code": "legal_obligation",
        "rule": "billing-records",
        "law": TAX_LAW,
        "until": SEVEN_YEARS_ON,
        "period": "7 years after collected",
        "purposes": ["legal-records"],
    }
    assert result["vault"]["retained"] == [
        {"field": f, **kept} for f in ("cc.account.number", "user.contact.address", "user.name")
    ]
    assert result["vault"]["fields_deleted"] == 1  # the card: no law keeps it
    assert result["vault"]["restricted"] is True
    in_shop = {r["collection"]: r for r in result["retained"] if r["code"] == "legal_obligation"}
    assert set(in_shop) == {"orders", "payments"}  # payments hold financial data too
    assert in_shop["orders"]["rows"] == 2
    assert {
        k: in_shop["orders"][k] for k in ("datastore", "rule", "law", "period", "purposes")
    } == {
        "datastore": "shop",
        "rule": "billing-records",
        "law": TAX_LAW,
        "period": "7 years after collected",
        "purposes": ["legal-records"],
    }
    assert in_shop["orders"]["until"] is None  # a row's date is not read back: not computable
    assert _scalar(url, f"SELECT COUNT(*) FROM customers WHERE id = {CUSTOMER}") == 0
    assert _scalar(url, "SELECT COUNT(*) FROM orders WHERE customer_id IS NULL") == 2
    assert TAX_LAW in closed.response
    assert f"until {SEVEN_YEARS_ON}" in closed.response
    assert "legal and regulatory record keeping" in closed.response
    assert "4 records in shop (for 7 years after collected)" in closed.response  # orders, payments
    assert "Customer 3" not in json.dumps(result)  # names, codes and counts only


@pytest.mark.parametrize(
    ("jurisdiction", "section", "period"),
    [
        ("us-va", "59.1-577(C)", "within 60 calendar days"),
        ("us-co", "6-1-1306(3)", "within 45 calendar days"),
    ],
)
def test_an_erasure_that_keeps_data_by_law_says_how_to_appeal(
    c: Container, tmp_path: Path, jurisdiction: str, section: str, period: str
) -> None:
    """Keeping bills under a legal obligation refuses part of the erasure: under a law granting
    an appeal the answer (and the e-mail) says how to appeal and within what period we answer."""
    _connect(c, "shop", _shop(tmp_path / "shop.db"), billing_dataset_text())
    _subject(c, BILLING_DATA, "billing")
    ref = _erasure(c, jurisdiction=jurisdiction)
    closed = _completed(c, ref)
    assert TAX_LAW in closed.response
    assert "You may appeal this decision" in closed.response
    assert f"quoting {ref}" in closed.response
    assert section in closed.response
    assert period in closed.response
    [told] = [m for m in read_outbox(c.settings.outbox_path) if m["kind"] == "completed"]
    assert "You may appeal this decision" in told["body"]


def test_a_californian_erasure_that_keeps_data_says_nothing_of_an_appeal(
    c: Container, tmp_path: Path
) -> None:
    """The CCPA grants no appeal: the same kept bills, no appeal sentence."""
    _connect(c, "shop", _shop(tmp_path / "shop.db"), billing_dataset_text())
    _subject(c, BILLING_DATA, "billing")
    closed = _completed(c, _erasure(c, jurisdiction="us-ca"))
    assert TAX_LAW in closed.response
    assert "appeal" not in closed.response


def test_a_virginia_erasure_that_keeps_nothing_says_nothing_of_an_appeal(
    c: Container, tmp_path: Path
) -> None:
    """Nothing refused, nothing to appeal: a customer with no bills is erased everywhere."""
    _connect(c, "shop", _shop(tmp_path / "shop.db"), shop_dataset_text())
    closed = _completed(c, _erasure(c, jurisdiction="us-va"))
    assert "appeal" not in closed.response


def test_what_the_law_keeps_may_be_used_for_the_law_alone(c: Container, tmp_path: Path) -> None:
    """After the erasure the kept values are restricted: a decision for any other purpose says no,
    naming the restriction; the legal-obligation purpose may still use them."""
    _subject(c, BILLING_DATA, "billing")
    assert _decision(c, "customer-service").allowed
    fulfil(c.deps, "bluewave", _erasure(c), STAFF)
    for purpose in ("customer-service", "billing", "fraud-prevention"):
        answer = _decision(c, purpose)
        assert not answer.allowed, purpose
        [why] = [r for r in answer.reasons if not r.allowed]
        assert why.rule == "POL-RES-1"
        assert "restricted" in why.message
        assert (why.record or "").startswith("consent_event:")
    assert _decision(c, "legal-records").allowed


def test_the_notice_states_the_rule_and_law_the_erasure_keeps_data_under(
    c: Container,
) -> None:
    """The published notice's retention statement for the legal-obligation rule names the same rule
    and law as the erasure's retained list and answer: the notice, the answer and the system agree."""
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        notice = uow.notices.latest()
    assert notice is not None
    content = json.loads(notice.content_json)
    [stated] = [r for r in content["retention"] if r["kept_on_erasure"]]
    assert (stated["key"], stated["law"]) == ("billing-records", TAX_LAW)
    assert stated["only_for"] == ["Legal and regulatory record keeping"]
    sentence = f"required by law: {TAX_LAW} — kept even if you ask us to erase it"
    assert sentence in notice.markdown
    assert sentence in notice.html
    _subject(c, BILLING_DATA, "billing")
    closed = fulfil(c.deps, "bluewave", _erasure(c), STAFF)
    assert {(r["rule"], r["law"]) for r in closed.result["vault"]["retained"]} == {
        (stated["key"], stated["law"])
    }
    assert stated["law"] in closed.response
    assert stated["only_for"][0].lower() in closed.response


# --- item 6: answers the person can trust ----------------------------------------------------------


def test_a_rerun_erasure_adds_up_the_counts_of_every_run(c: Container, tmp_path: Path) -> None:
    """The first run deletes everything but waits for the recipients to be told; the second finds
    nothing left. The result and the answer count both runs (not 'we deleted 0'), each run is kept,
    and the timeline says what each run did."""
    _connect(c, "shop", _shop(tmp_path / "shop.db"))
    _subject(c, {"user.name": "Customer 3"}, "customer-service")
    ref = _erasure(c)
    first = fulfil(c.deps, "bluewave", ref, STAFF)
    assert first.state is State.INCOMPLETE
    deleted = first.result["deleted"]
    assert deleted > 0
    _finish_tasks(c, ref)
    second = fulfil(c.deps, "bluewave", ref, STAFF)
    assert second.state is State.COMPLETED
    result = second.result
    assert [run["deleted"] for run in result["runs"]] == [deleted, 0]
    assert result["deleted"] == deleted
    assert result["by_datastore"]["shop"]["status"] == "found"
    assert result["by_datastore"]["shop"]["deleted"] == deleted
    assert result["vault"] == {
        "matched": True,
        "fields_deleted": 1,
        "identities_deleted": 1,
        "retained": [],
        "restricted": False,
    }
    assert f"In all, we deleted {deleted} records" in second.response
    assert f"In shop we deleted {deleted} records" in second.response
    assert "In our customer records we erased your record" in second.response
    assert "no record of you" not in second.response
    [done] = [
        m
        for m in read_outbox(c.settings.outbox_path)
        if m["kind"] == "completed" and ref in m["subject"]
    ]
    assert f"we deleted {deleted} records" in done["body"]
    runs = [e.details for e in show_request(c.deps, "bluewave", ref).events]
    assert [d["deleted"] for d in runs if "run" in d] == [deleted, 0]


def test_every_datastore_is_named_with_what_happened_there(c: Container, tmp_path: Path) -> None:
    """One datastore holds the person, one holds others only, one holds none of the identities
    given, one cannot be reached: the result and the answer name each one, never silently."""
    _connect(c, "shop", _shop(tmp_path / "shop.db"))
    _connect(c, "outlet", _shop(tmp_path / "outlet.db", customers=2))
    _connect(c, "phones", _shop(tmp_path / "phones.db"), _phone_only_dataset())
    _connect(c, "archive", _shop(tmp_path / "archive.db"))
    (tmp_path / "archive.db").unlink()
    (tmp_path / "archive.db").mkdir()  # no longer a database file: the archive cannot be reached
    closed = fulfil(c.deps, "bluewave", _erasure(c), STAFF)
    stores = closed.result["by_datastore"]
    assert list(stores) == ["archive", "outlet", "phones", "shop"]
    assert stores["archive"]["status"] == "unreachable"
    assert stores["archive"]["error"]
    assert stores["outlet"] == {
        "status": "no_match",
        "matched": {"email": 0},
        "deleted": 0,
        "masked": 0,
        "retained": 0,
        "not_erased": 0,
    }
    assert stores["phones"]["status"] == "not_searched"
    assert stores["shop"]["status"] == "found"
    assert stores["shop"]["matched"] == {"email": 1}
    assert stores["shop"]["deleted"] > 0
    assert closed.state is State.INCOMPLETE  # the archive is still to do
    assert "We found no record of you in outlet." in closed.response
    assert "We could not reach archive yet" in closed.response
    assert "We did not search phones: it holds none of the kinds of identity you gave." in (
        closed.response
    )
    assert f"In shop we deleted {stores['shop']['deleted']} records" in closed.response
    assert "We found no record of you in our customer records." in closed.response


def test_an_erasure_that_matches_nobody_says_so_plainly(c: Container, tmp_path: Path) -> None:
    """Nobody in the vault, nobody in the datastore: the request completes (everything was searched)
    and the answer says no record matched and there was nothing to erase, never 'we deleted 0'."""
    _connect(c, "shop", _shop(tmp_path / "shop.db"))
    closed = fulfil(c.deps, "bluewave", _erasure(c, who=9), STAFF)
    assert closed.state is State.COMPLETED
    assert closed.result["no_record"] is True
    assert closed.result["by_datastore"]["shop"]["status"] == "no_match"
    assert "We found no record of you in our customer records." in closed.response
    assert "We found no record of you in shop." in closed.response
    assert "there was nothing to erase" in closed.response
    assert "deleted 0" not in closed.response


def test_access_names_every_datastore_with_what_it_found(c: Container, tmp_path: Path) -> None:
    """Access: the result and the answer say what each datastore held of the person."""
    _connect(c, "shop", _shop(tmp_path / "shop.db"))
    _connect(c, "outlet", _shop(tmp_path / "outlet.db", customers=2))
    _subject(c, {"user.name": "Customer 3"}, "customer-service")
    closed = fulfil(c.deps, "bluewave", _erasure(c, kind="access"), STAFF)
    assert closed.state is State.COMPLETED
    stores = closed.result["by_datastore"]
    assert stores["outlet"] == {
        "status": "no_match",
        "matched": {"email": 0},
        "rows": 0,
        "related": 0,
    }
    assert stores["shop"]["status"] == "found"
    assert stores["shop"]["rows"] > 0
    assert stores["shop"]["related"] > 0  # the products the customer's order items point at
    assert (
        f"In shop we found {stores['shop']['rows']} records about you "
        f"(and {stores['shop']['related']} related records, such as products)"
    ) in closed.response
    assert "We found no record of you in outlet." in closed.response
    assert len(closed.result["runs"]) == 1


def test_a_legal_hold_names_every_datastore_it_keeps(c: Container, tmp_path: Path) -> None:
    """A subject hold keeps everything: the answer says so and names the vault and the datastore."""
    from privault.services.legal_holds import add_hold

    _connect(c, "shop", _shop(tmp_path / "shop.db"))
    _subject(c, {"user.name": "Customer 3"}, "customer-service")
    add_hold(c.deps, "bluewave", STAFF, scope="subject", reference="case-9", subject="cust-3")
    closed = fulfil(c.deps, "bluewave", _erasure(c), STAFF)
    assert closed.result["held"] == "case-9"
    assert closed.result["by_datastore"]["shop"]["status"] == "held"
    assert "legal hold" in closed.response
    assert "Nothing was erased (our customer records, shop)." in closed.response
    assert phone(CUSTOMER) not in json.dumps(closed.result)
