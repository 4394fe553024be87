"""Normalization rules (tracker.normalize), each against figures computed by hand.

FX comes from tests/helpers.py (CNY 7.6 per USD in 2025, GBP 0.8 in 2024) or from a
table built in the test where the rate is the point.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.helpers import ALIBABA, announcement_frame, fx_table, rows
from tracker import normalize, queries
from tracker.normalize import Inclusion, annual_view, default_year, resolve, with_usd
from tracker.vocab import Scope

FX = fx_table()
TODAY = date(2026, 11, 26)


def view_of(*overrides, as_of=TODAY, fx=FX, include=None):
    return annual_view(announcement_frame(rows(*overrides), fx), as_of, fx, include)


def headline(view, company, year):
    row = view.headline[(view.headline.company == company) & (view.headline.year == year)]
    assert len(row) == 1, view.headline
    return row.iloc[0]


def has_headline(view, company, year=None) -> bool:
    rows_ = view.headline[view.headline.company == company]
    return not (rows_ if year is None else rows_[rows_.year == year]).empty


def test_period_starting_at_the_announcement_month_spreads_over_36_months():
    view = view_of(ALIBABA)
    # CNY 380bn at 7.6 (Feb 2025) = USD 50bn over 36 months = 50/36 a month:
    # 2025: Feb-Dec = 11 months = 15.278; 2026, 2027: 16.667; 2028: January = 1.389.
    expected = {
        2025: (11, 50 / 36 * 11),
        2026: (12, 50 / 3),
        2027: (12, 50 / 3),
        2028: (1, 50 / 36),
    }
    assert list(view.headline.year) == [2025, 2026, 2027, 2028]
    for year, (months, mid) in expected.items():
        row = headline(view, "Alibaba", year)
        assert (row["months"], row["mid"]) == (months, pytest.approx(mid))
        assert row["in_totals"] == (months == 12)
        assert row["qualifier"] == "at_least"
    assert headline(view, "Alibaba", 2025)["covers"] == "2025-02 to 2025-12"


def test_fiscal_year_is_mapped_to_calendar_years_by_fiscal_year_end():
    view = view_of(
        {
            "company": "Microsoft",
            "fy_end_month": "6",
            "period": "FY2025",
            "amount_low": "80",
            "amount_high": "",
            "announced_on": "2025-01-03",
        }
    )
    # Jul-Dec 2024 = 6/12 of 80 = 40; Jan-Jun 2025 = 40, 6 months: not in totals.
    assert headline(view, "Microsoft", 2024)["mid"] == pytest.approx(40)
    row = headline(view, "Microsoft", 2025)
    assert (row["mid"], row["months"], row["in_totals"]) == (pytest.approx(40), 6, False)


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
        (date(2025, 5, 15), (64, 68, 72)),
        (date(2025, 8, 1), (66, 69, 72)),
        (date(2025, 12, 31), (70, 71, 72)),
    ],
)
def test_guidance_revisions_are_replaced_never_added(as_of, expected):
    view = view_of(*META_REVISIONS, as_of=as_of)
    if expected is None:
        assert view.headline.empty
        return
    row = headline(view, "Meta", 2025)
    # A sum of the four would be 260-281; the latest known range is the figure.
    assert (row["low"], row["mid"], row["high"]) == pytest.approx(expected)


def test_actual_replaces_guidance_once_reported():
    actual = {
        "kind": "actual",
        "amount_low": "72.22",
        "amount_high": "",
        "announced_on": "2026-01-28",
    }
    view = view_of(*META_REVISIONS, actual, as_of=date(2026, 2, 1))
    row = headline(view, "Meta", 2025)
    assert (row["mid"], row["basis"]) == (pytest.approx(72.22), "actual")
    # Guidance stays visible beside it: the latest range 70-72, mid 71.
    basis = view.by_basis[view.by_basis.year == 2025].set_index("kind")
    assert basis.loc["guidance", "mid"] == pytest.approx(71)


def test_superseding_across_periods():
    # #1: USD 48bn over 2025-2026 (2 a month, 24 a year), announced 2025-01-15.
    # #2: USD 36bn for 2026 only, announced 2025-06-01, supersedes #1.
    first = {
        "id": "1",
        "period": "2025-2026",
        "amount_low": "48",
        "amount_high": "",
        "announced_on": "2025-01-15",
    }
    second = {
        "id": "2",
        "period": "2026",
        "amount_low": "36",
        "amount_high": "",
        "announced_on": "2025-06-01",
        "supersedes": "1",
    }
    frame = announcement_frame(rows(first, second), FX)
    before = annual_view(frame, date(2025, 3, 1), FX)
    # Before the successor is known, #1 counts in both years.
    assert headline(before, "Meta", 2025)["mid"] == pytest.approx(24)
    assert headline(before, "Meta", 2026)["mid"] == pytest.approx(24)
    after = annual_view(frame, date(2025, 7, 1), FX)
    # Once #2 is known, #1 contributes to no month at all: 2025 has no figure left,
    # though #2 only covers 2026.
    assert not has_headline(after, "Meta", 2025)
    assert headline(after, "Meta", 2026)["mid"] == pytest.approx(36)
    assert set(after.monthly["announcement_id"]) == {2}


def test_a_superseded_announcement_stays_out_of_a_view_without_its_successors_scope():
    """#1: data-center guidance of USD 40bn for 2025; #2: total capex guidance of 100 for
    2025 that supersedes it. A view of data-center capex alone must not bring #1 back:
    the company replaced that figure, whichever scopes the reader shows."""
    first = {"id": "1", "scope": "data_centers", "amount_low": "40", "amount_high": ""}
    second = {
        "id": "2",
        "amount_low": "100",
        "amount_high": "",
        "announced_on": "2025-04-30",
        "supersedes": "1",
    }
    frame = announcement_frame(rows(first, second), FX)
    centers = annual_view(frame, TODAY, FX, scopes=("data_centers",))
    assert centers.headline.empty and centers.by_basis.empty
    assert centers.monthly.empty
    chosen = normalize.view_of(resolve(frame, TODAY, FX), ("data_centers",))
    assert chosen.headline.empty and chosen.by_basis.empty
    capex = annual_view(frame, TODAY, FX, scopes=("total_capex",))
    assert headline(capex, "Meta", 2025)["mid"] == pytest.approx(100)
    # Before #2 is announced, #1 is the data-center figure.
    early = annual_view(frame, date(2025, 3, 1), FX, scopes=("data_centers",))
    assert headline(early, "Meta", 2025)["mid"] == pytest.approx(40)


def test_a_view_of_some_scopes_is_the_view_of_their_announcements(seeded_engine):
    """Without cross-scope ``supersedes`` links (the fixture has none), choosing scopes
    from the resolution of every scope gives the figures of resolving only those
    scopes' announcements, for each scope and a pair."""
    frame = queries.announcements_frame(seeded_engine)
    linked = frame.set_index("id")["scope"]
    targets = frame["supersedes"].dropna().astype(int)
    sources = frame.loc[frame["supersedes"].notna(), "scope"].to_numpy()
    assert (linked.loc[targets].to_numpy() == sources).all()  # the premise
    present = sorted(frame["scope"].unique())
    every = resolve(frame, TODAY, FX)
    for scopes in [(s,) for s in present] + [tuple(present[:2])]:
        want = annual_view(frame[frame["scope"].isin(scopes)], TODAY, FX)
        # Resolving those scopes only, and choosing them from every scope's resolution.
        chosen = normalize.view_of(every, scopes)
        for got in (annual_view(frame, TODAY, FX, scopes=scopes), chosen):
            for part, keys in (
                ("headline", ["company", "year"]),
                ("by_basis", ["company", "scope", "kind", "year"]),
            ):
                pd.testing.assert_frame_equal(
                    getattr(got, part).sort_values(keys).reset_index(drop=True),
                    getattr(want, part).sort_values(keys).reset_index(drop=True),
                    check_exact=False,
                    rtol=1e-12,
                )
    with pytest.raises(ValueError, match="has no view of"):
        normalize.view_of(resolve(frame, TODAY, FX, scopes=(present[0],)), (present[1],))


