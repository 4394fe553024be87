"""Plotly figures for the dashboard: presentation only, every number comes from tracker.

Plotly draws text as a subset of HTML (``<a href>``, ``<b>``), so every string taken
from data (company names, periods, notes) goes through :func:`esc` first: a company
called ``<a href=...>`` is shown as typed, never as a link.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tracker.views import figure_text
from tracker.vocab import MIXED, Kind, Qualifier, Scope

UNIT = "USD bn / year"
MIXED_COLOUR = "#7f7f7f"
BASIS_COLOURS = {**{k.value: k.colour for k in Kind}, MIXED: MIXED_COLOUR}
MAX_TIMELINE_COMPANIES = 15
MAX_HISTORY_SERIES = 12
FONT = {"family": "Source Sans Pro, Arial, sans-serif", "size": 14}


def esc(value: object) -> str:
    """Text from data made inert for Plotly's HTML-like labels."""
    return html.escape("" if value is None or value is pd.NA else str(value), quote=True)


def basis_label(value: str) -> str:
    if value == MIXED:
        return "Mixed (actual and guidance months)"
    try:
        return Kind(value).label
    except ValueError:
        return str(value)


def scope_label(value: str) -> str:
    if value == MIXED:
        return "Mixed scopes"
    try:
        return Scope(value).label
    except ValueError:
        return str(value)


def qualifier_words(value: str) -> str:
    try:
        return Qualifier(value).label
    except ValueError:
        return "Mixed wording" if value == MIXED else str(value)


def _ids(ids: str) -> str:
    return ", ".join(f"#{i}" for i in str(ids).split(",") if i)


def _layout(fig: go.Figure, **kwargs) -> go.Figure:
    fig.update_layout(
        font=FONT,
        template="plotly_white",
        margin={"t": 70, "l": 60, "r": 30, "b": 60},
        hoverlabel={"align": "left"},
        **kwargs,
    )
    return fig


def empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=esc(message), showarrow=False, font={"size": 16})
    fig.update_layout(xaxis_visible=False, yaxis_visible=False, height=260, template="plotly_white")
    return fig


def headline_hover(rows: pd.DataFrame, measure: str) -> list[str]:
    """Hover text a reader can quote: company, year, the figure with its qualifier and
    range, basis, months covered and the announcements behind it."""
    out = []
    for r in rows.itertuples():
        ranged = not np.isclose(r.low, r.high)
        figure = (
            figure_text(r.low, r.high, r.qualifier, "USD bn")
            if ranged
            else (figure_text(getattr(r, measure), getattr(r, measure), r.qualifier, "USD bn"))
        )
        shown = f"{getattr(r, measure):,.1f}"
        lines = [
            f"<b>{esc(r.company)}</b>, {int(r.year)}",
            f"Figure: {esc(figure)}" + (f" (chart shows {shown})" if ranged else ""),
            f"Wording: {esc(qualifier_words(r.qualifier))}",
            f"Basis: {esc(basis_label(r.basis))}, {esc(scope_label(r.scope))}",
            f"Months covered: {int(r.months)} of 12 ({esc(r.covers)})"
            + ("" if r.months == 12 else " — partial year, not in totals"),
            f"Announcements: {esc(_ids(r.announcement_ids))}",
        ]
        out.append("<br>".join(lines))
    return out


