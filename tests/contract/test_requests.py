"""Subject requests on SQLite and PostgreSQL (issue #5): intake, verification, the legal clock, the
workflow, manual tasks, fulfilment on the vault, the sweep and webhooks.

Everything runs through the services against a real database (the ``container`` fixture); messages
are read back from the outbox file the container's messenger writes.
"""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.deadlines import (
    Pause,
    acknowledgement,
    add_months,
    applicable,
    extend,
)
from privault.core.jurisdictions import JURISDICTIONS, Right
from privault.core.requests import DenialCode, PauseReason, State
from privault.core.unfounded import evidence_of
from privault.errors import (
    Conflict,
    ConnectorError,
    Forbidden,
    InvalidInput,
    NotFound,
    PolicyViolation,
    PrivaultError,
)
from privault.outbound.messenger import read_outbox
from privault.outbound.webhooks import verify as verify_signature
from privault.services.audit_verify import verify as verify_chain
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.datastores import add_datastore
from privault.services.decisions import decide
from privault.services.fulfilment import apply_at_once, download, fulfil, staff_download
from privault.services.requests import (
    add_task,
    deny_request,
    extend_request,
    finish_task,
    list_requests,
    open_request,
    pause_request,
    requester_status,
    resend_codes,
    resume_request,
    show_request,
    start,
    sweep,
    verify_codes,
    verify_manually,
)
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import show_subject
from privault.services.vault_import import create_subject
from privault.services.webhooks import BACKOFF, add_webhook, deliver_due
from tests.audit_rows import audit_rows
from tests.fixtures.shop import shop_dataset_text

EMAIL = "ana.lima@example.com"
PHONE = "+14155550134"
UK_PHONE = "+447700900123"
OFFICER = "privacy-officer"
STAFF = "staff:alice"
_CODE = re.compile(r"\bis (\d{6})\b")


# --- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied (tenants, keys, notices)."""
    apply_manifest(container.deps)
    return container


def _clock(c: Container) -> FixedClock:
    """The test's fixed clock (move it by assigning ``.at``)."""
    assert isinstance(c.clock, FixedClock)
    return c.clock


def _officer(c: Container, tenant: str) -> Principal:
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    return Principal(tenant_id, tenant, OFFICER, "cli", "test")


def _subject(
    c: Container,
    tenant: str = "bluewave",
    *,
    ref: str = "cust-1",
    identities: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
    purpose: str = "customer-service",
) -> str:
    """A vault subject (by default Ana, with her email and phone and her name)."""
    return create_subject(
        c.deps,
        _officer(c, tenant),
        {
            "subject": ref,
            "identities": identities if identities is not None else {"email": EMAIL},
            "data": data if data is not None else {"user.name": "Ana Lima"},
            "source": "direct",
            "purpose": purpose,
        },
    )


def _open(c: Container, tenant: str = "bluewave", **raw: Any) -> Any:
    body: dict[str, Any] = {
        "type": "access",
        "identities": {"email": [EMAIL], "phone": [PHONE]},
        "jurisdiction": "us-ca",
    }
    body.update(raw)
    return open_request(c.deps, tenant, body)


def _outbox(c: Container, ref: str | None = None) -> list[dict[str, Any]]:
    messages = read_outbox(c.settings.outbox_path)
    return [m for m in messages if ref is None or ref in m["subject"]]


def _codes(c: Container, ref: str) -> dict[str, str]:
    """The newest code sent to each identity of a request (recipient -> code)."""
    found: dict[str, str] = {}
    for m in _outbox(c, ref):
        if m["kind"] == "verification_code":
            match = _CODE.search(m["body"])
            assert match is not None
            found[m["to"]] = match.group(1)
    return found


def _wrong(*codes: str) -> str:
    return next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in codes)


def _verified(c: Container, tenant: str = "bluewave", **raw: Any) -> str:
    """A request opened and verified with the codes sent to every identity; its ref."""
    opened = _open(c, tenant, **raw)
    verify_codes(c.deps, tenant, opened.ref, list(_codes(c, opened.ref).values()))
    return str(opened.ref)


