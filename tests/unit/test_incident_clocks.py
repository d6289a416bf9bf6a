"""Breach clocks (GDPR-BR-1/2/3, FCC-BR-2, PIPEDA-BR-1, QC-INC-1, DPDP-BR-1): which notices, due when."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from privault.core.incidents import (
    BreachClock,
    applicable_regimes,
    choose_regimes,
    clock_state,
    compute_clocks,
    fcc_due,
    notify,
    retain_until,
)
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.errors import InvalidInput, PolicyViolation

LONDON = ZoneInfo("Europe/London")


def _view(manifest: Manifest, key: str) -> TenantView:
    return tenant_view(manifest, key)


def _only(clocks: list[BreachClock], notify_: str, regime: str) -> BreachClock:
    found = [c for c in clocks if c.notify == notify_ and c.regime == regime]
    assert len(found) == 1, found
    return found[0]


def test_regimes_follow_the_tenants_jurisdictions_and_data(manifest: Manifest) -> None:
    """bluewave (US telecom, CPNI, Canada), northwind (UK/EU, California), harbour (six regimes)."""
    assert applicable_regimes(_view(manifest, "bluewave")) == ["fcc", "pipeda"]
    assert applicable_regimes(_view(manifest, "northwind")) == ["gdpr", "fcc"]
    assert applicable_regimes(_view(manifest, "harbour")) == ["gdpr", "pipeda", "quebec", "dpdp"]


def test_a_regime_that_does_not_apply_is_refused(manifest: Manifest) -> None:
    """Harbour holds no CPNI: the FCC rule is not its to choose."""
    with pytest.raises(InvalidInput) as caught:
        choose_regimes(_view(manifest, "harbour"), ["fcc"])
    assert caught.value.code == "incident.invalid"


def test_gdpr_authority_clock_is_72_elapsed_hours_across_the_clock_change(
    manifest: Manifest,
) -> None:
    """Aware Friday 27 March 2026 12:00 in London (GMT); British Summer Time starts on the Sunday:
    due Monday 30 March 13:00 BST, which is 72 real hours later."""
    aware = datetime(2026, 3, 27, 12, 0, tzinfo=LONDON)
    clocks = compute_clocks(_view(manifest, "harbour"), ["gdpr"], aware, "low", 10)
    authority = _only(clocks, "authority", "gdpr")
    assert authority.rule == "GDPR-BR-1"
    assert authority.due_at is not None
    assert authority.due_at - aware == timedelta(hours=72)
    assert authority.due_at.astimezone(LONDON).hour == 13
    assert authority.due_at == datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


def test_gdpr_subjects_only_when_risk_is_high_and_authority_not_when_none(
    manifest: Manifest,
) -> None:
    """Art. 33(1): no authority notice when no risk; Art. 34: subjects only for a high risk."""
    view, aware = _view(manifest, "harbour"), datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert compute_clocks(view, ["gdpr"], aware, "none", 3) == []
    low = compute_clocks(view, ["gdpr"], aware, "low", 3)
    assert [c.notify for c in low] == ["authority"]
    high = compute_clocks(view, ["gdpr"], aware, "high", 3)
    subjects = _only(high, "subjects", "gdpr")
    assert subjects.rule == "GDPR-BR-3"
    assert subjects.due_text == "without undue delay"


def test_a_processor_tells_its_controller_within_24_hours(manifest: Manifest) -> None:
    """Northwind is a processor: GDPR-BR-2 comes first; the controller's clocks are tracked for it."""
    aware = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clocks = compute_clocks(_view(manifest, "northwind"), ["gdpr"], aware, "high", 50)
    first = clocks[0]
    assert (first.notify, first.rule, first.whom) == (
        "controller",
        "GDPR-BR-2",
        "Northwind Outfitters Ltd.",
    )
    assert first.due_at == aware + timedelta(hours=24)
    assert not first.on_behalf
    assert all(c.on_behalf for c in clocks[1:])


def test_fcc_seven_business_days_skip_memorial_day(manifest: Manifest) -> None:
    """Aware Monday 18 May 2026: 25 May is Memorial Day, so the 7th business day is Thursday 28 May
    (a week without a holiday ends on the Wednesday)."""
    view = _view(manifest, "bluewave")
    aware = datetime(2026, 5, 18, 15, 0, tzinfo=UTC)
    clocks = compute_clocks(view, ["fcc"], aware, "high", 1200)
    assert _only(clocks, "fcc", "fcc").due_on == date(2026, 5, 28)
    assert _only(clocks, "law_enforcement", "fcc").due_on == date(2026, 5, 28)
    assert fcc_due(datetime(2026, 5, 11, 15, 0, tzinfo=UTC)) == date(2026, 5, 20)


def test_fcc_customers_are_told_once_law_enforcement_has_been(manifest: Manifest) -> None:
    """The 2023 rule (FCC 23-111): customers are told without unreasonable delay once the FCC and
    law enforcement have been told - no 7-business-day wait any more; never before law
    enforcement is told, unless it agrees to an earlier notice."""
    view = _view(manifest, "bluewave")
    aware = datetime(2026, 5, 18, 15, 0, tzinfo=UTC)
    clocks = compute_clocks(view, ["fcc"], aware, "high", 1200)
    with pytest.raises(PolicyViolation):
        notify(clocks, "subjects", aware + timedelta(hours=1), None)
    early, _ = notify(
        clocks, "subjects", aware + timedelta(hours=1), None, law_enforcement_agrees=True
    )
    assert _only(early, "subjects", "fcc").done_at is not None
    told = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)
    clocks, done = notify(clocks, "law_enforcement", told, None)
    assert [c.notify for c in done] == ["law_enforcement"]
    subjects = _only(clocks, "subjects", "fcc")
    assert subjects.not_before == date(2026, 5, 20)  # the day law enforcement was told
    same_day, _ = notify(clocks, "subjects", told + timedelta(hours=2), None)
    assert _only(same_day, "subjects", "fcc").done_at is not None