def test_fx_actual_at_average_of_its_months_pledge_at_announcement_month():
    # CNY per USD: 7.0 in Jan-Jun 2025, 8.0 in Jul-Dec 2025 (average 7.5), 9.0 in 2026.
    fx = fx_table(
        {
            "CNY": {
                **{f"2025-{m:02d}": 7.0 for m in range(1, 7)},
                **{f"2025-{m:02d}": 8.0 for m in range(7, 13)},
                2026: 9.0,
            }
        }
    )
    actual = {
        "company": "Tencent",
        "country": "CN",
        "kind": "actual",
        "period": "2025",
        "amount_low": "75",
        "amount_high": "",
        "currency": "CNY",
        "announced_on": "2026-01-20",
    }
    pledge = {
        "company": "Baidu",
        "country": "CN",
        "kind": "pledge",
        "period": "2026",
        "amount_low": "72",
        "amount_high": "",
        "currency": "CNY",
        "announced_on": "2025-08-10",
    }
    usd = with_usd(announcement_frame(rows(actual, pledge), fx), fx).set_index("company")
    # Actual: CNY 75bn at the 2025 average 7.5 = 10 (not 75 / 9.0 of January 2026).
    assert usd.loc["Tencent", "fx_rate"] == pytest.approx(7.5)
    assert usd.loc["Tencent", "mid_usd"] == pytest.approx(10)
    # Pledge: CNY 72bn at August 2025's 8.0 = 9 (not 72 / 9.0 of its own months).
    assert usd.loc["Baidu", "fx_rate"] == pytest.approx(8.0)
    assert usd.loc["Baidu", "mid_usd"] == pytest.approx(9)