def _audit(c: Container, tenant: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, outcome, details) of every audit event of the tenant, in order."""
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        rows = audit_rows(uow, 1000)
    return [(row[3], row[6], json.loads(row[7])) for row in rows]


def _chain_ok(c: Container, tenant: str) -> bool:
    return verify_chain(c.deps, tenant).ok


def _verifications(c: Container, tenant: str, ref: str) -> list[Any]:
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        request = uow.requests.get(ref)
        assert request is not None
        return uow.requests.verifications(request.id)


# --- 1. intake -----------------------------------------------------------------------------------


def test_intake_fixes_the_strictest_deadline_and_sends_a_receipt_and_one_code_per_identity(
    c: Container,
) -> None:
    """An access request with an email and a phone: received, due per the strictest rule, receipt
    acknowledged for California, a code by email and one by text; no identity or code is audited."""
    opened = _open(c)
    expected = applicable(("us-ca", "us"), Right.ACCESS, c.clock.now())
    assert opened.state is State.RECEIVED
    assert opened.due_on == expected.winner.due == date(2026, 4, 16)  # 45 days after 2 March
    assert opened.rule == expected.winner.rule == "CCPA-RESP-1"
    ack = acknowledgement("us-ca", date(2026, 3, 2))
    assert ack is not None
    assert opened.ack_due_on == ack.due
    assert opened.token.startswith("rq_")
    assert opened.status_url.endswith(opened.token)

    messages = _outbox(c)
    assert sorted((m["kind"], m["channel"], m["to"]) for m in messages) == [
        ("receipt", "email", EMAIL),
        ("verification_code", "email", EMAIL),
        ("verification_code", "sms", PHONE),
    ]
    assert all(opened.ref in m["subject"] and m["tenant"] == "bluewave" for m in messages)
    receipt = next(m for m in messages if m["kind"] == "receipt")
    assert opened.due_on.isoformat() in receipt["body"]
    assert "CCPA-ACK-1" in receipt["body"]
    codes = _codes(c, opened.ref)
    assert set(codes) == {EMAIL, PHONE}
    assert all(len(code) == 6 for code in codes.values())

    view = show_request(c.deps, "bluewave", opened.ref)
    assert view.request.state is State.RECEIVED
    assert view.request.due_on == opened.due_on
    assert view.request.ack_due_on == ack.due
    assert view.request.jurisdictions == ("us-ca", "us")
    assert view.identities == 2
    assert view.verified_identities == 0
    assert view.details.identities == {"email": [EMAIL], "phone": [PHONE]}
    assert [e.action for e in view.events] == ["received", "codes_sent"]

    audit = _audit(c, "bluewave")
    opens = [d for action, _, d in audit if action == "request:open"]
    assert len(opens) == 1
    assert opens[0]["ref"] == opened.ref
    assert opens[0]["due_on"] == "2026-04-16"
    secrets_ = [EMAIL, PHONE, PHONE.lstrip("+"), "5550134", *codes.values()]
    for action, _, details in audit:
        text = json.dumps(details)
        for secret in secrets_:
            assert secret not in text, f"{action} audit details hold personal data or a code"


# --- 2. bad input loses nothing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error", "code"),
    [
        ({"jurisdiction": "xx"}, NotFound, "jurisdiction.unknown"),
        ({"identities": {"email": ["not-an-address"]}}, InvalidInput, "identity.invalid"),
        ({"identities": {"email": ["ok@example.com", "a@b"]}}, InvalidInput, "identity.invalid"),
        ({"brand": "acme"}, NotFound, "brand.unknown"),
        ({"type": "portability"}, PolicyViolation, "request.right_unavailable"),
        ({"type": "restriction"}, PolicyViolation, "request.right_unavailable"),
    ],
    ids=["unknown-jurisdiction", "bad-email", "one-bad-email", "unknown-brand", "port-ca", "restr"],
)
def test_bad_input_is_refused_with_its_code_and_nothing_is_kept(
    c: Container, changes: dict[str, Any], error: type[PrivaultError], code: str
) -> None:
    """Each refusal names its code; no request row, no message, no audit event is left behind."""
    before = len(_audit(c, "bluewave"))
    with pytest.raises(error) as caught:
        _open(c, **changes)
    assert caught.value.code == code
    assert list_requests(c.deps, "bluewave") == []
    assert _outbox(c) == []
    assert len(_audit(c, "bluewave")) == before


def test_a_request_without_identities_is_refused_and_nothing_is_kept(c: Container) -> None:
    """No identity (none, an empty list, blanks): request.invalid before anything is stored or
    sent."""
    cases: list[dict[str, list[str]]] = [{}, {"email": []}, {"email": ["  "], "phone": [""]}]
    for identities in cases:
        with pytest.raises(InvalidInput) as caught:
            _open(c, identities=identities)
        assert caught.value.code == "request.invalid"
    assert list_requests(c.deps, "bluewave") == []
    assert _outbox(c) == []


# --- 3. verification -----------------------------------------------------------------------------


def test_a_wrong_code_is_refused_counted_and_audited(c: Container) -> None:
    """A wrong code: verification.failed, one attempt counted on each pending identity, audited."""
    opened = _open(c)
    codes = _codes(c, opened.ref)
    with pytest.raises(InvalidInput) as caught:
        verify_codes(c.deps, "bluewave", opened.ref, [_wrong(*codes.values())])
    assert caught.value.code == "verification.failed"
    assert "4 attempts left" in caught.value.message
    assert [v.attempts for v in _verifications(c, "bluewave", opened.ref)] == [1, 1]
    verifies = [(o, d) for a, o, d in _audit(c, "bluewave") if a == "request:verify"]
    assert verifies == [("failed", {"ref": opened.ref, "matched": 0, "wrong": 1})]
    assert show_request(c.deps, "bluewave", opened.ref).request.state is State.RECEIVED


def test_every_identity_must_be_verified(c: Container) -> None:
    """One code of two leaves the request received (1/2); the second verifies it."""
    opened = _open(c)
    codes = _codes(c, opened.ref)
    first = verify_codes(c.deps, "bluewave", opened.ref, [codes[EMAIL]])
    assert (first.state, first.verified, first.identities) == (State.RECEIVED, 1, 2)
    assert show_request(c.deps, "bluewave", opened.ref).verified_identities == 1
    second = verify_codes(c.deps, "bluewave", opened.ref, [codes[PHONE]])
    assert (second.state, second.verified, second.identities) == (State.VERIFIED, 2, 2)
    view = show_request(c.deps, "bluewave", opened.ref)
    assert view.request.state is State.VERIFIED
    assert view.request.verification == "codes"
    assert view.request.verified_at == c.clock.now()
    # a verified request takes no more codes
    with pytest.raises(Conflict):
        verify_codes(c.deps, "bluewave", opened.ref, [codes[EMAIL]])


def test_both_codes_at_once_verify_the_request(c: Container) -> None:
    """Both codes in one call, in any order."""
    opened = _open(c)
    codes = _codes(c, opened.ref)
    done = verify_codes(c.deps, "bluewave", opened.ref, [codes[PHONE], codes[EMAIL]])
    assert (done.state, done.verified, done.identities) == (State.VERIFIED, 2, 2)


def test_an_expired_code_is_refused(c: Container) -> None:
    """Past verification_code_minutes the right code no longer works."""
    opened = _open(c)
    codes = _codes(c, opened.ref)
    _clock(c).at += timedelta(minutes=c.settings.verification_code_minutes, seconds=1)
    with pytest.raises(InvalidInput) as caught:
        verify_codes(c.deps, "bluewave", opened.ref, [codes[EMAIL]])
    assert caught.value.code == "verification.failed"
    assert show_request(c.deps, "bluewave", opened.ref).verified_identities == 0


def test_too_many_wrong_codes_lock_the_code_until_a_new_one_is_sent(c: Container) -> None:
    """After max_attempts wrong tries even the right code fails; a resend issues new codes, the old
    ones stop working, and the new ones verify."""
    opened = _open(c, identities={"email": [EMAIL]})
    old = _codes(c, opened.ref)[EMAIL]
    for _ in range(c.settings.verification_max_attempts):
        with pytest.raises(InvalidInput):
            verify_codes(c.deps, "bluewave", opened.ref, [_wrong(old)])
    with pytest.raises(InvalidInput) as caught:
        verify_codes(c.deps, "bluewave", opened.ref, [old])
    assert "0 attempts left" in caught.value.message
    _clock(c).at += timedelta(seconds=61)
    assert resend_codes(c.deps, "bluewave", opened.ref) == 1
    new = _codes(c, opened.ref)[EMAIL]
    [code] = _verifications(c, "bluewave", opened.ref)
    assert (code.attempts, code.sends) == (0, 2)
    if new != old:  # one chance in a million that the new code equals the old one
        with pytest.raises(InvalidInput):
            verify_codes(c.deps, "bluewave", opened.ref, [old])
    done = verify_codes(c.deps, "bluewave", opened.ref, [new])
    assert done.state is State.VERIFIED


def test_resending_stops_at_max_sends(c: Container) -> None:
    """Codes can be sent max_sends times in all (the first send counts); then verification.limit,
    and nothing more is sent."""
    opened = _open(c)
    for _ in range(c.settings.verification_max_sends - 1):
        _clock(c).at += timedelta(seconds=61)
        assert resend_codes(c.deps, "bluewave", opened.ref) == 2
    sent = len(_outbox(c, opened.ref))
    _clock(c).at += timedelta(seconds=61)
    with pytest.raises(PolicyViolation) as caught:
        resend_codes(c.deps, "bluewave", opened.ref)
    assert caught.value.code == "verification.limit"
    assert len(_outbox(c, opened.ref)) == sent
    assert all(
        v.sends == c.settings.verification_max_sends
        for v in _verifications(c, "bluewave", opened.ref)
    )


def test_resend_only_sends_to_identities_still_unverified(c: Container) -> None:
    """After the email is verified, a resend sends one new code, to the phone."""
    opened = _open(c)
    verify_codes(c.deps, "bluewave", opened.ref, [_codes(c, opened.ref)[EMAIL]])
    before = len(_outbox(c, opened.ref))
    with pytest.raises(PolicyViolation) as early:  # at most one send a minute
        resend_codes(c.deps, "bluewave", opened.ref)
    assert early.value.code == "verification.limit"
    _clock(c).at += timedelta(seconds=61)
    assert resend_codes(c.deps, "bluewave", opened.ref) == 1
    [new] = _outbox(c, opened.ref)[before:]
    assert (new["to"], new["channel"]) == (PHONE, "sms")


def test_staff_can_verify_manually_with_a_note(c: Container) -> None:
    """verify_manually needs a note saying how; the request is verified by 'staff'."""
    opened = _open(c)
    with pytest.raises(InvalidInput) as caught:
        verify_manually(c.deps, "bluewave", opened.ref, STAFF, "  ")
    assert caught.value.code == "verification.failed"
    moved = verify_manually(c.deps, "bluewave", opened.ref, STAFF, "called back on file number")
    assert moved.state is State.VERIFIED
    view = show_request(c.deps, "bluewave", opened.ref)
    assert view.request.verification == "staff"
    verified = next(e for e in view.events if e.action == "verified")
    assert (verified.actor, verified.note) == (STAFF, "called back on file number")
    with pytest.raises(Conflict):
        verify_manually(c.deps, "bluewave", opened.ref, STAFF, "again")


# --- 4. the clock --------------------------------------------------------------------------------


def test_a_pause_moves_the_due_date_by_the_days_it_lasted(c: Container) -> None:
    """EU/UK (GDPR months): paused 7 days awaiting identity, the due date moves 7 days."""
    opened = _open(c, "northwind", jurisdiction="eu", identities={"email": [EMAIL]})
    received = c.clock.now()
    plain = applicable(("eu", "uk"), Right.ACCESS, received)
    assert opened.due_on == plain.winner.due == date(2026, 4, 2)
    paused = pause_request(
        c.deps,
        "northwind",
        opened.ref,
        STAFF,
        PauseReason.AWAITING_IDENTITY,
        "a copy of an identity document",
    )
    assert paused.state is State.PAUSED
    assert show_request(c.deps, "northwind", opened.ref).deadline_state == "paused"
    pause_note = next(m for m in _outbox(c, opened.ref) if m["kind"] == "pause")
    assert "a copy of an identity document" in pause_note["body"]
    _clock(c).at += timedelta(days=7)
    resumed = resume_request(c.deps, "northwind", opened.ref, STAFF)
    stop = Pause(date(2026, 3, 2), date(2026, 3, 9), "awaiting_identity")
    expected = applicable(("eu", "uk"), Right.ACCESS, received, [stop]).winner.due
    assert resumed.state is State.RECEIVED
    assert resumed.due_on == expected == opened.due_on + timedelta(days=7)
    stored = show_request(c.deps, "northwind", opened.ref).request
    assert stored.due_on == expected
    assert [(p.start, p.end, p.reason) for p in stored.pauses] == [
        (stop.start, stop.end, stop.reason)
    ]
    with pytest.raises(Conflict) as caught:
        resume_request(c.deps, "northwind", opened.ref, STAFF)
    assert caught.value.code == "request.invalid_transition"


def test_codes_entered_while_paused_for_identity_resume_and_verify(c: Container) -> None:
    """A request paused while awaiting identity resumes when the codes come in, and is verified
    (a pause begun and ended on one day costs no day)."""
    opened = _open(c, "northwind", jurisdiction="eu", identities={"email": [EMAIL]})
    pause_request(
        c.deps, "northwind", opened.ref, STAFF, PauseReason.AWAITING_IDENTITY, "your code"
    )
    _clock(c).at += timedelta(minutes=10)
    done = verify_codes(c.deps, "northwind", opened.ref, [_codes(c, opened.ref)[EMAIL]])
    assert done.state is State.VERIFIED
    view = show_request(c.deps, "northwind", opened.ref)
    assert view.request.due_on == opened.due_on
    assert [p.end for p in view.request.pauses] == [date(2026, 3, 2)]
    assert [e.action for e in view.events if e.from_state] == ["paused", "resumed", "verified"]


def test_a_manual_verification_while_paused_resumes_the_clock(c: Container) -> None:
    """Staff verify a request paused 3 days awaiting identity: resumed (due date 3 days later),
    then verified."""
    received = c.clock.now()
    opened = _open(c, "northwind", jurisdiction="eu", identities={"email": [EMAIL]})
    pause_request(
        c.deps, "northwind", opened.ref, STAFF, PauseReason.AWAITING_IDENTITY, "a passport"
    )
    _clock(c).at += timedelta(days=3)
    moved = verify_manually(c.deps, "northwind", opened.ref, STAFF, "passport seen")
    assert moved.state is State.VERIFIED
    stored = show_request(c.deps, "northwind", opened.ref).request
    stop = Pause(date(2026, 3, 2), date(2026, 3, 5), "awaiting_identity")
    expected = applicable(("eu", "uk"), Right.ACCESS, received, [stop]).winner.due
    # 2 April + 3 days is Easter Sunday; Easter Monday is a holiday too: Tuesday 7 April
    assert stored.due_on == expected == date(2026, 4, 7)
    assert [p.end for p in stored.pauses] == [date(2026, 3, 5)]


def test_one_extension_before_the_due_date_with_reasons_told_to_the_requester(
    c: Container,
) -> None:
    """Extended per the rule's extension (GDPR: two more months), the reasons sent; a second
    extension is refused."""
    ref = _verified(c, "northwind", jurisdiction="eu", identities={"email": [EMAIL]})
    received = c.clock.now()
    _clock(c).at += timedelta(days=10)
    reasons = "The request covers ten years of call recordings."
    moved = extend_request(c.deps, "northwind", ref, STAFF, reasons)
    winner = applicable(("eu", "uk"), Right.ACCESS, received).winner
    expected = extend(winner, date(2026, 3, 12), reasons).due
    assert moved.state is State.EXTENDED
    assert moved.due_on == expected == date(2026, 6, 2)
    stored = show_request(c.deps, "northwind", ref).request
    assert (stored.state, stored.due_on, stored.extended) == (State.EXTENDED, expected, True)
    assert stored.extension_reasons == reasons
    [message] = [m for m in _outbox(c, ref) if m["kind"] == "extension"]
    assert reasons in message["body"]
    assert "2026-06-02" in message["body"]
    assert "2026-04-02" in message["body"]
    with pytest.raises(PolicyViolation) as again:
        extend_request(c.deps, "northwind", ref, STAFF, "more")
    assert again.value.code == "request.extension_refused"
    start(c.deps, "northwind", ref, STAFF)
    with pytest.raises(PolicyViolation) as twice:
        extend_request(c.deps, "northwind", ref, STAFF, "still more")
    assert twice.value.code == "request.extension_refused"
    assert show_request(c.deps, "northwind", ref).request.due_on == expected


def test_an_unverified_request_can_be_extended_but_not_fulfilled_before_verification(
    c: Container,
) -> None:
    """Extending a received request stops nothing: it must still be verified before fulfilment,
    and the codes still verify it."""
    opened = _open(c)
    assert extend_request(c.deps, "bluewave", opened.ref, STAFF, "backlog").state is (
        State.EXTENDED
    )
    with pytest.raises(Conflict):
        fulfil(c.deps, "bluewave", opened.ref, STAFF)
    assert show_request(c.deps, "bluewave", opened.ref).request.verified_at is None
    verify_codes(c.deps, "bluewave", opened.ref, list(_codes(c, opened.ref).values()))
    stored = show_request(c.deps, "bluewave", opened.ref).request
    assert stored.verified_at == c.clock.now()
    assert fulfil(c.deps, "bluewave", opened.ref, STAFF).state is State.COMPLETED


def test_an_extension_after_the_due_date_is_refused(c: Container) -> None:
    """Too late: the deadline has passed."""
    ref = _verified(c, "northwind", jurisdiction="eu", identities={"email": [EMAIL]})
    _clock(c).at = datetime.fromisoformat("2026-04-03T09:30:00+00:00")
    with pytest.raises(PolicyViolation) as caught:
        extend_request(c.deps, "northwind", ref, STAFF, "we were busy")
    assert caught.value.code == "request.extension_refused"
    stored = show_request(c.deps, "northwind", ref).request
    assert (stored.state, stored.extended) == (State.VERIFIED, False)


def test_an_extension_needs_reasons(c: Container) -> None:
    """No reasons, no extension."""
    ref = _verified(c, "northwind", jurisdiction="eu", identities={"email": [EMAIL]})
    with pytest.raises(InvalidInput) as caught:
        extend_request(c.deps, "northwind", ref, STAFF, "  ")
    assert caught.value.code == "request.extension_refused"


def test_received_on_31_january_under_gdpr_is_due_as_the_engine_says(c: Container) -> None:
    """31 January + 1 month = 28 February 2026 (a Saturday): the next working day, 2 March."""
    _clock(c).at = datetime.fromisoformat("2026-01-31T09:30:00+00:00")
    opened = _open(c, "northwind", jurisdiction="eu", identities={"email": [EMAIL]})
    expected = applicable(("eu", "uk"), Right.ERASURE, c.clock.now()).winner.due
    assert opened.due_on == expected == date(2026, 3, 2)


# --- 5. the workflow -----------------------------------------------------------------------------


def test_moves_the_workflow_does_not_allow_are_refused(c: Container) -> None:
    """A received request cannot be started or fulfilled; a closed one cannot be denied or paused."""
    opened = _open(c)
    with pytest.raises(Conflict) as caught:
        start(c.deps, "bluewave", opened.ref, STAFF)
    assert caught.value.code == "request.not_verified"
    with pytest.raises(Conflict) as caught:
        fulfil(c.deps, "bluewave", opened.ref, STAFF)
    assert caught.value.code in ("request.not_verified", "request.invalid_transition")
    with pytest.raises(Conflict) as caught:
        resume_request(c.deps, "bluewave", opened.ref, STAFF)
    assert caught.value.code == "request.invalid_transition"

    ref = _verified(c)
    assert fulfil(c.deps, "bluewave", ref, STAFF).state is State.COMPLETED
    refused: list[Callable[[], object]] = [
        lambda: deny_request(c.deps, "bluewave", ref, STAFF, DenialCode.EXCESSIVE, "no"),
        lambda: start(c.deps, "bluewave", ref, STAFF),
        lambda: fulfil(c.deps, "bluewave", ref, STAFF),
        lambda: pause_request(c.deps, "bluewave", ref, STAFF, PauseReason.AWAITING_FEE, "a fee"),
        lambda: extend_request(c.deps, "bluewave", ref, STAFF, "why"),
    ]
    for action in refused:
        with pytest.raises(Conflict) as caught:
            action()
        assert caught.value.code == "request.invalid_transition"
    assert show_request(c.deps, "bluewave", ref).request.state is State.COMPLETED


def test_a_denial_sends_its_text_with_the_complaint_authority_and_is_kept_24_months(
    c: Container,
) -> None:
    """Denied with a code and text: the text sent names the authority; retain_until is 24 months on."""
    opened = _open(c)
    text = "We could not find an account in your name."
    with pytest.raises(InvalidInput):
        deny_request(c.deps, "bluewave", opened.ref, STAFF, DenialCode.MANIFESTLY_UNFOUNDED, "")
    proof = evidence_of("The same request was made and answered three times this week.")
    moved = deny_request(
        c.deps, "bluewave", opened.ref, STAFF, DenialCode.MANIFESTLY_UNFOUNDED, text,
        evidence=proof,
    )  # fmt: skip
    assert moved.state is State.DENIED
    stored = show_request(c.deps, "bluewave", opened.ref).request
    authority = JURISDICTIONS["us-ca"].authority
    assert stored.denial_code == "manifestly_unfounded"
    assert stored.denial_text == f"{text}\nYou may complain to {authority}."
    assert stored.retain_until == add_months(date(2026, 3, 2), 24) == date(2028, 3, 2)
    assert stored.closed_at == c.clock.now()
    [sent] = [m for m in _outbox(c, opened.ref) if m["kind"] == "denial"]
    assert (sent["to"], sent["body"]) == (EMAIL, stored.denial_text)
    status = requester_status(c.deps, opened.token)
    assert status.state is State.DENIED
    assert status.denial_text == stored.denial_text
    assert EMAIL not in json.dumps(status.identities)


def test_every_transition_is_in_the_timeline_and_the_audit_trail(c: Container) -> None:
    """verified -> in_progress -> paused -> in_progress -> extended -> completed: each step is a
    timeline event and a request:transition audit event; the audit chain verifies at the end."""
    ref = _verified(c)
    start(c.deps, "bluewave", ref, STAFF)
    pause_request(
        c.deps, "bluewave", ref, STAFF, PauseReason.AWAITING_CLARIFICATION, "which account?"
    )
    _clock(c).at += timedelta(days=2)
    resume_request(c.deps, "bluewave", ref, STAFF)
    extend_request(c.deps, "bluewave", ref, STAFF, "many systems to search")
    closed = fulfil(c.deps, "bluewave", ref, STAFF)
    assert closed.state is State.COMPLETED
    moves = [
        ("received", "verified"),
        ("verified", "in_progress"),
        ("in_progress", "paused"),
        ("paused", "in_progress"),
        ("in_progress", "extended"),
        ("extended", "completed"),
    ]
    view = show_request(c.deps, "bluewave", ref)
    timeline = [(e.from_state, e.to_state) for e in view.events if e.to_state and e.from_state]
    assert timeline == moves
    assert [e.action for e in view.events if e.from_state] == [
        "verified",
        "started",
        "paused",
        "resumed",
        "extended",
        "completed",
    ]
    audited = [
        (d["from"], d["to"])
        for a, _, d in _audit(c, "bluewave")
        if a == "request:transition" and d["ref"] == ref
    ]
    assert audited == moves
    assert view.request.retain_until == date(2028, 3, 4)
    assert _chain_ok(c, "bluewave")


# --- 6. manual tasks -----------------------------------------------------------------------------


def test_a_manual_system_holds_the_request_open_until_its_task_is_done(c: Container) -> None:
    """Verification opens a task for the manual system's owner; fulfilment leaves the request
    incomplete until the task is finished, then completes it."""
    add_datastore(
        c.deps, "bluewave", "test", "billing-crm",
        owner="it-team",
        description="Billing CRM",
    )  # fmt: skip
    ref = _verified(c)
    [task] = show_request(c.deps, "bluewave", ref).tasks
    assert (task.system, task.assignee, task.state) == ("billing-crm", "it-team", "open")
    assert ref in task.description
    first = fulfil(c.deps, "bluewave", ref, STAFF)
    assert first.state is State.INCOMPLETE
    view = show_request(c.deps, "bluewave", ref)
    assert "1 manual task(s) still open" in view.request.result["problems"]
    assert "not finished yet" in view.request.response
    assert view.request.result["problems"] == ["1 manual task(s) still open"]
    assert not [m for m in _outbox(c, ref) if m["kind"] == "completed"]
    finish_task(c.deps, "bluewave", ref, task.id, "it-team", "exported the CRM record")
    with pytest.raises(Conflict):
        finish_task(c.deps, "bluewave", ref, task.id, "it-team", "twice")
    with pytest.raises(NotFound) as caught:
        finish_task(c.deps, "bluewave", ref, task.id + 999, "it-team", "no such task")
    assert caught.value.code == "request.task_unknown"
    second = fulfil(c.deps, "bluewave", ref, STAFF)
    assert second.state is State.COMPLETED
    view = show_request(c.deps, "bluewave", ref)
    assert [t.state for t in view.tasks] == ["done"]
    assert [m["kind"] for m in _outbox(c, ref)].count("completed") == 1
    actions = [e.action for e in view.events]
    assert actions.index("task_done") < actions.index("completed")
    assert [a for a, _, _ in _audit(c, "bluewave") if a == "request:task"] == ["request:task"]


def test_staff_can_add_tasks_to_open_requests_only(c: Container) -> None:
    """add_task opens a task (audited, in the timeline); a closed request takes none."""
    ref = _verified(c)
    with pytest.raises(InvalidInput) as caught:
        add_task(c.deps, "bluewave", ref, STAFF, " ", "something", None)
    assert caught.value.code == "request.task_invalid"
    task_id = add_task(c.deps, "bluewave", ref, STAFF, "paper-files", "check the archive", "bob")
    view = show_request(c.deps, "bluewave", ref)
    assert [(t.id, t.system, t.assignee, t.state) for t in view.tasks] == [
        (task_id, "paper-files", "bob", "open")
    ]
    assert "task_opened" in [e.action for e in view.events]
    finish_task(c.deps, "bluewave", ref, task_id, "bob", "nothing there", cancelled=True)
    assert [t.state for t in show_request(c.deps, "bluewave", ref).tasks] == ["cancelled"]
    assert fulfil(c.deps, "bluewave", ref, STAFF).state is State.COMPLETED
    with pytest.raises(Conflict) as closed:
        add_task(c.deps, "bluewave", ref, STAFF, "paper-files", "too late", None)
    assert closed.value.code == "request.invalid_transition"


def test_fulfilling_again_while_a_task_is_open_leaves_the_request_incomplete(
    c: Container,
) -> None:
    """A second fulfilment run while a manual task is still open: still incomplete, no error."""
    add_datastore(c.deps, "bluewave", "test", "billing-crm", owner="it-team")
    ref = _verified(c)
    assert fulfil(c.deps, "bluewave", ref, STAFF).state is State.INCOMPLETE
    again = fulfil(c.deps, "bluewave", ref, STAFF)
    assert again.state is State.INCOMPLETE


def test_an_objection_completes_once_its_recipient_tasks_are_done(c: Container) -> None:
    """Objection with recipients to tell (Art. 19): incomplete until the tasks are done, then the
    next fulfilment completes it."""
    _subject(c)
    ref = _verified(c, type="objection", jurisdiction=None, identities={"email": [EMAIL]})
    assert fulfil(c.deps, "bluewave", ref, STAFF).state is State.INCOMPLETE
    tasks = show_request(c.deps, "bluewave", ref).tasks
    assert tasks
    assert all(t.system.startswith("recipient:") for t in tasks)
    for task in tasks:
        finish_task(c.deps, "bluewave", ref, task.id, STAFF, "told them")
    assert fulfil(c.deps, "bluewave", ref, STAFF).state is State.COMPLETED


# --- 7. fulfilment on the vault ------------------------------------------------------------------


def test_access_builds_a_downloadable_package_that_expires(c: Container) -> None:
    """Access: completed; the zip's data.json holds the vault values; the link expires."""
    _subject(c, identities={"email": EMAIL, "phone": PHONE})
    opened = _open(c)
    verify_codes(c.deps, "bluewave", opened.ref, list(_codes(c, opened.ref).values()))
    ref, token = opened.ref, opened.token
    closed = fulfil(c.deps, "bluewave", ref, STAFF)
    assert closed.state is State.COMPLETED
    view = show_request(c.deps, "bluewave", ref)
    result = view.request.result
    assert result["vault"] is True
    assert view.request.subject_id is not None
    assert "download_url" not in json.dumps(result)  # no link (no token) is stored anywhere
    got = download(c.deps, token)
    assert got.filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        data = archive.read("data.json").decode("utf-8")
    assert "Ana Lima" in data
    assert EMAIL in data
    assert ref in data
    assert show_request(c.deps, "bluewave", ref).package["downloads"] == 1  # type: ignore[index]
    [done] = [m for m in _outbox(c, ref) if m["kind"] == "completed"]
    assert "status page" in done["body"]
    [receipt] = [m for m in _outbox(c, ref) if m["kind"] == "receipt"]
    assert token in receipt["body"]  # the private link goes to the requester, once
    assert "request:download" in [a for a, _, _ in _audit(c, "bluewave")]
    _clock(c).at += timedelta(days=c.settings.package_link_days, seconds=1)
    with pytest.raises(Forbidden) as caught:
        download(c.deps, token)
    assert caught.value.code == "package.expired"
    with pytest.raises(NotFound) as unknown:
        download(c.deps, "rq_nothing-here")
    assert unknown.value.code == "package.unknown"


