"""Charts drawn on the server as SVG: no script, no library, accessible.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``
(``aria-labelledby`` names both), and comes with the same figures as a :class:`Table`, which the page
renders as a ``<table>`` beside it: the table is the accessible alternative, the chart a picture of it.
Every series colour has at least 3:1 contrast against white (WCAG 1.4.11), stacked segments are
separated by a white line, and each series also has its own fill pattern and a text legend, so no
series is told apart by colour alone. Markup is built only from literal templates whose arguments
``markupsafe`` escapes, so a label can never inject markup.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from privault.core.dashboard import granted_share

SVG_NS = "http://www.w3.org/2000/svg"
PALETTE = ("#1f5fa6", "#b45309", "#2e7d32", "#7b3fa0", "#b3261e", "#00695c", "#5f6368", "#8a6d00")
TEXT, AXIS, GRID = "#1f1f1f", "#767676", "#d9d9d9"  # text and axis >= 4.5:1; the grid is decoration
NO_REQUESTS = "No requests in this period"
NO_CHOICES = "No consent choices recorded"
_MARKS = (  # white marks over the series colour, one kind per series (the first is plain)
    "",
    "M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4",
    "dots",
    "M0,4 h8",
    "M0,0 L8,8 M8,0 L0,8",
    "M4,0 v8",
    "M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4",
    "M0,4 h8 M4,0 v8",
)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,40}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WIDTH, _LEFT, _RIGHT, _TOP, _PLOT = 640, 48, 12, 24, 200
_CHAR = 7  # an average character's width at 12px, for truncating and laying out the legend


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a bar chart: its name and one value per category."""

    name: str
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Rate:
    """One horizontal bar: how many granted and how many refused (the rate is granted / both)."""

    label: str
    granted: int
    refused: int

    @property
    def decided(self) -> int:
        """Everyone who answered."""
        return self.granted + self.refused

    @property
    def rate(self) -> float | None:
        """The share that granted (None: nobody answered)."""
        return granted_share(self.granted, self.refused)


@dataclass(frozen=True, slots=True)
class Table:
    """A chart's figures as a table: caption, column headings and rows of text (the template
    escapes them)."""

    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


# --- markup ---------------------------------------------------------------------------------------


