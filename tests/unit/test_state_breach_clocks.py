"""US state breach clocks by the affected people's residence, and the FCC rule as a setting (issue
#14), table-driven (every state's figures are pinned in ``test_breach_states.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privault.core.incidents import (
    BreachClock,
    applicable_regimes,
    compute_clocks,
    notify,
)
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import tenant_view
from privault.errors import InvalidInput, PolicyViolation

AWARE = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 2 March 2026, 10:00 in New York
STATES = "us-states"


def _clocks(manifest: Manifest, residents: dict[str, int]) -> list[BreachClock]:
    view = tenant_view(manifest, "harbour")
    return compute_clocks(view, [STATES], AWARE, "low", sum(residents.values()), residents)


def _of(clocks: list[BreachClock], rule: str, whom: str) -> list[BreachClock]:
    return [c for c in clocks if c.rule == rule and c.notify == whom]


CLOCKS = [
    # (state, residents, residents due, attorney general due (None: no AG clock), why)
    ("CA", 1200, date(2026, 4, 1), "after", "California: 30 days; AG after residents"),
    ("CA", 500, date(2026, 4, 1), None, "California: 500 is not more than 500"),
    ("CO", 500, date(2026, 4, 1), date(2026, 4, 1), "Colorado: 500 or more, 30 days"),
    ("FL", 499, date(2026, 4, 1), None, "Florida: under 500, no AG"),
    ("WA", 501, date(2026, 4, 1), date(2026, 4, 1), "Washington: more than 500"),
    ("TX", 250, date(2026, 5, 1), date(2026, 4, 1), "Texas: 60 days; AG at 250, 30 days"),
    ("TX", 249, date(2026, 5, 1), None, "Texas: under 250, no AG"),
]


@pytest.mark.parametrize(
    ("state", "count", "due", "ag_due", "why"), CLOCKS, ids=[r[4] for r in CLOCKS]
)
def test_state_clocks_by_residence(
    manifest: Manifest, state: str, count: int, due: date, ag_due: date | str | None, why: str
) -> None:
    """Counted in calendar days after the day of discovery (2 March 2026)."""
    clocks = _clocks(manifest, {state: count})
    rule = f"US-{state}-BR"
    assert [c.due_on for c in _of(clocks, rule, "subjects")] == [due], why
    ag = _of(clocks, rule, "attorney_general")
    if ag_due is None:
        assert ag == [], why
    elif ag_due == "after":
        assert [c.due_on for c in ag] == [None], why
    else:
        assert [c.due_on for c in ag] == [ag_due], why


def test_californias_attorney_general_has_15_days_after_the_residents_are_told(
    manifest: Manifest,
) -> None:
    """Residents told 20 March 2026: the sample notice is due at the AG by 4 April."""
    clocks = _clocks(manifest, {"CA": 1200})
    told = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
    after, _ = notify(clocks, "subjects", told, None)
    assert [c.due_on for c in _of(after, "US-CA-BR", "attorney_general")] == [date(2026, 4, 4)]


def test_a_state_without_a_fixed_period_says_so(manifest: Manifest) -> None:
    """Nevada is not in the table: "without unreasonable delay", no date invented."""
    (clock,) = _clocks(manifest, {"NV": 10})
    assert (clock.rule, clock.due_on) == ("US-STATE-BR", None)
    assert "without unreasonable delay" in clock.due_text


def test_residents_bring_the_state_regime_to_any_tenant(manifest: Manifest) -> None:
    """Harbour has no US law of its own; Texans affected bring the Texas clock."""
    view = tenant_view(manifest, "harbour")
    assert STATES not in applicable_regimes(view)
    assert applicable_regimes(view, {"TX": 3})[-1] == STATES


def test_an_unknown_state_is_refused(manifest: Manifest) -> None:
    """Two-letter US codes only, each with a count of 1 or more."""
    with pytest.raises(InvalidInput, match="US state"):
        _clocks(manifest, {"ZZ": 3})
    with pytest.raises(InvalidInput, match="US state"):
        _clocks(manifest, {"CA": 0})


def test_the_2007_fcc_rule_makes_customers_wait_seven_full_business_days(
    manifest: Manifest,
) -> None:
    """Legacy rule (FCC-BR-1): USSS and FBI by 28 May 2026 (Memorial Day skipped); told 20 May,
    customers from 2 June (21, 22, 26, 27, 28, 29 May and 1 June are the 7 full business days)."""
    view = tenant_view(manifest, "bluewave")
    aware = datetime(2026, 5, 18, 15, 0, tzinfo=UTC)
    clocks = compute_clocks(view, ["fcc"], aware, "high", 1200, fcc_rule="legacy")
    assert [(c.rule, c.notify, c.due_on) for c in clocks if c.regime == "fcc"] == [
        ("FCC-BR-1", "law_enforcement", date(2026, 5, 28)),
        ("FCC-BR-1", "subjects", None),
    ]
    told = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)
    clocks, _ = notify(clocks, "law_enforcement", told, None)
    assert _of(clocks, "FCC-BR-1", "subjects")[0].not_before == date(2026, 6, 2)
    with pytest.raises(PolicyViolation, match="7 full business days"):
        notify(clocks, "subjects", datetime(2026, 6, 1, 20, 0, tzinfo=UTC), None)
    done, _ = notify(clocks, "subjects", datetime(2026, 6, 2, 15, 0, tzinfo=UTC), None)
    assert _of(done, "FCC-BR-1", "subjects")[0].done_at is not None


def test_an_unknown_fcc_rule_is_refused(manifest: Manifest) -> None:
    """The setting takes fcc_23_111 or legacy."""
    view = tenant_view(manifest, "bluewave")
    with pytest.raises(InvalidInput, match="FCC rule"):
        compute_clocks(view, ["fcc"], AWARE, "high", 10, fcc_rule="2011")