def test_access_with_no_vault_match_still_completes_and_says_so(c: Container) -> None:
    """Nobody in the vault: an (empty) package, and the package says no record matched."""
    ref = _verified(c)
    closed = fulfil(c.deps, "bluewave", ref, STAFF)
    assert closed.state is State.COMPLETED
    result = show_request(c.deps, "bluewave", ref).request.result
    assert result["vault"] is False
    got = staff_download(c.deps, "bluewave", ref, STAFF)
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        data = archive.read("data.json").decode("utf-8")
    assert "No record in our vault matched" in data


def test_erasure_crypto_shreds_the_vault_subject(c: Container) -> None:
    """Erasure with no exception covering a field: the subject is shredded (no longer readable)."""
    subject = _subject(c)
    ref = _verified(c, type="erasure", identities={"email": [EMAIL]})
    closed = fulfil(c.deps, "bluewave", ref, STAFF)
    # recipients of the data (GDPR Art. 19) are tasks, so the request waits for them
    assert closed.state is State.INCOMPLETE
    result = show_request(c.deps, "bluewave", ref).request.result
    assert result["vault"]["matched"] is True
    assert result["vault"]["retained"] == []
    with pytest.raises(NotFound) as caught:
        show_subject(c.deps, _officer(c, "bluewave"), subject, "customer-service")
    assert caught.value.code == "subject.unknown"
    erases = [d for a, _, d in _audit(c, "bluewave") if a == "vault:subject:erase"]
    assert [d["key"] for d in erases] == ["destroyed"]
    assert erases[0]["reason"] == f"request:{ref}"