def test_missing_fx_month_leaves_the_figure_out_with_a_warning():
    fx = fx_table({"CNY": {2024: 7.0}})  # nothing for 2025
    view = view_of(ALIBABA, fx=fx)
    assert view.headline.empty
    assert len(view.warnings) == 1 and "No FX rate for CNY" in view.warnings[0]


def test_a_missing_rate_warns_only_in_views_of_its_scope():
    """Alibaba's pledge (AI infrastructure, CNY, no 2025 rate) is left out with a
    warning in every view that shows its scope, and in none that does not."""
    fx = fx_table({"CNY": {2024: 7.0}, "USD": {2025: 1.0}})
    frame = announcement_frame(rows(ALIBABA, {"company": "Meta"}), fx)
    every = annual_view(frame, TODAY, fx)
    own = annual_view(frame, TODAY, fx, scopes=("ai_infrastructure",))
    other = annual_view(frame, TODAY, fx, scopes=("total_capex",))
    assert len(every.warnings) == 1 and "No FX rate for CNY" in every.warnings[0]
    assert own.warnings == every.warnings
    assert other.warnings == []
    assert headline(other, "Meta", 2025)["mid"] == pytest.approx(62.5)


AMAZON_TOTAL = {
    "company": "Amazon",
    "period": "2026",
    "amount_low": "200",
    "amount_high": "",
    "announced_on": "2026-02-05",
}
AMAZON_UK = {
    "company": "Amazon",
    "kind": "pledge",
    "scope": "data_centers",
    "period": "2024-2028",
    "amount_low": "8",
    "amount_high": "",
    "currency": "GBP",
    "announced_on": "2024-09-11",
}


def test_headline_is_the_broadest_capex_scope_only():
    view = view_of(AMAZON_TOTAL, AMAZON_UK)
    # Total capex is Amazon's headline measure: 2026 = 200 guidance.
    row = headline(view, "Amazon", 2026)
    assert (row["mid"], row["scope"], row["basis"]) == (
        pytest.approx(200),
        "total_capex",
        "guidance",
    )
    # The narrow UK data-center pledge never fills the other years of the series.
    assert list(view.headline.year) == [2026]
    assert not has_headline(view, "Amazon", 2027)
    # It stays visible by basis: GBP 8bn at 0.8 (Sep 2024) = 10 over 5 years = 2 a year.
    pledge = view.by_basis[(view.by_basis.scope == "data_centers") & (view.by_basis.year == 2027)]
    assert pledge["mid"].tolist() == pytest.approx([2.0])


APPLE = {
    "company": "Apple",
    "kind": "pledge",
    "scope": "total_investment",
    "period": "2025-2028",
    "amount_low": "500",
    "amount_high": "",
    "announced_on": "2025-02-24",
}
STARGATE = {
    "company": "Stargate",
    "ticker": "",
    "venture_partners": "OpenAI; SoftBank",
    "kind": "pledge",
    "scope": "ai_infrastructure",
    "period": "2025-2028",
    "amount_low": "500",
    "amount_high": "",
    "qualifier": "up_to",
    "announced_on": "2025-01-21",
}


