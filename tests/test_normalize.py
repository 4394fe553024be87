"""Normalization rules, each against figures computed by hand in the comments."""

from datetime import date

import pandas as pd
import pytest

from tests.helpers import announcement_frame, rows
from tracker.normalize import annual_view
from tracker.views import (
    announced_vs_actual,
    comparison_table,
    coverage_table,
    guidance_history,
)

CNY_2025 = 7.19  # data/fx_rates.csv


def headline(view, company, year):
    row = view.headline[(view.headline.company == company) & (view.headline.year == year)]
    assert len(row) == 1, view.headline
    return row.iloc[0]


def test_multi_year_pledge_is_spread_evenly_and_converted():
    frame = announcement_frame(
        rows(
            {
                "company": "Alibaba",
                "country": "CN",
                "fy_end_month": "3",
                "kind": "pledge",
                "scope": "ai_infrastructure",
                "period": "2025-2027",
                "amount_low": "380",
                "amount_high": "",
                "currency": "CNY",
                "announced_on": "2025-02-24",
            }
        )
    )
    view = annual_view(frame, date(2026, 1, 1))
    # 380 / 3 years / 7.19 CNY per USD = 17.617 USD bn a year, in each of 2025-2027.
    assert list(view.headline.year) == [2025, 2026, 2027]
    for year in (2025, 2026, 2027):
        assert headline(view, "Alibaba", year)["mid"] == pytest.approx(380 / 3 / CNY_2025)
        assert headline(view, "Alibaba", year)["mid"] == pytest.approx(17.617, abs=1e-3)


def test_fiscal_year_is_mapped_to_calendar_years_by_fiscal_year_end():
    frame = announcement_frame(
        rows(
            {
                "company": "Microsoft",
                "fy_end_month": "6",
                "period": "FY2025",
                "amount_low": "80",
                "amount_high": "",
                "announced_on": "2025-01-03",
                "scope": "data_centers",
            }
        )
    )
    view = annual_view(frame, date(2025, 2, 1))
    # Jul-Dec 2024 = 6/12 of 80 = 40; Jan-Jun 2025 = 40.
    assert headline(view, "Microsoft", 2024)["mid"] == pytest.approx(40)
    assert headline(view, "Microsoft", 2025)["mid"] == pytest.approx(40)
    assert headline(view, "Microsoft", 2025)["months"] == 6


def test_range_keeps_low_high_and_midpoint():
    view = annual_view(announcement_frame(rows({})), date(2025, 2, 1))
    row = headline(view, "Meta", 2025)
    assert (row["low"], row["mid"], row["high"]) == pytest.approx((60, 62.5, 65))


META_REVISIONS = (
    {"amount_low": "60", "amount_high": "65", "announced_on": "2025-01-29"},
    {"amount_low": "64", "amount_high": "72", "announced_on": "2025-04-30"},
    {"amount_low": "66", "amount_high": "72", "announced_on": "2025-07-30"},
    {"amount_low": "70", "amount_high": "72", "announced_on": "2025-10-29"},
)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2025, 1, 28), None),  # nothing known yet
        (date(2025, 1, 29), (60, 62.5, 65)),
        (date(2025, 5, 15), (64, 68, 72)),  # mid-year: the April revision
        (date(2025, 8, 1), (66, 69, 72)),
        (date(2025, 12, 31), (70, 71, 72)),
    ],
)
def test_guidance_revisions_are_replaced_never_added(as_of, expected):
    view = annual_view(announcement_frame(rows(*META_REVISIONS)), as_of)
    if expected is None:
        assert view.headline.empty
        return
    row = headline(view, "Meta", 2025)
    # A sum of the four would be 260-281; the latest known range is the figure.
    assert (row["low"], row["mid"], row["high"]) == pytest.approx(expected)


def test_actual_replaces_guidance_once_reported_and_both_stay_visible():
    actual = {
        "kind": "actual",
        "amount_low": "72.22",
        "amount_high": "",
        "announced_on": "2026-01-28",
    }
    view = annual_view(announcement_frame(rows(*META_REVISIONS, actual)), date(2026, 2, 1))
    assert headline(view, "Meta", 2025)["mid"] == pytest.approx(72.22)
    assert headline(view, "Meta", 2025)["basis"] == "actual"
    vs = announced_vs_actual(view).set_index(["company", "year"]).loc[("Meta", 2025)]
    assert vs["guidance"] == pytest.approx(71)
    assert vs["actual"] == pytest.approx(72.22)
    assert vs["diff %"] == pytest.approx((72.22 / 71 - 1) * 100)


def test_pledge_and_guidance_of_one_company_are_side_by_side_not_summed():
    pledge = {
        "kind": "pledge",
        "scope": "data_centers",
        "period": "2024-2028",
        "amount_low": "8",
        "amount_high": "",
        "currency": "GBP",
        "announced_on": "2024-09-11",
    }
    guidance = {"amount_low": "125", "amount_high": "", "announced_on": "2025-10-30"}
    view = annual_view(announcement_frame(rows(pledge, guidance)), date(2025, 12, 1))
    assert headline(view, "Meta", 2025)["mid"] == pytest.approx(125)
    basis = view.by_basis[view.by_basis.year == 2025].set_index("kind")
    # GBP 8bn / 5 years at 0.7825 GBP per USD (2024) = 2.0447 USD bn a year.
    assert basis.loc["pledge", "mid"] == pytest.approx(8 / 5 / 0.7825)
    assert basis.loc["guidance", "mid"] == pytest.approx(125)
    # Years only the pledge covers fall back to it, labelled as a pledge.
    assert headline(view, "Meta", 2027)["basis"] == "pledge"


