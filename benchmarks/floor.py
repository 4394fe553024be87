"""The floor for ``annual_view``: a straightforward numpy implementation of the same
rules (``docs/methodology.md``), written for speed and nothing else.

It returns the numeric results and labels (no ``covers`` text, no id lists, no month
rows kept for drill-down), so it does less than ``annual_view``; the benchmark asserts
that the figures it shares with ``annual_view`` agree.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from tracker.fx import FxTable
from tracker.vocab import MIXED, Kind, Scope

KIND_RANK = {k.value: k.rank for k in Kind}
SCOPE_RANK = {s.value: s.rank for s in Scope}


def _month(values: pd.Series) -> np.ndarray:
    m = values.to_numpy().astype("datetime64[M]").astype(np.int64)
    return m + 1970 * 12


def _starts(sorted_keys: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _labels(group_starts: np.ndarray, codes: np.ndarray, names: np.ndarray) -> np.ndarray:
    lo = np.minimum.reduceat(codes, group_starts)
    hi = np.maximum.reduceat(codes, group_starts)
    return np.where(lo == hi, names[codes[group_starts]], MIXED)


def numpy_annual_view(
    frame: pd.DataFrame, as_of: date, fx: FxTable
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(headline, by_basis) with the default inclusion (no ventures, no press reports)."""
    announced = frame["announced_on"].to_numpy()
    ok = announced <= np.datetime64(as_of)
    sup = frame["supersedes"].to_numpy(dtype=float, na_value=np.nan)[ok]
    ok &= ~np.isin(frame["id"].to_numpy(), sup[~np.isnan(sup)].astype(np.int64))
    f = frame[ok]
    first, last = _month(f["period_start"]), _month(f["period_end"])
    kind = f["kind"].to_numpy(dtype=object)
    actual = kind == "actual"
    rate = np.where(
        actual,
        fx.average_rates(f["currency"], first, last),
        fx.rates_at(f["currency"], _month(f["announced_on"])),
    )
    good = ~np.isnan(rate)
    f, first, last, rate, kind = f[good], first[good], last[good], rate[good], kind[good]
    n = last - first + 1
    low = f["amount_low"].to_numpy() / rate / n
    high = f["amount_high"].to_numpy() / rate / n
    company_names, company = np.unique(f["company"].to_numpy(dtype=object), return_inverse=True)
    scope_names, scope = np.unique(f["scope"].to_numpy(dtype=object), return_inverse=True)
    kind_names, kind_code = np.unique(kind, return_inverse=True)
    q_names, qualifier = np.unique(f["qualifier"].to_numpy(dtype=object), return_inverse=True)
    scope_rank = np.array([SCOPE_RANK.get(s, 9) for s in scope_names])[scope]
    kind_rank = np.array([KIND_RANK.get(k, 9) for k in kind_names])[kind_code]
    eligible = (
        np.isin(f["scope"].to_numpy(dtype=object), list(Scope.capex()))
        & (f["venture_partners"].fillna("").to_numpy(dtype=object) == "")
        & (f["evidence"].to_numpy(dtype=object) != "press_report")
    )
    ids = f["id"].to_numpy()
    day = f["announced_on"].to_numpy().astype("datetime64[D]").astype(np.int64)

    # Pledges are separate programmes: one replaces another only for the same period.
    period = pd.factorize(f["period"])[0]
    series = np.where(kind == "pledge", period + 1, 0)

    # One row per announcement and month; per (company, scope, kind, series, month) the
    # winner.
    rep = np.repeat(np.arange(len(f)), n)
    month = first[rep] + np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    group = (company[rep] * 8 + scope_rank[rep]) * 8 + kind_rank[rep]
    key = (group * (series.max() + 1 if len(series) else 1) + series[rep]) * 10_000 + (
        month - 2000 * 12
    )
    detail = np.where(actual, n, 0)[rep]
    order = np.lexsort((-ids[rep], -day[rep], detail, ~eligible[rep], key))
    win, winner = _winners(key, order, rep)
    m_low, m_high, counts = _settle(rep, n, win, winner, low, high, actual)
    win, m_low, m_high = win[counts], m_low[counts], m_high[counts]
    src, m_month = rep[win], month[win]
    m_year = m_month // 12

    keys = [company[src], scope[src], kind_code[src], m_year]
    order, s, sums = _aggregate(m_low, m_high, keys, m_month)
    by_basis = pd.DataFrame(
        {
            "company": company_names[keys[0][order][s]],
            "scope": scope_names[keys[1][order][s]],
            "kind": kind_names[keys[2][order][s]],
            "year": m_year[order][s],
            **sums,
            "qualifier": _labels(s, qualifier[src][order], q_names),
        }
    )

    # Headline: broadest eligible scope per company, best kind per month; a guidance
    # that kept its whole period keeps its total over the months quarters leave it.
    e = np.flatnonzero(eligible[src])
    broadest = np.full(len(company_names), 99)
    np.minimum.at(broadest, company[src][e], scope_rank[src][e])
    e = e[scope_rank[src][e] == broadest[company[src][e]]]
    hkey = company[src][e] * 10_000 + (m_month[e] - 2000 * 12)
    horder = np.lexsort((kind_rank[src][e], hkey))
    _ann, rep2 = np.unique(ids[src][e], return_inverse=True)
    n2 = np.bincount(rep2)
    lo2 = np.bincount(rep2, weights=m_low[e]) / n2
    hi2 = np.bincount(rep2, weights=m_high[e]) / n2
    first_row = np.zeros(len(n2), dtype=np.int64)
    first_row[rep2[::-1]] = np.arange(len(rep2))[::-1]
    whole = (kind[src][e][first_row] == "guidance") & (n[src][e][first_row] == n2)
    hwin, winner2 = _winners(hkey, horder, rep2)
    h_low, h_high, counts = _settle(rep2, n2, hwin, winner2, lo2, hi2, whole)
    hwin, h_low, h_high = hwin[counts], h_low[counts], h_high[counts]
    # Other pledges in a month a pledge won add up (separate programmes).
    pledge = kind[src][e] == "pledge"
    won = hwin[pledge[hwin]]
    extra = np.setdiff1d(np.flatnonzero(pledge & np.isin(hkey, hkey[won])), hwin)
    best = e[np.r_[hwin, extra]]
    keys = [company[src][best], m_year[best]]
    order, s, sums = _aggregate(
        np.r_[h_low, m_low[e][extra]], np.r_[h_high, m_high[e][extra]], keys, m_month[best]
    )
    headline = pd.DataFrame(
        {
            "company": company_names[keys[0][order][s]],
            "year": keys[1][order][s],
            **sums,
            "basis": _labels(s, kind_code[src][best][order], kind_names),
            "scope": _labels(s, scope[src][best][order], scope_names),
            "qualifier": _labels(s, qualifier[src][best][order], q_names),
        }
    )
    headline["in_totals"] = headline["months"] == 12
    return headline, by_basis