def test_erasure_completes_once_the_recipients_are_told(c: Container) -> None:
    """Art. 19 tasks (one per recipient) hold the request incomplete; done, it completes."""
    _subject(c)
    ref = _verified(c, type="erasure", identities={"email": [EMAIL]})
    assert fulfil(c.deps, "bluewave", ref, STAFF).state is State.INCOMPLETE
    tasks = show_request(c.deps, "bluewave", ref).tasks
    assert {t.system for t in tasks} == {
        "recipient:payment-processor",
        "recipient:cloud-hosting",
        "recipient:carrier-partner",
        "recipient:credit-agency",
        "recipient:group-company",
    }
    for task in tasks:
        finish_task(c.deps, "bluewave", ref, task.id, STAFF, "told them")
    assert fulfil(c.deps, "bluewave", ref, STAFF).state is State.COMPLETED


def test_erasure_keeps_what_an_exception_covers_with_its_code(c: Container) -> None:
    """Call detail records are kept for tax law (tax-records: legal_obligation, even when collected
    for customer service, which no retention rule keeps); the rest goes, and the response says why
    something was kept: under the provision of the law governing the request (California's only;
    US federal law grants no erasure)."""
    subject = _subject(
        c,
        data={"user.name": "Ana Lima", "cc.telecom.call_detail": "2026-02-01 +14155550199 3m"},
    )
    ref = _verified(c, type="erasure", identities={"email": [EMAIL]})
    fulfil(c.deps, "bluewave", ref, STAFF)
    stored = show_request(c.deps, "bluewave", ref).request
    assert stored.result["vault"]["retained"] == [
        {
            "field": "cc.telecom.call_detail",
            "code": "legal_obligation",
            "rule": "tax-records",
            "law": "CCPA 1798.105(d)(8)",
        }
    ]
    assert stored.result["vault"]["fields_deleted"] == 1
    assert "legal obligation" in stored.response
    # what the law keeps is restricted to the law's own use (Art. 18(2))
    view = show_subject(c.deps, _officer(c, "bluewave"), subject, "legal-records")
    assert set(view.data) == {"cc.telecom.call_detail"}
    assert view.data["cc.telecom.call_detail"].value.reveal() == "2026-02-01 +14155550199 3m"
    assert view.identities == {}


