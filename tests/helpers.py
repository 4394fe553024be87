"""Small builders shared by tests: raw rows, validated frames and FX tables.

FX tables are built here only (:func:`fx_frame`, :func:`fx_table`, :func:`write_fx`), so
a change of the FX file format (yearly to monthly, or back) is adapted in one place.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from tracker.fx import FxTable
from tracker.schema import NAMES
from tracker.validation import COMPANY_COLUMNS, validate_frame

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "announcements.csv"

# Units per USD, one rate for every month of a year. Chosen so figures come out round:
# CNY 76.8 / 7.68 = 10; CNY 380 / 7.6 = 50; GBP 8 / 0.8 = 10.
RATES: dict[str, dict[int, float]] = {
    "CNY": {2023: 7.0, 2024: 7.68, 2025: 7.6, 2026: 7.5},
    "GBP": {2023: 0.8, 2024: 0.8, 2025: 0.75, 2026: 0.75},
    "EUR": {2023: 0.9, 2024: 0.9, 2025: 0.9, 2026: 0.9},
}

GOOD_ROW = {
    "company": "Meta",
    "ticker": "META",
    "country": "US",
    "fy_end_month": "12",
    "kind": "guidance",
    "scope": "total_capex",
    "period": "2025",
    "amount_low": "60",
    "amount_high": "65",
    "currency": "USD",
    "announced_on": "2025-01-29",
    "source_url": "https://investor.atmeta.com/q4-2024",
    "notes": "range",
}


def fx_frame(rates: dict[str, dict] | None = None) -> pd.DataFrame:
    """FX rows in the format :class:`FxTable` reads. ``rates[currency]`` maps a year
    (int: the same rate in each of its 12 months) or a month ``"YYYY-MM"`` to units per
    USD; monthly entries override their year's rate."""
    rates = RATES if rates is None else rates
    monthly: dict[tuple[str, str], float] = {}
    for currency, by_period in rates.items():
        for key, rate in sorted(by_period.items(), key=lambda kv: isinstance(kv[0], str)):
            months = [f"{key}-{m:02d}" for m in range(1, 13)] if isinstance(key, int) else [key]
            for month in months:
                monthly[(currency, month)] = float(rate)
    return pd.DataFrame(
        [
            {"currency": c, "month": m, "units_per_usd": r, "source": "test"}
            for (c, m), r in sorted(monthly.items())
        ],
        columns=["currency", "month", "units_per_usd", "source"],
    )


def fx_table(rates: dict[str, dict] | None = None) -> FxTable:
    return FxTable(fx_frame(rates))


def write_fx(path: Path, rates: dict[str, dict] | None = None) -> Path:
    fx_frame(rates).to_csv(path, index=False)
    return path


def rows(*overrides: dict) -> pd.DataFrame:
    """Raw rows (strings) built from GOOD_ROW with per-row overrides."""
    blank = dict.fromkeys(NAMES, "")
    return pd.DataFrame([{**blank, **GOOD_ROW, **o} for o in overrides], columns=list(NAMES))


NO_COMPANIES = pd.DataFrame(columns=list(COMPANY_COLUMNS))


def announcement_frame(
    raw: pd.DataFrame, fx: FxTable | None = None, today: date | None = None
) -> pd.DataFrame:
    """Validated rows shaped like ``queries.announcements_frame``: ids from the ``id``
    column where given, else 1, 2, ..."""
    result = validate_frame(raw, NO_COMPANIES, fx or fx_table(), today or date.today())
    assert result.ok, result.errors.to_string()
    out = result.valid.copy()
    if out["id"].isna().all():
        out["id"] = range(1, len(out) + 1)
    out["id"] = out["id"].astype("int64")
    for column in ("announced_on", "period_start", "period_end"):
        out[column] = pd.to_datetime(out[column])
    return out


# Alibaba's RMB 380bn "at least" pledge over three years from February 2025 (raw row).
ALIBABA = {
    "company": "Alibaba",
    "country": "CN",
    "fy_end_month": "3",
    "kind": "pledge",
    "scope": "ai_infrastructure",
    "period": "2025-02/2028-01",
    "amount_low": "380",
    "amount_high": "",
    "currency": "CNY",
    "qualifier": "at_least",
    "announced_on": "2025-02-24",
}


def arrow_chunks(frame: pd.DataFrame) -> dict[str, int]:
    """How many chunks each Arrow-backed column (the text columns) of ``frame`` has."""
    return {
        name: frame[name].array.__arrow_array__().num_chunks
        for name in frame.columns
        if isinstance(frame[name].array, pd.arrays.ArrowExtensionArray)
    }
