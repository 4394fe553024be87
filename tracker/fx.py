"""The dated FX table shipped in ``data/fx_rates.csv`` and conversion to USD.

Rates are yearly averages (units of currency per USD). An announcement is converted at
the average rate of the year it was announced in: that is the rate an analyst reading
it would have used, and it keeps a figure stable when later rates are added. Years after
the last row fall back to the latest year known; years before the first row use the
earliest.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from tracker.config import fx_path


class FxTable:
    """Yearly average rates, indexed for vectorized lookups."""

    def __init__(self, rates: pd.DataFrame):
        required = {"currency", "year", "units_per_usd", "source"}
        missing = required - set(rates.columns)
        if missing:
            raise ValueError(f"FX table lacks columns: {', '.join(sorted(missing))}")
        rates = rates.copy()
        rates["currency"] = rates["currency"].astype(str).str.upper().str.strip()
        rates["year"] = rates["year"].astype(int)
        rates["units_per_usd"] = rates["units_per_usd"].astype(float)
        if (rates["units_per_usd"] <= 0).any():
            raise ValueError("FX table has a non-positive rate")
        self.rates = rates.sort_values(["currency", "year"]).reset_index(drop=True)
        self.currencies: frozenset[str] = frozenset(self.rates["currency"])

    @classmethod
    def from_csv(cls, path: Path) -> FxTable:
        return cls(pd.read_csv(path))

    def rate(self, currency: str, year: int) -> float:
        """Units of ``currency`` per USD for ``year`` (nearest earlier year, else earliest)."""
        out = self.rates_for(pd.Series([currency]), pd.Series([year]))
        return float(out[0])

    def rates_at(self, currencies: pd.Series, months: np.ndarray) -> np.ndarray:
        """Units per USD in each month index (temporary: yearly table)."""
        return self.rates_for(pd.Series(currencies), pd.Series(np.asarray(months) // 12))

    def average_rates(
        self, currencies: pd.Series, first_months: np.ndarray, last_months: np.ndarray
    ) -> np.ndarray:
        """Mean rate over each inclusive month span (temporary: yearly table)."""
        return self.rates_at(currencies, np.asarray(first_months))

    def rates_for(self, currencies: pd.Series, years: pd.Series) -> np.ndarray:
        """Vectorized :meth:`rate`; unknown currencies give NaN."""
        result = np.full(len(currencies), np.nan)
        cur = currencies.astype(str).str.upper().to_numpy()
        yrs = years.astype(int).to_numpy()
        for code, table in self.rates.groupby("currency"):
            mask = cur == code
            if not mask.any():
                continue
            known_years = table["year"].to_numpy()
            values = table["units_per_usd"].to_numpy()
            pos = np.searchsorted(known_years, yrs[mask], side="right") - 1
            result[mask] = values[np.clip(pos, 0, len(values) - 1)]
        return result


@lru_cache(maxsize=4)
def _load(path: str) -> FxTable:
    return FxTable.from_csv(Path(path))


def default_fx() -> FxTable:
    """The FX table the project ships (or the one ``CAPEX_FX_PATH`` points at)."""
    return _load(str(fx_path()))
