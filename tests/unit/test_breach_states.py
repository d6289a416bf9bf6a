"""Every US state breach period privault encodes (issue #14): the 22 states with a fixed period for
their residents, each figure and citation pinned, and how each kind of attorney-general clock runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privault.core.breach_states import STATE_BREACH_LAWS, StateClock, state_clocks
from privault.core.incidents import compute_clocks, notify
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import tenant_view

AWARE = date(2026, 3, 2)  # Monday 2 March 2026, the day of discovery

# (state, residents' days, authority's days (None: with the residents), threshold, after residents,
#  business days, citation)
TABLE = [
    ("AL", 45, 45, 1001, False, False, "Ala. Code §§ 8-38-5(b), 8-38-6(a)"),
    ("AZ", 45, 45, 1001, False, False, "A.R.S. § 18-552(B)"),
    ("CA", 30, 15, 501, True, False, "Cal. Civ. Code § 1798.82(a)(2), (f)"),
    ("CO", 30, 30, 500, False, False, "C.R.S. § 6-1-716(2)"),
    ("CT", 60, None, 1, False, False, "Conn. Gen. Stat. § 36a-701b(b)"),
    ("DE", 60, None, 501, False, False, "6 Del. C. § 12B-102(c)-(d)"),
    ("FL", 30, 30, 500, False, False, "Fla. Stat. § 501.171(3)-(4)"),
    ("IN", 45, 45, 1, False, False, "Ind. Code §§ 24-4.9-3-1(c), 24-4.9-3-3(a)"),
    ("LA", 60, 10, 1, True, False, "La. R.S. 51:3074(E); LAC 16:III.701"),
    ("MD", 45, None, 1, False, False, "Md. Code, Com. Law § 14-3504(b)(3), (h)"),
    ("ME", 30, None, 1, False, False, "10 M.R.S. § 1348(1), (5)"),
    ("NM", 45, 45, 1001, False, False, "N.M. Stat. §§ 57-12C-6, 57-12C-10"),
    ("NY", 30, None, 1, False, False, "N.Y. Gen. Bus. Law § 899-aa(2), (8)"),
    ("OH", 45, None, 1, False, False, "Ohio Rev. Code § 1349.19(B)(2)"),
    ("OR", 45, 45, 251, False, False, "ORS 646A.604(1)(b), (3)(a)"),
    ("RI", 45, None, 501, False, False, "R.I. Gen. Laws § 11-49.3-4(a)(2)"),
    ("SD", 60, None, 251, False, False, "SDCL § 22-40-20"),
    ("TN", 45, None, 1, False, False, "Tenn. Code Ann. § 47-18-2107(b)"),
    ("TX", 60, 30, 250, False, False, "Tex. Bus. & Com. Code § 521.053(b), (i)"),
    ("VT", 45, 14, 1, False, True, "9 V.S.A. § 2435(b)(1), (b)(3)"),
    ("WA", 30, 30, 501, False, False, "RCW 19.255.010(7)-(8)"),
    ("WI", 45, None, 1, False, False, "Wis. Stat. § 134.98(3)(a)"),
]
NO_AUTHORITY = {"OH", "TN", "WI"}  # the statute names no state authority to tell


def test_the_table_holds_exactly_the_pinned_states() -> None:
    """No state is added or dropped without its row here."""
    assert sorted(STATE_BREACH_LAWS) == sorted(row[0] for row in TABLE)


@pytest.mark.parametrize("row", TABLE, ids=[r[0] for r in TABLE])
def test_each_states_figures_and_citation_are_pinned(
    row: tuple[str, int, int | None, int, bool, bool, str],
) -> None:
    """The table says what the statute says (changing a figure fails here)."""
    state, days, ag_days, threshold, after, business, citation = row
    law = STATE_BREACH_LAWS[state]
    assert (
        law.residents_days,
        law.authority_days,
        law.authority_threshold,
        law.authority_after_residents,
        law.authority_business_days,
        law.citation,
    ) == (days, ag_days, threshold, after, business, citation)
    assert (law.authority is None) == (state in NO_AUTHORITY)


def _clocks(state: str, count: int) -> dict[str, StateClock]:
    return {c.notify: c for c in state_clocks(AWARE, {state: count})}


def test_new_york_residents_within_30_days_and_the_ag_no_later() -> None:
    """New York (2024 amendment): 30 days; the AG has no period of its own, so the residents' date."""
    clocks = _clocks("NY", 3)
    assert clocks["subjects"].due_on == date(2026, 4, 1)
    assert clocks["attorney_general"].due_on == date(2026, 4, 1)
    assert "no later than the residents are told" in clocks["attorney_general"].due_text


def test_vermont_ag_preliminary_notice_in_14_vermont_business_days() -> None:
    """Vermont: Town Meeting Day (Tuesday 3 March 2026) is a Vermont holiday, so the 14th business
    day after 2 March is Monday 23 March; the residents' 45 days end on 16 April."""
    clocks = _clocks("VT", 1)
    assert clocks["attorney_general"].due_on == date(2026, 3, 23)
    assert clocks["subjects"].due_on == date(2026, 4, 16)


def test_louisiana_ag_counts_from_the_residents_notice() -> None:
    """Louisiana: the AG within 10 days of the residents' notice, so no date until they are told."""
    clocks = _clocks("LA", 2)
    assert clocks["subjects"].due_on == date(2026, 5, 1)
    assert clocks["attorney_general"].due_on is None


@pytest.mark.parametrize(
    ("state", "count", "has_ag"),
    [("AL", 1000, False), ("AL", 1001, True), ("OR", 250, False), ("OR", 251, True),
     ("DE", 500, False), ("DE", 501, True), ("ME", 1, True), ("OH", 100000, False)],
)  # fmt: skip
def test_the_authority_is_told_above_each_states_threshold(
    state: str, count: int, has_ag: bool
) -> None:
    """ "More than 1,000" (Alabama), "more than 250" (Oregon), "more than 500" (Delaware), any
    (Maine), never (Ohio)."""
    assert ("attorney_general" in _clocks(state, count)) is has_ag


def test_louisianas_ag_date_appears_once_the_residents_are_told(manifest: Manifest) -> None:
    """Residents told on 20 March: the Louisiana AG's 10 days end on 30 March."""
    view = tenant_view(manifest, "harbour")
    aware = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    clocks = compute_clocks(view, ["us-states"], aware, "low", 5, {"LA": 5})
    told = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
    after, _ = notify(clocks, "subjects", told, None)
    ag = next(c for c in after if c.notify == "attorney_general")
    assert ag.due_on == date(2026, 3, 30)
