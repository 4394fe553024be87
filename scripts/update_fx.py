"""Regenerate ``data/fx_rates.csv``: monthly average units of currency per USD.

Input is the ECB euro foreign exchange reference rates history (units per EUR, one row
per business day, newest first, one column per currency, "N/A" where a currency has no
rate). By default the ``eurofxref-hist.zip`` shipped inside the ``currency_converter``
package is read; ``--ecb-file`` takes a newer zip or csv of the same format, e.g.
downloaded from https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip.

For every ECB business day the USD cross rate is ``units_per_EUR(currency) /
units_per_EUR(USD)`` (EUR itself is ``1 / units_per_EUR(USD)``); the monthly figure is
the mean over the business days of the month on which both rates were published. Rows
run from ``--first-month`` (default 2019-01) through the last complete month of the
input; USD is written as 1.0 ("identity"). Currencies the ECB does not publish are
skipped and named on stdout.

    python scripts/update_fx.py [--ecb-file PATH] [--output data/fx_rates.csv]
"""

from __future__ import annotations

import argparse
import importlib.resources
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = PROJECT_ROOT / "data" / "fx_rates.csv"
DEFAULT_FIRST_MONTH = "2019-01"
CURRENCIES = ("CNY", "GBP", "EUR", "JPY", "KRW", "INR", "HKD", "AUD", "CAD", "SGD", "CHF")
CURRENCIES += ("SAR", "AED")  # not published by the ECB today; written if a file has them
SOURCE = "ECB euro foreign exchange reference rates, monthly average of daily USD cross rates"
IDENTITY = "identity"


def _packaged_ecb_bytes() -> bytes:
    """The ``eurofxref-hist.zip`` that ships with the ``currency_converter`` package."""
    try:
        resource = importlib.resources.files("currency_converter") / "eurofxref-hist.zip"
    except ModuleNotFoundError:
        sys.exit(
            "the currency_converter package is not installed: pip install -e '.[dev]' "
            "or pass --ecb-file"
        )
    return resource.read_bytes()


def _csv_text(data: bytes) -> str:
    """The CSV text of an ECB file, given as the zip or the bare csv."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise ValueError(f"expected one .csv in the ECB zip, found {names}")
            data = archive.read(names[0])
    return data.decode("utf-8-sig")


def read_ecb(path: Path | None = None) -> pd.DataFrame:
    """Daily ECB rates (units per EUR) indexed by date, oldest first, one float column per
    currency. ``path`` is a zip or csv; ``None`` reads the copy in ``currency_converter``."""
    data = _packaged_ecb_bytes() if path is None else Path(path).read_bytes()
    daily = pd.read_csv(io.StringIO(_csv_text(data)), na_values=["N/A"], skipinitialspace=True)
    daily.columns = [str(c).strip() for c in daily.columns]
    # The ECB rows end with a comma, which gives an empty, unnamed last column.
    daily = daily.loc[:, [c for c in daily.columns if c and not c.startswith("Unnamed:")]]
    if "Date" not in daily.columns or "USD" not in daily.columns:
        raise ValueError("not an ECB reference rate file: it needs Date and USD columns")
    daily["Date"] = pd.to_datetime(daily["Date"], format="%Y-%m-%d")
    daily = daily.set_index("Date").sort_index()
    return daily.apply(pd.to_numeric, errors="coerce").astype(float)


def last_complete_month(last_day: pd.Timestamp) -> pd.Period:
    """The month of ``last_day`` if no weekday of it follows ``last_day``, else the month
    before. (TARGET holidays never end a month on their own; a month whose last weekday is
    Good Friday would wait for the next file.)"""
    month = last_day.to_period("M")
    rest = pd.bdate_range(last_day + pd.Timedelta(days=1), month.end_time.normalize())
    return month if len(rest) == 0 else month - 1


def monthly_usd_rates(
    daily: pd.DataFrame,
    currencies: tuple[str, ...] | list[str] = CURRENCIES,
    first_month: str = DEFAULT_FIRST_MONTH,
) -> tuple[pd.DataFrame, list[str]]:
    """Monthly average USD cross rates from daily ECB rates (see module doc).

    Returns the long table (``currency, month, units_per_usd, source``; USD first, then
    currencies alphabetically, months ascending) and the requested currencies the input
    does not have.
    """
    last = last_complete_month(daily.index.max())
    first = pd.Period(first_month, "M")
    if last < first:
        raise ValueError(f"the ECB file has no complete month from {first} on")
    months = pd.period_range(first, last, freq="M")
    in_range = daily[(daily.index.to_period("M") >= first) & (daily.index.to_period("M") <= last)]
    usd_per_eur = in_range["USD"]

    available = [c for c in currencies if c == "EUR" or c in daily.columns]
    missing = [c for c in currencies if c not in available and c != "USD"]
    cross = pd.DataFrame(index=in_range.index)
    for code in available:
        if code == "USD":
            continue
        per_eur = 1.0 if code == "EUR" else in_range[code]
        cross[code] = per_eur / usd_per_eur
    # Mean over the days both rates exist (NaN days are skipped by the mean).
    averages = cross.groupby(cross.index.to_period("M")).mean().reindex(months)

    long = (
        averages.rename_axis("month")
        .reset_index()
        .melt(id_vars="month", var_name="currency", value_name="units_per_usd")
    )
    long = long.dropna(subset=["units_per_usd"])
    long["source"] = SOURCE
    usd = pd.DataFrame(
        {"month": months, "currency": "USD", "units_per_usd": 1.0, "source": IDENTITY}
    )
    out = pd.concat([usd, long], ignore_index=True)
    out["order"] = np.where(out["currency"] == "USD", "", out["currency"])
    out = out.sort_values(["order", "month"]).drop(columns="order")
    out["month"] = out["month"].astype(str)
    return out[["currency", "month", "units_per_usd", "source"]].reset_index(drop=True), missing


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write with eight significant digits: ECB rates have five or six, so nothing is lost."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.8g", lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ecb-file",
        type=Path,
        help="ECB eurofxref-hist zip or csv (default: the copy in currency_converter)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--first-month", default=DEFAULT_FIRST_MONTH, help="YYYY-MM")
    args = parser.parse_args(argv)

    daily = read_ecb(args.ecb_file)
    table, missing = monthly_usd_rates(daily, CURRENCIES, args.first_month)
    write_table(table, args.output)

    months = sorted(table["month"].unique())
    counts = table.groupby("currency")["month"].nunique()
    print(f"wrote {len(table)} rows to {args.output}")
    print(f"months {months[0]} to {months[-1]} (last ECB day {daily.index.max():%Y-%m-%d})")
    print("currencies: " + ", ".join(sorted(counts.index)))
    if missing:
        print("skipped, not in the ECB file: " + ", ".join(missing))
    gaps = counts[counts < len(months)]
    for code, n in gaps.items():
        print(f"warning: {code} has rates for only {n} of {len(months)} months")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
