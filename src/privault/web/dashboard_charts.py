"""The admin dashboard's charts and their tables, from ``services.dashboard.dashboard``'s figures.

A page passes the :class:`~privault.core.dashboard.Dashboard` and renders each chart (already
``Markup``) with its table beside or under it.
"""

from __future__ import annotations

from markupsafe import Markup

from privault.core.consent import Kind
from privault.core.dashboard import Dashboard, Week
from privault.core.jurisdictions import Right
from privault.web.charts import Rate, Series, Table, bar_chart, bar_table, rate_bars, rate_table

REQUESTS_TITLE = "Requests received per week, by type"
CONSENT_TITLE = "Consent rates: share granted among people who chose"
RIGHT_LABELS: dict[Right, str] = {
    Right.ACCESS: "Access",
    Right.ERASURE: "Erasure",
    Right.RECTIFICATION: "Rectification",
    Right.RESTRICTION: "Restriction",
    Right.OBJECTION: "Objection",
    Right.PORTABILITY: "Portability",
    Right.OPT_OUT_SALE: "Opt-out of sale or sharing",
    Right.LIMIT_SENSITIVE: "Limit sensitive data",
    Right.OPT_OUT_TARGETED_ADS: "Opt-out of targeted advertising",
    Right.OPT_OUT_PROFILING: "Opt-out of profiling",
    Right.APPEAL: "Appeal",
    Right.COMPLAINT: "Complaint",
    Right.GRIEVANCE: "Grievance",
    Right.HUMAN_REVIEW: "Human review",
}


def _week_short(week: Week) -> str:
    return f"W{week.start.isocalendar()[1]:02d}"


def _week_long(week: Week) -> str:
    return f"{week.label} (from {week.start.day} {week.start:%b})"


def request_series(dashboard: Dashboard) -> list[Series]:
    """One series per type received in the window (types never received are left out)."""
    return [
        Series(RIGHT_LABELS[r], tuple(float(w.counts[r]) for w in dashboard.requests_per_week))
        for r in dashboard.request_types
    ]


def requests_chart(dashboard: Dashboard, chart_id: str = "requests-per-week") -> Markup:
    """Stacked bars: requests per week, one segment per type."""
    weeks = dashboard.requests_per_week
    return bar_chart(
        REQUESTS_TITLE,
        [_week_short(w) for w in weeks],
        request_series(dashboard),
        chart_id=chart_id,
    )


def requests_table(dashboard: Dashboard) -> Table:
    """The requests chart as a table: a row per week, a column per type and the total."""
    weeks = dashboard.requests_per_week
    return bar_table(
        REQUESTS_TITLE, [_week_long(w) for w in weeks], request_series(dashboard), heading="Week"
    )


def consent_rows(dashboard: Dashboard) -> list[Rate]:
    """One bar per cookie category and consent-based purpose."""
    return [
        Rate(f"Cookies: {r.name}" if r.kind is Kind.COOKIE else r.name, r.granted, r.refused)
        for r in dashboard.consent_rates
    ]


def consent_chart(dashboard: Dashboard, chart_id: str = "consent-rates") -> Markup:
    """Horizontal bars: the share that granted each topic."""
    return rate_bars(CONSENT_TITLE, consent_rows(dashboard), chart_id=chart_id)


def consent_table(dashboard: Dashboard) -> Table:
    """The consent chart as a table."""
    return rate_table(CONSENT_TITLE, consent_rows(dashboard))