def test_rectification_corrects_a_vault_value(c: Container) -> None:
    """The corrected value is read back from the vault; a field we do not hold is named."""
    subject = _subject(c)
    ref = _verified(
        c,
        type="rectification",
        identities={"email": [EMAIL]},
        corrections={"user.name": "Ana Souza", "user.job_title": "Engineer"},
    )
    fulfil(c.deps, "bluewave", ref, STAFF)
    stored = show_request(c.deps, "bluewave", ref).request
    assert stored.result["corrected"] == ["user.name"]
    assert stored.result["not_held"] == ["user.job_title"]
    view = show_subject(c.deps, _officer(c, "bluewave"), subject, "customer-service")
    assert view.data["user.name"].value.reveal() == "Ana Souza"


def _allowed(c: Container, tenant: str, subject: str, purpose: str) -> bool:
    return decide(c.deps, tenant, subject, purpose, at=c.clock.now()).allowed


def test_an_objection_to_marketing_stops_marketing(c: Container) -> None:
    """Objection (marketing): recorded in the consent ledger, so marketing is denied afterwards."""
    subject = _subject(c)
    assert _allowed(c, "bluewave", subject, "marketing-email")
    ref = _verified(c, type="objection", jurisdiction=None, identities={"email": [EMAIL]})
    fulfil(c.deps, "bluewave", ref, STAFF)
    stored = show_request(c.deps, "bluewave", ref).request
    assert stored.result["recorded"] == 1
    assert not _allowed(c, "bluewave", subject, "marketing-email")
    assert _allowed(c, "bluewave", subject, "customer-service")
    assert "consent:withdraw" in [a for a, _, _ in _audit(c, "bluewave")]


