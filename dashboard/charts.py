"""Plotly figures for the dashboard: presentation only, every number comes from tracker."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from tracker.models import KIND_LABELS

UNIT = "USD bn / year"
BASIS_COLORS = {
    "actual": "#1f77b4",
    "guidance": "#2ca02c",
    "pledge": "#ff7f0e",
    "mixed": "#9467bd",
}


def _empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 16})
    fig.update_layout(xaxis_visible=False, yaxis_visible=False, height=300)
    return fig


def spend_by_company(headline: pd.DataFrame, year: int, measure: str) -> go.Figure:
    """Bars of annual spend per company for one year, low-high range as error bars."""
    rows = headline[headline["year"] == year].sort_values(measure, ascending=False)
    if rows.empty:
        return _empty(f"No announcements cover {year} with these filters")
    is_range = rows["high"] > rows["low"]
    rows = rows.assign(
        # Error bars only where a range was announced; a single figure gets none.
        err_plus=(rows["high"] - rows[measure]).where(is_range),
        err_minus=(rows[measure] - rows["low"]).where(is_range),
        coverage=rows["months"].astype(str) + "/12 months",
        partial=rows["months"].map(lambda m: f"{m}/12 mo" if m < 12 else ""),
        basis_label=rows["basis"].map(lambda b: KIND_LABELS.get(b, b.title())),
    )
    fig = px.bar(
        rows,
        x="company",
        y=measure,
        color="basis",
        color_discrete_map=BASIS_COLORS,
        text="partial",
        error_y="err_plus",
        error_y_minus="err_minus",
        hover_data={
            "low": ":.1f",
            "mid": ":.1f",
            "high": ":.1f",
            "coverage": True,
            "scope": True,
            "err_plus": False,
            "err_minus": False,
        },
        labels={measure: UNIT, "company": "Company", "basis": "Basis"},
        title=f"Annual AI-infrastructure spend, {year} ({measure}, {UNIT})",
    )
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_layout(
        xaxis_categoryorder="total descending", legend_title_text="Basis", margin={"t": 60}
    )
    return fig


def spend_over_time(headline: pd.DataFrame, measure: str) -> go.Figure:
    if headline.empty:
        return _empty("No announcements with these filters")
    rows = headline.sort_values(["year", "company"]).assign(year=lambda d: d["year"].astype(str))
    fig = px.bar(
        rows,
        x="year",
        y=measure,
        color="company",
        barmode="group",
        hover_data={"basis": True, "scope": True, "months": True},
        labels={measure: UNIT, "year": "Calendar year", "company": "Company"},
        title=f"Spend per company and calendar year ({measure}, {UNIT})",
    )
    return fig


def announcement_timeline(announcements: pd.DataFrame) -> go.Figure:
    if announcements.empty:
        return _empty("No announcements with these filters")
    rows = announcements.assign(
        amount=announcements["amount_low"].map("{:g}".format)
        + announcements.apply(
            lambda r: "" if r["amount_high"] == r["amount_low"] else f"-{r['amount_high']:g}",
            axis=1,
        )
        + " "
        + announcements["currency"]
        + " bn"
    )
    fig = px.scatter(
        rows,
        x="announced_on",
        y="company",
        color="kind",
        symbol="kind",
        hover_data={"period": True, "amount": True, "scope": True},
        labels={"announced_on": "Announced", "company": "Company", "kind": "Kind"},
        title="When announcements were made",
    )
    fig.update_traces(marker={"size": 11})
    fig.update_layout(yaxis={"categoryorder": "category descending"})
    return fig


def guidance_history_chart(history: pd.DataFrame, company: str) -> go.Figure:
    """Each revision as a point on its announcement date, with its low-high band."""
    rows = history[history["company"] == company]
    if rows.empty:
        return _empty(f"No announcements for {company}")
    rows = rows.assign(
        err_plus=rows["annual_high_usd"] - rows["annual_mid_usd"],
        err_minus=rows["annual_mid_usd"] - rows["annual_low_usd"],
    )
    fig = px.line(
        rows,
        x="announced_on",
        y="annual_mid_usd",
        color="series",
        markers=True,
        error_y="err_plus",
        error_y_minus="err_minus",
        hover_data={
            "annual_low_usd": ":.1f",
            "annual_high_usd": ":.1f",
            "notes": True,
            "err_plus": False,
            "err_minus": False,
        },
        labels={"announced_on": "Announced", "annual_mid_usd": UNIT, "series": "Period"},
        title=f"{company}: how the plan moved (each point is one announcement)",
    )
    fig.update_traces(marker={"size": 10})
    return fig
