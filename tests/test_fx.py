"""The monthly FX table, against rates and averages computed by hand."""

import numpy as np
import pandas as pd
import pytest

from tracker.fx import FxTable, default_fx, month_label, parse_month
from tracker.periods import month_index

JAN, FEB, MAR, APR, MAY = (month_index(2025, m) for m in range(1, 6))


def table() -> FxTable:
    # CNY: Jan-Mar 2025, then a hole in April, then May. EUR: March only.
    return FxTable(
        pd.DataFrame(
            {
                "currency": ["CNY", "CNY", "CNY", "CNY", "eur"],
                "month": ["2025-01", "2025-02", "2025-03", "2025-05", "2025-03"],
                "units_per_usd": [7.0, 7.2, 7.4, 7.6, 0.9],
                "source": ["x"] * 5,
            }
        )
    )


def test_month_labels_round_trip():
    assert parse_month("2025-03") == 2025 * 12 + 2 == MAR
    assert month_label(MAR) == "2025-03"
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month("2025-13")


def test_rate_of_the_month():
    fx = table()
    assert fx.rate("CNY", "2025-01") == 7.0
    assert fx.rate("cny", FEB) == 7.2
    assert fx.rate("EUR", "2025-03") == 0.9


def test_rates_at_is_vectorized_and_case_insensitive():
    rates = table().rates_at(pd.Series(["CNY", "eur", "CNY"]), np.array([MAR, MAR, JAN]))
    assert list(rates) == [7.4, 0.9, 7.0]


def test_missing_month_is_nan_never_another_month():
    fx = table()
    # April is a hole; December 2024 is before and June 2025 after the CNY rows.
    months = np.array([APR, JAN - 1, MAY + 1])
    assert np.isnan(fx.rates_at(pd.Series(["CNY"] * 3), months)).all()
    assert np.isnan(fx.rate("EUR", "2025-02"))


def test_unknown_currency_and_nan_month_are_nan():
    rates = table().rates_at(pd.Series(["XYZ", "CNY", "EUR"]), np.array([MAR, np.nan, MAR]))
    assert np.isnan(rates[0]) and np.isnan(rates[1]) and rates[2] == 0.9


def test_usd_is_the_identity_in_every_month():
    fx = table()
    assert "USD" in fx.currencies
    rates = fx.rates_at(pd.Series(["USD", "usd"]), np.array([month_index(1999, 1), MAY + 24]))
    assert list(rates) == [1.0, 1.0]
    assert fx.average_rates(["USD"], [JAN], [MAY + 24])[0] == 1.0


def test_span_average_of_three_months():
    fx = table()
    # (7.0 + 7.2 + 7.4) / 3 = 7.2; Feb-Mar: (7.2 + 7.4) / 2 = 7.3; one month is its rate.
    avg = fx.average_rates(
        pd.Series(["CNY", "CNY", "CNY", "EUR"]),
        np.array([JAN, FEB, MAY, MAR]),
        np.array([MAR, MAR, MAY, MAR]),
    )
    assert avg == pytest.approx([7.2, 7.3, 7.6, 0.9])


def test_span_with_a_missing_month_or_unknown_currency_is_nan():
    fx = table()
    avg = fx.average_rates(
        pd.Series(["CNY", "CNY", "CNY", "XYZ", "CNY"]),
        np.array([MAR, JAN - 1, MAY, JAN, MAR]),
        np.array([MAY, JAN, MAY + 1, JAN, FEB]),  # last: an empty span (last < first)
    )
    assert np.isnan(avg).all()


def test_last_month():
    fx = table()
    assert fx.last_month("CNY") == MAY
    assert fx.last_month("eur") == MAR
    assert fx.last_month("XYZ") is None


def test_missing_lists_runs_of_absent_months_with_a_message():
    fx = table()
    gaps = fx.missing(
        pd.Series(["CNY", "CNY", "CNY", "EUR", "XYZ", "XYZ", "USD"]),
        np.array([JAN, APR, APR, JAN, MAR, JAN, MAY + 5]),
        np.array([MAY + 2, APR, APR, MAR, MAR, JAN, MAY + 5]),
    )
    by_key = gaps.set_index(["currency", "first_month"])
    assert list(gaps.columns) == ["currency", "first_month", "last_month", "rows", "message"]
    assert len(gaps) == 4  # CNY Apr, CNY Jun-Jul, EUR Jan-Feb, XYZ; USD is never missing
    assert by_key.loc[("CNY", APR), "rows"] == 3
    assert by_key.loc[("CNY", APR), "message"] == (
        "no FX rate for CNY in 2025-04; run scripts/update_fx.py"
    )
    assert by_key.loc[("CNY", MAY + 1), "last_month"] == MAY + 2
    assert by_key.loc[("CNY", MAY + 1), "message"] == (
        "no FX rate for CNY in 2025-06 to 2025-07; run scripts/update_fx.py"
    )
    assert by_key.loc[("EUR", JAN), "last_month"] == FEB
    xyz = by_key.loc[("XYZ", JAN)]
    assert (xyz["last_month"], xyz["rows"]) == (MAR, 2)
    assert "does not know" in xyz["message"]


def test_missing_is_empty_when_every_month_is_covered():
    fx = table()
    assert fx.missing(["CNY", "USD"], [JAN, APR]).empty  # single months, no last_months
    assert fx.missing(["CNY"], [JAN], [MAR]).empty
    mask = np.isnan(fx.average_rates(["CNY", "CNY"], [JAN, JAN], [MAR, APR]))
    assert list(mask) == [False, True]


def test_bad_tables_are_refused():
    def frame(**overrides):
        base = {"currency": ["X"], "month": ["2024-01"], "units_per_usd": [1.5], "source": ["s"]}
        return pd.DataFrame({**base, **overrides})

    with pytest.raises(ValueError, match="non-positive"):
        FxTable(frame(units_per_usd=[0]))
    with pytest.raises(ValueError, match="YYYY-MM"):
        FxTable(frame(month=["2024"]))
    with pytest.raises(ValueError, match="lacks columns: month"):
        FxTable(frame().drop(columns="month").assign(year=2024))
    with pytest.raises(ValueError, match="twice"):
        FxTable(pd.concat([frame(), frame()]))


def test_shipped_table_is_monthly_ecb_data_with_a_source_on_every_row():
    fx = default_fx()
    assert list(fx.rates.columns[:4]) == ["currency", "month", "units_per_usd", "source"]
    assert fx.rates["source"].str.len().gt(0).all()
    assert {"USD", "CNY", "GBP", "EUR", "JPY", "KRW", "INR", "HKD"} <= fx.currencies
    # Every currency has a row for every month from 2019-01 to the same last month.
    first = month_index(2019, 1)
    last = fx.last_month("USD")
    assert last is not None and last >= month_index(2026, 10)
    counts = fx.rates.groupby("currency")["month_index"].agg(["min", "max", "count"])
    assert (counts["min"] == first).all() and (counts["max"] == last).all()
    assert (counts["count"] == last - first + 1).all()
    # ECB daily USD cross rates averaged by hand over February 2025 (20 business days).
    assert fx.rate("CNY", "2025-02") == pytest.approx(7.2749, abs=1e-4)
