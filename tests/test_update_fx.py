"""scripts/update_fx.py against a tiny ECB file whose monthly averages are worked by hand."""

import importlib.util
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tracker.fx import FxTable

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "update_fx.py"
_spec = importlib.util.spec_from_file_location("update_fx", SCRIPT)
update_fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update_fx)

# ECB layout: units per EUR, newest first, "N/A" for no rate, a trailing comma on each row.
# 2025-02-28 is a Friday, so February is complete.
ECB_CSV = """Date,USD,JPY,CNY,GBP,
2025-02-28,1.1,176,7.92,0.88,
2025-02-03,1.2,180,8.64,0.96,
2025-01-31,1.25,200,9,N/A,
2025-01-30,1.0,150,7.0,0.8,
"""
# Daily USD cross rates = units per EUR / USD per EUR:
#   Jan 30: CNY 7.0/1.0 = 7.0   JPY 150  GBP 0.8   EUR 1/1.0 = 1.0
#   Jan 31: CNY 9/1.25 = 7.2    JPY 160  GBP n/a   EUR 1/1.25 = 0.8
#   Feb 03: CNY 8.64/1.2 = 7.2  JPY 150  GBP 0.8   EUR 1/1.2 = 5/6
#   Feb 28: CNY 7.92/1.1 = 7.2  JPY 160  GBP 0.8   EUR 1/1.1 = 10/11
EXPECTED = {
    ("CNY", "2025-01"): (7.0 + 7.2) / 2,  # 7.1
    ("CNY", "2025-02"): 7.2,
    ("JPY", "2025-01"): 155.0,
    ("JPY", "2025-02"): 155.0,
    ("GBP", "2025-01"): 0.8,  # only the day with a rate counts
    ("GBP", "2025-02"): 0.8,
    ("EUR", "2025-01"): 0.9,
    ("EUR", "2025-02"): (5 / 6 + 10 / 11) / 2,  # 115/132 = 0.871212
    ("USD", "2025-01"): 1.0,
    ("USD", "2025-02"): 1.0,
}


@pytest.fixture
def ecb_csv(tmp_path: Path) -> Path:
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(ECB_CSV)
    return path


def test_monthly_averages_of_daily_cross_rates(ecb_csv):
    table, missing = update_fx.monthly_usd_rates(update_fx.read_ecb(ecb_csv), first_month="2025-01")
    got = table.set_index(["currency", "month"])["units_per_usd"]
    assert set(got.index) == set(EXPECTED)
    for key, value in EXPECTED.items():
        assert got[key] == pytest.approx(value, rel=1e-12), key
    assert list(table["currency"].drop_duplicates()) == ["USD", "CNY", "EUR", "GBP", "JPY"]
    assert set(table.loc[table.currency == "USD", "source"]) == {"identity"}
    assert set(table.loc[table.currency == "CNY", "source"]) == {update_fx.SOURCE}
    # Requested but not in this file: reported, not invented.
    assert {"SAR", "AED", "KRW"} <= set(missing)
    assert "CNY" not in missing and "EUR" not in missing


def test_an_unfinished_last_month_is_left_out(ecb_csv):
    lines = ECB_CSV.splitlines()
    ecb_csv.write_text("\n".join([lines[0], "2025-03-04,1.0,150,7.0,0.8,", *lines[1:]]))
    table, _ = update_fx.monthly_usd_rates(update_fx.read_ecb(ecb_csv), first_month="2025-01")
    assert sorted(table["month"].unique()) == ["2025-01", "2025-02"]


@pytest.mark.parametrize(
    ("last_day", "complete"),
    [
        ("2026-10-30", "2026-10"),  # Friday; the 31st is a Saturday
        ("2026-11-25", "2026-10"),  # Wednesday: November still has business days
        ("2025-12-31", "2025-12"),
        ("2025-12-30", "2025-11"),
    ],
)
def test_last_complete_month(last_day, complete):
    assert str(update_fx.last_complete_month(pd.Timestamp(last_day))) == complete


def test_main_reads_a_zip_and_writes_a_table_fx_can_load(ecb_csv, tmp_path, capsys):
    archive = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(ecb_csv, "eurofxref-hist.csv")
    out = tmp_path / "fx.csv"
    args = ["--ecb-file", str(archive), "--output", str(out), "--first-month", "2025-01"]
    assert update_fx.main(args) == 0
    printed = capsys.readouterr().out
    assert "months 2025-01 to 2025-02" in printed
    assert "skipped, not in the ECB file:" in printed and "SAR" in printed
    assert out.read_text().splitlines()[0] == "currency,month,units_per_usd,source"
    fx = FxTable.from_csv(out)
    assert fx.rate("CNY", "2025-01") == pytest.approx(7.1)
    assert fx.rate("EUR", "2025-02") == pytest.approx(115 / 132, rel=1e-7)  # 8 digits written
    assert fx.average_rates(["CNY"], [2025 * 12], [2025 * 12 + 1])[0] == pytest.approx(7.15)


def test_default_input_is_the_ecb_file_shipped_with_currency_converter():
    daily = update_fx.read_ecb()
    assert {"USD", "CNY", "JPY", "GBP"} <= set(daily.columns)
    assert daily.index.is_monotonic_increasing
    assert daily.index.min() <= pd.Timestamp("2019-01-02")
