"""The CCPA request log (11 CCR §7101(b)) and the yearly metrics (§7102), pure."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, date, datetime
from typing import Any

from privault.core.jurisdictions import Right
from privault.core.request_records import (
    RECORD_FIELDS,
    Kind,
    LogEntry,
    Response,
    log_entry,
    metrics,
)
from privault.core.requests import Channel, RequestRecord, State

AT = datetime(2025, 3, 3, 18, 0, tzinfo=UTC)


def _request(**changes: Any) -> RequestRecord:
    """A Californian access request received on 3 March 2025 by the web form, still open."""
    base = RequestRecord(
        id=1, tenant_id=1, ref="R-AAAAAAAA", type=Right.ACCESS, state=State.RECEIVED,
        resume_state=None, channel=Channel.WEB, brand=None, jurisdictions=("us-ca", "us"),
        jurisdiction="us-ca", rule="CCPA-ACC-1", deadline_explanation="", received_at=AT,
        received_on=date(2025, 3, 3), due_on=date(2025, 4, 17), ack_due_on=None,
        acknowledged_at=None, extended=False, extension_reasons="", pauses=(), subject_id=None,
        verified_at=None, verification="pending", assignee=None, denial_code=None,
        denial_text=None, response="", result={}, closed_at=None, retain_until=None,
        created_at=AT, updated_at=AT, kek_version=1, wrapped_key=b"", sealed=b"", token_hash="",
    )  # fmt: skip
    return replace(base, **changes)


def _closed(days: int, state: State = State.COMPLETED, **changes: Any) -> RequestRecord:
    closed = datetime(2025, 3, 3 + days, 20, 0, tzinfo=UTC)
    return _request(state=state, closed_at=closed, **changes)


def test_the_log_carries_exactly_the_six_fields_of_7101b() -> None:
    """ref, then date and nature of request, manner, date and nature of response, denial basis."""
    assert [f.name for f in fields(LogEntry)] == ["ref", *RECORD_FIELDS]
    assert len(RECORD_FIELDS) == 6


def test_an_open_request_is_logged_as_pending_without_a_response_date() -> None:
    """Received, not answered yet: the response is pending and has no date."""
    entry = log_entry(_request(channel=Channel.POST))
    assert entry == LogEntry(
        "R-AAAAAAAA", date(2025, 3, 3), "access", "post", None, Response.PENDING, ""
    )


def test_a_denied_request_is_logged_with_its_basis_and_local_date() -> None:
    """The response date is the day in California (20:00 UTC on 10 March is 10 March there)."""
    entry = log_entry(_closed(7, State.DENIED, denial_code="identity_not_verified"))
    assert (entry.responded_on, entry.response) == (date(2025, 3, 10), Response.DENIED)
    assert entry.denial_basis == "identity_not_verified"


def test_an_erasure_that_kept_data_is_complied_with_in_part() -> None:
    """The exception codes of what was kept are the basis of the partial denial."""
    result = {
        "retained": [{"datastore": "shop", "code": "legal_obligation", "rows": 2}],
        "vault": {"retained": [{"field": "x", "code": "complete_transaction"}]},
    }
    entry = log_entry(_closed(5, type=Right.ERASURE, result=result))
    assert entry.response is Response.COMPLIED_IN_PART
    assert entry.denial_basis == "complete_transaction, legal_obligation"
    assert log_entry(_closed(5, type=Right.ERASURE)).response is Response.COMPLIED


def test_metrics_count_each_type_with_median_and_mean_days() -> None:
    """Received, complied (whole or part), denied and the days to respond, per §7102 type."""
    found = metrics(
        2025,
        [
            _closed(4),
            _closed(10),
            _closed(12, State.DENIED, denial_code="identity_not_verified"),
            _request(),
            _closed(2, type=Right.PORTABILITY),
            _closed(3, type=Right.ERASURE),
            _request(type=Right.APPEAL),
            _request(jurisdictions=("eu",), jurisdiction="eu"),
            _request(received_on=date(2024, 12, 31)),
        ],
        consumers=12_000_000,
    )
    know = next(k for k in found.kinds if k.kind is Kind.KNOW)
    assert (know.received, know.complied, know.denied) == (5, 3, 1)
    assert (know.median_days, know.mean_days) == (7.0, 7.0)
    delete = next(k for k in found.kinds if k.kind is Kind.DELETE)
    assert (delete.received, delete.complied, delete.median_days) == (1, 1, 3.0)
    assert [k.kind for k in found.kinds] == list(Kind)
    assert found.denied_because == {"not_verifiable": 1}
    assert (found.required, found.disclose_by) == (True, date(2026, 7, 1))


def test_metrics_are_not_due_below_ten_million_consumers() -> None:
    """9,999,999 consumers: the report is made, the duty does not apply; empty types show no days."""
    found = metrics(2025, [], consumers=9_999_999)
    assert not found.required
    assert all(k.received == 0 and k.median_days is None for k in found.kinds)
