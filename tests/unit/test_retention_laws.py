"""Retention, notice and log rules of particular laws, without a database: India's dormancy clock
(DPDP-ERA-1) and access-log floor (DPDP-LOG-1), COPPA's child-data retention policy (COPPA-2), the
notice's yearly review and re-consent (CCPA-PP-1), Québec's private defaults (QC-DEF-1) and its
anonymisation record (QC-ANON-1)."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from privault.config import Settings
from privault.core.audit import kept_until
from privault.core.dormancy import erase_at, erasure_day, notice_cutoff
from privault.core.manifest import Manifest, parse_manifest
from privault.core.manifest.resolve import tenant_view
from privault.core.notice import notice_content
from privault.core.notice_review import reconsent_purposes, review_due, review_state
from privault.core.retention import TRANSFORM_STATES, DataState, end_state
from privault.errors import ManifestInvalid

SRC = Path(__file__).resolve().parents[2] / "src" / "privault"

BASE = """
organization: {name: Org}
purposes:
  - {key: care, name: Care, lawful_basis: contract, categories: [user.contact.email]}
  - {key: ads, name: Ads, kind: marketing, opt_out: true, lawful_basis: consent,
     categories: [user.contact.email], data_use: marketing.advertising.profiling}
retention:
  - {key: care-data, categories: [user.contact.email], after: collected, period: 2 years}
tenants:
  - {key: t, name: T, contact: {email: p@t.example}, jurisdictions: [JURIS], purposes: [care, ads]}
"""


def _issues(text: str) -> list[str]:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(text, "privault.yaml")
    return [i.message for i in caught.value.issues]


# --- DPDP-ERA-1 -----------------------------------------------------------------------------------


def test_dormant_data_falls_due_three_years_after_the_last_activity() -> None:
    """Last active 5 January 2026: due 5 January 2029 (three calendar years)."""
    assert erasure_day(datetime(2026, 1, 5, 9, tzinfo=UTC)) == date(2029, 1, 5)


def test_dormancy_never_falls_due_before_three_years_after_the_rules_commenced() -> None:
    """Inactive since 2020: still not due before 13 November 2028."""
    assert erasure_day(datetime(2020, 1, 1, tzinfo=UTC)) == date(2028, 11, 13)
    assert notice_cutoff(date(2028, 11, 5)) is None
    assert notice_cutoff(date(2028, 11, 6)) is not None


def test_the_erasure_waits_48_hours_after_a_late_notice() -> None:
    """Told an hour before the three years end, the data stays 48 hours after the notice."""
    told = datetime(2029, 1, 4, 23, tzinfo=UTC)
    assert erase_at(datetime(2026, 1, 5, 9, tzinfo=UTC), told) == told + timedelta(hours=48)


def test_a_dpdp_platform_needs_india_among_its_laws() -> None:
    """Declaring dpdp_platform without the jurisdiction 'in' is refused."""
    text = BASE.replace("JURIS", "uk").replace(
        "purposes: [care, ads]}", "purposes: [care],\n     dpdp_platform: social_media}"
    )
    assert any("declares a DPDP platform" in m for m in _issues(text))
    parse_manifest(text.replace("[uk]", "[in]"))


# --- DPDP-LOG-1 -----------------------------------------------------------------------------------


def test_no_audit_keeping_period_is_shorter_than_a_year() -> None:
    """audit_keep_years below 1 is refused; kept_until is never within a year; unset keeps for ever."""
    with pytest.raises(ValidationError):
        Settings(audit_keep_years=0)
    event = datetime(2028, 2, 29, 10, tzinfo=UTC)
    assert kept_until(event, None) is None
    assert kept_until(event, 1) == datetime(2029, 3, 1, 10, tzinfo=UTC)
    assert kept_until(event, 3) == datetime(2031, 3, 1, 10, tzinfo=UTC)


def test_nothing_in_privault_deletes_audit_events() -> None:
    """No DELETE statement anywhere in the source names an audit table (the log is kept for ever)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None)
                in {
                    "delete",
                    "sql_delete",
                }
                and "audit" in ast.unparse(node).lower()
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    text = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py")).lower()
    assert offenders == []
    assert "delete from audit" not in text


# --- COPPA-2 --------------------------------------------------------------------------------------


def test_the_notice_publishes_the_child_data_retention_of_a_coppa_tenant(
    manifest: Manifest,
) -> None:
    """Bluewave (US): its notice states the minor age, COPPA's 13 and what each law keeps, for how long."""
    children = notice_content(tenant_view(manifest, "bluewave"))["children"]
    assert children["rule"] == "16 CFR 312.10"
    assert (children["coppa_age"], children["minor_age"]) == (13, 18)
    assert any(r["period"] == "7 years after collected" for r in children["kept_by_law"])
    assert notice_content(tenant_view(manifest, "bluewave"))["children"]["exceptions"][0]["periods"]


