import pandas as pd
import pytest

from tracker.fx import FxTable, default_fx


def table() -> FxTable:
    return FxTable(
        pd.DataFrame(
            {
                "currency": ["CNY", "CNY", "EUR"],
                "year": [2023, 2024, 2024],
                "units_per_usd": [7.0, 7.2, 0.9],
                "source": ["x", "x", "x"],
            }
        )
    )


def test_rate_of_the_year():
    assert table().rate("CNY", 2023) == 7.0
    assert table().rate("cny", 2024) == 7.2


def test_later_years_use_the_latest_rate_and_earlier_the_earliest():
    assert table().rate("CNY", 2026) == 7.2
    assert table().rate("CNY", 2019) == 7.0


def test_unknown_currency_is_nan():
    rates = table().rates_for(pd.Series(["XYZ", "EUR"]), pd.Series([2024, 2024]))
    assert pd.isna(rates[0]) and rates[1] == 0.9


def test_non_positive_rate_is_refused():
    bad = pd.DataFrame({"currency": ["X"], "year": [2024], "units_per_usd": [0], "source": ["s"]})
    with pytest.raises(ValueError, match="non-positive"):
        FxTable(bad)


def test_shipped_table_names_a_source_for_every_rate_and_covers_seed_currencies():
    fx = default_fx()
    assert fx.rates["source"].str.len().gt(0).all()
    assert {"USD", "CNY", "GBP"} <= fx.currencies
    # RMB 380bn over three years at the 2025 rate is about USD 17.6bn a year.
    assert 380 / 3 / fx.rate("CNY", 2025) == pytest.approx(17.6, abs=0.05)
