"""Turn announcements into annual USD per company and calendar year.

The rule that keeps revisions and overlaps from being double-counted works month by
month: every announcement is spread evenly over the months its period covers (in USD at
the rate of its announcement year), then for each company, scope, kind and month only
the latest statement known at the as-of date counts. Meta's four 2025 guidance ranges
therefore give one 2025 figure (the latest), Microsoft's FY2025 and FY2026 each fill
their own months of calendar 2025, and a pledge revised upward replaces the original.

The headline figure of a company-month then takes, in order of preference, the actual,
else the guidance, else the pledge (and the broadest scope); pledges and guidance are
also kept side by side in :attr:`AnnualView.by_basis` and are never added together.
Everything is vectorized with numpy: no Python loop runs per announcement or month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from tracker.fx import FxTable, default_fx
from tracker.models import Kind, Scope
from tracker.periods import month_indexes

KIND_RANK = {Kind.ACTUAL.value: 0, Kind.GUIDANCE.value: 1, Kind.PLEDGE.value: 2}
SCOPE_RANK = {
    Scope.TOTAL_CAPEX.value: 0,
    Scope.AI_INFRASTRUCTURE.value: 1,
    Scope.DATA_CENTERS.value: 2,
    Scope.TOTAL_INVESTMENT.value: 3,
}
MEASURES = ("low", "mid", "high")


@dataclass
class AnnualView:
    """Annual USD (billions) at one as-of date.

    ``headline``: one row per company and year (the figure charts and totals use), with
    the ids of the announcements behind it.
    ``by_basis``: one row per company, scope, kind and year, for side-by-side views.
    ``monthly``: the resolved month rows behind both, for drill-down.
    """

    headline: pd.DataFrame
    by_basis: pd.DataFrame
    monthly: pd.DataFrame
    as_of: date


def with_usd(frame: pd.DataFrame, fx: FxTable | None = None) -> pd.DataFrame:
    """Add ``fx_rate``, ``low_usd``, ``high_usd``, ``mid_usd`` (billions, whole period),
    ``months`` and ``annual_mid_usd`` (the per-12-months rate) to announcements."""
    fx = fx or default_fx()
    out = frame.copy()
    years = pd.to_datetime(out["announced_on"]).dt.year
    out["fx_rate"] = fx.rates_for(out["currency"], years)
    out["low_usd"] = out["amount_low"] / out["fx_rate"]
    out["high_usd"] = out["amount_high"] / out["fx_rate"]
    out["mid_usd"] = (out["low_usd"] + out["high_usd"]) / 2
    first = month_indexes(out["period_start"])
    last = month_indexes(out["period_end"])
    out["months"] = (last - first + 1).astype(int)
    for m in MEASURES:
        out[f"annual_{m}_usd"] = out[f"{m}_usd"] / out["months"] * 12
    return out


def _first_per_group(keys: np.ndarray) -> np.ndarray:
    """Positions where a new key starts in an array sorted by key."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def monthly_rows(frame: pd.DataFrame, as_of: date, fx: FxTable | None = None) -> pd.DataFrame:
    """One row per announcement and covered month, for announcements known at ``as_of``,
    already resolved so each (company, scope, kind, month) keeps only the latest."""
    known = frame[pd.to_datetime(frame["announced_on"]) <= pd.Timestamp(as_of)]
    usd = with_usd(known, fx)
    n = usd["months"].to_numpy(dtype=np.int64)
    total = int(n.sum())
    rep = np.repeat(np.arange(len(usd)), n)
    offsets = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    month = month_indexes(usd["period_start"])[rep] + offsets

    company_code, companies = pd.factorize(usd["company"])
    scope_rank = usd["scope"].map(SCOPE_RANK).fillna(9).to_numpy(dtype=np.int64)
    kind_rank = usd["kind"].map(KIND_RANK).fillna(9).to_numpy(dtype=np.int64)
    announced = pd.to_datetime(usd["announced_on"]).to_numpy().astype("datetime64[D]")
    announced = announced.astype(np.int64)
    ids = usd["id"].to_numpy(dtype=np.int64)

    # Latest statement per (company, scope, kind, month): sort newest first inside keys.
    key = ((company_code[rep] * 16 + scope_rank[rep]) * 16 + kind_rank[rep]) * 100_000 + month
    order = np.lexsort((-ids[rep], -announced[rep], key))
    keep = order[_first_per_group(key[order])]
    src = rep[keep]
    months_n = n[src]
    return pd.DataFrame(
        {
            "company": companies[company_code[src]],
            "company_code": company_code[src],
            "scope": usd["scope"].to_numpy()[src],
            "kind": usd["kind"].to_numpy()[src],
            "scope_rank": scope_rank[src],
            "kind_rank": kind_rank[src],
            "month": month[keep],
            "year": month[keep] // 12,
            "announcement_id": ids[src],
            "low": usd["low_usd"].to_numpy()[src] / months_n,
            "high": usd["high_usd"].to_numpy()[src] / months_n,
        }
    )


def _aggregate(rows: pd.DataFrame, keys: list[str], with_ids: bool) -> pd.DataFrame:
    """Sum resolved month rows into years. Rows are unique per month within a group, so
    the number of months covered is the group size."""
    rows = rows.assign(mid=(rows["low"] + rows["high"]) / 2)
    grouped = rows.groupby(keys, sort=True)
    out = grouped[["low", "mid", "high"]].sum()
    out["months"] = grouped.size()
    if with_ids:
        pairs = (
            rows[[*keys, "announcement_id"]]
            .drop_duplicates()
            .sort_values([*keys, "announcement_id"])
        )
        pairs["announcement_id"] = pairs["announcement_id"].astype(str)
        out["announcement_ids"] = pairs.groupby(keys, sort=True)["announcement_id"].agg(",".join)
    return out.reset_index()


def _label(first: pd.Series, distinct: pd.Series) -> pd.Series:
    return first.where(distinct == 1, "mixed")


def annual_view(
    frame: pd.DataFrame, as_of: date | None = None, fx: FxTable | None = None
) -> AnnualView:
    """Annual USD per company and calendar year from announcements (see module doc)."""
    as_of = as_of or date.today()
    monthly = monthly_rows(frame, as_of, fx)
    by_basis = _aggregate(monthly, ["company", "scope", "kind", "year"], with_ids=False)

    # Headline: per company-month the best-ranked kind, then scope.
    key = monthly["company_code"].to_numpy(dtype=np.int64) * 100_000 + monthly["month"].to_numpy()
    rank = monthly["kind_rank"].to_numpy() * 16 + monthly["scope_rank"].to_numpy()
    order = np.lexsort((rank, key))
    best = monthly.iloc[order[_first_per_group(key[order])]]
    headline = _aggregate(best, ["company", "year"], with_ids=True)
    labels = best.groupby(["company", "year"], sort=True).agg(
        kind_first=("kind", "first"),
        kinds=("kind", "nunique"),
        scope_first=("scope", "first"),
        scopes=("scope", "nunique"),
    )
    headline["basis"] = _label(labels["kind_first"], labels["kinds"]).to_numpy()
    headline["scope"] = _label(labels["scope_first"], labels["scopes"]).to_numpy()
    countries = frame.drop_duplicates("company").set_index("company")["country"]
    headline.insert(1, "country", headline["company"].map(countries))
    by_basis.insert(1, "country", by_basis["company"].map(countries))
    return AnnualView(headline, by_basis, monthly, as_of)
