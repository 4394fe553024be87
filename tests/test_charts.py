"""Chart builders: readable at any data size, and inert to HTML in data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from dashboard import charts


def headline(companies: int) -> pd.DataFrame:
    rows = [
        {
            "company": f"Co {i:02d}",
            "country": "US",
            "year": year,
            "low": float(i),
            "mid": i + 1.0,
            "high": i + 2.0,
            "months": 12,
            "covers": f"{year}-01 to {year}-12",
            "announcement_ids": f"{i},{i + 100}",
            "basis": "guidance",
            "scope": "total_capex",
            "qualifier": "exact",
            "in_totals": True,
        }
        for i in range(companies)
        for year in (2025, 2026)
    ]
    return pd.DataFrame(rows)


def test_over_time_shows_the_largest_companies_only():
    fig = charts.over_time(headline(20), "mid")
    names = [trace.name for trace in fig.data]
    assert len(names) == charts.MAX_TIMELINE_COMPANIES
    assert names[0] == "Co 19" and "Co 00" not in names  # largest first
    assert "the 15 largest of 20 companies" in fig.layout.title.text


def test_ranking_shows_the_largest_companies_only():
    """40 companies, Co 39 the largest: the 30 largest are ranked (Co 39 .. Co 10) and
    the title says how many were left out."""
    fig = charts.ranking(headline(40), 2025, "mid")
    ranked = [x for trace in fig.data for x in trace.x]
    assert len(ranked) == charts.MAX_RANKED_COMPANIES == 30
    assert fig.layout.xaxis.categoryarray[0] == "Co 39"
    assert "Co 10" in ranked and "Co 09" not in ranked
    assert "the 30 largest of 40" in fig.layout.title.text
    small = charts.ranking(headline(3), 2025, "mid")
    assert "largest" not in small.layout.title.text


def test_ranking_labels_values_and_partial_years_and_explains_in_hover():
    rows = headline(2)
    rows.loc[0, ["low", "mid", "high", "months"]] = [1.0, 1.0, 1.0, 5]
    rows.loc[0, "covers"] = "2025-08 to 2025-12"
    fig = charts.ranking(rows, 2025, "mid")
    labels = {x: t for trace in fig.data for x, t in zip(trace.x, trace.text, strict=True)}
    assert labels == {"Co 00": "1.0 (5/12 mo)", "Co 01": "2.0"}
    hover = " ".join(h for trace in fig.data for h in trace.hovertext)
    assert "Months covered: 5 of 12 (2025-08 to 2025-12)" in hover
    assert "partial year, not in totals" in hover
    assert "Figure: 1.0–3.0 USD bn (chart shows 2.0)" in hover  # Co 01's range
    assert "Announcements: #1, #101" in hover
    assert list(fig.layout.xaxis.categoryarray) == ["Co 01", "Co 00"]  # largest first


def test_ranking_escapes_html_in_company_names():
    rows = headline(1)
    rows["company"] = '<a href="https://evil.example">x</a>'
    spec = json.dumps(charts.ranking(rows, 2025, "mid").to_plotly_json(), default=str)
    assert "<a href" not in spec and "&lt;a href=" in spec


def test_guidance_history_axis_shows_dates_not_times():
    rows = pd.DataFrame(
        {
            "company": "Co",
            "series": [f"{2000 + i} guidance (total_capex)" for i in range(20)],
            "announced_on": pd.date_range("2020-01-01", periods=20, freq="MS"),
            "amount_low": 1.0,
            "amount_high": 2.0,
            "currency": "USD",
            "qualifier": "exact",
            "annual_low_usd": 1.0,
            "annual_mid_usd": 1.5,
            "annual_high_usd": 2.0,
            "notes": "%{x} <b>bold</b>",
            "id": range(1, 21),
            "kind": "guidance",
            "scope": "total_capex",
            "months": 12,
            "period_start": pd.Timestamp("2025-01-01"),
            "period_end": pd.Timestamp("2025-12-01"),
        }
    )
    fig = charts.guidance_history(rows, "Co")
    assert len(fig.data) == charts.MAX_HISTORY_SERIES
    assert "8 older series not shown" in fig.layout.title.text
    assert fig.layout.xaxis.type == "date" and fig.layout.xaxis.tickformat == "%Y-%m-%d"
    trace = fig.data[0]
    assert trace.hovertemplate.startswith("Announced %{x|%Y-%m-%d}")
    # Notes are data: escaped and kept out of the template.
    assert "&lt;b&gt;bold&lt;/b&gt;" in trace.hovertext[0]
    assert "%{x}" not in trace.hovertemplate.replace("%{x|%Y-%m-%d}", "")


def test_guidance_history_splits_interleaved_series_by_date():
    """Two series announced in turn: one trace each (in name order), its points by
    date, and error bars only where the figure is a range (Meta's 2025 guidance
    60-65 then 64-72; its 2024 actual 39.23 exact)."""
    rows = pd.DataFrame(
        {
            "company": "Meta",
            "series": ["2025 guidance", "2024 actual", "2025 guidance"],
            "announced_on": pd.to_datetime(["2025-04-30", "2025-01-29", "2025-01-29"]),
            "amount_low": [64.0, 39.23, 60.0],
            "amount_high": [72.0, 39.23, 65.0],
            "currency": "USD",
            "qualifier": "exact",
            "annual_low_usd": [64.0, 39.23, 60.0],
            "annual_mid_usd": [68.0, 39.23, 62.5],
            "annual_high_usd": [72.0, 39.23, 65.0],
            "notes": "",
            "id": [6, 4, 5],
            "kind": ["guidance", "actual", "guidance"],
            "scope": "total_capex",
            "months": 12,
            "period_start": pd.to_datetime(["2025-01-01", "2024-01-01", "2025-01-01"]),
            "period_end": pd.to_datetime(["2025-12-01", "2024-12-01", "2025-12-01"]),
        }
    )
    fig = charts.guidance_history(rows, "Meta")
    assert [t.name for t in fig.data] == ["2024 actual", "2025 guidance"]
    actual, guidance = fig.data
    assert list(guidance.y) == [62.5, 68.0]  # #5 (January) before #6 (April)
    assert [str(x)[:10] for x in guidance.x] == ["2025-01-29", "2025-04-30"]
    assert list(guidance.error_y.array) == [2.5, 4.0]  # 65 - 62.5, 72 - 68
    assert list(guidance.error_y.arrayminus) == [2.5, 4.0]
    assert "Announcement: #5" in guidance.hovertext[0] and "#6" in guidance.hovertext[1]
    assert list(actual.y) == [39.23] and np.isnan(actual.error_y.array[0])
    assert "Announcement: #4" in actual.hovertext[0]


def test_empty_inputs_give_a_message_not_an_error():
    empty = headline(1).iloc[0:0]
    assert charts.ranking(empty, 2025, "mid").layout.annotations
    assert charts.over_time(empty, "mid").layout.annotations
    assert charts.compared(pd.DataFrame()).layout.annotations


def test_guidance_history_hover_names_basis_months_and_announcement():
    rows = pd.DataFrame(
        {
            "company": "Meta",
            "series": "2025 guidance (total_capex)",
            "announced_on": [pd.Timestamp("2025-01-29")],
            "amount_low": 60.0,
            "amount_high": 65.0,
            "currency": "USD",
            "qualifier": "exact",
            "annual_low_usd": 60.0,
            "annual_mid_usd": 62.5,
            "annual_high_usd": 65.0,
            "notes": "",
            "id": 5,
            "kind": "guidance",
            "scope": "total_capex",
            "months": 12,
            "period_start": pd.Timestamp("2025-01-01"),
            "period_end": pd.Timestamp("2025-12-01"),
        }
    )
    hover = charts.guidance_history(rows, "Meta").data[0].hovertext[0]
    for part in (
        "<b>Meta</b>",
        "Figure: 60.0–65.0 USD bn (60.0–65.0 USD bn / year)",
        "Basis: Guidance, Total capex",
        "Months covered: 12 (2025-01 to 2025-12)",
        "Announcement: #5",
    ):
        assert part in hover, (part, hover)


def test_quarterly_bars_on_a_date_axis_beside_guidance_with_full_hover():
    quarters = pd.DataFrame(
        {
            "company": "Microsoft",
            "scope": "total_capex",
            "period_start": pd.to_datetime(["2024-07-01", "2024-10-01"]),
            "period_end": pd.to_datetime(["2024-09-01", "2024-12-01"]),
            "mid_usd": [20.0, 22.6],
            "qualifier": "exact",
            "announced_on": pd.to_datetime(["2024-10-30", "2025-01-29"]),
            "id": [40, 41],
        }
    )
    guidance = pd.DataFrame(
        {
            "company": ["Microsoft"],
            "scope": "total_capex",
            "period": "FY2025",
            "period_start": pd.Timestamp("2024-07-01"),
            "period_end": pd.Timestamp("2025-06-01"),
            "amount_low": 80.0,
            "amount_high": 80.0,
            "currency": "USD",
            "qualifier": "about",
            "months": 12,
            "annual_low_usd": 80.0,
            "annual_mid_usd": 80.0,
            "annual_high_usd": 80.0,
            "id": 2,
            "announced_on": pd.Timestamp("2025-01-03"),
        }
    )
    fig = charts.quarterly(quarters, "Microsoft", guidance)
    bars, line = fig.data
    assert fig.layout.xaxis.type == "date" and fig.layout.xaxis.tickformat == "%Y-%m"
    assert list(bars.text) == ["20.0", "22.6"]
    assert "quarter 2024-10 to 2024-12" in bars.hovertext[1]
    assert "Figure: 22.6 USD bn" in bars.hovertext[1] and "Announcement: #41" in bars.hovertext[1]
    assert "Months covered: 3" in bars.hovertext[1]
    # About USD 80bn for FY2025 is about 20 a quarter, drawn over July 2024 to June 2025.
    assert list(line.y) == [20.0, 20.0]
    assert "Per quarter: ~20.0 USD bn" in line.hovertext[0]
    assert bars.marker.color == charts.company_colour("Microsoft")


def test_company_colours_are_stable_and_shared_by_every_chart():
    assert charts.company_colour("Meta") == charts.COMPANY_COLOURS["Meta"]
    assert charts.company_colour("Some New Co") == charts.company_colour("Some New Co")
    assert charts.company_colour("Some New Co") in charts.PALETTE
    rows = headline(3)
    rows.loc[rows["company"] == "Co 01", "company"] = "Meta"
    ranking = charts.ranking(rows, 2025, "mid")
    colours = dict(zip(ranking.data[0].x, ranking.data[0].marker.color, strict=True))
    over_time = {t.name: t.marker.color for t in charts.over_time(rows, "mid").data}
    assert colours["Meta"] == over_time["Meta"] == charts.COMPANY_COLOURS["Meta"]
    assert colours["Co 02"] == over_time["Co 02"]
