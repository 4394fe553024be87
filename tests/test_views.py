"""Tables of tracker.views on the fixture data and on small hand-made frames.

FX (tests/helpers.py): CNY 7.6 per USD in 2025, GBP 0.8 in 2024.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.helpers import announcement_frame, fx_table, rows
from tracker import queries
from tracker.normalize import annual_view, superseded_ids
from tracker.views import (
    YearTotal,
    announcement_figures,
    announcement_texts,
    basis_table,
    compare_announcements,
    comparison_table,
    coverage_table,
    default_comparison_ids,
    figure_text,
    figure_texts,
    figures_for,
    guidance_history,
    guided_vs_delivered,
    newest_linked,
    programmes_table,
    quarterly_actuals,
    run_rate,
    sources_table,
    whats_new,
    with_revisions,
    year_total,
)

FX = fx_table()
TODAY = date(2026, 11, 26)


@pytest.fixture
def fixture_frame(seeded_engine) -> pd.DataFrame:
    return queries.announcements_frame(seeded_engine)


def test_figure_text_shows_the_qualifier():
    assert figure_text(380, 380, "at_least", "CNY bn") == "≥ 380.0 CNY bn"
    assert figure_text(500, 500, "up_to", "USD bn") == "≤ 500.0 USD bn"
    assert figure_text(80, 80, "about") == "~80.0"
    assert figure_text(60, 65, "exact", "USD bn") == "60.0–65.0 USD bn"
    assert figure_text(1234.5, 1234.5) == "1,234.5"


def test_figure_texts_match_figure_text_row_by_row():
    low = pd.Series([0.0, -0.0, np.nan, 1234.55, 0.05, 1e-9, 2.25, -0.04, 60.0, 80.0])
    high = pd.Series([0.0, -0.0, np.nan, 1234.56, 0.05, 0.0, 2.35, -0.04, 65.0, 80.0])
    qualifier = pd.Series(
        ["exact", "about", "at_least", "up_to", None, "exact", "about", "x", "exact", "about"]
    )
    unit = pd.Series(["USD bn", "", "CNY bn", "EUR bn", "a", "b", "c", "", "USD bn", ""])
    expected = [figure_text(*args) for args in zip(low, high, qualifier, unit, strict=True)]
    assert figure_texts(low, high, qualifier, unit).tolist() == expected
    plain = [figure_text(*args) for args in zip(low, high, qualifier, strict=True)]
    assert figure_texts(low, high, qualifier).tolist() == plain


def test_announcement_figures_on_the_fixture(fixture_frame):
    figures = announcement_figures(fixture_frame, TODAY, FX).set_index("id")
    alibaba = figures.loc[27]
    assert alibaba["figure"] == "≥ 380.0 CNY bn"
    # CNY 380bn at 7.6 = 50 over 36 months: 16.67 a year.
    assert alibaba["usd_per_year"] == "≥ 16.7"
    assert alibaba["months"] == 36
    assert figures.loc[29, "figure"] == "≤ 500.0 USD bn"  # Stargate
    # Meta's 2025 range 60-65 was revised three times (#6, #7, #8) on the same period.
    assert figures.loc[6, "revises_id"] == 5 and pd.isna(figures.loc[5, "revises_id"])
    # Same-period revisions: Meta's 2025 ranges #5-#7 were replaced by later ones, and
    # Apple's USD 500bn programme (#30) by the USD 600bn one (#31); nothing is superseded
    # explicitly in the fixture.
    assert figures.loc[[5, 6, 7, 30], "status"].tolist() == ["revised"] * 4
    assert figures.loc[[8, 31, 27], "status"].tolist() == ["current"] * 3
    assert "superseded" not in set(figures["status"])
    # Before Apple's raise (2025-08-06) its first programme was still current.
    early = announcement_figures(fixture_frame, date(2025, 8, 1), FX).set_index("id")
    assert early.loc[30, "status"] == "current"


def test_one_companys_figures_equal_its_rows_of_all_figures(fixture_frame):
    """The dashboard's Company page formats one company's announcements only: revision
    links and explicit supersedes never cross companies, so its figures (texts, USD,
    revision links, status) are exactly that company's rows of the whole table. Meta #8
    is made to supersede #5 explicitly so a superseded status is covered too."""
    frame = fixture_frame.copy()
    frame.loc[frame["id"] == 8, "supersedes"] = 5
    for as_of in (TODAY, date(2025, 8, 1)):
        everything = announcement_figures(frame, as_of, FX)
        assert "superseded" in set(everything["status"]) or as_of < date(2025, 10, 1)
        for company in frame["company"].unique():
            own = announcement_figures(frame[frame["company"] == company], as_of, FX)
            expected = everything[everything["company"] == company]
            pd.testing.assert_frame_equal(
                own.reset_index(drop=True), expected.reset_index(drop=True)
            )
    meta = announcement_figures(frame[frame["company"] == "Meta"], TODAY, FX).set_index("id")
    assert meta.loc[5, "status"] == "superseded"


