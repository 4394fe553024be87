"""The monthly FX table shipped in ``data/fx_rates.csv`` and conversion to USD.

Rates are monthly averages in units of currency per USD, one row per currency and month
(``currency,month,units_per_usd,source`` with ``month`` as ``YYYY-MM``); the file is
regenerated from the ECB reference rates by ``scripts/update_fx.py``.

Months are month indexes, ``year * 12 + (month - 1)``, as in :mod:`tracker.periods`.
Lookups are vectorized with numpy and never fall back to another month: a currency the
table does not know, or a month it has no row for, gives NaN, and :meth:`FxTable.missing`
turns those gaps into messages a caller can show. USD is the identity (1.0) in every
month whether or not the file lists it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from tracker.config import fx_path
from tracker.periods import month_label

UPDATE_HINT = "run scripts/update_fx.py"
_MONTH = r"(\d{4})-(\d{2})"

ArrayLike = pd.Series | np.ndarray | Sequence[Any]


def parse_month(label: str) -> int:
    """Month index of ``YYYY-MM``."""
    return int(_month_indexes(pd.Series([label]))[0])


def _month_indexes(labels: pd.Series) -> np.ndarray:
    parts = labels.astype(str).str.strip().str.extract(f"^{_MONTH}$")
    year = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(parts[1], errors="coerce")
    bad = year.isna() | ~month.between(1, 12)
    if bad.any():
        raise ValueError(f"FX month must be YYYY-MM, got {labels[bad].iloc[0]!r}")
    return (year * 12 + month - 1).to_numpy(dtype=np.int64)


class FxTable:
    """Monthly average rates (units per USD) on a dense currency x month grid.

    ``rates``: the table as read (``currency`` upper-cased) plus ``month_index``.
    ``currencies``: the codes it knows, always including USD.
    """

    def __init__(self, rates: pd.DataFrame):
        required = {"currency", "month", "units_per_usd", "source"}
        missing = required - set(rates.columns)
        if missing:
            raise ValueError(f"FX table lacks columns: {', '.join(sorted(missing))}")
        rates = rates.copy()
        rates["currency"] = rates["currency"].astype(str).str.upper().str.strip()
        rates["month_index"] = _month_indexes(rates["month"])
        rates["units_per_usd"] = pd.to_numeric(rates["units_per_usd"], errors="coerce")
        if not (rates["units_per_usd"] > 0).all():
            raise ValueError("FX table has a non-positive or missing rate")
        dup = rates.duplicated(["currency", "month_index"])
        if dup.any():
            first = rates[dup].iloc[0]
            raise ValueError(f"FX table lists {first['currency']} {first['month']} twice")
        self.rates = rates.sort_values(["currency", "month_index"]).reset_index(drop=True)
        self.currencies: frozenset[str] = frozenset(self.rates["currency"]) | {"USD"}

        self._codes = pd.Index(sorted(self.currencies))
        self._usd = int(cast(int, self._codes.get_loc("USD")))  # unique index: an int
        months = self.rates["month_index"].to_numpy()
        self._first = int(months.min()) if len(months) else 0
        n_months = int(months.max()) - self._first + 1 if len(months) else 0
        grid = np.full((len(self._codes), n_months), np.nan)
        # pandas-stubs only accept an Index target; any array-like works.
        rows = self._codes.get_indexer(self.rates["currency"])  # type: ignore[arg-type]
        grid[rows, months - self._first] = self.rates["units_per_usd"].to_numpy()
        self._grid = grid
        # Prefix sums along months (with a leading 0 column): the sum and the number of
        # gaps over any span are two subtractions.
        zeros = np.zeros((len(self._codes), 1))
        self._sums = np.hstack([zeros, np.cumsum(np.nan_to_num(grid), axis=1)])
        self._gaps = np.hstack([zeros, np.cumsum(np.isnan(grid), axis=1)])

    @classmethod
    def from_csv(cls, path: Path) -> FxTable:
        return cls(pd.read_csv(path, dtype={"month": str}))

    # Lookups -----------------------------------------------------------------------

    @staticmethod
    def _names_of(currencies: ArrayLike) -> tuple[np.ndarray, pd.Index]:
        """Per row an id into the distinct upper-cased codes, and those codes (strings are
        normalized once per distinct value, not per row)."""
        ids, uniques = pd.factorize(np.asarray(currencies, dtype=object).reshape(-1))
        # A handful of distinct codes: plain Python beats pandas' string methods here.
        names = pd.Index([str(u).upper().strip() for u in uniques], dtype=object)
        ids = np.where(ids < 0, len(names), ids)  # NaN: an id past the end, never known
        return ids, names.append(pd.Index(["<missing>"]))

    def _codes_of(self, currencies: ArrayLike) -> np.ndarray:
        """Row of the rate grid for each currency, -1 where the table does not know it."""
        ids, names = self._names_of(currencies)
        codes: np.ndarray = self._codes.get_indexer(names)[ids]
        return codes

    @staticmethod
    def _months_of(months: ArrayLike, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Integer month indexes and where they are given (NaN means no month)."""
        values = np.asarray(months, dtype=float).reshape(-1)
        if len(values) != n:
            raise ValueError(f"{n} currencies but {len(values)} months")
        given = np.isfinite(values)
        return np.where(given, values, 0).astype(np.int64), given

    def rates_at(self, currencies: ArrayLike, months: ArrayLike) -> np.ndarray:
        """Units of currency per USD in each month index; NaN for an unknown currency, a
        month the table has no rate for, or a NaN month."""
        codes = self._codes_of(currencies)
        month, ok = self._months_of(months, len(codes))
        col = month - self._first
        ok &= (codes >= 0) & (col >= 0) & (col < self._grid.shape[1])
        out = np.full(len(codes), np.nan)
        out[ok] = self._grid[codes[ok], col[ok]]
        out[(codes == self._usd) & np.isfinite(np.asarray(months, dtype=float))] = 1.0
        return out

    def average_rates(
        self, currencies: ArrayLike, first_months: ArrayLike, last_months: ArrayLike
    ) -> np.ndarray:
        """Mean of the monthly rates over each inclusive span of month indexes; NaN if the
        currency is unknown, any month of the span has no rate, or last < first."""
        codes = self._codes_of(currencies)
        first, ok_first = self._months_of(first_months, len(codes))
        last, ok_last = self._months_of(last_months, len(codes))
        given = ok_first & ok_last & (first <= last)
        lo = first - self._first
        hi = last - self._first + 1
        ok = given & (codes >= 0) & (lo >= 0) & (hi <= self._grid.shape[1])
        c, lo, hi = codes[ok], lo[ok], hi[ok]
        total = self._sums[c, hi] - self._sums[c, lo]
        gaps = self._gaps[c, hi] - self._gaps[c, lo]
        out = np.full(len(codes), np.nan)
        out[ok] = np.where(gaps == 0, total / (hi - lo), np.nan)
        out[given & (codes == self._usd)] = 1.0
        return out

    def rate(self, currency: str, month: str | int) -> float:
        """Scalar :meth:`rates_at`; ``month`` is ``YYYY-MM`` or a month index."""
        index = parse_month(month) if isinstance(month, str) else int(month)
        return float(self.rates_at([currency], [index])[0])

    def last_month(self, currency: str) -> int | None:
        """The latest month index with a rate for ``currency`` (None if it has none)."""
        code = str(currency).upper().strip()
        months = self.rates.loc[self.rates["currency"] == code, "month_index"]
        return int(months.max()) if len(months) else None

    # Gaps --------------------------------------------------------------------------

    def missing(
        self,
        currencies: ArrayLike,
        first_months: ArrayLike,
        last_months: ArrayLike | None = None,
    ) -> pd.DataFrame:
        """The gaps that make :meth:`average_rates` (or, without ``last_months``,
        :meth:`rates_at`) NaN, ready to show to a user.

        One row per currency and contiguous run of uncovered months, with columns
        ``currency``, ``first_month`` and ``last_month`` (month indexes of the run),
        ``rows`` (how many input rows need a month of it) and ``message``, e.g.
        "no FX rate for CNY in 2026-11; run scripts/update_fx.py". An unknown currency
        gives one row spanning the months asked for. Rows whose month is NaN or whose
        span is empty are not FX gaps and are ignored. Empty when nothing is missing.

        The per-row mask is simply ``np.isnan(fx.average_rates(...))``.
        """
        last_months = first_months if last_months is None else last_months
        ids, names = self._names_of(currencies)
        codes = self._codes.get_indexer(names)[ids]
        first, ok_first = self._months_of(first_months, len(codes))
        last, ok_last = self._months_of(last_months, len(codes))
        spans = ok_first & ok_last & (first <= last)
        bad = spans & np.isnan(self.average_rates(currencies, first, last))
        columns = ["currency", "first_month", "last_month", "rows", "message"]
        if not bad.any():
            return pd.DataFrame(columns=columns)

        # Distinct failing (currency, first, last) spans with how many rows share each,
        # expanded into one entry per month.
        spans = (
            pd.DataFrame({"id": ids[bad], "first": first[bad], "last": last[bad]})
            .value_counts()
            .reset_index(name="weight")
        )
        span_code = self._codes.get_indexer(names)[spans["id"].to_numpy()]
        n = (spans["last"] - spans["first"] + 1).to_numpy()
        span = np.repeat(np.arange(len(spans)), n)
        month = spans["first"].to_numpy()[span] + np.arange(n.sum()) - np.repeat(n.cumsum() - n, n)
        code = span_code[span]
        col = month - self._first
        inside = (code >= 0) & (col >= 0) & (col < self._grid.shape[1])
        uncovered = ~inside
        uncovered[inside] = np.isnan(self._grid[code[inside], col[inside]])
        gaps = pd.DataFrame(
            {
                "currency": np.asarray(names)[spans["id"].to_numpy()[span]],
                "known": code >= 0,
                "month": month,
                "span": span,
            }
        )[uncovered]

        # Runs of consecutive months per currency; an unknown currency is one run.
        runs = gaps[["currency", "known", "month"]].drop_duplicates()
        runs = runs.sort_values(["currency", "month"])
        new_currency = runs["currency"].ne(runs["currency"].shift())
        runs["run"] = (new_currency | (runs["known"] & runs["month"].diff().ne(1))).cumsum()
        gaps = gaps.merge(runs[["currency", "month", "run"]], on=["currency", "month"])
        # A span meets a run in one stretch of months: count its rows once per run.
        hits = gaps.drop_duplicates(["run", "span"])
        hits = hits.assign(weight=spans["weight"].to_numpy()[hits["span"].to_numpy()])
        out = gaps.groupby("run").agg(
            currency=("currency", "first"),
            known=("known", "first"),
            first_month=("month", "min"),
            last_month=("month", "max"),
        )
        out["rows"] = hits.groupby("run")["weight"].sum()
        out["message"] = [
            _gap_message(cur, is_known, lo, hi)
            for cur, is_known, lo, hi in zip(
                out["currency"], out["known"], out["first_month"], out["last_month"], strict=True
            )
        ]
        result: pd.DataFrame = out[columns].reset_index(drop=True)
        return result


def _gap_message(currency: str, known: bool, first: int, last: int) -> str:
    if not known:
        return f"no FX rate for {currency}: the FX table does not know this currency"
    span = month_label(first) if first == last else f"{month_label(first)} to {month_label(last)}"
    return f"no FX rate for {currency} in {span}; {UPDATE_HINT}"


@lru_cache(maxsize=4)
def _load(path: str) -> FxTable:
    return FxTable.from_csv(Path(path))


def default_fx() -> FxTable:
    """The FX table the project ships (or the one ``CAPEX_FX_PATH`` points at)."""
    return _load(str(fx_path()))