def ranking(headline: pd.DataFrame, year: int, measure: str, footnote: str = "") -> go.Figure:
    """One bar per company for ``year`` with its value on the bar, coloured by basis,
    low-high range as error bars where a range was announced."""
    rows = headline[headline["year"] == year].sort_values(measure, ascending=False)
    if rows.empty:
        return empty(f"No capex figures cover {year} with these filters")
    fig = go.Figure()
    order = [esc(c) for c in rows["company"]]
    for basis, part in rows.groupby("basis", sort=False):
        ranged = ~np.isclose(part["low"], part["high"])
        label = [
            ("" if q in (Qualifier.EXACT.value, MIXED) else Qualifier(q).symbol)
            + f"{v:,.1f}"
            + ("" if m == 12 else f" ({m}/12 mo)")
            for v, q, m in zip(part[measure], part["qualifier"], part["months"], strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=[esc(c) for c in part["company"]],
                y=part[measure],
                name=esc(basis_label(str(basis))),
                marker={
                    "color": BASIS_COLOURS.get(str(basis), MIXED_COLOUR),
                    # Partial years are drawn lighter: they are not in the totals.
                    "opacity": [1.0 if m == 12 else 0.45 for m in part["months"]],
                },
                text=label,
                # A range's error bar covers the bar top: its label goes mid-bar.
                textposition=["inside" if r else "outside" for r in ranged],
                insidetextanchor="middle",
                cliponaxis=False,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["high"] - part[measure]).where(ranged),
                    "arrayminus": (part[measure] - part["low"]).where(ranged),
                    "color": "#444",
                },
                hovertext=headline_hover(part, measure),
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    top = float(rows["high"].max())
    _layout(
        fig,
        title={"text": f"Capex per company, {year} ({UNIT})"},
        xaxis={"categoryorder": "array", "categoryarray": order, "title": None},
        yaxis={"title": UNIT, "range": [0, top * 1.15]},
        legend={
            "title": {"text": "Basis"},
            "orientation": "h",
            "y": 1.02,
            "x": 1,
            "xanchor": "right",
            "yanchor": "bottom",
        },
        barmode="overlay",
        height=480,
    )
    if footnote:
        fig.add_annotation(
            text=esc(footnote),
            xref="paper",
            yref="paper",
            x=0,
            y=-0.16,
            showarrow=False,
            xanchor="left",
            font={"size": 11, "color": "#666"},
        )
        fig.update_layout(margin={"b": 90})
    return fig


def over_time(headline: pd.DataFrame, measure: str) -> go.Figure:
    """Grouped bars per calendar year for the largest companies of the view (more than a
    dozen groups per year cannot be read; the filters reach the rest)."""
    if headline.empty:
        return empty("No capex figures with these filters")
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
                name=esc(company),
                marker={"opacity": [1.0 if m == 12 else 0.45 for m in part["months"]]},
                hovertext=headline_hover(part, measure),
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    hidden = len(totals) - len(shown)
    more = f"; the {len(shown)} largest of {len(totals)} companies" if hidden > 0 else ""
    return _layout(
        fig,
        barmode="group",
        title={"text": f"Capex per company and calendar year ({UNIT}{more})"},
        xaxis={
            "title": "Calendar year (lighter bars: partial years)",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [str(y) for y in years],
        },
        yaxis_title=UNIT,
        legend_title_text="Company",
        height=440,
    )


def company_series(rows: pd.DataFrame, measure: str, company: str) -> go.Figure:
    """One company's headline series by calendar year, coloured by basis."""
    if rows.empty:
        return empty(f"No capex figures for {company} with these filters")
    fig = go.Figure()
    for basis, part in rows.groupby("basis", sort=False):
        fig.add_trace(
            go.Bar(
                x=part["year"].astype(str),
                y=part[measure],
                name=esc(basis_label(str(basis))),
                marker={
                    "color": BASIS_COLOURS.get(str(basis), MIXED_COLOUR),
                    "opacity": [1.0 if m == 12 else 0.45 for m in part["months"]],
                },
                text=[
                    f"{v:,.1f}" + ("" if m == 12 else f" ({m}/12 mo)")
                    for v, m in zip(part[measure], part["months"], strict=True)
                ],
                textposition="outside",
                cliponaxis=False,
                hovertext=headline_hover(part, measure),
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    years = sorted(rows["year"].unique())
    return _layout(
        fig,
        title={"text": f"{esc(company)}: capex by calendar year ({UNIT})"},
        xaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [str(y) for y in years],
            "title": "Calendar year",
        },
        yaxis={"title": UNIT, "range": [0, float(rows["high"].max()) * 1.15]},
        legend_title_text="Basis",
        height=400,
    )


def quarterly(quarters: pd.DataFrame, company: str) -> go.Figure:
    """Reported quarterly capex (USD bn per quarter)."""
    if quarters.empty:
        return empty(f"No quarterly actuals for {company}")
    starts = pd.to_datetime(quarters["period_start"])
    labels = [f"{d.year} Q{(d.month - 1) // 3 + 1}" for d in starts]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=quarters["mid_usd"],
            marker={"color": Kind.ACTUAL.colour},
            text=[f"{v:,.1f}" for v in quarters["mid_usd"]],
            textposition="outside",
            cliponaxis=False,
            hovertext=[
                f"<b>{esc(company)}</b><br>{esc(label)} (calendar quarter of start)<br>"
                f"{v:,.1f} USD bn<br>Announcement #{int(i)}"
                for label, v, i in zip(labels, quarters["mid_usd"], quarters["id"], strict=True)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    return _layout(
        fig,
        title={"text": f"{esc(company)}: reported capex per quarter (USD bn)"},
        xaxis={"type": "category", "title": None},
        yaxis_title="USD bn / quarter",
        height=360,
    )


def guidance_history(history: pd.DataFrame, company: str) -> go.Figure:
    """Each announcement as a point on its date, in annual USD, with its low-high band;
    one line per period the company guided, pledged or reported for."""
    rows = history[history["company"] == company]
    if rows.empty:
        return empty(f"No announcements for {company}")
    latest = rows.groupby("series")["announced_on"].max().sort_values(ascending=False)
    series = list(latest.index[:MAX_HISTORY_SERIES])
    fig = go.Figure()
    for name in sorted(series):
        part = rows[rows["series"] == name].sort_values("announced_on")
        ranged = part["annual_high_usd"] > part["annual_low_usd"]
        hover = [
            f"<b>{esc(company)}</b> — {esc(name)}<br>"
            f"Figure: {esc(fig_text)} ({esc(per_year)} {UNIT})<br>"
            f"{esc(note)}"
            for fig_text, per_year, note in zip(
                _figures_of(part), _per_year_of(part), part["notes"].fillna(""), strict=True
            )
        ]
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(part["announced_on"]),
                y=part["annual_mid_usd"],
                mode="lines+markers",
                name=esc(name),
                marker={"size": 10},
                line={"shape": "hv"},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["annual_high_usd"] - part["annual_mid_usd"]).where(ranged),
                    "arrayminus": (part["annual_mid_usd"] - part["annual_low_usd"]).where(ranged),
                },
                # Data text goes in hovertext: Plotly never reads %{...} inside it.
                hovertext=hover,
                hovertemplate="Announced %{x|%Y-%m-%d}<br>%{hovertext}<extra></extra>",
            )
        )
    hidden = len(latest) - len(series)
    more = f"; {hidden} older series not shown" if hidden > 0 else ""
    return _layout(
        fig,
        title={
            "text": f"{esc(company)}: how the plan moved (each point is one announcement{more})"
        },
        xaxis={"title": "Announced", "type": "date", "tickformat": "%Y-%m-%d"},
        yaxis_title=UNIT,
        legend={"title": {"text": "Period, kind and scope"}},
        height=460,
    )


