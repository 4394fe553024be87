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


MAX_TIMELINE_COMPANIES = 15


def spend_over_time(headline: pd.DataFrame, measure: str) -> go.Figure:
    """Grouped bars per calendar year for the largest companies of the filtered view
    (more than a dozen groups per year cannot be read; the filters reach the rest)."""
    if headline.empty:
        return _empty("No announcements with these filters")
    totals = headline.groupby("company")[measure].sum().sort_values(ascending=False)
    shown = list(totals.index[:MAX_TIMELINE_COMPANIES])
    rows = headline[headline["company"].isin(shown)]
    years = sorted(rows["year"].unique())
    fig = go.Figure()
    for company in shown:
        part = rows[rows["company"] == company]
        fig.add_trace(
            go.Bar(
                x=part["year"].astype(str),
                y=part[measure],
                name=company,
                customdata=part[["basis", "scope", "months"]].to_numpy(),
                hovertemplate=(
                    company
                    + " %{x}: %{y:.1f} "
                    + UNIT
                    + "<br>%{customdata[0]}, %{customdata[1]}, %{customdata[2]}/12 months"
                    + "<extra></extra>"
                ),
            )
        )
    hidden = len(totals) - len(shown)
    more = f"; the {len(shown)} largest of {len(totals)} companies" if hidden > 0 else ""
    fig.update_layout(
        barmode="group",
        title=f"Spend per company and calendar year ({measure}, {UNIT}{more})",
        xaxis={
            "title": "Calendar year",
            "categoryorder": "array",
            "categoryarray": [str(y) for y in years],
        },
        yaxis_title=UNIT,
        legend_title_text="Company",
    )
    return fig


MAX_TIMELINE_POINTS = 3000
MAX_HISTORY_SERIES = 12


def announcement_timeline(announcements: pd.DataFrame) -> go.Figure:
    """When announcements were made; the newest few thousand when there are more."""
    if announcements.empty:
        return _empty("No announcements with these filters")
    rows = announcements.sort_values("announced_on").tail(MAX_TIMELINE_POINTS)
    amount = rows["amount_low"].map("{:g}".format)
    ranged = rows["amount_high"] > rows["amount_low"]
    amount = amount.where(~ranged, amount + "-" + rows["amount_high"].map("{:g}".format))
    hover = (
        rows["company"]
        + "<br>"
        + rows["kind"]
        + " "
        + rows["period"]
        + ": "
        + amount
        + " "
        + rows["currency"]
        + " bn<br>"
        + rows["scope"]
    )
    fig = go.Figure()
    for kind, part in rows.groupby("kind"):
        fig.add_trace(
            go.Scattergl(
                x=pd.to_datetime(part["announced_on"]),
                y=part["company"],
                mode="markers",
                name=KIND_LABELS.get(kind, kind),
                text=hover[part.index],
                hovertemplate="%{x|%Y-%m-%d}<br>%{text}<extra></extra>",
                marker={"size": 10, "color": BASIS_COLORS.get(kind)},
            )
        )
    shown = "" if len(rows) == len(announcements) else f" (newest {len(rows):,})"
    fig.update_layout(
        title=f"When announcements were made{shown}",
        xaxis_title="Announced",
        yaxis={"categoryorder": "category descending", "title": "Company"},
        legend_title_text="Kind",
    )
    return fig


def guidance_history_chart(history: pd.DataFrame, company: str) -> go.Figure:
    """Each revision as a point on its announcement date, with its low-high band; one
    line per period the company guided or pledged for."""
    rows = history[history["company"] == company]
    if rows.empty:
        return _empty(f"No announcements for {company}")
    latest = rows.groupby("series")["announced_on"].max().sort_values(ascending=False)
    series = list(latest.index[:MAX_HISTORY_SERIES])
    fig = go.Figure()
    for name in sorted(series):
        part = rows[rows["series"] == name].sort_values("announced_on")
        ranged = part["annual_high_usd"] > part["annual_low_usd"]
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(part["announced_on"]),
                y=part["annual_mid_usd"],
                mode="lines+markers",
                name=name,
                marker={"size": 10},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["annual_high_usd"] - part["annual_mid_usd"]).where(ranged),
                    "arrayminus": (part["annual_mid_usd"] - part["annual_low_usd"]).where(ranged),
                },
                customdata=part[["annual_low_usd", "annual_high_usd", "notes"]].to_numpy(),
                hovertemplate=(
                    "%{x|%Y-%m-%d}: %{y:.1f} (%{customdata[0]:.1f}-%{customdata[1]:.1f}) "
                    + UNIT
                    + "<br>%{customdata[2]}<extra>"
                    + name
                    + "</extra>"
                ),
            )
        )
    hidden = len(latest) - len(series)
    more = f"; {hidden} older series not shown" if hidden > 0 else ""
    fig.update_layout(
        title=f"{company}: how the plan moved (each point is one announcement{more})",
        xaxis_title="Announced",
        yaxis_title=UNIT,
        legend_title_text="Period",
    )
    return fig