def test_investment_programmes_and_ventures_stay_out_unless_included():
    assert view_of(APPLE, STARGATE).headline.empty
    everything = Inclusion(ventures=True, press_reports=True)
    view = view_of(APPLE, STARGATE, include=everything)
    # The venture comes in when asked for: up to 500 over 4 years = 125 a year.
    assert headline(view, "Stargate", 2026)["mid"] == pytest.approx(125)
    # An investment programme is not capex: never in the headline.
    assert not has_headline(view, "Apple")
    assert view.by_basis[view.by_basis.company == "Apple"]["mid"].tolist() == pytest.approx(
        [125] * 4
    )


def test_press_reports_stay_out_unless_included():
    press = {
        "amount_low": "80",
        "amount_high": "",
        "announced_on": "2025-03-10",
        "source_type": "press_article",
        "evidence": "press_report",
    }
    company = {"announced_on": "2025-01-29"}  # 60-65 from the company
    view = view_of(company, press)
    assert headline(view, "Meta", 2025)["mid"] == pytest.approx(62.5)  # not 80
    included = view_of(company, press, include=Inclusion(press_reports=True))
    assert headline(included, "Meta", 2025)["mid"] == pytest.approx(80)
    only_press = view_of({**press, "company": "Rumour Co"})
    assert only_press.headline.empty


def quarter(first: str, last: str, amount: str, announced: str) -> dict:
    return {
        "company": "Q Corp",
        "kind": "actual",
        "period": f"{first}/{last}",
        "amount_low": amount,
        "amount_high": "",
        "announced_on": announced,
    }


Q1 = quarter("2025-01", "2025-03", "10", "2025-04-25")
Q2 = quarter("2025-04", "2025-06", "11", "2025-07-25")
Q3 = quarter("2025-07", "2025-09", "12", "2025-10-25")
Q4 = quarter("2025-10", "2025-12", "13", "2026-01-25")
ANNUAL = {
    "company": "Q Corp",
    "kind": "actual",
    "period": "2025",
    "amount_low": "48",
    "amount_high": "",
    "announced_on": "2026-02-01",
}


def test_quarterly_actuals_beat_the_later_annual_actual():
    view = view_of(Q1, Q2, Q3, Q4, ANNUAL)
    # Four quarters 10 + 11 + 12 + 13 = 46, although the annual 48 came later.
    row = headline(view, "Q Corp", 2025)
    assert (row["mid"], row["months"], row["basis"]) == (pytest.approx(46), 12, "actual")
    assert row["announcement_ids"] == "1,2,3,4"


def test_annual_actual_fills_the_months_no_quarter_covers():
    view = view_of(Q1, Q2, Q3, ANNUAL)
    # Jan-Sep from the quarters: 10 + 11 + 12 = 33; Oct-Dec from the annual 48, which
    # spreads only what the quarters leave (48 - 33 = 15): the year adds up to 48.
    row = headline(view, "Q Corp", 2025)
    assert (row["mid"], row["months"]) == (pytest.approx(48), 12)
    assert row["announcement_ids"] == "1,2,3,4"  # #4 is the annual
    october = view.monthly[view.monthly.month == 2025 * 12 + 9].iloc[0]
    assert october["low"] == pytest.approx(15 / 3)


def test_guided_year_keeps_its_total_when_quarters_are_reported():
    guidance = {
        "company": "Q Corp",
        "period": "2025",
        "amount_low": "100",
        "amount_high": "",
        "announced_on": "2025-02-01",
    }
    view = view_of(guidance, Q1, as_of=date(2025, 5, 1))
    # Q1 actual 10 replaces Jan-Mar; guidance spreads 100 - 10 = 90 over Apr-Dec.
    row = headline(view, "Q Corp", 2025)
    assert (row["mid"], row["basis"]) == (pytest.approx(100), "mixed")


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
    view = view_of(fy25, fy26, as_of=date(2025, 10, 1))
    # 2025: Jan-May from FY2025 (5 x 2) + Jun-Dec from FY2026 (7 x 3) = 10 + 21 = 31.
    row = headline(view, "Oracle", 2025)
    assert (row["mid"], row["months"], row["basis"]) == (pytest.approx(31), 12, "mixed")


def test_default_year_is_the_latest_with_broad_coverage():
    headline_rows = pd.DataFrame(
        {
            "company": ["A", "B", "C", "A", "B", "C", "A"],
            "year": [2025, 2025, 2025, 2026, 2026, 2026, 2027],
            "in_totals": [True, True, True, True, True, False, True],
        }
    )
    # Full years: 2025 three companies, 2026 two, 2027 one (< 3 / 2): 2026.
    assert default_year(headline_rows) == 2026


