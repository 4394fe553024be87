"""Turn announcements into annual USD per company and calendar year.

The rules (``docs/methodology.md`` explains them with worked examples):

1. Only announcements known at the as-of date count, and an announcement that a later
   known one explicitly supersedes counts for no month at all, whatever its period.
2. USD: a reported actual at the average monthly rate of the months it covers; guidance
   and pledges at the rate of the month they were announced in. A missing rate leaves
   the figure out with a warning; it never falls back to another month.
3. Each announcement is spread evenly over the months of its period; for each company,
   scope, kind and month one statement counts: for actuals the most detailed (a quarter
   beats the fiscal year it belongs to), then the latest; otherwise the latest.
4. Headline: each company has one series, its broadest capex scope (total capex, else
   AI infrastructure, else data centers), so a narrow pledge never fills a gap in a
   broader series. Per month the actual wins, else guidance, else the pledge. Scopes
   that are not capex, joint ventures and press reports the company never confirmed
   stay out of the headline unless asked for.
5. Months add up to calendar years with the months covered; only full years count in
   totals (``in_totals``).

Everything is vectorized with numpy: no Python loop runs per announcement or month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from tracker.fx import FxTable, default_fx
from tracker.periods import month_indexes, month_label
from tracker.vocab import MIXED, Evidence, Kind, Measure, Scope

MEASURES = tuple(Measure.values())
KIND_RANK = {k.value: k.rank for k in Kind}
SCOPE_RANK = {s.value: s.rank for s in Scope}
CAPEX_SCOPES = frozenset(Scope.capex())


@dataclass(frozen=True)
class Inclusion:
    """Which announcements may enter the headline series (and so the totals)."""

    ventures: bool = False
    press_reports: bool = False


@dataclass
class AnnualView:
    """Annual USD (billions) at one as-of date.

    ``headline``: one row per company and year: the comparable series charts, rankings
    and totals use, with the ids of the announcements behind it.
    ``by_basis``: one row per company, scope, kind and year, every scope and kind, for
    side-by-side views (never added together).
    ``monthly``: the resolved month rows behind both, for drill-down.
    ``warnings``: figures left out, in sentences (e.g. a missing FX rate).
    """

    headline: pd.DataFrame
    by_basis: pd.DataFrame
    monthly: pd.DataFrame
    as_of: date
    warnings: list[str] = field(default_factory=list)


def superseded_ids(frame: pd.DataFrame, as_of: date | None = None) -> set[int]:
    """Ids that a known announcement explicitly supersedes."""
    known = frame if as_of is None else frame[_announced(frame) <= pd.Timestamp(as_of)]
    return set(known["supersedes"].dropna().astype(int))


def _announced(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["announced_on"])


def with_usd(frame: pd.DataFrame, fx: FxTable | None = None) -> pd.DataFrame:
    """Add ``fx_rate``, ``low_usd``, ``high_usd``, ``mid_usd`` (billions, whole period),
    ``months`` and ``annual_{low,mid,high}_usd`` (per 12 months) to announcements.

    Actuals use the average rate of the months they cover; guidance and pledges the
    rate of their announcement month. ``fx_rate`` is NaN where the table has no rate.
    """
    fx = fx or default_fx()
    out = frame.copy()
    first = month_indexes(out["period_start"])
    last = month_indexes(out["period_end"])
    announced = month_indexes(out["announced_on"])
    is_actual = (out["kind"] == Kind.ACTUAL.value).to_numpy()
    currencies = out["currency"]
    rate = fx.rates_at(currencies, announced)
    if is_actual.any():
        rate = np.where(is_actual, fx.average_rates(currencies, first, last), rate)
    out["fx_rate"] = rate
    out["low_usd"] = out["amount_low"] / out["fx_rate"]
    out["high_usd"] = out["amount_high"] / out["fx_rate"]
    out["mid_usd"] = (out["low_usd"] + out["high_usd"]) / 2
    out["months"] = (last - first + 1).astype(int)
    for m in MEASURES:
        out[f"annual_{m}_usd"] = out[f"{m}_usd"] / out["months"] * 12
    return out


def _fx_warnings(usd: pd.DataFrame) -> list[str]:
    missing = usd[usd["fx_rate"].isna()]
    return [
        f"No FX rate for {r.currency} in the months of announcement #{r.id} ({r.company}, "
        f"{r.kind} {r.period}); it is left out of USD figures until the FX table covers "
        "them (scripts/update_fx.py)."
        for r in missing.itertuples()
    ]


def _first_per_group(keys: np.ndarray) -> np.ndarray:
    """Positions where a new key starts in an array sorted by key."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def _eligible(usd: pd.DataFrame, include: Inclusion) -> np.ndarray:
    """Rows that may enter the headline: capex scopes, no venture unless included, no
    unconfirmed press report unless included."""
    ok = usd["scope"].isin(CAPEX_SCOPES).to_numpy().copy()
    if not include.ventures:
        ok &= (usd["venture_partners"].fillna("") == "").to_numpy()
    if not include.press_reports:
        ok &= (usd["evidence"] != Evidence.PRESS_REPORT.value).to_numpy()
    return ok