def test_figures_for_some_ids_equal_their_rows_of_all_figures(fixture_frame):
    """figures_for formats only the chosen announcements' revision groups; their rows
    (texts, revision links, status) are those of the whole table. #8 supersedes #5
    explicitly; #6 (revised by #7) is chosen without the rows that revise it."""
    frame = fixture_frame.copy()
    frame.loc[frame["id"] == 8, "supersedes"] = 5
    for as_of in (TODAY, date(2025, 8, 1)):
        everything = announcement_figures(frame, as_of, FX).set_index("id")
        for ids in ([5], [6, 27], [20, 31, 9], [2]):
            some = figures_for(frame, ids, as_of, FX).set_index("id")
            assert sorted(some.index) == sorted(ids)
            pd.testing.assert_frame_equal(some.loc[ids], everything.loc[ids])
    chosen = figures_for(frame, [5, 6], TODAY, FX).set_index("id")
    assert chosen["status"].to_dict() == {5: "superseded", 6: "revised"}
    assert chosen.loc[6, "revises_id"] == 5


def test_revisions_are_linked_whatever_the_row_order(fixture_frame):
    shuffled = fixture_frame.sample(frac=1, random_state=3)
    shuffled.index = [0] * len(shuffled)  # links are found by position, not by label
    linked = with_revisions(shuffled)
    assert linked["id"].is_monotonic_increasing
    assert linked.set_index("id").loc[[5, 6, 7, 8], "revises_id"].tolist() == [pd.NA, 5, 6, 7]
    expected = with_revisions(fixture_frame.sort_values("id"))
    pd.testing.assert_series_equal(
        linked["revises_id"].reset_index(drop=True), expected["revises_id"].reset_index(drop=True)
    )


def test_newest_linked_lists_the_newest_with_the_whole_tables_links(fixture_frame):
    """Meta's rows alone (in any order): the three newest are #10 and #9 (both
    2026-01-28, by id) and #8 (2025-10-29), which revises #7 though #7 is not listed.
    Of the whole table, each listed row's link is the one with_revisions gives."""
    meta = fixture_frame[fixture_frame["company"] == "Meta"].sample(frac=1, random_state=5)
    listed = newest_linked(meta, 3)
    assert listed["id"].tolist() == [10, 9, 8]
    assert listed["revises_id"].isna().tolist() == [True, True, False]
    assert listed["revises_id"].iloc[2] == 7
    every = newest_linked(fixture_frame, 31).set_index("id")["revises_id"]
    expected = with_revisions(fixture_frame).set_index("id")["revises_id"]
    pd.testing.assert_series_equal(every.sort_index(), expected)
    assert newest_linked(fixture_frame, 31).iloc[0]["id"] == 21


def test_a_supersedes_link_counts_once_its_announcement_is_known(fixture_frame):
    """Meta's #8 (2025-10-29) made to supersede #5: nothing is superseded as of
    2025-06-30, #5 is from the day #8 was announced."""
    frame = fixture_frame.copy()
    frame.loc[frame["id"] == 8, "supersedes"] = 5
    assert superseded_ids(frame, date(2025, 6, 30)) == set()
    assert superseded_ids(frame, date(2025, 10, 29)) == {5}
    assert superseded_ids(frame) == {5}
    # Found by position, whatever the frame's index.
    shuffled = frame.iloc[::-1].set_axis(range(100, 100 + len(frame)))
    assert superseded_ids(shuffled, date(2025, 6, 30)) == set()
    assert superseded_ids(shuffled, date(2025, 10, 29)) == {5}