def test_a_restriction_stops_processing_except_what_the_law_keeps_going(c: Container) -> None:
    """Restriction (UK): customer service denied afterwards; legal records continue (Art. 18(2))."""
    subject = _subject(c, "northwind")
    assert _allowed(c, "northwind", subject, "customer-service")
    ref = _verified(
        c, "northwind", type="restriction", jurisdiction="uk", identities={"email": [EMAIL]}
    )
    fulfil(c.deps, "northwind", ref, STAFF)
    assert show_request(c.deps, "northwind", ref).request.result["recorded"] == 1
    assert not _allowed(c, "northwind", subject, "customer-service")
    assert _allowed(c, "northwind", subject, "legal-records")


def test_an_opt_out_of_sale_needs_no_verification_and_completes_at_once(c: Container) -> None:
    """No codes are sent; apply_at_once completes it and the sale/sharing purpose is denied."""
    subject = _subject(c, "northwind", identities={"email": EMAIL})
    record_choices(
        c.deps,
        "northwind",
        "test",
        Holder(subject=subject),
        [Choice(Kind.PURPOSE, "targeted-ads", True)],
        Evidence(Method.FORM, Via.WEB),
        c.clock.now(),
    )
    assert _allowed(c, "northwind", subject, "targeted-ads")
    opened = _open(c, "northwind", type="opt_out_sale", identities={"email": [EMAIL]})
    assert [m["kind"] for m in _outbox(c, opened.ref)] == ["receipt"]
    assert _verifications(c, "northwind", opened.ref) == []
    closed = apply_at_once(c.deps, "northwind", opened.ref)
    assert closed.state is State.COMPLETED
    stored = show_request(c.deps, "northwind", opened.ref).request
    assert stored.verification == "not_required"
    assert stored.result["recorded"] == 1
    assert not _allowed(c, "northwind", subject, "targeted-ads")