# --- on the fixture data -------------------------------------------------------------


def test_fixture_2025_ranking_is_capex_only_led_by_amazon(seeded_engine):
    frame = queries.announcements_frame(seeded_engine)
    view = annual_view(frame, TODAY, fx_table())
    year = view.headline[(view.headline.year == 2025) & view.headline.in_totals]
    ranking = year.sort_values("mid", ascending=False)
    # Amazon 125 (guidance), Alphabet 91.45, Meta 72.22 (actuals), Oracle 38: FY2025
    # actual 21.2/12 x 5 (Jan-May) = 8.833 + FY2026 guidance 50/12 x 7 = 29.167.
    assert list(ranking.company) == ["Amazon", "Alphabet", "Meta", "Oracle"]
    assert ranking["mid"].tolist() == pytest.approx([125, 91.45, 72.22, 38.0])
    assert set(year.scope) <= set(Scope.capex())
    assert not {"Apple", "Stargate"} & set(view.headline.company)
    # Microsoft: FY2025 actual 88.2 covers only Jan-Jun 2025 (44.1): partial.
    microsoft = headline(view, "Microsoft", 2025)
    assert (microsoft["mid"], microsoft["months"]) == (pytest.approx(44.1), 6)


# Review findings: the leftover rule applies only to an annual actual against its
# reported parts and to a whole-year guidance against reported quarters.


def test_a_later_pledge_for_one_year_does_not_zero_out_the_others():
    base = {"company": "P Corp", "kind": "pledge", "amount_high": ""}
    three_years = {**base, "period": "2025-2027", "amount_low": "30", "announced_on": "2025-01-10"}
    one_year = {**base, "period": "2025", "amount_low": "40", "announced_on": "2025-06-10"}
    view = view_of(three_years, one_year)
    # Pledges for different periods are separate programmes unless one supersedes the
    # other: 2025 = 40 + 30 / 3 = 50 over 12 months; 2026 and 2027 keep 10 each, not 0.
    assert headline(view, "P Corp", 2025)["mid"] == pytest.approx(50)
    assert headline(view, "P Corp", 2025)["months"] == 12
    assert headline(view, "P Corp", 2026)["mid"] == pytest.approx(10)
    assert headline(view, "P Corp", 2027)["mid"] == pytest.approx(10)


def test_guidance_for_another_period_replaces_months_without_subtracting():
    base = {"company": "G Corp", "fy_end_month": "6", "amount_high": ""}
    fiscal = {**base, "period": "FY2025", "amount_low": "80", "announced_on": "2024-07-30"}
    calendar = {**base, "period": "2025", "amount_low": "100", "announced_on": "2025-01-30"}
    view = view_of(fiscal, calendar)
    # FY2025 = Jul 2024-Jun 2025: 2024 keeps Jul-Dec at 80 / 12 = 6.667 a month = 40.
    assert headline(view, "G Corp", 2024)["mid"] == pytest.approx(40)
    assert headline(view, "G Corp", 2024)["months"] == 6
    assert headline(view, "G Corp", 2025)["mid"] == pytest.approx(100)


def test_nested_actuals_settle_from_the_shortest():
    base = {"company": "N Corp", "kind": "actual", "amount_high": ""}
    year = {**base, "period": "2025", "amount_low": "100", "announced_on": "2026-02-01"}
    half = {**base, "period": "2025-01/2025-06", "amount_low": "60", "announced_on": "2025-07-20"}
    q1 = {**base, "period": "2025-01/2025-03", "amount_low": "20", "announced_on": "2025-04-20"}
    view = view_of(year, half, q1)
    # Q1 20; Apr-Jun = 60 - 20 = 40; Jul-Dec = 100 - 20 - 40 = 40: the year is 100.
    assert headline(view, "N Corp", 2025)["mid"] == pytest.approx(100)


def test_quarters_over_the_annual_figure_leave_its_months_uncovered_not_zero():
    base = {"company": "Z Corp", "kind": "actual", "amount_high": ""}
    year = {**base, "period": "2025", "amount_low": "30", "announced_on": "2026-02-01"}
    q1 = {**base, "period": "2025-01/2025-03", "amount_low": "20", "announced_on": "2025-04-20"}
    q2 = {**base, "period": "2025-04/2025-06", "amount_low": "20", "announced_on": "2025-07-20"}
    row = headline(view_of(year, q1, q2), "Z Corp", 2025)
    # The quarters (40) exceed the year (30): nothing is left for Jul-Dec, so those
    # months are not counted; 6 months, out of totals.
    assert (row["mid"], row["months"], row["in_totals"]) == (pytest.approx(40), 6, False)


