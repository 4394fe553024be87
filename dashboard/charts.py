"""Plotly figures for the dashboard: presentation only, every number comes from tracker.

Plotly draws text as a subset of HTML (``<a href>``, ``<b>``), so every string taken
from data (company names, periods, notes) goes through :func:`esc` first: a company
called ``<a href=...>`` is shown as typed, never as a link.
"""

from __future__ import annotations

import html
import zlib
from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from tracker.views import figure_text
from tracker.vocab import MIXED, Kind, Qualifier, Scope

UNIT = "USD bn / year"
MIXED_COLOUR = "#7f7f7f"
BASIS_COLOURS = {**{k.value: k.colour for k in Kind}, MIXED: MIXED_COLOUR}
MAX_TIMELINE_COMPANIES = 15
# A ranking shows the largest companies only: a few hundred bars cannot be read (and
# take the browser seconds to draw); the Comparison table lists every company.
MAX_RANKED_COMPANIES = 30
MAX_HISTORY_SERIES = 12
FONT = {"family": "Source Sans Pro, Arial, sans-serif", "size": 14}
# One colour per company, the same in every chart: the companies analysts compare most
# get fixed, well-separated colours; any other name gets one from the palette by a hash
# of its name (stable across runs, sessions and filters, unlike an order-based cycle).
COMPANY_COLOURS = {
    "Microsoft": "#1f77b4",
    "Alphabet": "#2ca02c",
    "Amazon": "#ff7f0e",
    "Meta": "#9467bd",
    "Oracle": "#d62728",
    "Apple": "#7f7f7f",
    "Alibaba": "#e377c2",
    "Tencent": "#17becf",
    "Stargate": "#8c564b",
    "CoreWeave": "#bcbd22",
    "Baidu": "#393b79",
    "ByteDance": "#637939",
    "xAI": "#843c39",
    "Nvidia": "#76b900",
    "OpenAI": "#000000",
}
PALETTE = (
    "#3182bd",
    "#e6550d",
    "#31a354",
    "#756bb1",
    "#636363",
    "#6baed6",
    "#fd8d3c",
    "#74c476",
    "#9e9ac8",
    "#969696",
    "#a55194",
    "#ce6dbd",
    "#8c6d31",
    "#bd9e39",
    "#ad494a",
    "#5254a3",
)
# Every figure starts from this template. Naming it per figure (``template=...`` in
# update_layout) costs about 30 ms a chart: plotly validates and copies the whole
# template each time; as the default it is applied once.
pio.templates.default = "plotly_white"
# Basis is drawn as a fill pattern, so the colour can stay the company's.
BASIS_PATTERNS = {"actual": "", "guidance": "/", "pledge": ".", MIXED: "x"}


def company_colour(name: object) -> str:
    """The company's colour in every chart (fixed for known names, else by name hash)."""
    text = str(name)
    if text in COMPANY_COLOURS:
        return COMPANY_COLOURS[text]
    return PALETTE[zlib.crc32(text.strip().casefold().encode("utf-8")) % len(PALETTE)]


def _pattern(basis: str) -> dict:
    return {"shape": BASIS_PATTERNS.get(basis, ""), "solidity": 0.35, "fgcolor": "#ffffff"}


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
        margin={"t": 70, "l": 60, "r": 30, "b": 60},
        hoverlabel={"align": "left"},
        **kwargs,
    )
    return fig


def empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=esc(message), showarrow=False, font={"size": 16})
    fig.update_layout(xaxis_visible=False, yaxis_visible=False, height=260)
    return fig


# What an announcement's hover text reads (wording, basis, months, id).
HOVER_COLUMNS = ("qualifier", "kind", "scope", "months", "period_start", "period_end", "id")


def _rows(frame: pd.DataFrame, *columns: str) -> Iterable:
    """The named columns row by row. Only these: the frames behind charts carry every
    announcement column, and ``itertuples`` converts every cell of every column (a
    third of a company page's chart time at 100k announcements)."""
    return frame[list(dict.fromkeys(columns))].itertuples(index=False)


