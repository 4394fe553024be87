"""Chart builders stay readable and light at any data size."""

import pandas as pd

from dashboard import charts


def headline(companies: int) -> pd.DataFrame:
    rows = [
        {
            "company": f"Co {i:02d}",
            "year": year,
            "low": i,
            "mid": i + 1.0,
            "high": i + 2.0,
            "months": 12,
            "basis": "guidance",
            "scope": "total_capex",
        }
        for i in range(companies)
        for year in (2025, 2026)
    ]
    return pd.DataFrame(rows)


def test_spend_over_time_shows_the_largest_companies_only():
    fig = charts.spend_over_time(headline(20), "mid")
    names = [trace.name for trace in fig.data]
    assert len(names) == charts.MAX_TIMELINE_COMPANIES
    assert names[0] == "Co 19" and "Co 00" not in names  # largest first
    assert "the 15 largest of 20 companies" in fig.layout.title.text


def test_spend_over_time_names_no_cut_when_everything_fits():
    fig = charts.spend_over_time(headline(3), "mid")
    assert len(fig.data) == 3 and "largest" not in fig.layout.title.text


def test_overview_bars_have_error_bars_only_for_ranges_and_label_partial_years():
    rows = headline(2)
    rows.loc[0, ["low", "high", "months"]] = [1.0, 1.0, 5]
    fig = charts.spend_by_company(rows, 2025, "mid")
    bars = {x: (t.error_y.array[i], t.text[i]) for t in fig.data for i, x in enumerate(t.x)}
    assert pd.isna(bars["Co 00"][0]) and bars["Co 00"][1] == "5/12 mo"
    assert bars["Co 01"][0] == 1.0 and bars["Co 01"][1] == ""


def test_timeline_plots_at_most_the_newest_points():
    n = charts.MAX_TIMELINE_POINTS + 500
    frame = pd.DataFrame(
        {
            "announced_on": pd.date_range("2020-01-01", periods=n, freq="h"),
            "company": "Co",
            "kind": "guidance",
            "period": "2025",
            "amount_low": 1.0,
            "amount_high": 1.0,
            "currency": "USD",
            "scope": "total_capex",
        }
    )
    fig = charts.announcement_timeline(frame)
    assert sum(len(t.x) for t in fig.data) == charts.MAX_TIMELINE_POINTS
    assert "newest 3,000" in fig.layout.title.text


def test_guidance_history_keeps_the_newest_series():
    rows = pd.DataFrame(
        {
            "company": "Co",
            "series": [f"{2000 + i} guidance (total_capex)" for i in range(20)],
            "announced_on": pd.date_range("2020-01-01", periods=20, freq="MS"),
            "annual_low_usd": 1.0,
            "annual_mid_usd": 1.5,
            "annual_high_usd": 2.0,
            "notes": "",
        }
    )
    fig = charts.guidance_history_chart(rows, "Co")
    names = {t.name for t in fig.data}
    assert len(names) == charts.MAX_HISTORY_SERIES
    assert "2019 guidance (total_capex)" in names and "2000 guidance (total_capex)" not in names
    assert "8 older series not shown" in fig.layout.title.text
