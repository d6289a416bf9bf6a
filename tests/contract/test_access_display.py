"""What an access package shows of card, bank-account, government and medical ID numbers (issue #13):
their last four characters only; and of passwords, security PINs and answers: [withheld]; in
data.json, the CSVs and report.html, for the vault and a datastore, whatever the roles' grants
(11 CCR §7024(d)). Runs on both privault engines.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import create_engine, text

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.display import WITHHELD
from privault.core.package import LAST_FOUR_NOTE, WITHHELD_NOTE
from privault.core.requests import State
from privault.outbound.messenger import read_outbox
from privault.services.datastores import add_datastore
from privault.services.fulfilment import fulfil, staff_download
from privault.services.requests import open_request, verify_codes
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import update_subject
from privault.services.vault_import import create_subject
from tests.fixtures.grants import OFFICER_CATEGORIES, grant_full_values

EMAIL = "ana.lima@example.com"
CARD = "4111 1111 1111 1001"
NATIONAL_ID = "123-45-6789"
STORE_CARD = "5500-0000-0000-0004"
STORE_SSN = "987-65-4321"
MEDICAL_RECORD = "MRN-0042-7781"
WHOLE = (
    CARD, "4111111111111001", NATIONAL_ID, "123456789", STORE_CARD, STORE_SSN, "987654321",
    MEDICAL_RECORD, "00427781",
)  # fmt: skip
PIN = "839201"
PASSWORD = "Tr0ub4dor&3"
ANSWER = "Rex the terrier"
SECRETS = (PIN, PASSWORD, ANSWER, "****9201", "****dor3", "****rier")  # whole, or by last four
NATIONAL_ID_KEY = "user.government_id.national_identification_number"

DATASET = f"""
dataset:
  - fides_key: payments
    name: Payments
    collections:
      - name: cards
        fields:
          - name: id
            data_categories: [system.operations]
            fides_meta: {{primary_key: true}}
          - name: email
            data_categories: [user.contact.email]
            fides_meta: {{identity: email}}
          - name: card_number
            data_categories: [user.financial.credit_card]
          - name: ssn
            data_categories: [{NATIONAL_ID_KEY}]
          - name: amount_cents
            data_categories: [user.financial]
          - name: password_hash
            data_categories: [user.authorization.password]
          - name: security_answer
            data_categories: [user.authorization.credentials]
          - name: medical_record
            data_categories: [user.health_and_medical.record_id]
"""


@pytest.fixture
def c(container: Container, tmp_path: Path) -> Container:
    """The manifest applied; Ana in the vault with a card, a national ID and a security PIN, and in
    a datastore (a SQLite file) with another card and ID, a password, a security answer and a
    medical record number; the datastore connected."""
    apply_manifest(container.deps)
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "bluewave").id
    officer = Principal(tenant_id, "bluewave", "privacy-officer", "cli", "test")
    create_subject(
        container.deps,
        officer,
        {
            "subject": "ana",
            "identities": {"email": EMAIL},
            "data": {"user.name": "Ana Lima", "cc.payment.card": CARD},
            "source": "direct",
            "purpose": "billing",
        },
    )
    update_subject(
        container.deps, officer, "ana",
        {"data": {NATIONAL_ID_KEY: NATIONAL_ID, "cc.account.security_pin": PIN},
         "source": "direct", "purpose": "fraud-prevention"},
    )  # fmt: skip
    url = f"sqlite:///{tmp_path / 'payments.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE cards (id INTEGER PRIMARY KEY, email TEXT, "
                          "card_number TEXT, ssn TEXT, amount_cents INTEGER, password_hash TEXT, "
                          "security_answer TEXT, medical_record TEXT)"))  # fmt: skip
        conn.execute(
            text("INSERT INTO cards VALUES (1, :email, :card, :ssn, 123456, :password, :answer, "
                 ":record)"),
            {"email": EMAIL, "card": STORE_CARD, "ssn": STORE_SSN, "password": PASSWORD,
             "answer": ANSWER, "record": MEDICAL_RECORD},
        )  # fmt: skip
    engine.dispose()
    add_datastore(container.deps, "bluewave", "test", "payments", url=url, dataset=DATASET)
    return container


def _package(c: Container) -> dict[str, str]:
    """Open an access request for Ana, verify it from the outbox, fulfil it; the zip's files."""
    opened = open_request(
        c.deps,
        "bluewave",
        {"type": "access", "identities": {"email": [EMAIL]}, "jurisdiction": "us-ca"},
    )
    sent = [m for m in read_outbox(c.settings.outbox_path) if m["kind"] == "verification_code"]
    code = re.search(r"\bis (\d{6})\b", sent[-1]["body"])
    assert code is not None
    verify_codes(c.deps, "bluewave", opened.ref, [code.group(1)])
    assert fulfil(c.deps, "bluewave", opened.ref, "staff:alice").state is State.COMPLETED
    got = staff_download(c.deps, "bluewave", opened.ref, "staff:alice")
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def _assert_last_four_only(files: dict[str, str]) -> None:
    """Every file shows the last four of each number and none of them whole."""
    for name, body in files.items():
        for whole in WHOLE:
            assert whole not in body, (name, whole)
    for name in ("data.json", "report.html"):
        for shown in ("****1001", "****6789", "****0004", "****4321", "****7781"):
            assert shown in files[name], (name, shown)
    assert "****1001" in files["csv/vault/personal_data.csv"]
    assert "****6789" in files["csv/vault/personal_data.csv"]
    assert f"1,{EMAIL},****0004,****4321,123456" in files["csv/payments/cards.csv"]  # amount whole
    assert "Ana Lima" in files["data.json"]
    assert LAST_FOUR_NOTE in files["README.txt"]


def test_an_access_package_shows_cards_and_government_ids_by_their_last_four(c: Container) -> None:
    """Deps values and datastore columns of those categories read ****1001 in every file."""
    _assert_last_four_only(_package(c))


def test_a_grant_of_full_values_never_reaches_the_requester(c: Container) -> None:
    """Even with a role granted whole card numbers, the package shows the last four only."""
    grant_full_values(c, "[cc.payment.card]")
    _assert_last_four_only(_package(c))


def _assert_withheld(files: dict[str, str]) -> None:
    """Every file shows [withheld] for the PIN, the password and the security answer, and none of
    them even in part; the note says why and what the person can do."""
    for name, body in files.items():
        for secret in SECRETS:
            assert secret not in body, (name, secret)
    for name in ("data.json", "report.html", "csv/vault/personal_data.csv"):
        assert WITHHELD in files[name], name
    assert f"123456,{WITHHELD},{WITHHELD},****7781" in files["csv/payments/cards.csv"]
    assert f'"field":"cc.account.security_pin","value":"{WITHHELD}"' in files["data.json"]
    assert WITHHELD_NOTE in files["README.txt"]
    assert WITHHELD_NOTE in files["data.json"]
    assert str(escape(WITHHELD_NOTE)) in files["report.html"]


def test_an_access_package_withholds_passwords_pins_and_security_answers(c: Container) -> None:
    """A vault security PIN and datastore password and security-answer columns read [withheld] in
    every file; the medical record number reads ****7781."""
    _assert_withheld(_package(c))


def test_a_grant_of_whole_pins_never_reaches_the_requester(c: Container) -> None:
    """Even with the officer granted whole security PINs, the package withholds them."""
    grant_full_values(c, "[cc.account.security_pin]", OFFICER_CATEGORIES)
    _assert_withheld(_package(c))
