"""Legal-obligation retention rules (issue #13, item 4) and the totals over a request's runs (item 6):
pure rules, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privault.core.jurisdictions import Right
from privault.core.manifest import parse_manifest
from privault.core.manifest.model import RetentionRule
from privault.core.retention import Events, kept_by_law, legal_rules
from privault.errors import ManifestInvalid
from privault.services.fulfilment.tally import runs_of, totals

TAX = RetentionRule.model_validate(
    {
        "key": "tax",
        "categories": ["user.financial"],
        "purposes": ["billing"],
        "period": "7 years",
        "law": "Income Tax Act s. 230(4)",
    }
)
TELECOM = RetentionRule.model_validate(
    {"key": "telecom", "categories": ["user.financial"], "period": "10 years", "law": "a law"}
)
AFTER_CONTRACT = RetentionRule.model_validate(
    {"key": "contract", "categories": ["user"], "after": "contract_end", "period": "1 year"}
    | {"law": "another law"}
)
PLAIN = RetentionRule.model_validate({"key": "plain", "categories": ["user"], "period": "1 day"})
LOG = RetentionRule.model_validate(
    {"key": "log", "after": "request_closed", "period": "24 months", "law": "11 CCR 7101"}
)
COLLECTED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)


def _events(contract_end: date | None = None) -> Events:
    return Events(COLLECTED, COLLECTED, contract_end)


def test_only_rules_naming_a_law_for_vault_or_datastore_data_are_legal_obligations() -> None:
    """A rule without a law, and one about request records, keep nothing from an erasure."""
    assert legal_rules([TAX, PLAIN, LOG, TELECOM]) == (TAX, TELECOM)


def test_a_value_is_kept_by_category_and_purpose_until_its_period_has_run() -> None:
    """Financial data collected for billing is kept 7 years; for another purpose it is not; once
    the 7 years have run, nothing keeps it."""
    kept = kept_by_law([TAX, PLAIN], "user.financial.credit_card", "billing", _events(), TODAY)
    assert kept is not None
    assert (kept.rule.key, kept.until) == ("tax", date(2033, 3, 2))
    assert kept_by_law([TAX], "user.financial", "marketing", _events(), TODAY) is None
    assert kept_by_law([TAX], "user.name", "billing", _events(), TODAY) is None
    assert kept_by_law([TAX], "user.financial", "billing", _events(), date(2033, 3, 2)) is None


def test_of_several_laws_the_longest_keeps_and_an_event_still_to_come_keeps_without_end() -> None:
    """The rule whose period runs out last names it; a contract not ended yet keeps it open-ended;
    a value with no purpose (an identity) is kept only by a rule naming no purpose."""
    longest = kept_by_law([TAX, TELECOM], "user.financial", "billing", _events(), TODAY)
    assert longest is not None
    assert (longest.rule.key, longest.until) == ("telecom", date(2036, 3, 2))
    open_ended = kept_by_law([AFTER_CONTRACT], "user.name", "", _events(), TODAY)
    assert open_ended is not None
    assert open_ended.until is None
    ended = kept_by_law([AFTER_CONTRACT], "user.name", "", _events(date(2026, 1, 1)), TODAY)
    assert ended is not None
    assert ended.until == date(2027, 1, 1)
    assert kept_by_law([TAX], "user.financial", "", _events(), TODAY) is None


def test_a_law_needs_a_legal_obligation_purpose_allowed_while_restricted(template: str) -> None:
    """billing-records names a law: without legal-records (the legal-obligation purpose) among its
    purposes, or with that purpose no longer allowed while restricted, the manifest is refused."""
    no_purpose = template.replace(
        "purposes: [billing, legal-records], after: collected",
        "purposes: [billing], after: collected",
    )
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(no_purpose, "privault.yaml")
    assert any(
        "'billing-records' names a law but none of its purposes" in i.message
        for i in caught.value.issues
    )
    restricted = template.replace(
        "    allowed_while_restricted: true   # legal claims", "    # ", 1
    )
    with pytest.raises(ManifestInvalid) as refused:
        parse_manifest(restricted, "privault.yaml")
    assert any(
        "'legal-records' must set 'allowed_while_restricted: true'" in i.message
        for i in refused.value.issues
    )


RUN_1 = {
    "deleted": 10,
    "masked": 2,
    "datastores": ["crm"],
    "retained": [
        {"datastore": "crm", "collection": "orders", "code": "legal_obligation", "rows": 3}
        | {"rule": "tax"}
    ],
    "by_datastore": {
        "crm": {"status": "found", "matched": {"email": 1}, "deleted": 10, "masked": 2}
        | {"retained": 3, "not_erased": 0},
        "shop": {"status": "unreachable", "error": "connector.unreachable"},
    },
    "vault": {"matched": True, "fields_deleted": 1, "identities_deleted": 1, "restricted": True}
    | {"retained": [{"field": "user.name", "code": "legal_obligation", "rule": "tax"}]},
    "problems": ["datastore shop could not be erased (connector.unreachable)"],
}
RUN_2 = {
    "deleted": 4,
    "masked": 0,
    "datastores": ["crm", "shop"],
    "retained": [],
    "by_datastore": {
        "crm": {"status": "no_match", "matched": {"email": 0}, "deleted": 0, "masked": 0}
        | {"retained": 0, "not_erased": 0},
        "shop": {"status": "found", "matched": {"email": 1}, "deleted": 4, "masked": 0}
        | {"retained": 0, "not_erased": 0},
    },
    "vault": {"matched": False},
    "problems": [],
}


def test_an_erasure_total_adds_up_every_run() -> None:
    """Deleted rows are summed, kept rows are the most any run kept, a datastore found once stays
    found, the vault's kept values stay listed; what is left is the latest run's."""
    total = totals(Right.ERASURE, [RUN_1, RUN_2])
    assert (total["deleted"], total["masked"]) == (14, 2)
    assert [r["rows"] for r in total["retained"]] == [3]
    assert total["by_datastore"]["crm"]["status"] == "found"
    assert total["by_datastore"]["crm"]["deleted"] == 10
    assert total["by_datastore"]["shop"]["status"] == "found"
    assert total["vault"]["matched"] is True
    assert total["vault"]["retained"] == RUN_1["vault"]["retained"]  # type: ignore[index]
    assert total["problems"] == []
    assert total["no_record"] is False
    assert total["runs"] == [RUN_1, RUN_2]


def test_nobody_found_in_any_run_is_no_record_and_a_result_stored_before_runs_still_adds_up() -> (
    None
):
    """No run matched anyone: no_record. A result kept the old way (the latest run on top, the
    earlier ones newest first under 'earlier') reads as its runs, oldest first."""
    nobody = {
        "deleted": 0,
        "masked": 0,
        "retained": [],
        "by_datastore": {"crm": {"status": "no_match", "matched": {"email": 0}}},
        "vault": {"matched": False},
    }
    assert totals(Right.ERASURE, [nobody, nobody])["no_record"] is True
    old = {**RUN_2, "earlier": [RUN_1]}
    assert runs_of(old) == [RUN_1, RUN_2]
    assert runs_of({}) == []
    assert totals(Right.ACCESS, [{"rows": 3}, {"rows": 5}]) == {
        "rows": 5,
        "runs": [{"rows": 3}, {"rows": 5}],
    }
