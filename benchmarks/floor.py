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

    # One row per announcement and month; per (company, scope, kind, month) the winner.
    rep = np.repeat(np.arange(len(f)), n)
    month = first[rep] + np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    key = ((company[rep] * 8 + scope_rank[rep]) * 8 + kind_rank[rep]) * 10_000 + (month - 2000 * 12)
    detail = np.where(actual, n, 0)[rep]
    order = np.lexsort((-ids[rep], -day[rep], detail, ~eligible[rep], key))
    starts = _starts(key[order])
    win = order[starts]
    winner = np.empty(len(rep), dtype=np.int64)
    winner[order] = rep[win][np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))]

    def residual(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lost = winner != rep
        kept = np.bincount(rep[win], minlength=len(n))
        part = (kept > 0) & (kept < n)
        out = []
        for v in (low, high):
            stolen = np.bincount(rep[lost], weights=v[winner[lost]], minlength=len(n))
            v = v.copy()
            v[part] = np.maximum(v[part] * n[part] - stolen[part], 0) / kept[part]
            out.append(v[rep[win]])
        return out[0], out[1]

    m_low, m_high = residual(low, high)
    src, m_month = rep[win], month[win]
    m_year = m_month // 12

    def aggregate(rows: np.ndarray, lo: np.ndarray, hi: np.ndarray, keys: list[np.ndarray]):
        order = np.lexsort([k for k in reversed(keys)])
        sorted_keys = np.stack([k[order] for k in keys])
        change = np.any(sorted_keys[:, 1:] != sorted_keys[:, :-1], axis=0)
        s = np.flatnonzero(np.r_[True, change])
        return (
            order,
            s,
            {
                "low": np.add.reduceat(lo[order], s),
                "mid": np.add.reduceat(((lo + hi) / 2)[order], s),
                "high": np.add.reduceat(hi[order], s),
                "months": np.diff(np.r_[s, len(order)]),
            },
        )

    keys = [company[src], scope[src], kind_code[src], m_year]
    order, s, sums = aggregate(src, m_low, m_high, keys)
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

    # Headline: broadest eligible scope per company, best kind per month.
    e = np.flatnonzero(eligible[src])
    broadest = np.full(len(company_names), 99)
    np.minimum.at(broadest, company[src][e], scope_rank[src][e])
    e = e[scope_rank[src][e] == broadest[company[src][e]]]
    hkey = company[src][e] * 10_000 + (m_month[e] - 2000 * 12)
    horder = np.lexsort((kind_rank[src][e], hkey))
    hs = _starts(hkey[horder])
    hwin = horder[hs]
    # The guidance a quarter displaces keeps its total over its remaining months.
    _ann, rep2 = np.unique(ids[src][e], return_inverse=True)
    n2 = np.bincount(rep2)
    lo2 = np.bincount(rep2, weights=m_low[e]) / n2
    hi2 = np.bincount(rep2, weights=m_high[e]) / n2
    winner2 = np.empty(len(e), dtype=np.int64)
    winner2[horder] = rep2[hwin][np.repeat(np.arange(len(hs)), np.diff(np.r_[hs, len(horder)]))]
    lost = winner2 != rep2
    kept = np.bincount(rep2[hwin], minlength=len(n2))
    part = (kept > 0) & (kept < n2)
    values = []
    for v in (lo2, hi2):
        stolen = np.bincount(rep2[lost], weights=v[winner2[lost]], minlength=len(n2))
        v = v.copy()
        v[part] = np.maximum(v[part] * n2[part] - stolen[part], 0) / kept[part]
        values.append(v[rep2[hwin]])
    best = e[hwin]
    keys = [company[src][best], m_year[best]]
    order, s, sums = aggregate(best, values[0], values[1], keys)
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