# --- 8. the sweep --------------------------------------------------------------------------------


def test_the_sweep_closes_requests_never_verified(c: Container) -> None:
    """Unverified after unverified_close_days: denied identity_not_verified, the requester told."""
    opened = _open(c)
    _clock(c).at += timedelta(days=c.settings.unverified_close_days - 1)
    assert sweep(c.deps, "bluewave").closed_unverified == 0
    _clock(c).at += timedelta(days=1, seconds=1)
    swept = sweep(c.deps, "bluewave")
    assert swept.closed_unverified == 1
    stored = show_request(c.deps, "bluewave", opened.ref).request
    assert (stored.state, stored.denial_code) == (State.DENIED, "identity_not_verified")
    assert [m["kind"] for m in _outbox(c, opened.ref)][-1] == "denial"
    assert sweep(c.deps, "bluewave").closed_unverified == 0


def test_the_sweep_flags_an_overdue_request_once_a_day(c: Container) -> None:
    """Past its due date an open request is flagged overdue once per day, not per sweep."""
    ref = _verified(c)
    due = show_request(c.deps, "bluewave", ref).request.due_on
    _clock(c).at = datetime.combine(due + timedelta(days=1), _clock(c).at.timetz())
    assert sweep(c.deps, "bluewave").overdue == 1
    assert sweep(c.deps, "bluewave").overdue == 1
    view = show_request(c.deps, "bluewave", ref)
    assert view.deadline_state == "overdue"
    assert [e.action for e in view.events].count("flag_overdue") == 1
    _clock(c).at += timedelta(days=1)
    sweep(c.deps, "bluewave")
    events = show_request(c.deps, "bluewave", ref).events
    assert [e.action for e in events].count("flag_overdue") == 2
    assert [r.ref for r, state, _ in list_requests(c.deps, "bluewave", overdue=True)] == [ref]
    assert all(state == "overdue" for _, state, _ in list_requests(c.deps, "bluewave"))


def test_the_sweep_purges_closed_requests_past_their_keeping_period(c: Container) -> None:
    """After retain_until a closed request (with its timeline and codes) is deleted, audited."""
    opened = _open(c)
    deny_request(c.deps, "bluewave", opened.ref, STAFF, DenialCode.WITHDRAWN, "withdrawn")
    kept = _open(c, identities={"email": ["other@example.com"]})
    retain = show_request(c.deps, "bluewave", opened.ref).request.retain_until
    assert retain is not None
    _clock(c).at = datetime.combine(retain, _clock(c).at.timetz())
    assert sweep(c.deps, "bluewave").purged == 0
    _clock(c).at += timedelta(days=1)
    swept = sweep(c.deps, "bluewave")
    assert swept.purged == 1
    with pytest.raises(NotFound):
        show_request(c.deps, "bluewave", opened.ref)
    # the other request, never verified, was closed by the same sweep but is kept 24 months
    assert show_request(c.deps, "bluewave", kept.ref).request.state is State.DENIED
    purges = [d for a, _, d in _audit(c, "bluewave") if a == "request:purge"]
    assert purges == [{"requests": 1}]
    assert _chain_ok(c, "bluewave")


# --- 9. webhooks ---------------------------------------------------------------------------------