def test_a_pledge_superseding_another_replaces_it_in_every_month():
    base = {"company": "P Corp", "kind": "pledge", "amount_high": ""}
    first = {**base, "period": "2025-2027", "amount_low": "30", "announced_on": "2025-01-10"}
    raised = {
        **base,
        "period": "2025-2028",
        "amount_low": "80",
        "announced_on": "2025-06-10",
        "supersedes": "1",
    }
    view = view_of(first, raised)
    # Only the raised pledge counts: 80 / 4 = 20 a year in 2025-2028.
    for year in (2025, 2026, 2027, 2028):
        assert headline(view, "P Corp", year)["mid"] == pytest.approx(20)


def test_separate_pledges_of_one_company_add_up():
    base = {"company": "A Corp", "kind": "pledge", "scope": "data_centers", "amount_high": ""}
    japan = {**base, "period": "2024-2027", "amount_low": "40", "announced_on": "2024-01-19"}
    spain = {**base, "period": "2025-2026", "amount_low": "20", "announced_on": "2025-05-22"}
    view = view_of(japan, spain)
    basis = view.by_basis.set_index(["company", "year"])
    # 2025: Japan 40 / 4 = 10 plus Spain 20 / 2 = 10 = 20, over 12 months (not 24).
    assert basis.loc[("A Corp", 2025), "mid"] == pytest.approx(20)
    assert basis.loc[("A Corp", 2025), "months"] == 12
    assert basis.loc[("A Corp", 2024), "mid"] == pytest.approx(10)


def test_array_and_frame_paths_give_the_same_views(seeded_engine):
    """normalize keeps a frame path (empty views, missing labels) beside the array path;
    on the fixture, with and without the inclusions, they must agree."""
    frame = queries.announcements_frame(seeded_engine)
    for as_of in (date(2025, 3, 1), TODAY):
        for include in (Inclusion(), Inclusion(ventures=True, press_reports=True)):
            resolved, _missing = normalize._resolve(frame, as_of, FX, include)
            fast = normalize._fast_view(frame, resolved)
            assert fast is not None
            slow = normalize._frame_view(normalize._monthly_frame(frame, resolved))
            for got, want, keys, labels in (
                (fast[1], slow[1], ["company", "year"], ["basis", "scope", "qualifier"]),
                (fast[0], slow[0], ["company", "scope", "kind", "year"], ["qualifier"]),
            ):
                columns = [*keys, *labels, "low", "mid", "high", "months", "announcement_ids"]
                pd.testing.assert_frame_equal(
                    got[columns].sort_values(keys).reset_index(drop=True),
                    want[columns].sort_values(keys).reset_index(drop=True),
                    check_dtype=False,
                )


def test_the_fallback_sorts_and_counts_give_the_same_views(seeded_engine, monkeypatch):
    """Rule 3's order is one packed sort number per month row, and months covered are
    counted in a groups-by-months table; past their size limits both fall back to
    sorting level by level. On the fixture, with and without inclusions, the views
    (figures, months, labels, id lists) are the same either way."""

    frame = queries.announcements_frame(seeded_engine)
    cases = [
        (as_of, inc)
        for as_of in (date(2025, 3, 1), TODAY)
        for inc in (Inclusion(), Inclusion(ventures=True, press_reports=True))
    ]
    packed = [annual_view(frame, as_of, FX, inc) for as_of, inc in cases]
    monkeypatch.setattr(normalize, "_MAX_PACKED_BITS", 0)
    monkeypatch.setattr(normalize, "_MAX_MONTH_TABLE", 0)
    for (as_of, inc), want in zip(cases, packed, strict=True):
        got = annual_view(frame, as_of, FX, inc)
        pd.testing.assert_frame_equal(got.headline, want.headline)
        pd.testing.assert_frame_equal(got.by_basis, want.by_basis)


