from datetime import date

import pytest

from tracker.periods import PeriodError, parse_period


def test_calendar_year_covers_january_to_december():
    p = parse_period("2025")
    assert (p.start, p.end, p.months) == (date(2025, 1, 1), date(2025, 12, 31), 12)


def test_microsoft_fiscal_2025_is_july_2024_to_june_2025():
    p = parse_period("FY2025", fy_end_month=6)
    assert (p.start, p.end, p.months) == (date(2024, 7, 1), date(2025, 6, 30), 12)


def test_oracle_fiscal_2026_ends_in_may_2026():
    p = parse_period("fy 2026", fy_end_month=5)
    assert (p.label, p.start, p.end) == ("FY2026", date(2025, 6, 1), date(2026, 5, 31))


def test_fiscal_year_of_a_december_company_is_the_calendar_year():
    fiscal, calendar = parse_period("FY2025", 12), parse_period("2025", 12)
    assert (fiscal.first_month, fiscal.last_month) == (calendar.first_month, calendar.last_month)


def test_multi_year_span_counts_every_month():
    p = parse_period("2025-2027")
    assert (p.start, p.end, p.months) == (date(2025, 1, 1), date(2027, 12, 31), 36)


def test_fiscal_span_uses_fiscal_year_end():
    p = parse_period("FY2026-FY2028", fy_end_month=3)
    assert (p.start, p.end, p.months) == (date(2025, 4, 1), date(2028, 3, 31), 36)


def test_explicit_months():
    p = parse_period("2025-03/2026-02")
    assert (p.start, p.end, p.months) == (date(2025, 3, 1), date(2026, 2, 28), 12)


def test_en_dash_and_spaces_are_accepted():
    assert parse_period(" 2025 – 2027 ").label == "2025-2027"


@pytest.mark.parametrize(
    ("label", "fragment"),
    [
        ("", "empty"),
        ("next year", "not understood"),
        ("2027-2025", "ends before it starts"),
        ("2025-13/2026-01", "month out of range"),
        ("1850", "outside"),
        ("2000-2030", "longer than 20 years"),
    ],
)
def test_bad_periods_are_refused_with_a_reason(label, fragment):
    with pytest.raises(PeriodError, match=fragment):
        parse_period(label)


def test_vectorized_month_helpers_match_the_scalar_ones():
    import pandas as pd

    from tracker.periods import month_index, month_indexes, month_start, month_starts

    indexes = [month_index(2024, 7), month_index(2025, 1), month_index(2027, 12)]
    starts = month_starts(indexes)
    assert list(starts.date) == [month_start(i) for i in indexes]
    assert list(month_indexes(pd.Series(starts))) == indexes


def test_explicit_months_starting_at_the_announcement_month():
    # Alibaba's "next three years" from February 2025: Feb 2025 - Jan 2028, 36 months,
    # of which 11 in 2025 (Feb-Dec) and 1 in 2028 (January).
    p = parse_period("2025-02/2028-01", fy_end_month=3)
    assert (p.start, p.end, p.months) == (date(2025, 2, 1), date(2028, 1, 31), 36)
    in_2025 = min(p.last_month, 2025 * 12 + 11) - p.first_month + 1
    in_2028 = p.last_month - 2028 * 12 + 1
    assert (in_2025, in_2028) == (11, 1)


def test_month_indexes_keep_local_months_and_far_years():
    """A month index is the date's own month: 23:59 on 31 January in New York is still
    January (24300 = 2025*12 + 0), and a year outside pandas' nanosecond range
    (1677-2262) is not wrapped (0201-03 -> 201*12 + 2 = 2414)."""
    import pandas as pd

    from tracker.periods import month_indexes

    new_york = pd.Series(pd.to_datetime(["2025-01-31 23:59"]).tz_localize("America/New_York"))
    assert month_indexes(new_york).tolist() == [24300]
    far = pd.Series(pd.to_datetime(["0201-03-15"], format="%Y-%m-%d"))
    assert month_indexes(far).tolist() == [2414]