def headline_hover(rows: pd.DataFrame, measure: str) -> list[str]:
    """Hover text a reader can quote: company, year, the figure with its qualifier and
    range, basis, months covered and the announcements behind it."""
    out = []
    columns = ("company", "year", "low", "high", measure, "qualifier", "basis", "scope")
    for r in _rows(rows, *columns, "months", "covers", "announcement_ids"):
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
    ranked = headline[headline["year"] == year].sort_values(measure, ascending=False)
    if ranked.empty:
        return empty(f"No capex figures cover {year} with these filters")
    rows = ranked.head(MAX_RANKED_COMPANIES)
    more = f"; the {len(rows)} largest of {len(ranked)}" if len(ranked) > len(rows) else ""
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
                    # The company's colour everywhere; the basis is the fill pattern.
                    "color": [company_colour(c) for c in part["company"]],
                    "pattern": _pattern(str(basis)),
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
        title={"text": f"Capex per company, {year} ({UNIT}{more})"},
        xaxis={"categoryorder": "array", "categoryarray": order, "title": None},
        yaxis={"title": UNIT, "range": [0, top * 1.15]},
        legend={
            "title": {"text": "Basis (fill pattern)"},
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
                marker={
                    "color": company_colour(company),
                    "opacity": [1.0 if m == 12 else 0.45 for m in part["months"]],
                },
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
                    "color": company_colour(company),
                    "pattern": _pattern(str(basis)),
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
        legend_title_text="Basis (fill pattern)",
        height=400,
    )