def test_dense_rank_is_the_rank_among_distinct_values():
    """Ties are ranked by a table when they are small counts, by a sort otherwise;
    both give np.unique's inverse: [5, 0, 5, 12] -> [1, 0, 1, 2]."""
    import numpy as np

    from tracker.normalize import _dense_rank

    small = np.array([5, 0, 5, 12])
    assert _dense_rank(small).tolist() == [1, 0, 1, 2]
    wide = np.array([-3, 1 << 40, -3, 7])
    assert _dense_rank(wide).tolist() == [0, 2, 0, 1]
    assert _dense_rank(np.zeros(0, dtype=np.int64)).tolist() == []


def test_company_month_membership_matches_isin():
    """The table lookup behind concurrent pledges answers as np.isin does, keys outside
    the table's companies or months included, and falls back past the table's size."""
    keys = np.array(
        [
            3 * 100_000 + 24_300,
            3 * 100_000 + 24_301,
            2 * 100_000 + 24_300,
            7 * 100_000 + 24_299,
            5 * 100_000 + 24_310,
            5 * 100_000 + 24_305,
        ]
    )
    among = np.array([3 * 100_000 + 24_300, 5 * 100_000 + 24_305, 5 * 100_000 + 24_305])
    expected = [True, False, False, False, False, True]
    assert normalize._isin_company_months(keys, among).tolist() == expected
    assert normalize._isin_company_months(keys, among[:0]).tolist() == [False] * 6
    far = np.array([0 * 100_000 + 1, 90_000 * 100_000 + 99_000])
    assert normalize._isin_company_months(far, far[:1]).tolist() == [True, False]
    huge = np.array([0, 1, 200_000 * 100_000 + 99_999])  # a table of 2e10 cells: np.isin
    assert normalize._isin_company_months(huge, huge[[0, 2]]).tolist() == [True, False, True]
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 40, 5_000) * 100_000 + rng.integers(24_000, 24_300, 5_000)
    among = keys[rng.integers(0, 5_000, 300)]
    assert np.array_equal(normalize._isin_company_months(keys, among), np.isin(keys, among))


def test_company_blocks_split_month_rows_without_splitting_a_company():
    """Companies 0, 1, 2 have 20, 10 and 30 month rows (statements 0+2, 1+4, 3). With
    room for 20 rows a block, company 0 fills block 0 and companies 1 and 2 start past
    20 rows: block 1 (each starts in the block its first row falls in). With 25, company
    1 starts at row 20 (block 0) and company 2 at row 30 (block 1). With 100 all fit."""
    from tracker.normalize import _company_blocks

    codes = np.array([0, 1, 0, 2, 1])
    n = np.array([10, 5, 10, 30, 5])
    assert [b.tolist() for b in _company_blocks(codes, n, 3, 20)] == [[0, 2], [1, 3, 4]]
    assert [b.tolist() for b in _company_blocks(codes, n, 3, 25)] == [[0, 1, 2, 4], [3]]
    assert _company_blocks(codes, n, 3, 100) == [None]
    assert _company_blocks(np.zeros(0, dtype=np.int64), np.zeros(0), 0, 1) == [None]


@pytest.mark.parametrize("packed_bits", [62, 0])
@pytest.mark.parametrize("limit", [1, 40])
def test_resolving_in_company_blocks_gives_the_same_rows(
    seeded_engine, monkeypatch, limit, packed_bits
):
    """A million announcements are resolved a block of companies at a time to bound
    memory; on the fixture, blocks of one company each (limit 1) or of a few give the
    same month rows, in the same order, and the same views as one block, with the
    packed sort and with its level-by-level fallback (packed_bits 0)."""
    from tracker.normalize import monthly_rows

    monkeypatch.setattr(normalize, "_MAX_PACKED_BITS", packed_bits)
    frame = queries.announcements_frame(seeded_engine)
    inc = Inclusion(ventures=True, press_reports=True)
    whole_rows, _ = monthly_rows(frame, TODAY, FX, inc)
    whole_view = annual_view(frame, TODAY, FX, inc)
    monkeypatch.setattr(normalize, "_BLOCK_MONTH_ROWS", limit)
    blocks: list[object] = []
    resolve_block = normalize._resolve_block

    def counted(statements, block):  # type: ignore[no-untyped-def]
        blocks.append(block)
        return resolve_block(statements, block)

    monkeypatch.setattr(normalize, "_resolve_block", counted)
    rows, _ = monthly_rows(frame, TODAY, FX, inc)
    pd.testing.assert_frame_equal(rows, whole_rows)
    assert len(blocks) > 1 and all(b is not None for b in blocks)
    view = annual_view(frame, TODAY, FX, inc)
    pd.testing.assert_frame_equal(view.headline, whole_view.headline)
    pd.testing.assert_frame_equal(view.by_basis, whole_view.by_basis)