@dataclass
class _Receiver:
    """A local HTTP endpoint that records what it is sent and answers with ``status``."""

    status: int = 204
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    """An http.server on 127.0.0.1 (a free port) in a thread."""
    state = _Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            state.received.append((dict(self.headers.items()), body))
            self.send_response(state.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _deliveries(c: Container, tenant: str = "bluewave") -> list[Any]:
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        return sorted(uow.webhooks.deliveries(), key=lambda d: d.id)


def test_state_changes_are_delivered_signed_standard_webhooks_style(
    c: Container, receiver: _Receiver
) -> None:
    """Each state change queues a delivery; deliver_due posts them with headers verify accepts;
    bodies hold references and states, never identities."""
    _, secret = add_webhook(c.deps, "bluewave", "test", receiver.url)
    ref = _verified(c)
    queued = _deliveries(c)
    assert [d.event for d in queued] == ["request.received", "request.verified"]
    assert all(d.status == "pending" for d in queued)
    done = deliver_due(c.deps, "bluewave", timeout=5)
    assert (done.delivered, done.retrying, done.failed) == (2, 0, 0)
    assert len(receiver.received) == 2
    now = int(c.clock.now().timestamp())
    bodies = []
    for headers, body in receiver.received:
        verify_signature(secret, headers, body, now)
        bodies.append(json.loads(body))
        assert EMAIL not in body.decode()
        assert PHONE not in body.decode()
    assert [b["type"] for b in bodies] == ["request.received", "request.verified"]
    assert {b["data"]["ref"] for b in bodies} == {ref}
    assert bodies[1]["data"]["previous"] == "received"
    delivered = _deliveries(c)
    assert all(d.status == "delivered" and d.delivered_at is not None for d in delivered)
    # nothing is sent twice
    assert deliver_due(c.deps, "bluewave").delivered == 0
    assert len(receiver.received) == 2


def test_a_failing_endpoint_is_retried_later_and_never_marked_delivered(
    c: Container, receiver: _Receiver
) -> None:
    """HTTP 500: the delivery stays pending, its next attempt moves by the backoff, it is retried."""
    receiver.status = 500
    add_webhook(c.deps, "bluewave", "test", receiver.url, ("request.received",))
    _open(c)
    [queued] = _deliveries(c)
    first = deliver_due(c.deps, "bluewave", timeout=5)
    assert (first.delivered, first.retrying) == (0, 1)
    [after] = _deliveries(c)
    assert after.status == "pending"
    assert after.attempts == 1
    assert after.delivered_at is None
    assert after.last_error == "http 500"
    assert after.next_attempt_at == queued.next_attempt_at + BACKOFF[0]
    # not due yet: nothing is sent
    assert deliver_due(c.deps, "bluewave").retrying == 0
    assert len(receiver.received) == 1
    _clock(c).at += BACKOFF[0]
    second = deliver_due(c.deps, "bluewave", timeout=5)
    assert second.retrying == 1
    [again] = _deliveries(c)
    assert (again.status, again.attempts, again.delivered_at) == ("pending", 2, None)
    assert again.next_attempt_at == c.clock.now() + BACKOFF[1]
    assert len(receiver.received) == 2


# --- 10. what review found -----------------------------------------------------------------------


class _Down:
    """A messenger whose server is down (a real failure mode; every send fails)."""

    def send(self, message: object) -> None:
        raise ConnectorError("the mail server refused the message", code="messenger.failed")


def test_a_messenger_failure_never_loses_the_request_or_its_token(c: Container) -> None:
    """The mail server is down: the request is still received, the requester still gets the token,
    and the timeline says which messages failed (codes can be sent again later)."""
    c.__dict__["messenger"] = _Down()
    opened = _open(c)
    assert opened.token.startswith("rq_")
    assert opened.messages_failed == 3  # the receipt and two codes
    view = show_request(c.deps, "bluewave", opened.ref)
    failed = [e for e in view.events if e.action == "messages_failed"]
    assert len(failed) == 1
    assert failed[0].details["failed"] == 3


def test_identities_leading_to_two_people_leave_the_vault_untouched(c: Container) -> None:
    """Email and phone belong to two different vault subjects: erasure touches neither and the
    request stays incomplete, saying staff must establish who asked."""
    _subject(c, ref="cust-1", identities={"email": EMAIL})
    _subject(c, ref="cust-2", identities={"phone": PHONE}, data={"user.name": "Someone Else"})
    ref = _verified(c, type="erasure")
    closed = fulfil(c.deps, "bluewave", ref, STAFF)
    assert closed.state is State.INCOMPLETE
    assert any("2 different people" in p for p in closed.result["problems"])
    for who in ("cust-1", "cust-2"):
        shown = show_subject(c.deps, _officer(c, "bluewave"), who, "customer-service")
        assert shown.data  # still there


def test_an_extension_that_another_law_does_not_allow_is_refused(c: Container) -> None:
    """EU and Québec both apply; Québec allows no extension and is already the earlier date, so an
    extension would not move the deadline: refused, saying why (29 Jan 2027: Québec 28 February,
    the EU's month 1 March, since 28 February is a Sunday)."""
    _clock(c).at = datetime(2027, 1, 29, 12, 0, tzinfo=UTC)
    opened = _open(c, "northwind", jurisdiction="ca-qc", identities={"email": [EMAIL]})
    assert opened.rule == "QC-ACC-1"
    with pytest.raises(PolicyViolation) as caught:
        extend_request(c.deps, "northwind", opened.ref, STAFF, "archives")
    assert caught.value.code == "request.extension_refused"


def test_a_pause_does_not_stop_a_californian_clock(c: Container) -> None:
    """CCPA has no stop-the-clock: a 10-day pause leaves the CCPA due date where it was."""
    opened = _open(c, jurisdiction="us-ca")
    due = opened.due_on
    pause_request(c.deps, "bluewave", opened.ref, STAFF, PauseReason.AWAITING_IDENTITY, "a bill")
    _clock(c).at += timedelta(days=10)
    resumed = resume_request(c.deps, "bluewave", opened.ref, STAFF)
    assert resumed.due_on == due


def test_one_fulfilment_at_a_time(c: Container) -> None:
    """A second fulfilment while one runs is refused (request.busy); after a failure it may run."""
    ref = _verified(c)
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        request = uow.requests.get(ref)
        assert request is not None
        uow.requests.add_event(request.id, _clock(c).now(), "staff:bob", "fulfilment_started")
        uow.commit()
    with pytest.raises(Conflict) as caught:
        fulfil(c.deps, "bluewave", ref, STAFF)
    assert caught.value.code == "request.busy"
    _clock(c).at += timedelta(minutes=16)  # bob's run was abandoned
    assert fulfil(c.deps, "bluewave", ref, STAFF).state is State.COMPLETED


def test_more_codes_than_identities_are_refused_without_trying_them(c: Container) -> None:
    """One identity, ten guesses in one call: refused before any is tried (no brute force)."""
    opened = _open(c, identities={"email": [EMAIL]})
    with pytest.raises(InvalidInput) as caught:
        verify_codes(c.deps, "bluewave", opened.ref, [f"{n:06d}" for n in range(10)])
    assert caught.value.code == "verification.failed"
    [code] = _verifications(c, "bluewave", opened.ref)
    assert code.attempts == 0


def test_the_sweep_never_closes_an_opt_out_as_unverified(c: Container) -> None:
    """Opt-outs need no verification: even if applying it failed and it sits received, the sweep
    does not deny it for want of verification."""
    opened = _open(c, type="opt_out_sale", identities={"email": [EMAIL]})
    _clock(c).at += timedelta(days=c.settings.unverified_close_days + 1)
    swept = sweep(c.deps, "bluewave")
    assert swept.closed_unverified == 0
    assert show_request(c.deps, "bluewave", opened.ref).request.state is not State.DENIED


def test_a_datastore_cannot_be_privaults_own_database(c: Container) -> None:
    """Pointing a datastore at privault's own database is refused."""
    with pytest.raises(InvalidInput) as caught:
        add_datastore(
            c.deps, "bluewave", STAFF, "self",
            url=c.settings.sqlalchemy_url,
            dataset=shop_dataset_text(),
            privault_url=c.settings.sqlalchemy_url,
        )  # fmt: skip
    assert caught.value.code == "datastore.invalid"
    assert "own database" in caught.value.message


def test_a_webhook_url_without_a_host_is_refused(c: Container) -> None:
    """'http://' alone can never be delivered to: refused when added."""
    with pytest.raises(InvalidInput) as caught:
        add_webhook(c.deps, "bluewave", STAFF, "http://")
    assert caught.value.code == "webhook.invalid_url"


def test_a_legal_hold_keeps_data_from_an_erasure_request_and_an_admin_erase(c: Container) -> None:
    """A hold on the subject: the erasure request erases nothing and says so (completed with the
    exception, after the recipients' tasks); an admin erase is refused with hold.active. A category
    hold keeps only that category's values."""
    from privault.services.legal_holds import add_hold
    from privault.services.vault import erase_subject

    _subject(c, data={"user.name": "Ana Lima"})
    hold = add_hold(
        c.deps, "bluewave", STAFF, scope="subject", reference="case-7", subject="cust-1"
    )
    ref = _verified(c, type="erasure", identities={"email": [EMAIL]})
    closed = fulfil(c.deps, "bluewave", ref, STAFF)
    assert closed.result["held"] == "case-7"
    assert "legal hold" in closed.response
    shown = show_subject(c.deps, _officer(c, "bluewave"), "cust-1", "customer-service")
    assert shown.data  # nothing erased
    with pytest.raises(PolicyViolation) as refused:
        erase_subject(c.deps, _officer(c, "bluewave"), "cust-1", "customer-service")
    assert refused.value.code == "hold.active"
    assert "case-7" in refused.value.message
    assert hold.reference == "case-7"


def test_a_delivery_is_claimed_by_one_sender_only(c: Container) -> None:
    """Two senders reaching for the same due delivery: one gets it, the other skips it; a sender
    that dies loses its claim when the sending lease ends."""
    add_webhook(c.deps, "bluewave", STAFF, "http://127.0.0.1:9/hook")
    _open(c)
    now = c.clock.now()
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        [delivery] = uow.webhooks.due(now)
        assert uow.webhooks.claim_delivery(delivery.id, now, now + timedelta(minutes=2))
        assert not uow.webhooks.claim_delivery(delivery.id, now, now + timedelta(minutes=2))
        later = now + timedelta(minutes=3)
        assert uow.webhooks.claim_delivery(delivery.id, later, later + timedelta(minutes=2))