def _winners(key: np.ndarray, order: np.ndarray, rep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each key in ``order``, and per row the statement that won its key."""
    starts = _starts(key[order])
    win = order[starts]
    winner = np.empty(len(rep), dtype=np.int64)
    winner[order] = rep[win][np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))]
    return win, winner


def _settle(
    rep: np.ndarray,
    n: np.ndarray,
    win: np.ndarray,
    winner: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    applies: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per winning row its value; a statement in ``applies`` that lost some months keeps
    what the winners leave of its total (shortest statements first), and its months
    go when nothing is left. Returns (low, high, kept) per winning row."""
    kept = np.bincount(rep[win], minlength=len(n))
    lost = winner != rep
    part = applies & (kept > 0) & (kept < n)
    lo, hi = low.astype(float).copy(), high.astype(float).copy()
    gone = np.zeros(len(n), dtype=bool)
    for length in np.unique(n[part]):
        t = part & (n == length)
        m = lost & t[rep]
        rest_lo = low * n - np.bincount(rep[m], weights=lo[winner[m]], minlength=len(n))
        rest_hi = high * n - np.bincount(rep[m], weights=hi[winner[m]], minlength=len(n))
        lo[t] = rest_lo[t] / kept[t]
        hi[t] = rest_hi[t] / kept[t]
        gone |= t & (rest_hi <= 1e-9)
    return lo[rep[win]], hi[rep[win]], ~gone[rep[win]]


def _aggregate(lo: np.ndarray, hi: np.ndarray, keys: list[np.ndarray], month: np.ndarray):
    """Sums per key in key order, and the distinct months of each (concurrent pledges
    share months)."""
    order = np.lexsort([month, *reversed(keys)])
    sorted_keys = np.stack([k[order] for k in keys])
    change = np.any(sorted_keys[:, 1:] != sorted_keys[:, :-1], axis=0)
    s = np.flatnonzero(np.r_[True, change])
    m = month[order]
    new_month = np.r_[True, change | (m[1:] != m[:-1])]
    return (
        order,
        s,
        {
            "low": np.add.reduceat(lo[order], s),
            "mid": np.add.reduceat(((lo + hi) / 2)[order], s),
            "high": np.add.reduceat(hi[order], s),
            "months": np.add.reduceat(new_month.astype(np.int64), s),
        },
    )