def test_revised_multi_year_pledge_replaces_the_original():
    first = {
        "company": "Apple",
        "kind": "pledge",
        "scope": "total_investment",
        "period": "2025-2028",
        "amount_low": "500",
        "amount_high": "",
        "announced_on": "2025-02-24",
    }
    raised = {**first, "amount_low": "600", "announced_on": "2025-08-06"}
    frame = announcement_frame(rows(first, raised))
    assert headline(annual_view(frame, date(2025, 3, 1)), "Apple", 2026)["mid"] == pytest.approx(
        125
    )
    assert headline(annual_view(frame, date(2025, 9, 1)), "Apple", 2026)["mid"] == pytest.approx(
        150
    )


def test_consecutive_fiscal_years_fill_their_own_months():
    base = {"company": "Oracle", "fy_end_month": "5", "amount_high": ""}
    fy25 = {
        **base,
        "kind": "actual",
        "period": "FY2025",
        "amount_low": "24",
        "announced_on": "2025-06-11",
    }
    fy26 = {**base, "period": "FY2026", "amount_low": "36", "announced_on": "2025-09-09"}
    view = annual_view(announcement_frame(rows(fy25, fy26)), date(2025, 10, 1))
    # 2025: Jan-May from FY2025 (5 x 2) + Jun-Dec from FY2026 (7 x 3) = 10 + 21 = 31.
    row = headline(view, "Oracle", 2025)
    assert row["mid"] == pytest.approx(31)
    assert row["months"] == 12
    assert row["basis"] == "mixed"


def test_comparison_table_has_year_columns_and_growth():
    a = {
        "kind": "actual",
        "period": "2024",
        "amount_low": "40",
        "amount_high": "",
        "announced_on": "2025-01-29",
    }
    b = {"period": "2025", "amount_low": "70", "amount_high": "", "announced_on": "2025-10-29"}
    view = annual_view(announcement_frame(rows(a, b)), date(2025, 11, 1))
    table = comparison_table(view.headline, "mid").set_index("company")
    assert table.loc["Meta", "2024"] == pytest.approx(40)
    assert table.loc["Meta", "2025"] == pytest.approx(70)
    assert table.loc["Meta", "2025 YoY %"] == pytest.approx(75.0)


def test_guidance_history_lists_every_revision_with_its_predecessor():
    history = guidance_history(announcement_frame(rows(*META_REVISIONS)))
    assert list(history["annual_mid_usd"]) == pytest.approx([62.5, 68, 69, 71])
    assert list(history["revises_id"].astype("float").fillna(0)) == [0, 1, 2, 3]


def test_growth_is_only_shown_between_like_full_years():
    guidance = {
        "period": "2026",
        "amount_low": "200",
        "amount_high": "",
        "announced_on": "2026-02-05",
    }
    actual = {
        "kind": "actual",
        "period": "2025",
        "amount_low": "125",
        "amount_high": "",
        "announced_on": "2026-02-05",
    }
    pledge = {
        "kind": "pledge",
        "scope": "data_centers",
        "period": "2026-2027",
        "amount_low": "10",
        "amount_high": "",
        "announced_on": "2026-01-10",
    }
    half = {
        "company": "Half",
        "country": "US",
        "period": "2026-07/2026-12",
        "amount_low": "50",
        "amount_high": "",
        "announced_on": "2026-01-10",
    }
    full = {**half, "period": "2025", "amount_low": "80"}
    view = annual_view(
        announcement_frame(rows(guidance, actual, pledge, half, full)), date(2026, 3, 1)
    )
    table = comparison_table(view.headline).set_index("company")
    # Guidance 2026 against the 2025 actual, same scope: +60 %.
    assert table.loc["Meta", "2026 YoY %"] == pytest.approx(60)
    # 2027 is only the data-center pledge (5/yr): no growth figure against capex.
    assert table.loc["Meta", "2027"] == pytest.approx(5)
    assert pd.isna(table.loc["Meta", "2027 YoY %"])
    # A half-covered year is not compared with a full one.
    assert pd.isna(table.loc["Half", "2026 YoY %"])
    coverage = coverage_table(view.headline).set_index("company")
    assert coverage.loc["Half", "2026"] == 6 and coverage.loc["Meta", "2026"] == 12


def test_filter_announcements_by_as_of_and_overlapping_years():
    from tracker.views import filter_announcements, sources_table

    frame = announcement_frame(
        rows(
            {"period": "2024", "announced_on": "2024-02-01"},
            {"kind": "pledge", "period": "2025-2027", "announced_on": "2025-02-01"},
            {"company": "Other", "country": "CN", "announced_on": "2025-03-01"},
        )
    )
    frame["source_url"] = ["https://a.example/1", "https://a.example/2", "https://a.example/3"]
    assert list(filter_announcements(frame, date(2025, 1, 1))["id"]) == [1]
    # 2026 overlaps only the 2025-2027 pledge; the CN filter removes "Other".
    assert list(filter_announcements(frame, date(2026, 1, 1), years=(2026, 2026))["id"]) == [2]
    assert list(filter_announcements(frame, date(2026, 1, 1), countries=["CN"])["id"]) == [3]
    view = annual_view(frame, date(2026, 1, 1))
    sources = sources_table(view.headline, frame).set_index(["company", "year"])
    assert sources.loc[("Meta", 2026), "source"] == "https://a.example/2"