def monthly_rows(
    frame: pd.DataFrame,
    as_of: date,
    fx: FxTable | None = None,
    include: Inclusion | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per announcement and covered month for announcements known at ``as_of``
    and not superseded, resolved so each (company, scope, kind, month) keeps one."""
    include = include or Inclusion()
    known = frame[_announced(frame) <= pd.Timestamp(as_of)]
    known = known[~known["id"].isin(superseded_ids(known))]
    usd = with_usd(known, fx)
    warnings = _fx_warnings(usd)
    usd = usd[usd["fx_rate"].notna()]
    n = usd["months"].to_numpy(dtype=np.int64)
    total = int(n.sum())
    rep = np.repeat(np.arange(len(usd)), n)
    offsets = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    month = month_indexes(usd["period_start"])[rep] + offsets

    company_code, companies = pd.factorize(usd["company"])
    scope_rank = usd["scope"].map(SCOPE_RANK).fillna(9).to_numpy(dtype=np.int64)
    kind_rank = usd["kind"].map(KIND_RANK).fillna(9).to_numpy(dtype=np.int64)
    announced = _announced(usd).to_numpy().astype("datetime64[D]").astype(np.int64)
    ids = usd["id"].to_numpy(dtype=np.int64)
    # Actuals: the most detailed report of a month wins (quarter over fiscal year).
    detail = np.where(usd["kind"].to_numpy() == Kind.ACTUAL.value, n, 0)

    # A statement that may not enter the headline (an unconfirmed press report) never
    # hides one that may: it only fills months no eligible statement covers.
    ineligible = ~_eligible(usd, include)

    key = ((company_code[rep] * 16 + scope_rank[rep]) * 16 + kind_rank[rep]) * 100_000 + month
    order = np.lexsort((-ids[rep], -announced[rep], detail[rep], ineligible[rep], key))
    keep = order[_first_per_group(key[order])]
    src = rep[keep]
    low = usd["low_usd"].to_numpy() / n
    high = usd["high_usd"].to_numpy() / n
    low_kept, high_kept = _residual_for_uncovered_months(key, order, keep, rep, n, low, high)
    rows = pd.DataFrame(
        {
            "company": companies[company_code[src]],
            "company_code": company_code[src],
            "scope": usd["scope"].to_numpy()[src],
            "kind": usd["kind"].to_numpy()[src],
            "qualifier": usd["qualifier"].to_numpy()[src],
            "scope_rank": scope_rank[src],
            "kind_rank": kind_rank[src],
            "eligible": ~ineligible[src],
            "month": month[keep],
            "year": month[keep] // 12,
            "announcement_id": ids[src],
            "low": low_kept,
            "high": high_kept,
        }
    )
    return rows, warnings


def _residual_for_uncovered_months(
    key: np.ndarray,
    order: np.ndarray,
    keep: np.ndarray,
    rep: np.ndarray,
    n: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-month values of the winning rows. A statement that lost some of its months to
    more detailed ones (an annual actual to its quarters) spreads only what they leave
    over the months it keeps, so a year of three reported quarters plus the annual total
    still adds up to the annual total."""
    winner_of_position = np.empty(len(key), dtype=np.int64)
    starts = _first_per_group(key[order])
    group_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
    winner_of_position[order] = rep[keep][group_of]
    lost = winner_of_position != rep
    count = len(n)
    stolen_low = np.bincount(rep[lost], weights=low[winner_of_position[lost]], minlength=count)
    stolen_high = np.bincount(rep[lost], weights=high[winner_of_position[lost]], minlength=count)
    kept = np.bincount(rep[keep], minlength=count)
    partial = (kept > 0) & (kept < n)
    out_low, out_high = low.copy(), high.copy()
    safe = np.maximum(kept, 1)
    out_low[partial] = (
        np.maximum(low[partial] * n[partial] - stolen_low[partial], 0) / safe[partial]
    )
    out_high[partial] = (
        np.maximum(high[partial] * n[partial] - stolen_high[partial], 0) / safe[partial]
    )
    src = rep[keep]
    return out_low[src], out_high[src]


def _aggregate(rows: pd.DataFrame, keys: list[str], with_ids: bool) -> pd.DataFrame:
    """Sum resolved month rows into years. Rows are unique per month within a group, so
    the number of months covered is the group size."""
    rows = rows.assign(mid=(rows["low"] + rows["high"]) / 2)
    grouped = rows.groupby(keys, sort=True)
    out = grouped[["low", "mid", "high"]].sum()
    out["months"] = grouped.size()
    first_month = grouped["month"].min()
    last_month = grouped["month"].max()
    out["covers"] = [
        month_label(a) + (f" to {month_label(b)}" if b != a else "")
        for a, b in zip(first_month, last_month, strict=True)
    ]
    if with_ids:
        pairs = (
            rows[[*keys, "announcement_id"]]
            .drop_duplicates()
            .sort_values([*keys, "announcement_id"])
        )
        pairs["announcement_id"] = pairs["announcement_id"].astype(str)
        out["announcement_ids"] = pairs.groupby(keys, sort=True)["announcement_id"].agg(",".join)
    return out.reset_index()


def _label(rows: pd.DataFrame, keys: list[str], column: str) -> np.ndarray:
    grouped = rows.groupby(keys, sort=True)[column]
    first, distinct = grouped.first(), grouped.nunique()
    return first.where(distinct == 1, MIXED).to_numpy()


def headline_rows(monthly: pd.DataFrame) -> pd.DataFrame:
    """Per company the broadest eligible capex scope; per month of it the best kind."""
    rows = monthly[monthly["eligible"].to_numpy()]
    if rows.empty:
        return rows
    broadest = rows.groupby("company_code")["scope_rank"].transform("min")
    rows = rows[rows["scope_rank"] == broadest]
    key = rows["company_code"].to_numpy(dtype=np.int64) * 100_000 + rows["month"].to_numpy()
    order = np.lexsort((rows["kind_rank"].to_numpy(), key))
    keep = order[_first_per_group(key[order])]
    # A full-year guidance whose first quarters are already reported keeps its total:
    # the quarters replace their months, the guidance spreads what remains.
    rep, first_rows = pd.factorize(rows["announcement_id"])
    del first_rows
    n = np.bincount(rep)
    per_month_low = np.bincount(rep, weights=rows["low"].to_numpy()) / n
    per_month_high = np.bincount(rep, weights=rows["high"].to_numpy()) / n
    low, high = _residual_for_uncovered_months(
        key, order, keep, rep, n, per_month_low, per_month_high
    )
    best: pd.DataFrame = rows.iloc[keep].copy()
    best["low"], best["high"] = low, high
    return best


def annual_view(
    frame: pd.DataFrame,
    as_of: date | None = None,
    fx: FxTable | None = None,
    include: Inclusion | None = None,
) -> AnnualView:
    """Annual USD per company and calendar year from announcements (see module doc)."""
    as_of = as_of or date.today()
    monthly, warnings = monthly_rows(frame, as_of, fx, include)
    by_basis = _aggregate(monthly, ["company", "scope", "kind", "year"], with_ids=True)
    by_basis["qualifier"] = (
        _label(monthly, ["company", "scope", "kind", "year"], "qualifier")
        if not monthly.empty
        else []
    )
    best = headline_rows(monthly)
    keys = ["company", "year"]
    headline = _aggregate(best, keys, with_ids=True)
    if not best.empty:
        headline["basis"] = _label(best, keys, "kind")
        headline["scope"] = _label(best, keys, "scope")
        headline["qualifier"] = _label(best, keys, "qualifier")
    else:
        for column in ("basis", "scope", "qualifier"):
            headline[column] = pd.Series(dtype=object)
    headline["in_totals"] = headline["months"] == 12
    countries = frame.drop_duplicates("company").set_index("company")["country"]
    headline.insert(1, "country", headline["company"].map(countries))
    by_basis.insert(1, "country", by_basis["company"].map(countries))
    return AnnualView(headline, by_basis, monthly, as_of, warnings)


def default_year(headline: pd.DataFrame) -> int | None:
    """The latest year with broad coverage: at least half as many companies with a full
    year as the best-covered year (not an empty current year)."""
    full = headline[headline["in_totals"]].groupby("year")["company"].nunique()
    if full.empty:
        return int(headline["year"].max()) if not headline.empty else None
    broad = full[full >= max(1, full.max() / 2)]
    return int(broad.index.max())