def quarterly(
    quarters: pd.DataFrame, company: str, guidance: pd.DataFrame | None = None
) -> go.Figure:
    """Reported quarterly capex (USD bn per quarter) on a date axis, each bar spanning
    its quarter, beside the latest guidance for each guided period drawn as a step at a
    quarter of the guided annual figure (low-high as a band in the hover)."""
    if quarters.empty:
        return empty(f"No quarterly actuals for {company}")
    starts = pd.to_datetime(quarters["period_start"])
    ends = pd.to_datetime(quarters["period_end"])
    middle = starts + (ends + pd.offsets.MonthEnd(0) - starts) / 2
    width_ms = ((ends + pd.offsets.MonthEnd(0) - starts).dt.days * 0.8 * 86_400_000).tolist()
    qualifiers = quarters.get("qualifier", pd.Series("exact", index=quarters.index))
    hover = [
        "<br>".join(
            [
                f"<b>{esc(company)}</b>, quarter {s:%Y-%m} to {e:%Y-%m}",
                f"Figure: {esc(figure_text(v, v, q, 'USD bn'))} (reported, per quarter)",
                f"Wording: {esc(qualifier_words(q))}",
                f"Basis: {esc(basis_label('actual'))}, {esc(scope_label(sc))}",
                "Months covered: 3",
                f"Announcement: #{int(i)}, filed or released {pd.Timestamp(a):%Y-%m-%d}",
            ]
        )
        for s, e, v, q, sc, i, a in zip(
            starts,
            ends,
            quarters["mid_usd"],
            qualifiers,
            quarters["scope"],
            quarters["id"],
            quarters["announced_on"],
            strict=True,
        )
    ]
    fig = go.Figure(
        go.Bar(
            x=middle,
            y=quarters["mid_usd"],
            width=width_ms,
            name="Reported quarter",
            marker={"color": company_colour(company)},
            text=[f"{v:,.1f}" for v in quarters["mid_usd"]],
            textposition="outside",
            cliponaxis=False,
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    if guidance is not None and not guidance.empty:
        first = starts.min()
        shown = guidance[pd.to_datetime(guidance["period_end"]) >= first]
        columns = ("period", "period_start", "period_end", "amount_low", "amount_high")
        numbers = ("annual_low_usd", "annual_mid_usd", "annual_high_usd")
        labels = ("currency", "qualifier", "scope", "months", "id", "announced_on")
        for r in _rows(shown, *columns, *numbers, *labels):
            start = pd.Timestamp(r.period_start)
            stop = pd.Timestamp(r.period_end) + pd.offsets.MonthEnd(0)
            per_quarter = r.annual_mid_usd / 4
            quarter_range = figure_text(
                r.annual_low_usd / 4, r.annual_high_usd / 4, r.qualifier, "USD bn"
            )
            text = (
                f"<b>{esc(company)}</b>, guidance for {esc(r.period)}<br>"
                f"Figure: {esc(figure_text(r.amount_low, r.amount_high, r.qualifier))} "
                f"{esc(r.currency)} bn for {int(r.months)} months<br>"
                f"Per quarter: {esc(quarter_range)}"
                f"<br>Basis: {esc(basis_label('guidance'))}, {esc(scope_label(r.scope))}<br>"
                f"Months covered: {int(r.months)} ({start:%Y-%m} to {stop:%Y-%m})<br>"
                f"Announcement: #{int(r.id)} of {pd.Timestamp(r.announced_on):%Y-%m-%d}"
            )
            fig.add_trace(
                go.Scatter(
                    x=[start, stop],
                    y=[per_quarter, per_quarter],
                    mode="lines",
                    name=esc(f"Guidance {r.period} ÷ 4"),
                    line={"color": BASIS_COLOURS["guidance"], "dash": "dash", "width": 3},
                    hovertext=[text, text],
                    hovertemplate="%{hovertext}<extra></extra>",
                )
            )
    return _layout(
        fig,
        title={"text": f"{esc(company)}: reported capex per quarter (USD bn per quarter)"},
        xaxis={
            "type": "date",
            "tickformat": "%Y-%m",
            "dtick": "M3",
            "title": "Quarter (months covered)",
        },
        yaxis_title="USD bn / quarter",
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
        height=380,
    )


# The columns guidance_history reads.
_HISTORY_COLUMNS = (
    "series",
    "announced_on",
    "annual_low_usd",
    "annual_mid_usd",
    "annual_high_usd",
    "amount_low",
    "amount_high",
    "currency",
    "notes",
    *HOVER_COLUMNS,
)


def guidance_history(history: pd.DataFrame, company: str) -> go.Figure:
    """Each announcement as a point on its date, in annual USD, with its low-high band;
    one line per period the company guided, pledged or reported for."""
    rows = history[history["company"] == company]
    if rows.empty:
        return empty(f"No announcements for {company}")
    latest = rows.groupby("series")["announced_on"].max().sort_values(ascending=False)
    series = list(latest.index[:MAX_HISTORY_SERIES])
    # The shown series' rows with the columns drawn, their hover texts and error bars
    # built once for all of them, then split by position: per series, a column
    # selection and a row walk each (and each trace validated twice by add_trace) took
    # most of the chart's 57 ms for a company of 12 series at 100k announcements.
    shown = rows.loc[rows["series"].isin(series), list(dict.fromkeys(_HISTORY_COLUMNS))]
    shown = shown.sort_values("announced_on", kind="stable")
    hover = np.array(
        [
            "<br>".join(
                [
                    f"<b>{esc(company)}</b> — {esc(r.series)}",
                    f"Figure: {esc(fig_text)} ({esc(per_year)} {UNIT})",
                    f"Wording: {esc(qualifier_words(r.qualifier))}",
                    f"Basis: {esc(basis_label(r.kind))}, {esc(scope_label(r.scope))}",
                    f"Months covered: {int(r.months)} ({pd.Timestamp(r.period_start):%Y-%m} "
                    f"to {pd.Timestamp(r.period_end):%Y-%m})",
                    f"Announcement: #{int(r.id)}",
                    esc(_short(r.notes)),
                ]
            )
            for fig_text, per_year, r in zip(
                _figures_of(shown),
                _per_year_of(shown),
                _rows(shown, "series", *HOVER_COLUMNS, "notes"),
                strict=True,
            )
        ],
        dtype=object,
    )
    when = pd.to_datetime(shown["announced_on"]).to_numpy()
    low, mid, high = (
        shown[c].to_numpy(dtype=float)
        for c in ("annual_low_usd", "annual_mid_usd", "annual_high_usd")
    )
    ranged = high > low
    above, below = np.where(ranged, high - mid, np.nan), np.where(ranged, mid - low, np.nan)
    positions = shown.groupby("series").indices
    traces = [
        {
            "type": "scatter",
            "x": when[at],
            "y": mid[at],
            "mode": "lines+markers",
            "name": esc(name),
            "marker": {"size": 10},
            "line": {"shape": "hv"},
            "error_y": {
                "type": "data",
                "symmetric": False,
                "array": above[at],
                "arrayminus": below[at],
            },
            # Data text goes in hovertext: Plotly never reads %{...} inside it.
            "hovertext": hover[at].tolist(),
            "hovertemplate": "Announced %{x|%Y-%m-%d}<br>%{hovertext}<extra></extra>",
        }
        for name, at in sorted(positions.items())
    ]
    fig = go.Figure(data=traces)
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


def _short(text: object, limit: int = 120) -> str:
    value = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


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
        "<br>".join(
            [
                f"<b>{esc(r.company)}</b>, {esc(r.period)}",
                f"Figure: {esc(r.figure)}; per year {esc(r.usd_per_year)} USD bn",
                f"Wording: {esc(qualifier_words(r.qualifier))}",
                f"Basis: {esc(basis_label(r.kind))}, {esc(scope_label(r.scope))}",
                f"Months covered: {int(r.months)} ({pd.Timestamp(r.period_start):%Y-%m} to "
                f"{pd.Timestamp(r.period_end):%Y-%m})",
                f"Announcement: #{int(r.id)} of {pd.Timestamp(r.announced_on):%Y-%m-%d}",
            ]
        )
        for r in _rows(
            rows, "company", "period", "figure", "usd_per_year", *HOVER_COLUMNS, "announced_on"
        )
    ]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=rows["annual_mid_usd"],
            marker={
                "color": [company_colour(c) for c in rows["company"]],
                "pattern": {
                    "shape": [BASIS_PATTERNS.get(k, "") for k in rows["kind"]],
                    "solidity": 0.35,
                    "fgcolor": "#ffffff",
                },
            },
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