def test_a_tenant_under_no_us_law_publishes_no_coppa_section() -> None:
    """A UK-only tenant's notice has no children's data retention section."""
    view = tenant_view(parse_manifest(BASE.replace("JURIS", "uk")), "t")
    assert notice_content(view)["children"] is None


def test_child_data_kept_indefinitely_by_an_exception_is_refused_for_a_coppa_tenant() -> None:
    """An erasure exception keeping a category no retention rule deletes: refused under COPPA only."""
    text = BASE + (
        "erasure_exceptions:\n"
        "  - {key: ids, code: legal_obligation, categories: [user.government_id]}\n"
    )
    assert any("indefinitely" in m and "COPPA-2" in m for m in _issues(text.replace("JURIS", "us")))
    parse_manifest(text.replace("JURIS", "uk"))


# --- CCPA-PP-1 ------------------------------------------------------------------------------------


def test_the_notice_review_alerts_at_11_months_and_is_overdue_at_12() -> None:
    """Published 31 March 2026: current until 27 February 2027, review soon from 28 February
    (31 March + 11 months), overdue from 31 March 2027."""
    published = date(2026, 3, 31)
    assert review_due(published) == date(2027, 3, 31)
    assert review_state(published, date(2027, 2, 27)) == "current"
    assert review_state(published, date(2027, 2, 28)) == "review_soon"
    assert review_state(published, date(2027, 3, 31)) == "overdue"


def test_a_changed_consent_purpose_is_marked_for_reconsent(manifest: Manifest) -> None:
    """Rewording a consent-based purpose marks it; an unchanged one and a first notice mark none."""
    old = notice_content(tenant_view(manifest, "northwind"))
    new = {**old, "purposes": [dict(p) for p in old["purposes"]]}
    consent = next(p for p in new["purposes"] if p["withdraw"])
    consent["description"] = "Something else."
    assert reconsent_purposes(old, new) == [consent["key"]]
    assert reconsent_purposes(old, old) == []
    assert reconsent_purposes(None, new) == []


# --- QC-DEF-1 -------------------------------------------------------------------------------------


def test_a_quebec_profiling_purpose_must_wait_for_the_persons_activation() -> None:
    """A profiling purpose on legitimate interests is refused for Québec, accepted on consent."""
    text = BASE.replace("JURIS", "ca-qc").replace(
        "lawful_basis: consent,\n     categories",
        "lawful_basis: legitimate_interests,\n     legitimate_interest: Ads.,\n     categories",
    )
    assert any("s. 8.1" in m for m in _issues(text))
    parse_manifest(BASE.replace("JURIS", "ca-qc"))


def test_a_declared_locating_function_needs_consent_for_quebec() -> None:
    """functions: [locate] on a contract purpose is refused for a Québec tenant only."""
    text = BASE.replace("lawful_basis: contract,", "lawful_basis: contract, functions: [locate],")
    assert any("locate" in m and "QC-DEF-1" in m for m in _issues(text.replace("JURIS", "ca-qc")))
    parse_manifest(text.replace("JURIS", "ca"))


def test_cookie_exemptions_are_not_the_most_private_default_for_quebec() -> None:
    """uk_cookie_mode: duaa_exemptions is refused for a tenant also under Québec law."""
    text = BASE.replace("JURIS", "ca-qc, uk").replace(
        "purposes: [care, ads]}",
        "purposes: [care, ads],\n     policy: {uk_cookie_mode: duaa_exemptions}}",
    )
    assert any("cookie exemptions" in m for m in _issues(text))


# --- QC-ANON-1 ------------------------------------------------------------------------------------


def test_a_quebec_anonymisation_must_record_purpose_supervisor_and_risk_analysis() -> None:
    """An anonymise rule without its record is refused for Québec; with it, accepted."""
    text = BASE.replace("JURIS", "ca-qc").replace(
        "period: 2 years}", "period: 2 years, action: anonymise}"
    )
    assert any("QC-ANON-1" in m for m in _issues(text))
    record = (
        "period: 2 years, action: anonymise,\n     anonymisation: {purpose: Statistics, "
        "supervisor: DPO, risk_analysis: RA-1}}"
    )
    parse_manifest(text.replace("period: 2 years, action: anonymise}", record))


def test_deidentified_is_not_anonymised() -> None:
    """Pseudonymised data is de-identified (still personal information); anonymise ends as
    anonymised, delete as destroyed."""
    assert TRANSFORM_STATES["pseudonymise"] is DataState.DEIDENTIFIED
    assert DataState.DEIDENTIFIED is not DataState.ANONYMISED
    manifest = parse_manifest(BASE.replace("JURIS", "ca"))
    [rule] = manifest.retention
    assert end_state(rule) is DataState.DESTROYED
    assert end_state(rule.model_copy(update={"action": "anonymise"})) is DataState.ANONYMISED