def _figures_of(part: pd.DataFrame) -> Iterable[str]:
    return [
        figure_text(lo, hi, q, f"{c} bn")
        for lo, hi, q, c in zip(
            part["amount_low"],
            part["amount_high"],
            part["qualifier"],
            part["currency"],
            strict=True,
        )
    ]


def _per_year_of(part: pd.DataFrame) -> Iterable[str]:
    return [
        figure_text(lo, hi, q)
        for lo, hi, q in zip(
            part["annual_low_usd"], part["annual_high_usd"], part["qualifier"], strict=True
        )
    ]


def compared(rows: pd.DataFrame) -> go.Figure:
    """Chosen announcements side by side as USD per year, low-high as error bars."""
    if rows.empty:
        return empty("Choose announcements to compare")
    labels = [
        esc(f"#{int(i)} {c} {p}")
        for i, c, p in zip(rows["id"], rows["company"], rows["period"], strict=True)
    ]
    ranged = rows["annual_high_usd"] > rows["annual_low_usd"]
    hover = [
        f"<b>{esc(r.company)}</b> #{int(r.id)}<br>{esc(basis_label(r.kind))}, "
        f"{esc(scope_label(r.scope))}<br>Announced figure: {esc(r.figure)} for {esc(r.period)} "
        f"({int(r.months)} months)<br>Per year: {esc(r.usd_per_year)} USD bn"
        for r in rows.itertuples()
    ]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=rows["annual_mid_usd"],
            marker={"color": [BASIS_COLOURS.get(k, MIXED_COLOUR) for k in rows["kind"]]},
            text=[esc(t) for t in rows["usd_per_year"]],
            textposition="outside",
            cliponaxis=False,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (rows["annual_high_usd"] - rows["annual_mid_usd"]).where(ranged),
                "arrayminus": (rows["annual_mid_usd"] - rows["annual_low_usd"]).where(ranged),
            },
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    top = float(rows["annual_high_usd"].max()) if len(rows) else 1.0
    return _layout(
        fig,
        title={"text": f"Announcements compared as {UNIT} (midpoint; bars show low–high)"},
        xaxis={"type": "category", "title": None},
        yaxis={"title": UNIT, "range": [0, top * 1.2]},
        height=420,
        showlegend=False,
    )