def test_without_the_seed_companies_the_three_latest_are_compared(fixture_frame):
    """No Alibaba, Microsoft or Meta: the three most recent, by date then id. Of the
    rest of the fixture, the latest are Alphabet's #15 and #16 (both 2026-02-04) and
    Amazon's #21 (2026-02-05)."""
    others = fixture_frame[~fixture_frame["company"].isin(["Alibaba", "Microsoft", "Meta"])]
    assert default_comparison_ids(others) == [15, 16, 21]
    # In any row order.
    assert default_comparison_ids(others.iloc[::-1]) == [15, 16, 21]


def test_default_comparison_takes_what_is_known_at_the_as_of_date(fixture_frame):
    """Only announcements made by the as-of date count. On 2025-06-30: Alibaba's pledge
    #27, Microsoft's FY2025 guidance #2 and Meta's 2025 guidance of 2025-04-30 (#6, not
    the later #7 and #8). On 2025-02-01 Alibaba's pledge (2025-02-24) is not yet known:
    #2 and Meta's first 2025 guidance #5. Without the named companies on 2025-02-05,
    Stargate's #29 (2025-01-21), then Alphabet's #11 and #12 (2025-02-04, by id); Amazon's
    #17 and #18 (2025-02-06) are a day too late. Before any announcement: none."""
    assert default_comparison_ids(fixture_frame, date(2025, 6, 30)) == [27, 2, 6]
    assert default_comparison_ids(fixture_frame.iloc[::-1], date(2025, 2, 1)) == [2, 5]
    others = fixture_frame[~fixture_frame["company"].isin(["Alibaba", "Microsoft", "Meta"])]
    assert default_comparison_ids(others.iloc[::-1], date(2025, 2, 5)) == [29, 11, 12]
    assert default_comparison_ids(fixture_frame, date(2024, 1, 1)) == []


def test_compare_announcements_puts_pledge_and_plans_side_by_side(fixture_frame):
    figures = announcement_figures(fixture_frame, TODAY, FX)
    ids = default_comparison_ids(figures)
    # Alibaba's pledge #27, Microsoft's FY2025 guidance #2, Meta's latest 2025 guidance #8.
    assert ids == [27, 2, 8]
    table = compare_announcements(figures, ids).set_index("id")
    assert table.loc[27, "annual_mid_usd"] == pytest.approx(50 / 3)
    assert table.loc[2, "annual_mid_usd"] == pytest.approx(80)  # FY2025, 12 months
    assert table.loc[8, "annual_mid_usd"] == pytest.approx(71)  # 70-72


def test_programmes_table_holds_what_never_enters_totals(fixture_frame):
    figures = announcement_figures(fixture_frame, TODAY, FX)
    programmes = programmes_table(figures, fixture_frame).set_index("id")
    assert programmes.loc[30, "why"] == "not capex (investment programme)"  # Apple
    assert programmes.loc[31, "why"] == "not capex (investment programme)"
    assert programmes.loc[29, "why"] == "joint venture: OpenAI; SoftBank; Oracle; MGX"
    assert programmes.loc[22, "why"] == "multi-year pledge"  # Amazon UK
    view = annual_view(fixture_frame, TODAY, FX)
    table = comparison_table(view.headline)
    # Apple and Stargate appear only here, not in the comparison.
    assert not {"Apple", "Stargate"} & set(table["company"])
    assert {"Apple", "Stargate"} <= set(programmes["company"])


def test_year_total_leaves_out_partial_years_and_names_them(fixture_frame):
    headline = annual_view(fixture_frame, TODAY, FX).headline
    total = year_total(headline, 2025)
    # Full years: Amazon 125 + Alphabet 91.45 + Meta 72.22 + Oracle 38 = 326.67.
    assert total.total == pytest.approx(326.67)
    assert (total.companies, total.largest) == (4, "Amazon")
    assert total.largest_value == pytest.approx(125)
    # Alibaba's pledge starts in February (11 months); Microsoft's FY2025 ends in June.
    assert total.left_out == ["Alibaba (11 of 12 months)", "Microsoft (6 of 12 months)"]
    assert "left out for partial coverage: Alibaba (11 of 12 months)" in total.note()


