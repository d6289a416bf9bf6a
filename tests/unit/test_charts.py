"""Server-side SVG charts: well-formed, escaped, accessible, proportional, and honest with no data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from markupsafe import Markup

from privault.core.consent import Kind
from privault.core.dashboard import ConsentRate, Dashboard, Week
from privault.core.jurisdictions import Right
from privault.web.charts import (
    AXIS,
    NO_CHOICES,
    NO_REQUESTS,
    PALETTE,
    TEXT,
    Rate,
    Series,
    bar_chart,
    bar_table,
    rate_bars,
    rate_table,
    scale,
)
from privault.web.dashboard_charts import (
    consent_chart,
    consent_table,
    requests_chart,
    requests_table,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
WEEKS = ["W07", "W08", "W09", "W10"]
EVIL = "<script>alert('x')</script> & co"


def _parse(markup: Markup) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 - our own output


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast_with_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


def _bars(root: ET.Element) -> list[ET.Element]:
    """The data rectangles (those with a tooltip)."""
    return [r for r in root.iter(f"{{{NS['svg']}}}rect") if r.find("svg:title", NS) is not None]


def _chart(chart_id: str = "requests", **kwargs: object) -> Markup:
    series = [Series("Access", (2, 0, 4, 1)), Series("Erasure", (1, 0, 2, 0))]
    return bar_chart("Requests per week", WEEKS, series, chart_id=chart_id, **kwargs)  # type: ignore[arg-type]


# --- structure and accessibility ------------------------------------------------------------------


def test_a_bar_chart_is_well_formed_svg_named_by_its_title_and_desc() -> None:
    """role=img, aria-labelledby naming the <title> and <desc>, which come first."""
    chart = _chart()
    assert isinstance(chart, Markup)
    root = _parse(chart)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "requests-title requests-desc"
    title, desc = root[0], root[1]
    assert title.tag.endswith("title")
    assert title.get("id") == "requests-title"
    assert title.text == "Requests per week"
    assert desc.tag.endswith("desc")
    assert desc.get("id") == "requests-desc"
    assert desc.text is not None
    assert "W07 to W10" in desc.text
    assert "Access, Erasure" in desc.text
    assert "the most in W09 (6)" in desc.text


def test_a_given_description_replaces_the_summary() -> None:
    """The page may describe the chart itself."""
    root = _parse(_chart(description="Requests rose in W09."))
    assert root[1].text == "Requests rose in W09."


def test_every_label_is_escaped() -> None:
    """A label with markup appears as text: no <script> element, the text intact once parsed."""
    series = [Series(EVIL, (1.0, 2.0))]
    chart = bar_chart(EVIL, [EVIL, "b"], series, chart_id="evil", description=EVIL)
    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart
    root = _parse(chart)
    assert not list(root.iter("script"))
    assert not list(root.iter(f"{{{NS['svg']}}}script"))
    assert root[0].text == EVIL
    texts = ["".join(t.itertext()) for t in root.iter(f"{{{NS['svg']}}}text")]
    assert any(t.startswith("<script>") for t in texts)
    rates = rate_bars(EVIL, [Rate(EVIL, 1, 1)], chart_id="evil-rates")
    assert "<script>" not in rates
    assert _parse(rates)[0].text == EVIL


def test_control_characters_are_dropped_so_the_svg_stays_xml() -> None:
    """A label carrying a control character still gives a document that parses."""
    root = _parse(bar_chart("a\x00b\x1bc", ["x\x07"], [Series("s\x01", (1,))], chart_id="c"))
    assert root[0].text == "abc"


def test_a_chart_id_that_is_not_a_plain_name_is_refused() -> None:
    """The id ends up in id, aria-labelledby and url(#...): letters, digits, '_' and '-' only."""
    with pytest.raises(ValueError, match="chart id"):
        _chart(chart_id='x" onload="alert(1)')


# --- geometry -------------------------------------------------------------------------------------


def test_stacked_bar_heights_are_proportional_to_the_values() -> None:
    """Every segment's height is value x (plot height / axis maximum); stacked segments touch."""
    root = _parse(_chart())
    bars = _bars(root)
    values = [2, 1, 4, 2, 1]  # non-zero values, category by category, series by series
    assert [float(b.get("data-value", "")) for b in bars] == values
    heights = [float(b.get("height", "")) for b in bars]
    unit = heights[0] / values[0]
    assert heights == pytest.approx([v * unit for v in values], abs=0.02)
    access_w07, erasure_w07 = bars[0], bars[1]
    assert float(erasure_w07.get("y", "")) + float(erasure_w07.get("height", "")) == pytest.approx(
        float(access_w07.get("y", "")), abs=0.02
    )
    assert access_w07.get("x") == erasure_w07.get("x")
    tips = [b.find("svg:title", NS).text for b in bars]  # type: ignore[union-attr]
    assert tips[0] == "W07: Access 2"


def test_grouped_bars_stand_side_by_side_from_the_baseline() -> None:
    """Grouped: each bar starts at the baseline, the series side by side."""
    bars = _bars(_parse(_chart(stacked=False)))
    bottoms = {round(float(b.get("y", "")) + float(b.get("height", "")), 2) for b in bars}
    assert len(bottoms) == 1
    assert bars[0].get("x") != bars[1].get("x")


def test_the_axis_maximum_is_round_and_covers_the_tallest_bar() -> None:
    """1-2-5 steps, about four ticks; whole counts never step by fractions."""
    assert scale(6) == (6.0, 2.0)
    assert scale(7) == (8.0, 2.0)
    assert scale(5) == (6.0, 2.0)
    assert scale(1) == (1.0, 1.0)
    assert scale(37) == (40.0, 10.0)
    assert scale(0.3, whole=False) == pytest.approx((0.3, 0.1))
    assert scale(0) == (1.0, 1.0)


def test_a_series_with_the_wrong_number_of_values_is_refused() -> None:
    """One value per category."""
    with pytest.raises(ValueError, match="one value per category"):
        bar_chart("t", WEEKS, [Series("s", (1, 2))], chart_id="bad")


def test_rate_bars_are_as_long_as_the_rate() -> None:
    """A 75% bar is three times a 25% one, within the same track; no choices: no bar, a note."""
    rows = [Rate("Preferences", 3, 1), Rate("Surveys", 1, 3), Rate("Calls", 0, 0)]
    root = _parse(rate_bars("Consent", rows, chart_id="consent"))
    bars = _bars(root)
    widths = [float(b.get("width", "")) for b in bars]
    assert len(widths) == 2
    assert widths[0] == pytest.approx(3 * widths[1])
    tracks = [r for r in root.iter(f"{{{NS['svg']}}}rect") if r.get("stroke") == AXIS]
    assert len(tracks) == 3
    assert widths[0] == pytest.approx(0.75 * float(tracks[0].get("width", "")))
    texts = ["".join(t.itertext()) for t in root.iter(f"{{{NS['svg']}}}text")]
    assert "75% (3 of 4)" in texts
    assert "25% (1 of 4)" in texts
    assert "no choices yet" in texts
    desc = root[1].text or ""
    assert "Preferences 75% (3 of 4)" in desc
    assert "Calls: no choices yet" in desc


# --- not by colour alone ---------------------------------------------------------------------------


def test_series_colours_have_three_to_one_contrast_against_white() -> None:
    """WCAG 1.4.11: every series colour, the axis and the text against the white page."""
    for colour in (*PALETTE, AXIS):
        assert _contrast_with_white(colour) >= 3, colour
    assert _contrast_with_white(TEXT) >= 4.5


def test_series_differ_by_pattern_and_are_named_in_a_text_legend() -> None:
    """The first series is plain, each other one has its own pattern; the legend names them all."""
    names = [f"Series {n}" for n in range(8)]
    series = [Series(name, (1.0,)) for name in names]
    root = _parse(bar_chart("t", ["W01"], series, chart_id="many"))
    fills = [b.get("fill") for b in _bars(root)]
    assert fills[0] == PALETTE[0]
    assert fills[1:] == [f"url(#many-p{n})" for n in range(1, 8)]
    patterns = {p.get("id") for p in root.iter(f"{{{NS['svg']}}}pattern")}
    assert patterns == {f"many-p{n}" for n in range(1, 8)}
    texts = ["".join(t.itertext()) for t in root.iter(f"{{{NS['svg']}}}text")]
    assert all(name in texts for name in names)
    segments = _bars(root)
    assert all(s.get("stroke") == "#fff" for s in segments)  # stacked segments are separated


# --- no data --------------------------------------------------------------------------------------


def test_a_chart_with_no_data_says_so() -> None:
    """All zero, or no categories: the message, as text and as the description; no bars."""
    for categories, series in (
        (WEEKS, [Series("Access", (0, 0, 0, 0))]),
        ([], []),
        (WEEKS, []),
    ):
        root = _parse(bar_chart("Requests", categories, series, chart_id="none"))
        assert root.get("role") == "img"
        assert root[0].text == "Requests"
        assert root[1].text == NO_REQUESTS
        assert ["".join(t.itertext()) for t in root.iter(f"{{{NS['svg']}}}text")] == [NO_REQUESTS]
        assert not _bars(root)


def test_rate_bars_with_no_choices_say_so() -> None:
    """Nobody chose anything: the message instead of empty tracks."""
    root = _parse(rate_bars("Consent", [Rate("Preferences", 0, 0)], chart_id="none"))
    assert root[1].text == NO_CHOICES
    assert not _bars(root)
    assert _parse(rate_bars("Consent", [], chart_id="none"))[1].text == NO_CHOICES


# --- tables ---------------------------------------------------------------------------------------


def test_the_table_holds_the_same_figures_as_the_bar_chart() -> None:
    """A row per category, a column per series, and the total."""
    series = [Series("Access", (2, 0)), Series("Erasure", (1, 0))]
    table = bar_table("Requests per week", ["W07", "W08"], series, heading="Week")
    assert table.caption == "Requests per week"
    assert table.head == ("Week", "Access", "Erasure", "Total")
    assert table.rows == (("W07", "2", "1", "3"), ("W08", "0", "0", "0"))


def test_the_table_holds_the_same_figures_as_the_rate_bars() -> None:
    """Granted, refused and the rate; no rate where nobody chose."""
    table = rate_table("Consent", [Rate("Preferences", 2, 1), Rate("Calls", 0, 0)])
    assert table.head == ("Category", "Granted", "Refused or withdrawn", "Granted rate")
    assert table.rows == (("Preferences", "2", "1", "67%"), ("Calls", "0", "0", "no choices yet"))


# --- the dashboard's charts -----------------------------------------------------------------------


def _dashboard(access: tuple[int, ...], rates: tuple[ConsentRate, ...]) -> Dashboard:
    start = date(2026, 2, 9)
    weeks = tuple(
        Week(start + timedelta(weeks=n), {**dict.fromkeys(Right, 0), Right.ACCESS: count})
        for n, count in enumerate(access)
    )
    return Dashboard(
        since=start,
        until=start + timedelta(days=7 * len(access) - 1),
        requests_per_week=weeks,
        median_days_to_close=None,
        median_days_by_type=dict.fromkeys(Right),
        closed=0,
        overdue=0,
        due_within_7_days=0,
        consent_rates=rates,
    )


def test_the_dashboard_charts_show_the_types_received_and_the_consent_topics() -> None:
    """Only types received get a series; weeks are labelled W07...; consent rows name cookies."""
    rates = (
        ConsentRate(Kind.COOKIE, "preference", "Preferences", 2, 1),
        ConsentRate(Kind.PURPOSE, "surveys", "Satisfaction surveys", 0, 0),
    )
    figures = _dashboard((1, 0, 3, 0), rates)
    root = _parse(requests_chart(figures))
    assert root[0].get("id") == "requests-per-week-title"
    assert [float(b.get("data-value", "")) for b in _bars(root)] == [1, 3]
    table = requests_table(figures)
    assert table.head == ("Week", "Access", "Total")
    assert table.rows[0] == ("2026-W07 (from 9 Feb)", "1", "1")
    consent = _parse(consent_chart(figures))
    assert "Cookies: Preferences 67% (2 of 3)" in (consent[1].text or "")
    assert consent_table(figures).rows[1] == ("Satisfaction surveys", "0", "0", "no choices yet")


def test_the_dashboard_charts_with_nothing_yet() -> None:
    """No requests, no choices: both charts carry their message."""
    figures = _dashboard((0, 0), ())
    assert NO_REQUESTS in requests_chart(figures)
    assert NO_CHOICES in consent_chart(figures)
    assert requests_table(figures).head == ("Week", "Total")
    assert re.search(
        r"aria-labelledby=\"consent-rates-title consent-rates-desc\"", consent_chart(figures)
    )