def _num(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _clean(text: str) -> str:
    """Text without the control characters XML cannot hold."""
    return _CONTROL.sub("", text)


def _el(name: str, *children: str, **attrs: object) -> Markup:
    """One element; attribute names use ``_`` for ``-``; text children are escaped."""
    rendered = Markup("").join(
        Markup(' {}="{}"').format(k.replace("_", "-"), _num(v)) for k, v in attrs.items()
    )
    if not children:
        return Markup("<{}{}/>").format(name, rendered)
    inner = Markup("").join(c if isinstance(c, Markup) else _clean(c) for c in children)
    return Markup("<{0}{1}>{2}</{0}>").format(name, rendered, inner)


def _text(x: float, y: float, content: str, **attrs: object) -> Markup:
    return _el("text", content, x=x, y=y, **attrs)


def _short(text: str, room: float) -> str:
    """The text cut to fit ``room`` pixels (with an ellipsis)."""
    fits = max(int(room // _CHAR), 2)
    return text if len(text) <= fits else text[: fits - 1] + "…"


def _svg(chart_id: str, title: str, desc: str, height: float, *body: Markup) -> Markup:
    if not _ID.match(chart_id):
        raise ValueError(f"a chart id is a letter then letters, digits, '_' or '-': {chart_id!r}")
    return _el(
        "svg",
        _el("title", title, id=f"{chart_id}-title"),
        _el("desc", desc, id=f"{chart_id}-desc"),
        *body,
        xmlns=SVG_NS,
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        viewBox=f"0 0 {_WIDTH} {_num(float(height))}",
        width=_WIDTH,
        height=height,
        style="max-width:100%;height:auto",
        font_family="system-ui, sans-serif",
        font_size=12,
        fill=TEXT,
    )


def _empty(chart_id: str, title: str, message: str) -> Markup:
    note = _text(_WIDTH / 2, 44, message, text_anchor="middle", font_size=14)
    return _svg(chart_id, title, message, 72, note)


def _fill(chart_id: str, index: int) -> str:
    return PALETTE[0] if index % len(_MARKS) == 0 else f"url(#{chart_id}-p{index % len(_MARKS)})"


def _patterns(chart_id: str, count: int) -> Markup:
    """One fill pattern per series after the first: the series colour with white marks."""
    found = []
    for i in range(1, min(count, len(_MARKS))):
        colour = PALETTE[i % len(PALETTE)]
        mark = (
            _el("circle", cx=4, cy=4, r=1.6, fill="#fff")
            if _MARKS[i] == "dots"
            else _el("path", d=_MARKS[i], stroke="#fff", stroke_width=1.5)
        )
        ground = _el("rect", width=8, height=8, fill=colour)
        found.append(
            _el(
                "pattern",
                ground,
                mark,
                id=f"{chart_id}-p{i}",
                width=8,
                height=8,
                patternUnits="userSpaceOnUse",
            )
        )
    return _el("defs", *found) if found else Markup("")


# --- vertical bars ----------------------------------------------------------------------------------


def scale(top: float, *, whole: bool = True) -> tuple[float, float]:
    """A round axis maximum at or above ``top`` and its tick step (about four ticks; whole numbers
    step by at least 1)."""
    if top <= 0:
        return 1.0, 1.0
    raw = top / 4
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1.0) if whole else step
    return math.ceil(top / step - 1e-9) * step, step


def _axis(top: float, step: float) -> list[Markup]:
    """Grid lines and their labels, and the baseline."""
    base = _TOP + _PLOT
    found = []
    for n in range(round(top / step) + 1):
        y = base - n * step / top * _PLOT
        found.append(_el("line", x1=_LEFT, x2=_WIDTH - _RIGHT, y1=y, y2=y, stroke=GRID))
        found.append(_text(_LEFT - 6, y + 4, _num(float(n * step)), text_anchor="end"))
    found.append(_el("line", x1=_LEFT, x2=_WIDTH - _RIGHT, y1=base, y2=base, stroke=AXIS))
    return found


def _bar(
    chart_id: str, index: int, x: float, width: float, low: float, high: float, tip: str, top: float
) -> Markup:
    """One rectangle from ``low`` to ``high`` (values), with its tooltip."""
    y1 = _TOP + _PLOT - high / top * _PLOT
    height = (high - low) / top * _PLOT
    return _el(
        "rect",
        _el("title", tip),
        x=x,
        y=y1,
        width=width,
        height=height,
        fill=_fill(chart_id, index),
        stroke="#fff",
        stroke_width=1,
        data_value=_num(high - low),
    )


def _stacked(
    chart_id: str, i: int, category: str, series: Sequence[Series], top: float, band: float
) -> list[Markup]:
    x, width, low = _LEFT + i * band + band * 0.15, band * 0.7, 0.0
    found = []
    for s_index, s in enumerate(series):
        value = s.values[i]
        if value > 0:
            tip = f"{category}: {s.name} {_num(value)}"
            found.append(_bar(chart_id, s_index, x, width, low, low + value, tip, top))
            low += value
    if low > 0:
        y = _TOP + _PLOT - low / top * _PLOT - 4
        found.append(_text(x + width / 2, y, _num(low), text_anchor="middle"))
    return found


def _grouped(
    chart_id: str, i: int, category: str, series: Sequence[Series], top: float, band: float
) -> list[Markup]:
    width = band * 0.8 / len(series)
    found = []
    for s_index, s in enumerate(series):
        value = s.values[i]
        if value > 0:
            x = _LEFT + i * band + band * 0.1 + s_index * width
            tip = f"{category}: {s.name} {_num(value)}"
            found.append(_bar(chart_id, s_index, x, width, 0.0, value, tip, top))
    return found


def _legend(chart_id: str, names: Sequence[str], y: float) -> tuple[list[Markup], float]:
    """Swatches with their names, wrapped to the width; the marks and the height they take."""
    found: list[Markup] = []
    x = float(_LEFT)
    for index, name in enumerate(names):
        label = _short(name, 200)
        room = 14 + 6 + len(label) * _CHAR + 18
        if x + room > _WIDTH - _RIGHT and x > _LEFT:
            x, y = float(_LEFT), y + 20
        swatch = _el("rect", x=x, y=y - 11, width=14, height=14, fill=_fill(chart_id, index))
        found += [swatch, _text(x + 20, y, label)]
        x += room
    return found, y + 12


def _summary(categories: Sequence[str], series: Sequence[Series], stacked: bool) -> str:
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    busiest = max(range(len(totals)), key=lambda i: totals[i])
    shape = "Stacked bars" if stacked else "Grouped bars"
    names = ", ".join(s.name for s in series)
    return (
        f"{shape}, one per period from {categories[0]} to {categories[-1]}, one "
        f"{'segment' if stacked else 'bar'} per series ({names}). {_num(sum(totals))} in all; "
        f"the most in {categories[busiest]} ({_num(totals[busiest])})."
    )


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    description: str = "",
    stacked: bool = True,
    empty: str = NO_REQUESTS,
) -> Markup:
    """Vertical bars, one per category, stacked (or grouped) by series, with an axis, totals over
    stacked bars and a legend; ``empty`` is shown instead when every value is zero."""
    if any(len(s.values) != len(categories) for s in series):
        raise ValueError("every series needs one value per category")
    if not categories or not any(v > 0 for s in series for v in s.values):
        return _empty(chart_id, title, empty)
    heights = [
        sum(s.values[i] for s in series) if stacked else max(s.values[i] for s in series)
        for i in range(len(categories))
    ]
    whole = all(float(v).is_integer() for s in series for v in s.values)
    top, step = scale(max(heights), whole=whole)
    band = (_WIDTH - _LEFT - _RIGHT) / len(categories)
    draw = _stacked if stacked else _grouped
    marks = _axis(top, step)
    for i, category in enumerate(categories):
        marks += draw(chart_id, i, category, series, top, band)
        label = _short(category, band - 2)
        marks.append(
            _text(_LEFT + (i + 0.5) * band, _TOP + _PLOT + 16, label, text_anchor="middle")
        )
    legend, height = _legend(chart_id, [s.name for s in series], _TOP + _PLOT + 44)
    desc = description or _summary(categories, series, stacked)
    return _svg(chart_id, title, desc, height, _patterns(chart_id, len(series)), *marks, *legend)


def bar_table(
    caption: str, categories: Sequence[str], series: Sequence[Series], *, heading: str = ""
) -> Table:
    """The figures of :func:`bar_chart` as a table: a row per category, a column per series and the
    total."""
    rows = tuple(
        (
            category,
            *(_num(s.values[i]) for s in series),
            _num(sum(s.values[i] for s in series)),
        )
        for i, category in enumerate(categories)
    )
    return Table(caption, (heading, *(s.name for s in series), "Total"), rows)


# --- horizontal rate bars ---------------------------------------------------------------------------

_LABEL_W, _TRACK, _ROW = 200, 300, 30


def _percent(rate: float) -> str:
    return f"{rate * 100:.0f}%"


def _rate_row(index: int, row: Rate) -> list[Markup]:
    y = 8 + index * _ROW
    found = [
        _text(4, y + 13, _short(row.label, _LABEL_W - 14)),
        _el("rect", x=_LABEL_W, y=y, width=_TRACK, height=18, fill="#fff", stroke=AXIS),
    ]
    if row.rate is None:
        return [*found, _text(_LABEL_W + 6, y + 13, "no choices yet")]
    if row.granted:
        width = row.rate * _TRACK
        tip = _el("title", f"{row.label}: {_percent(row.rate)}")
        bar = _el("rect", tip, x=_LABEL_W, y=y, width=width, height=18, fill=PALETTE[0])
        found.append(bar)
    value = f"{_percent(row.rate)} ({row.granted} of {row.decided})"
    return [*found, _text(_LABEL_W + _TRACK + 10, y + 13, value)]


def rate_bars(
    title: str,
    rows: Sequence[Rate],
    *,
    chart_id: str,
    description: str = "",
    empty: str = NO_CHOICES,
) -> Markup:
    """Horizontal bars from 0 to 100%, one per row, with the percentage and the counts written
    beside each; ``empty`` is shown instead when nobody answered anything."""
    if not any(r.decided for r in rows):
        return _empty(chart_id, title, empty)
    marks = [m for i, row in enumerate(rows) for m in _rate_row(i, row)]
    desc = description or "Share that granted, among those who chose: " + "; ".join(
        f"{r.label} {_percent(r.rate)} ({r.granted} of {r.decided})"
        if r.rate is not None
        else f"{r.label}: no choices yet"
        for r in rows
    )
    return _svg(chart_id, title, desc, 8 + len(rows) * _ROW + 4, *marks)


def rate_table(caption: str, rows: Sequence[Rate], *, heading: str = "Category") -> Table:
    """The figures of :func:`rate_bars` as a table."""
    body = tuple(
        (
            r.label,
            str(r.granted),
            str(r.refused),
            _percent(r.rate) if r.rate is not None else "no choices yet",
        )
        for r in rows
    )
    return Table(caption, (heading, "Granted", "Refused or withdrawn", "Granted rate"), body)