def test_year_total_note_counts_one_company_in_the_singular():
    """One company filtered in reads as one company, not "All 1 companies"."""

    def note(companies: int, left_out: list[str]) -> str:
        return YearTotal(2026, 135.0, companies, "Meta", 135.0, left_out).note()

    assert note(1, []) == "The company shown has a full year."
    assert note(2, []) == "All 2 companies have a full year."
    assert note(1, ["Oracle (5 of 12 months)"]) == (
        "Total over 1 company with a full year; left out for partial coverage: "
        "Oracle (5 of 12 months)."
    )
    assert note(3, ["Oracle (5 of 12 months)"]).startswith("Total over 3 companies with")


def test_year_total_with_a_six_month_company():
    full = {"company": "Full", "period": "2025", "amount_low": "100", "amount_high": ""}
    half = {"company": "Half", "period": "2025-07/2025-12", "amount_low": "50", "amount_high": ""}
    view = annual_view(announcement_frame(rows(full, half), FX), TODAY, FX)
    total = year_total(view.headline, 2025)
    assert (total.total, total.companies) == (pytest.approx(100), 1)
    assert total.left_out == ["Half (6 of 12 months)"]


def test_comparison_table_has_growth_only_between_like_full_years():
    actual = {
        "kind": "actual",
        "period": "2025",
        "amount_low": "125",
        "amount_high": "",
        "announced_on": "2026-02-05",
    }
    guidance = {
        "period": "2026",
        "amount_low": "200",
        "amount_high": "",
        "announced_on": "2026-02-05",
    }
    pledge = {
        "kind": "pledge",
        "scope": "total_capex",
        "period": "2027",
        "amount_low": "10",
        "amount_high": "",
        "announced_on": "2026-01-10",
    }
    half = {
        "company": "Half",
        "period": "2026-07/2026-12",
        "amount_low": "50",
        "amount_high": "",
        "announced_on": "2026-01-10",
    }
    full = {**half, "period": "2025", "amount_low": "80"}
    view = annual_view(
        announcement_frame(rows(actual, guidance, pledge, half, full), FX),
        date(2026, 3, 1),
        FX,
    )
    table = comparison_table(view.headline).set_index("company")
    # Guidance 2026 (200) against the 2025 actual (125): +60 %.
    assert table.loc["Meta", "2026 YoY %"] == pytest.approx(60)
    # 2027 is a pledge: not compared with 2026 guidance.
    assert table.loc["Meta", "2027"] == pytest.approx(10)
    assert pd.isna(table.loc["Meta", "2027 YoY %"])
    # A half-covered year is not compared with a full one.
    assert pd.isna(table.loc["Half", "2026 YoY %"])
    assert table.loc["Meta", "measure"] == "Total capex"
    coverage = coverage_table(view.headline).set_index("company")
    assert (coverage.loc["Half", "2026"], coverage.loc["Meta", "2026"]) == (6, 12)


def test_basis_table_on_the_fixture(fixture_frame):
    table = basis_table(annual_view(fixture_frame, TODAY, FX)).set_index(
        ["company", "scope", "year"]
    )
    meta = table.loc[("Meta", "total_capex", 2025)]
    # Latest 2025 guidance 70-72 (mid 71) against the 72.22 actual: +1.72 %.
    assert (meta["guidance"], meta["actual"]) == pytest.approx((71, 72.22))
    assert meta["actual vs guidance %"] == pytest.approx((72.22 / 71 - 1) * 100)
    amazon_uk = table.loc[("Amazon", "data_centers", 2027)]
    assert amazon_uk["pledge"] == pytest.approx(2.0)  # GBP 8bn / 0.8 / 5 years
    assert np.isnan(amazon_uk["guidance"])