def test_years_and_countries_of_companies_from_their_first_rows():
    """The view's keys are narrow integers and its years offsets from the first year:
    the years come back as int64 calendar years. Each company's country is read at the
    position of its first row: Tencent's is the third row (Meta, Meta, Tencent), not
    the second (its code)."""
    view = view_of(
        {"company": "Meta", "country": "US", "kind": "actual", "period": "2024",
         "amount_low": "40", "amount_high": "", "announced_on": "2025-01-29"},
        {"company": "Meta", "country": "US", "kind": "guidance", "period": "2026",
         "amount_low": "100", "amount_high": "120", "announced_on": "2026-01-28"},
        {"company": "Tencent", "country": "CN", "kind": "actual", "period": "2025",
         "amount_low": "10", "amount_high": "", "announced_on": "2026-01-20"},
    )  # fmt: skip
    table = view.headline.set_index(["company", "year"])
    assert view.headline["year"].dtype == np.int64
    assert sorted(table.index) == [("Meta", 2024), ("Meta", 2026), ("Tencent", 2025)]
    assert table.loc[("Meta", 2024), "mid"] == pytest.approx(40)
    assert table.loc[("Meta", 2026), "mid"] == pytest.approx(110)
    assert table.loc[("Tencent", 2025), "mid"] == pytest.approx(10)
    assert dict(zip(view.headline["company"], view.headline["country"], strict=True)) == {
        "Meta": "US",
        "Tencent": "CN",
    }
    assert view.by_basis["year"].dtype == np.int64
    assert set(view.by_basis["year"]) == {2024, 2025, 2026}


def test_more_companies_than_a_byte_holds_give_the_same_views_either_path():
    """130 companies take two-byte keys in the array path: it still agrees with the
    frame path, and each company keeps its own figure (CoNNN reported NNN + 1)."""
    frame = announcement_frame(
        rows(
            *(
                {"company": f"Co{i:03d}", "kind": "actual", "period": "2025",
                 "amount_low": str(i + 1), "amount_high": "", "currency": "USD",
                 "announced_on": "2026-01-20"}
                for i in range(130)
            )
        ),
        FX,
    )  # fmt: skip
    resolved, _missing = normalize._resolve(frame, TODAY, FX, Inclusion())
    fast = normalize._fast_view(frame, resolved)
    assert fast is not None
    slow = normalize._frame_view(normalize._monthly_frame(frame, resolved))
    columns = ["company", "year", "basis", "low", "mid", "high", "months"]
    pd.testing.assert_frame_equal(
        fast[1][columns].sort_values("company").reset_index(drop=True),
        slow[1][columns].sort_values("company").reset_index(drop=True),
        check_dtype=False,
    )
    mids = fast[1].set_index("company")["mid"]
    assert len(mids) == 130
    assert [mids["Co000"], mids["Co128"], mids["Co129"]] == pytest.approx([1.0, 129.0, 130.0])
    assert set(fast[1]["year"]) == {2025} and fast[1]["year"].dtype == np.int64


def test_narrow_keeps_codes_in_the_smallest_signed_type():
    """128 codes fit a byte, 129 need two, 40,000 four; the values never change."""
    for size, dtype in ((128, np.int8), (129, np.int16), (40_000, np.int32)):
        codes = np.arange(size, dtype=np.int64)
        narrow = normalize._narrow(codes, size)
        assert narrow.dtype == dtype
        assert np.array_equal(narrow, codes)
    assert normalize._narrow(np.empty(0, dtype=np.int64), 0).dtype == np.int8


def test_a_view_of_no_announcements_is_empty():
    """No rows (a new database, or a date before every announcement): empty tables with
    their columns, not an error. A row known only later gives the same."""
    frame = announcement_frame(rows({"company": "Meta", "announced_on": "2025-01-29"}), FX)
    for rows_, as_of in ((frame.iloc[:0], TODAY), (frame, date(2024, 1, 1))):
        view = annual_view(rows_, as_of, FX)
        assert view.headline.empty and view.by_basis.empty
        assert {"company", "country", "year", "mid"} <= set(view.headline.columns)