def test_small_fcc_breach_without_harm_goes_in_the_annual_summary(manifest: Manifest) -> None:
    """Fewer than 500 customers and no harm reasonably likely: the annual summary, by 1 February."""
    aware = datetime(2026, 5, 18, 15, 0, tzinfo=UTC)
    clocks = compute_clocks(_view(manifest, "bluewave"), ["fcc"], aware, "none", 120)
    assert [(c.notify, c.due_on) for c in clocks if c.regime == "fcc"] == [
        ("fcc", date(2027, 2, 1))
    ]


def test_quebec_register_is_kept_five_years_pipeda_two(manifest: Manifest) -> None:
    """QC-INC-1: 5 years; PIPEDA-BR-1: 24 months; the longest of the regimes wins."""
    aware = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert retain_until(["quebec"], aware) == date(2031, 3, 2)
    assert retain_until(["pipeda"], aware) == date(2028, 3, 2)
    assert retain_until(["pipeda", "quebec"], aware) == date(2031, 3, 2)
    assert retain_until([], aware) == date(2031, 3, 2)


def test_quebec_and_pipeda_notify_only_for_a_serious_risk(manifest: Manifest) -> None:
    """A low risk is recorded only; a high one calls for the regulator and the people."""
    view, aware = _view(manifest, "harbour"), datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert compute_clocks(view, ["quebec", "pipeda"], aware, "low", 5) == []
    high = compute_clocks(view, ["quebec", "pipeda"], aware, "high", 5)
    assert {(c.regime, c.notify) for c in high} == {
        ("quebec", "authority"),
        ("quebec", "subjects"),
        ("pipeda", "authority"),
        ("pipeda", "subjects"),
    }
    assert "Commission d'accès" in _only(high, "authority", "quebec").whom


def test_dpdp_report_within_72_hours_for_every_breach(manifest: Manifest) -> None:
    """DPDP-BR-1: the Board gets the detailed report within 72 hours, whatever the risk."""
    aware = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clocks = compute_clocks(_view(manifest, "harbour"), ["dpdp"], aware, "none", 5)
    assert _only(clocks, "authority", "dpdp").due_at == aware + timedelta(hours=72)


def test_a_late_notification_needs_its_reason(manifest: Manifest) -> None:
    """GDPR 33(1): after 72 hours the reasons for the delay must accompany the notice."""
    aware = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clocks = compute_clocks(_view(manifest, "harbour"), ["gdpr"], aware, "low", 5)
    late = aware + timedelta(hours=73)
    assert clock_state(clocks[0], late) == "overdue by 1h"
    with pytest.raises(PolicyViolation) as caught:
        notify(clocks, "authority", late, "  ")
    assert "GDPR-BR-1" in caught.value.message
    updated, done = notify(clocks, "authority", late, "forensics took four days")
    assert done[0].late_reason == "forensics took four days"
    assert clock_state(updated[0], late) == "done (late)"
    on_time, _ = notify(clocks, "authority", aware + timedelta(hours=71), None)
    assert on_time[0].late_reason is None
    assert clock_state(on_time[0], late) == "done"


def test_clock_states_count_down(manifest: Manifest) -> None:
    """Hours for instants, days for dates, 'due now' for 'without undue delay'."""
    aware = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clocks = compute_clocks(_view(manifest, "harbour"), ["gdpr"], aware, "high", 5)
    assert clock_state(clocks[0], aware) == "due in 3d 0h"
    assert clock_state(clocks[0], aware + timedelta(hours=60)) == "due in 12h"
    assert clock_state(clocks[1], aware) == "due now (without undue delay)"
    fcc = compute_clocks(_view(manifest, "bluewave"), ["fcc"], aware, "high", 900)
    due_on = _only(fcc, "fcc", "fcc").due_on
    assert due_on is not None
    late = datetime.combine(due_on + timedelta(days=2), datetime.min.time(), UTC) + timedelta(
        hours=15
    )
    assert clock_state(_only(fcc, "fcc", "fcc"), late) == "overdue by 2d"


def test_clocks_survive_their_stored_form(manifest: Manifest) -> None:
    """to_json / from_json round-trip every field."""
    aware = datetime(2026, 5, 18, 15, 0, tzinfo=UTC)
    clocks = compute_clocks(_view(manifest, "bluewave"), ["fcc", "pipeda"], aware, "high", 900)
    clocks, _ = notify(clocks, "law_enforcement", aware, None)
    assert [BreachClock.from_json(c.to_json()) for c in clocks] == clocks


def test_a_processor_under_no_gdpr_cites_its_contract_not_the_gdpr(manifest: Manifest) -> None:
    """Bluewave (US and Canadian law only) tells its controller under the processing contract: the
    clock's text names no GDPR article."""
    aware = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clocks = compute_clocks(_view(manifest, "bluewave"), ["fcc"], aware, "high", 50)
    controller = next(c for c in clocks if c.notify == "controller")
    assert controller.rule == "PROC-CONTRACT"
    assert "GDPR" not in controller.due_text
    assert "processing contract" in controller.due_text