def test_sources_table_names_every_announcement_behind_a_figure(fixture_frame):
    headline = annual_view(fixture_frame, TODAY, FX).headline
    sources = sources_table(headline, fixture_frame)
    microsoft = sources[(sources.company == "Microsoft") & (sources.year == 2024)]
    # Calendar 2024 = Jan-Jun of FY2024 (#1) + Jul-Dec of FY2025 (#3).
    assert list(microsoft["announcement_id"]) == [1, 3]
    assert list(microsoft["announced_period"]) == ["FY2024", "FY2025"]
    assert microsoft["source"].str.startswith("https://www.microsoft.com/").all()


def test_whats_new_shows_what_each_announcement_replaced(fixture_frame):
    new = whats_new(announcement_texts(fixture_frame, FX), date(2025, 10, 1), date(2025, 12, 31))
    # Oct 1 - Dec 31, 2025: Meta #8, Alphabet #14 (Oct 29), Amazon #20 (Oct 30),
    # Oracle #26 (Dec 10); newest first.
    assert list(new["id"]) == [26, 20, 14, 8]
    by_id = new.set_index("id")
    # Oracle FY2026: about 50 replaces about 35 (#25): +15 a year.
    assert (by_id.loc[26, "replaces"], by_id.loc[26, "replaced_figure"]) == (25, "~35.0 USD bn")
    assert by_id.loc[26, "change_usd_per_year"] == pytest.approx(15)
    # Meta 2025: 70-72 (mid 71) replaces 66-72 (mid 69, #7): +2.
    assert (by_id.loc[8, "replaces"], by_id.loc[8, "change_usd_per_year"]) == (7, 2)
    # Alphabet 2025: 91-93 (mid 92) replaces about 85 (#13): +7.
    assert by_id.loc[14, "change_usd_per_year"] == pytest.approx(7)


def test_guidance_history_and_guided_vs_delivered(fixture_frame):
    history = guidance_history(fixture_frame, TODAY, FX)
    meta = history[
        (history.company == "Meta") & (history.period == "2025") & (history.kind == "guidance")
    ]
    assert list(meta["annual_mid_usd"]) == pytest.approx([62.5, 68, 69, 71])
    # One line per period, kind and scope, the scope named by its label.
    assert set(meta["series"]) == {"2025 guidance, Total capex"}
    microsoft = history[history.company == "Microsoft"]
    assert "FY2025 guidance, Data-center capex" in set(microsoft["series"])
    delivered = guided_vs_delivered(history).set_index(["company", "period"])
    row = delivered.loc[("Meta", "2025")]
    # First guidance mid 62.5, last 71, actual 72.22.
    assert (row["first_guidance"], row["last_guidance"], row["actual"]) == pytest.approx(
        (62.5, 71, 72.22)
    )
    assert row["vs first %"] == pytest.approx((72.22 / 62.5 - 1) * 100)


def test_quarterly_actuals_and_run_rate():
    def q(first, last, amount, announced, **extra):
        return {
            "company": "Q Corp",
            "kind": "actual",
            "period": f"{first}/{last}",
            "amount_low": amount,
            "amount_high": "",
            "announced_on": announced,
            **extra,
        }

    frame = announcement_frame(
        rows(
            q("2025-01", "2025-03", "10", "2025-04-25"),
            q("2025-04", "2025-06", "11", "2025-07-25"),
            q("2025-07", "2025-09", "12", "2025-10-25"),
            q("2025-10", "2025-12", "13", "2026-01-25"),
            # A restatement of Q4 replaces the first report.
            q("2025-10", "2025-12", "14", "2026-02-25", notes="restated"),
        ),
        FX,
    )
    quarters = quarterly_actuals(frame, FX)
    assert list(quarters["mid_usd"]) == pytest.approx([10, 11, 12, 14])
    rate = run_rate(quarters).iloc[0]
    # Latest quarter 14 x 4 = 56; trailing four 10 + 11 + 12 + 14 = 47.
    assert (rate["run_rate_usd_bn"], rate["trailing_4q_usd_bn"]) == pytest.approx((56, 47))
    assert rate["latest_quarter"] == "2025-10 to 2025-12"
