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

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tracker.fx import FxTable, default_fx
from tracker.periods import month_indexes, month_label
from tracker.vocab import MIXED, Evidence, Kind, Measure, Scope

MEASURES = tuple(Measure.values())
# The announcement columns the view reads. A view keeps what it needs to rebuild its
# month rows on demand, so it holds these, not every column (source URLs, notes).
COLUMNS = (
    "id",
    "company",
    "country",
    "kind",
    "scope",
    "period",
    "period_start",
    "period_end",
    "amount_low",
    "amount_high",
    "currency",
    "qualifier",
    "announced_on",
    "supersedes",
    "venture_partners",
    "evidence",
)
KIND_RANK = {k.value: k.rank for k in Kind}
SCOPE_RANK = {s.value: s.rank for s in Scope}
CAPEX_SCOPES = frozenset(Scope.capex())
# Cells of the groups-by-months table _distinct_months marks (one byte each).
_MAX_MONTH_TABLE = 1 << 25
# A group and a month index packed into one key: group * _MONTH_SLOTS + month (month
# indexes count from 1970-01, far below this); _isin_company_months unpacks it.
_MONTH_SLOTS = 100_000
# Bits of the one sort number per month row in _resolution_order (int64, kept positive).
_MAX_PACKED_BITS = 62


@dataclass(frozen=True)
class Inclusion:
    """Which announcements may enter the headline series (and so the totals)."""

    ventures: bool = False
    press_reports: bool = False


class AnnualView:
    """Annual USD (billions) at one as-of date.

    ``headline``: one row per company and year: the comparable series charts, rankings
    and totals use, with the ids of the announcements behind it.
    ``by_basis``: one row per company, scope, kind and year, every scope and kind, for
    side-by-side views (never added together).
    ``monthly``: the resolved month rows behind both, for drill-down. It is built on
    first use (``monthly`` may be given as a function returning it): at 100k
    announcements it holds millions of rows that no table or chart needs, so a cached
    view stays small.
    ``warnings``: figures left out, in sentences (e.g. a missing FX rate).
    """

    def __init__(
        self,
        headline: pd.DataFrame,
        by_basis: pd.DataFrame,
        monthly: pd.DataFrame | Callable[[], pd.DataFrame],
        as_of: date,
        warnings: list[str] | None = None,
    ) -> None:
        self.headline = headline
        self.by_basis = by_basis
        self._monthly = monthly
        self.as_of = as_of
        self.warnings: list[str] = warnings if warnings is not None else []

    @property
    def monthly(self) -> pd.DataFrame:
        if not isinstance(self._monthly, pd.DataFrame):
            self._monthly = self._monthly()
        return self._monthly

    def __repr__(self) -> str:
        return (
            f"AnnualView(as_of={self.as_of}, headline={len(self.headline)} rows, "
            f"by_basis={len(self.by_basis)} rows, warnings={len(self.warnings)})"
        )


def superseded_ids(frame: pd.DataFrame, as_of: date | None = None) -> set[int]:
    """Ids that a known announcement explicitly supersedes. Only the two columns are
    read: filtering the whole frame first copied every column (at a million
    announcements 0.5 s of the Compare announcements page)."""
    links = frame["supersedes"]
    if as_of is not None:
        links = links[(_announced(frame) <= pd.Timestamp(as_of)).to_numpy()]
    return set(links.dropna().astype(int))


def _announced(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["announced_on"])


def with_usd(frame: pd.DataFrame, fx: FxTable | None = None) -> pd.DataFrame:
    """Add ``fx_rate``, ``low_usd``, ``high_usd``, ``mid_usd`` (billions, whole period),
    ``months`` and ``annual_{low,mid,high}_usd`` (per 12 months) to announcements.

    Actuals use the average rate of the months they cover; guidance and pledges the
    rate of their announcement month. ``fx_rate`` is NaN where the table has no rate.
    """
    fx = fx or default_fx()
    # Only new columns are set, so the copy can share the given ones (a cached 100k
    # frame is not duplicated for its USD columns).
    out = frame.copy(deep=False)
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


def _missing_rate_warnings(frame: pd.DataFrame, positions: np.ndarray) -> list[str]:
    """A sentence for each announcement at ``positions`` (left out: no FX rate)."""
    if len(positions) == 0:  # the usual case; an empty itertuples still costs 3 ms
        return []
    return [
        f"No FX rate for {r.currency} in the months of announcement #{r.id} ({r.company}, "
        f"{r.kind} {r.period}); it is left out of USD figures until the FX table covers "
        "them (scripts/update_fx.py)."
        for r in frame.iloc[positions].itertuples()
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


@dataclass
class _Resolved:
    """Resolved month rows as arrays (what :func:`monthly_rows` returns as a frame).

    Per announcement kept (``usd``: known, not superseded, with a rate): its position in
    the input frame and its codes. Per month row kept: ``src`` (the announcement, an
    index into the per-announcement arrays), ``month``, ``low`` and ``high``.
    """

    positions: np.ndarray
    company_code: np.ndarray  # codes in order of appearance among the kept rows
    companies: pd.Index
    scope_rank: np.ndarray
    kind_rank: np.ndarray
    ineligible: np.ndarray
    ids: np.ndarray
    n: np.ndarray  # months of each statement's period
    src: np.ndarray
    month: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _codes(values: pd.Series, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a text column at ``positions`` (-1 for missing) and the distinct
    values, factorizing the kept rows only."""
    codes, uniques = pd.factorize(values)
    return codes[positions], np.asarray(uniques, dtype=object)


def _lookup(
    codes: np.ndarray, uniques: np.ndarray, table: dict[str, int], missing: int
) -> np.ndarray:
    """``table[value]`` per row from codes, ``missing`` for values not in the table."""
    per_unique = np.array([table.get(u, missing) for u in uniques] + [missing], dtype=np.int64)
    out: np.ndarray = per_unique[codes]
    return out


def _resolve(
    frame: pd.DataFrame,
    as_of: date,
    fx: FxTable | None,
    include: Inclusion,
    scopes: tuple[str, ...] = (),
) -> tuple[_Resolved, np.ndarray]:
    """Rules 1-3 on arrays: known and not superseded, in USD, spread over months and
    resolved so each (company, scope, kind, month) keeps one statement; of ``scopes``
    only when given (what supersedes what is decided over every scope first). Also
    returns the positions of the announcements left out for a missing FX rate."""
    fx = fx or default_fx()
    announced_all = _announced(frame).to_numpy()
    known = announced_all <= np.datetime64(pd.Timestamp(as_of))
    ids_all = frame["id"].to_numpy(dtype=np.int64)
    supersedes = frame["supersedes"].to_numpy(dtype=float, na_value=np.nan)[known]
    superseded = np.unique(supersedes[~np.isnan(supersedes)].astype(np.int64))
    known &= ~np.isin(ids_all, superseded)
    if scopes:
        known &= frame["scope"].isin(scopes).to_numpy()
    positions = np.flatnonzero(known)

    # Rule 2 (as in with_usd): actuals at the average rate of their months, the rest at
    # the rate of their announcement month.
    first = month_indexes(frame["period_start"].iloc[positions])
    last = month_indexes(frame["period_end"].iloc[positions])
    announced_month = month_indexes(frame["announced_on"].iloc[positions])
    kind_codes, kinds = _codes(frame["kind"], positions)
    is_actual = _lookup(kind_codes, kinds, {Kind.ACTUAL.value: 1}, 0).astype(bool)
    currencies = frame["currency"].to_numpy()[positions]
    rate = fx.rates_at(currencies, announced_month)
    if is_actual.any():
        rate = np.where(is_actual, fx.average_rates(currencies, first, last), rate)
    has_rate = ~np.isnan(rate)
    missing = positions[~has_rate]
    if not has_rate.all():
        keep_rows = np.flatnonzero(has_rate)
        positions, first, last = positions[keep_rows], first[keep_rows], last[keep_rows]
        rate, is_actual = rate[keep_rows], is_actual[keep_rows]
        kind_codes = kind_codes[keep_rows]
    low_usd = frame["amount_low"].to_numpy(dtype=float)[positions] / rate
    high_usd = frame["amount_high"].to_numpy(dtype=float)[positions] / rate
    n = (last - first + 1).astype(np.int64)

    company_code, companies = pd.factorize(frame["company"].take(positions))
    scope_codes, scope_values = _codes(frame["scope"], positions)
    scope_rank = _lookup(scope_codes, scope_values, SCOPE_RANK, 9)
    kind_rank = _lookup(kind_codes, kinds, KIND_RANK, 9)
    announced = announced_all[positions].astype("datetime64[D]").astype(np.int64)
    ids = ids_all[positions]
    # Actuals: the most detailed report of a month wins (quarter over fiscal year).
    detail = np.where(is_actual, n, 0)

    # A statement that may not enter the headline (an unconfirmed press report) never
    # hides one that may: it only fills months no eligible statement covers.
    ineligible = ~_eligible_at(frame, positions, scope_codes, scope_values, include)

    # Pledges of one company are separate programmes (a Japan and an Australia pledge
    # add up): one revises another only for the same period, or through `supersedes`.
    period_codes, _periods = _codes(frame["period"], positions)
    series = np.where(kind_rank == KIND_RANK[Kind.PLEDGE.value], period_codes + 1, 0)
    n_series = int(series.max()) + 1 if len(series) else 1
    statements = _Statements(
        first=first,
        n=n,
        group=_GroupNumbers.of(
            [(company_code, len(companies)), (scope_rank, 16), (kind_rank, 16), (series, n_series)]
        ),
        ranks=_SortRanks.of(
            [ineligible.astype(np.int64), detail.astype(np.int64)],
            np.lexsort((-ids, -announced)),
        ),
        low=low_usd / n,
        high=high_usd / n,
        applies=is_actual,
    )
    kept = _joined(
        [
            _resolve_block(statements, block)
            for block in _company_blocks(company_code, n, len(companies), _BLOCK_MONTH_ROWS)
        ]
    )
    resolved = _Resolved(
        positions=positions,
        company_code=company_code,
        companies=pd.Index(companies),
        scope_rank=scope_rank,
        kind_rank=kind_rank,
        ineligible=ineligible,
        ids=ids,
        n=n,
        src=kept[0],
        month=kept[1],
        low=kept[2],
        high=kept[3],
    )
    return resolved, missing


def _joined(blocks: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    """The blocks' arrays joined field by field, each block's part of a field freed once
    it is copied, so the kept rows are not held twice while they are joined."""
    if len(blocks) == 1:
        return list(blocks[0])
    fields = [list(parts) for parts in zip(*blocks, strict=True)]
    del blocks[:]
    joined = []
    for parts in fields:
        joined.append(np.concatenate(parts))
        del parts[:]
    return joined


@dataclass
class _GroupNumbers:
    """Per statement, its rule-3 group (company, scope, kind, pledge series) as one
    number, ``parts`` (values, number of values) packed in that order, and the bits
    it takes. A month row's group key is its statement's number and its month."""

    number: np.ndarray
    bits: int

    @classmethod
    def of(cls, parts: list[tuple[np.ndarray, int]]) -> _GroupNumbers:
        number = np.zeros(len(parts[0][0]), dtype=np.int64)
        bits = 0
        for values, size in parts:
            number *= size
            number += values
            bits += max(size - 1, 1).bit_length()
        return cls(number=number, bits=bits)


@dataclass
class _SortRanks:
    """Per statement, the order rule 3 reads statements of one month in: ``tie`` (the
    tie levels, densely ranked, then the place among the newest first) and the bits it
    takes. Computed once for all statements (the newest-first order is a sort of every
    statement) and only read in each block, where the ranks keep their order."""

    tie: np.ndarray
    bits: int

    @classmethod
    def of(cls, ties: list[np.ndarray], newest_first: np.ndarray) -> _SortRanks:
        count = len(newest_first)
        latest = np.empty(count, dtype=np.int64)
        latest[newest_first] = np.arange(count)
        tie = np.zeros(count, dtype=np.int64)
        bits = 0
        for level in (_dense_rank(t) for t in ties):
            size = int(level.max()) + 1 if count else 1
            tie = tie * size + level
            bits += max(size - 1, 1).bit_length()
        latest_bits = max(count - 1, 1).bit_length()
        return cls(tie=(tie << latest_bits) | latest, bits=bits + latest_bits)


@dataclass
class _Statements:
    """What rule 3 needs of each statement kept by rules 1-2: its first month and
    month count, its group, its sort ranks within a group, its per-month values, and
    whether it settles (``applies``, see :func:`_settle`)."""

    first: np.ndarray
    n: np.ndarray
    group: _GroupNumbers
    ranks: _SortRanks
    low: np.ndarray
    high: np.ndarray
    applies: np.ndarray


# Month rows resolved at once. A million announcements make some twelve million month
# rows (96 MiB per int64 array); sorting and settling them in one go held 0.9 GiB
# above the loaded announcements. A group never spans two companies, so the rows are
# resolved a block of companies at a time, with the same result.
_BLOCK_MONTH_ROWS = 4_000_000


def _company_blocks(
    company_code: np.ndarray, n: np.ndarray, companies: int, limit: int
) -> list[np.ndarray | None]:
    """Statement positions per block of consecutive companies: a company goes to the
    block its first month row falls in, counting ``limit`` rows a block, so a block
    holds at most ``limit`` rows plus its last company's (a company is never split);
    ``[None]`` (every statement) when they all fit in one block. Blocks come in
    company-code order, so their resolved rows concatenate in the order one block
    would give."""
    per_company = np.bincount(company_code, weights=n, minlength=companies)
    if per_company.sum() <= limit:
        return [None]
    block_of = ((np.cumsum(per_company) - per_company) // limit).astype(np.int64)
    block = block_of[company_code]
    order = np.argsort(block, kind="stable")
    bounds = np.searchsorted(block[order], np.arange(1, int(block_of[-1]) + 1))
    # A stable sort keeps each block's statements in their own order.
    return [part for part in np.split(order, bounds) if len(part)]


def _resolve_block(
    s: _Statements, block: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rule 3 for the statements at ``block`` (every one when None): the kept month
    rows as (statement, month, low, high), sorted by group key and month."""

    def of(values: np.ndarray) -> np.ndarray:
        return values if block is None else values[block]

    n = of(s.n)
    # The month rows' arrays are the peak of a view's memory: built in place, so at
    # most one temporary of their length lives beside them.
    rep = np.repeat(np.arange(len(n)), n)
    month = np.arange(len(rep), dtype=np.int64)
    month -= np.repeat(np.cumsum(n) - n, n)
    month += of(s.first)[rep]
    group = of(s.group.number)
    key = group[rep]
    key *= _MONTH_SLOTS
    key += month
    order = _resolution_order(group, s.group.bits, rep, month, key, of(s.ranks.tie), s.ranks.bits)
    starts = _first_per_group(key[order])
    keep = order[starts]
    del key  # 8 bytes a month row, not needed past here
    low, high, counts = _settle(starts, order, keep, rep, n, of(s.low), of(s.high), of(s.applies))
    src = rep[keep[counts]]
    month = month[keep[counts]]
    return (src if block is None else block[src]), month, low[counts], high[counts]


def _resolution_order(
    group: np.ndarray,
    group_bits: int,
    rep: np.ndarray,
    month: np.ndarray,
    key: np.ndarray,
    tie: np.ndarray,
    tie_bits: int,
) -> np.ndarray:
    """Month rows in the order rule 3 reads them: by ``key`` (the statement's ``group``
    number, see :class:`_GroupNumbers`, then the month), and within a key by ``tie``
    (per statement, see :class:`_SortRanks`). Every level is packed into one integer
    per row, so one sort replaces a sort per level (the widest part of a view's time
    at 100k); when the numbers do not fit in _MAX_PACKED_BITS, the levels are sorted
    one by one, in the same order."""
    first = int(month.min()) if len(month) else 0
    span = int(month.max()) - first + 1 if len(month) else 1
    bits = group_bits + max(span - 1, 1).bit_length() + tie_bits
    if bits > _MAX_PACKED_BITS:
        return np.lexsort((tie[rep], key))
    row = group[rep]  # in place, as the month rows in _resolve_block
    row *= span
    row += month
    row -= first
    row <<= tie_bits
    row |= tie[rep]
    # Every row's number is distinct, so any sort gives this order; the rows come in
    # runs that already ascend (a statement's months), which timsort ("stable") merges
    # instead of sorting: 0.11 -> 0.04 s at 100k announcements.
    return np.argsort(row, kind="stable")


def _dense_rank(values: np.ndarray) -> np.ndarray:
    """Each value's rank among the distinct values (0, 1, ...), as np.unique's inverse.
    The ties ranked here are small counts (months, 0/1), ranked through a table of
    their range instead of a sort (20 ms at 100k announcements)."""
    if len(values) and values.min() >= 0 and values.max() < _MAX_RANK_TABLE:
        present = np.zeros(int(values.max()) + 1, dtype=bool)
        present[values] = True
        ranks: np.ndarray = (np.cumsum(present) - 1)[values]
        return ranks
    return np.unique(values, return_inverse=True)[1].reshape(-1)


_MAX_RANK_TABLE = 1 << 20


def _eligible_at(
    frame: pd.DataFrame,
    positions: np.ndarray,
    scope_codes: np.ndarray,
    scopes: np.ndarray,
    include: Inclusion,
) -> np.ndarray:
    """:func:`_eligible` for the rows at ``positions``, on codes."""
    capex = {s: 1 for s in CAPEX_SCOPES}
    ok = _lookup(scope_codes, scopes, capex, 0).astype(bool)
    if not include.ventures:
        codes, partners = _codes(frame["venture_partners"], positions)
        ok &= _lookup(codes, partners, {"": 1}, 0).astype(bool) | (codes < 0)
    if not include.press_reports:
        codes, evidence = _codes(frame["evidence"], positions)
        ok &= ~_lookup(codes, evidence, {Evidence.PRESS_REPORT.value: 1}, 0).astype(bool)
    return ok


def _monthly_frame(frame: pd.DataFrame, r: _Resolved) -> pd.DataFrame:
    src = r.src

    def text(column: str) -> np.ndarray:
        values: np.ndarray = frame[column].to_numpy()[r.positions][src]
        return values

    return pd.DataFrame(
        {
            "company": r.companies[r.company_code[src]],
            "company_code": r.company_code[src],
            "scope": text("scope"),
            "kind": text("kind"),
            "qualifier": text("qualifier"),
            "scope_rank": r.scope_rank[src],
            "kind_rank": r.kind_rank[src],
            "eligible": ~r.ineligible[src],
            "month": r.month,
            "year": r.month // 12,
            "announcement_id": r.ids[src],
            "period_months": r.n[src],
            "low": r.low,
            "high": r.high,
        }
    )


def monthly_rows(
    frame: pd.DataFrame,
    as_of: date,
    fx: FxTable | None = None,
    include: Inclusion | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per announcement and covered month for announcements known at ``as_of``
    and not superseded, resolved so each (company, scope, kind, month) keeps one."""
    resolved, missing = _resolve(frame, as_of, fx, include or Inclusion())
    return _monthly_frame(frame, resolved), _missing_rate_warnings(frame, missing)


def _settle(
    starts: np.ndarray,
    order: np.ndarray,
    keep: np.ndarray,
    rep: np.ndarray,
    n: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    applies: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-month values of the winning rows, and which of them still count.

    Most statements keep their plain per-month value for the months they win. Only a
    statement in ``applies`` (an annual actual against its quarters; a full-year
    guidance against the quarters already reported) that lost some months spreads what
    the winners leave of its total over the months it keeps, so the year still adds up
    to the reported or guided figure. Shorter statements settle first, so nested
    reports (quarter inside half-year inside year) subtract their settled values. When
    nothing is left, the kept months are dropped (not counted as covered at 0).
    ``low``/``high``/``n`` are per statement (per-month value, months); the result is
    per kept row.
    """
    # Each row's winner: the group's winner repeated over the group's rows in sorted
    # order (``starts``: where each group begins in ``order``; ``keep``: its winner).
    winner = np.empty(len(order), dtype=rep.dtype)
    winner[order] = np.repeat(rep[keep], np.diff(np.r_[starts, len(order)]))
    lost = winner != rep
    count = len(n)
    kept = np.bincount(rep[keep], minlength=count)
    partial = applies & (kept > 0) & (kept < n)
    out_low, out_high = low.astype(float).copy(), high.astype(float).copy()
    dropped = np.zeros(count, dtype=bool)
    for length in np.unique(n[partial]):
        target = partial & (n == length)
        mask = lost & target[rep]
        stolen_low = np.bincount(rep[mask], weights=out_low[winner[mask]], minlength=count)
        stolen_high = np.bincount(rep[mask], weights=out_high[winner[mask]], minlength=count)
        rest_low = low * n - stolen_low
        rest_high = high * n - stolen_high
        safe = np.maximum(kept, 1)
        out_low[target] = rest_low[target] / safe[target]
        out_high[target] = rest_high[target] / safe[target]
        dropped |= target & (rest_high <= 1e-9)
    src = rep[keep]
    return out_low[src], out_high[src], ~dropped[src]


def _aggregate(rows: pd.DataFrame, keys: list[str], with_ids: bool) -> pd.DataFrame:
    """Sum resolved month rows into years; ``months`` counts distinct months (several
    pledges of one company can cover the same month)."""
    rows = rows.assign(mid=(rows["low"] + rows["high"]) / 2)
    grouped = rows.groupby(keys, sort=True)
    out = grouped[["low", "mid", "high"]].sum()
    out["months"] = grouped["month"].nunique()
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


def _with_concurrent_pledges(
    key: np.ndarray, kind_rank: np.ndarray, keep: np.ndarray
) -> np.ndarray:
    """Rows (not in ``keep``) of other pledges for a company-month a pledge won: separate
    programmes add up, as in the side-by-side view."""
    pledge = KIND_RANK[Kind.PLEDGE.value]
    won = keep[kind_rank[keep] == pledge]
    if len(won) == 0:
        return np.zeros(0, dtype=np.int64)
    # Only pledge rows can be added; a mask for "kept" instead of a set difference
    # (both sorted the whole month table: 40 ms of a 100k view).
    pledges = np.flatnonzero(kind_rank == pledge)
    kept = np.zeros(len(key), dtype=bool)
    kept[keep] = True
    same_month = _isin_company_months(key[pledges], key[won])
    out: np.ndarray = pledges[same_month & ~kept[pledges]]
    return out


def _isin_company_months(keys: np.ndarray, among: np.ndarray) -> np.ndarray:
    """``np.isin(keys, among)`` for company-month keys (company * _MONTH_SLOTS + month),
    through a table of companies by months when it is small: np.isin sorted both
    (14 ms of a 100k view)."""
    if len(keys) == 0 or len(among) == 0:
        return np.zeros(len(keys), dtype=bool)
    company, month = np.divmod(keys, _MONTH_SLOTS)
    wanted_company, wanted_month = np.divmod(among, _MONTH_SLOTS)
    c0, m0 = int(wanted_company.min()), int(wanted_month.min())
    companies = int(wanted_company.max()) - c0 + 1
    span = int(wanted_month.max()) - m0 + 1
    if companies * span > _MAX_MONTH_TABLE:
        return np.isin(keys, among)
    table = np.zeros(companies * span, dtype=bool)
    table[(wanted_company - c0) * span + (wanted_month - m0)] = True
    inside = (company >= c0) & (company - c0 < companies) & (month >= m0) & (month - m0 < span)
    out = np.zeros(len(keys), dtype=bool)
    out[inside] = table[(company[inside] - c0) * span + (month[inside] - m0)]
    return out


def _whole_guidance(
    rep: np.ndarray, kind_rank: np.ndarray, period_months: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """Per statement: a guidance that still holds every month of its period, the only
    kind whose total survives reported quarters replacing some of its months."""
    first = np.zeros(len(n), dtype=np.int64)
    first[rep[::-1]] = np.arange(len(rep))[::-1]
    guidance = kind_rank[first] == KIND_RANK[Kind.GUIDANCE.value]
    out: np.ndarray = guidance & (period_months[first] == n)
    return out


def headline_rows(monthly: pd.DataFrame) -> pd.DataFrame:
    """Per company the broadest eligible capex scope; per month of it the best kind."""
    rows = monthly[monthly["eligible"].to_numpy()]
    if rows.empty:
        return rows
    broadest = rows.groupby("company_code")["scope_rank"].transform("min")
    rows = rows[rows["scope_rank"] == broadest]
    key = rows["company_code"].to_numpy(dtype=np.int64) * _MONTH_SLOTS + rows["month"].to_numpy()
    order = np.lexsort((rows["kind_rank"].to_numpy(), key))
    starts = _first_per_group(key[order])
    keep = order[starts]
    rep, _first_rows = pd.factorize(rows["announcement_id"])
    n = np.bincount(rep)
    low, high, counts = _settle(
        starts,
        order,
        keep,
        rep,
        n,
        np.bincount(rep, weights=rows["low"].to_numpy()) / n,
        np.bincount(rep, weights=rows["high"].to_numpy()) / n,
        _whole_guidance(rep, rows["kind_rank"].to_numpy(), rows["period_months"].to_numpy(), n),
    )
    keep, low, high = keep[counts], low[counts], high[counts]
    extra = _with_concurrent_pledges(key, rows["kind_rank"].to_numpy(), keep)
    best = pd.DataFrame(rows.iloc[np.r_[keep, extra].astype(np.int64)]).copy()
    best["low"] = np.r_[low, rows["low"].to_numpy()[extra]]
    best["high"] = np.r_[high, rows["high"].to_numpy()[extra]]
    return best.sort_values(["company_code", "month"], kind="stable")


def _group_codes(parts: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Group number of each row for keys given as small non-negative integers (value,
    number of values), numbered in the lexicographic order of the keys."""
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    for values, size in parts:
        key = key * size + values
    codes, _uniques = pd.factorize(key, sort=True)
    return codes


def _join_ids(group: np.ndarray, ids: np.ndarray) -> list[str]:
    """Per group (0..g-1, every group present) its distinct ids, ascending, joined with
    commas. The distinct (group, id) pairs are found by hashing and only they are
    sorted (a few per group, against one row per month); one string join for all."""
    width = int(ids.max()) + 1
    pairs = group.astype(np.int64) * width + ids
    # A statement's months mostly follow each other: drop repeats before hashing.
    pairs = pd.unique(pairs[np.r_[True, pairs[1:] != pairs[:-1]]])
    pairs.sort()
    group, ids = pairs // width, pairs % width
    # Arrow writes the numbers and joins each group's in C++ (numpy's text arrays and
    # one Python join took 3x as long).
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    offsets = pa.array(np.r_[starts, len(ids)].astype(np.int32))
    lists = pa.ListArray.from_arrays(offsets, pc.cast(pa.array(ids), pa.string()))
    joined: list[str] = pc.binary_join(lists, ",").to_pylist()
    return joined


def _covers(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """``2025-01 to 2025-12`` (or one month) per group, from a table of month labels."""
    low = int(first.min())
    labels = np.array([month_label(m) for m in range(low, int(last.max()) + 1)], dtype=object)
    a, b = labels[first - low], labels[last - low]
    out: np.ndarray = np.where(first == last, a, a + " to " + b)
    return out


def _first_label(
    group: np.ndarray, firsts: np.ndarray, codes: np.ndarray, values: np.ndarray, count: int
) -> np.ndarray:
    """Per group the value of its first row, or MIXED when its rows differ (rows with a
    missing value are handled by the caller)."""
    low = np.full(count, np.iinfo(np.int64).max)
    high = np.full(count, -1)
    np.minimum.at(low, group, codes)
    np.maximum.at(high, group, codes)
    return np.where(low == high, values[codes[firsts]], MIXED)


def _aggregate_arrays(
    group: np.ndarray,
    month: np.ndarray,
    ids: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> dict[str, object]:
    """:func:`_aggregate` on group numbers. The sums are numpy's, in row order: pandas'
    groupby adds with compensation, so the two paths may differ in the last digit
    (1e-15 of a figure shown to 0.1 bn); building its frame cost a 1k view 5 ms."""
    count = int(group.max()) + 1
    measures = (("low", low), ("mid", (low + high) / 2), ("high", high))
    sums = {name: np.bincount(group, weights=v, minlength=count) for name, v in measures}
    first_month = np.full(count, np.iinfo(np.int64).max)
    last_month = np.full(count, -1)
    np.minimum.at(first_month, group, month)
    np.maximum.at(last_month, group, month)
    return {
        **sums,
        "months": _distinct_months(group, month, count),
        "covers": _covers(first_month, last_month),
        "announcement_ids": _join_ids(group, ids),
    }


def _distinct_months(group: np.ndarray, month: np.ndarray, count: int) -> np.ndarray:
    """Months covered per group: concurrent pledges of one company share months. A
    table of groups by months marks each pair once (a hash of millions of pairs took
    most of a view's time); a huge table falls back to sorting the pairs."""
    first = int(month.min())
    span = int(month.max()) - first + 1
    pairs = group.astype(np.int64) * span + (month - first)
    if count * span <= _MAX_MONTH_TABLE:
        seen = np.zeros(count * span, dtype=bool)
        seen[pairs] = True
        out: np.ndarray = seen.reshape(count, span).sum(axis=1).astype(np.int64)
        return out
    distinct = np.unique(pairs)
    return np.bincount(distinct // span, minlength=count).astype(np.int64)


def _narrow(values: np.ndarray, size: int) -> np.ndarray:
    """``values`` (codes from 0 to ``size`` - 1) in the smallest signed integer type that
    holds them: a view's keys have one per month row (some twelve million at a million
    announcements, 96 MiB each as int64), and most need a byte or two."""
    return values.astype(np.min_scalar_type(-max(size, 1)), copy=False)


def _firsts(group: np.ndarray, count: int) -> np.ndarray:
    """Position of the first row of each group."""
    _u, index = np.unique(group, return_index=True)
    if len(index) != count:  # pragma: no cover - every group has a row by construction
        raise AssertionError("empty group")
    return index


def _fast_view(frame: pd.DataFrame, r: _Resolved) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """``by_basis`` and ``headline`` from resolved arrays (None: use the frame path)."""
    src = r.src
    if len(src) == 0:
        return None
    qualifier_codes, qualifiers = _codes(frame["qualifier"], r.positions)
    scope_codes, scopes = _codes(frame["scope"], r.positions)
    kind_codes, kinds = _codes(frame["kind"], r.positions)
    if min(qualifier_codes.min(), scope_codes.min(), kind_codes.min()) < 0:
        return None  # a missing label: pandas' first() and nunique() rules apply
    # Codes whose order is the text order, as groupby(sort=True) orders the keys.
    company_rank = _narrow(
        np.argsort(np.argsort(np.asarray(r.companies, dtype=object), kind="stable")),
        len(r.companies),
    )
    company_sorted = np.asarray(r.companies, dtype=object)[np.argsort(company_rank)]

    def text_order(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rank = np.argsort(np.argsort(values, kind="stable"))
        return _narrow(rank, len(values))[codes], values[np.argsort(rank)]

    scope_sorted_codes, scope_sorted = text_order(scope_codes, scopes)
    kind_sorted_codes, kind_sorted = text_order(kind_codes, kinds)
    company = company_rank[r.company_code[src]]
    first_year = int(r.month.min()) // 12
    years = int(r.month.max()) // 12 - first_year + 1
    year_offset = _narrow(r.month // 12 - first_year, years)
    ids = r.ids[src]

    # by_basis: company, scope, kind, year.
    scope_row = scope_sorted_codes[src]
    kind_row = kind_sorted_codes[src]
    group = _group_codes(
        [
            (company, len(company_sorted)),
            (scope_row, len(scope_sorted)),
            (kind_row, len(kind_sorted)),
            (year_offset, years),
        ]
    )
    count = int(group.max()) + 1
    firsts = _firsts(group, count)
    by_basis = pd.DataFrame(
        {
            "company": company_sorted[company[firsts]],
            "scope": scope_sorted[scope_row[firsts]],
            "kind": kind_sorted[kind_row[firsts]],
            "year": year_offset[firsts].astype(np.int64) + first_year,
            **_aggregate_arrays(group, r.month, ids, r.low, r.high),
        }
    )
    by_basis["qualifier"] = _first_label(group, firsts, qualifier_codes[src], qualifiers, count)
    # The month rows' by_basis keys are not needed past here: freed before the headline
    # builds its own (at a million announcements some twelve million rows: ``group``
    # alone is 96 MiB).
    del company, scope_row, kind_row, group, firsts

    # headline: per company its broadest eligible capex scope, per month the best kind.
    eligible = np.flatnonzero(~r.ineligible[src])
    if len(eligible) == 0:
        return None
    code = r.company_code[src][eligible]
    scope_rank = r.scope_rank[src][eligible]
    broadest = np.full(len(r.companies), np.iinfo(np.int64).max)
    np.minimum.at(broadest, code, scope_rank)
    rows = eligible[scope_rank == broadest[code]]
    del eligible, scope_rank, code
    key = r.company_code[src][rows] * _MONTH_SLOTS + r.month[rows]
    order = np.lexsort((r.kind_rank[src][rows], key))
    starts = _first_per_group(key[order])
    keep = order[starts]
    rep, _first_rows = pd.factorize(ids[rows])
    n = np.bincount(rep)
    low, high, counts = _settle(
        starts,
        order,
        keep,
        rep,
        n,
        np.bincount(rep, weights=r.low[rows]) / n,
        np.bincount(rep, weights=r.high[rows]) / n,
        _whole_guidance(rep, r.kind_rank[src][rows], r.n[src][rows], n),
    )
    del order, starts, rep
    keep, low, high = keep[counts], low[counts], high[counts]
    extra = _with_concurrent_pledges(key, r.kind_rank[src][rows], keep)
    del key
    low = np.r_[low, r.low[rows][extra]]
    high = np.r_[high, r.high[rows][extra]]
    best = rows[np.r_[keep, extra]]
    company = company_rank[r.company_code[src][best]]
    group = _group_codes([(company, len(company_sorted)), (year_offset[best], years)])
    count = int(group.max()) + 1
    firsts = _firsts(group, count)
    headline = pd.DataFrame(
        {
            "company": company_sorted[company[firsts]],
            "year": year_offset[best][firsts].astype(np.int64) + first_year,
            **_aggregate_arrays(group, r.month[best], ids[best], low, high),
        }
    )
    headline["basis"] = _first_label(group, firsts, kind_codes[src][best], kinds, count)
    headline["scope"] = _first_label(group, firsts, scope_codes[src][best], scopes, count)
    headline["qualifier"] = _first_label(
        group, firsts, qualifier_codes[src][best], qualifiers, count
    )
    return by_basis, headline


@dataclass(frozen=True)
class Resolution:
    """Rules 1-3 at one as-of date, for every scope (or some): the part of a view that
    costs (most of its time at 100k announcements), from which :func:`view_of` builds
    the view of any of its scopes. No rule crosses scopes, except an explicit
    ``supersedes``, which holds whatever scopes are shown: a superseded announcement
    counts for no month even when its successor's scope is filtered out of the view."""

    frame: pd.DataFrame  # the announcements' COLUMNS
    as_of: date
    fx: FxTable | None
    include: Inclusion
    scopes: tuple[str, ...]  # the scopes resolved; () for every scope
    resolved: _Resolved
    missing: np.ndarray  # positions left out for a missing FX rate


def resolve(
    frame: pd.DataFrame,
    as_of: date | None = None,
    fx: FxTable | None = None,
    include: Inclusion | None = None,
    scopes: tuple[str, ...] = (),
) -> Resolution:
    """Resolve announcements at ``as_of`` for :func:`view_of`: every scope, or only
    ``scopes`` (cheaper, for one view of those scopes)."""
    as_of = as_of or date.today()
    include = include or Inclusion()
    frame = frame[list(COLUMNS)]
    resolved, missing = _resolve(frame, as_of, fx, include, scopes)
    return Resolution(frame, as_of, fx, include, scopes, resolved, missing)


def _only_scopes(shown: np.ndarray, r: _Resolved) -> _Resolved:
    """The month rows of the statements ``shown`` marks (a mask over the frame's rows;
    the per-statement arrays are shared)."""
    rows = shown[r.positions][r.src]
    return replace(r, src=r.src[rows], month=r.month[rows], low=r.low[rows], high=r.high[rows])


def view_of(resolution: Resolution, scopes: tuple[str, ...] = ()) -> AnnualView:
    """The annual view of ``scopes`` (all the resolution holds when empty) from a
    :class:`Resolution` of those scopes or more."""
    frame, resolved, missing = resolution.frame, resolution.resolved, resolution.missing
    if resolution.scopes and not set(scopes) <= set(resolution.scopes):
        raise ValueError(f"a resolution of {resolution.scopes} has no view of {scopes}")
    scopes = scopes or resolution.scopes
    if scopes and scopes != resolution.scopes:
        shown = frame["scope"].isin(scopes).to_numpy()
        resolved = _only_scopes(shown, resolved)
        missing = missing[shown[missing]]
    fast = _fast_view(frame, resolved)
    if fast is not None:
        by_basis, headline = fast
    else:
        by_basis, headline = _frame_view(_monthly_frame(frame, resolved))
    headline["in_totals"] = headline["months"] == 12
    # Each company's country, from its first row (a drop_duplicates of the whole frame
    # copied every column: 2 ms of a 1k view). Codes number the companies in the order
    # they first appear, so a company's first row is where the running maximum rises.
    codes = np.maximum.accumulate(pd.factorize(frame["company"])[0])
    first = np.flatnonzero(np.diff(codes, prepend=-2) > 0)
    countries = pd.Series(
        frame["country"].iloc[first].to_numpy(), index=frame["company"].iloc[first].to_numpy()
    )
    headline.insert(1, "country", headline["company"].map(countries))
    by_basis.insert(1, "country", by_basis["company"].map(countries))
    # Rebuilt from the frame when asked for, so a cached view does not keep the month
    # arrays (or the resolution) alive.
    r = resolution
    monthly = partial(_rebuild_monthly, frame, r.as_of, r.fx, r.include, scopes)
    warnings = _missing_rate_warnings(frame, missing)
    return AnnualView(headline, by_basis, monthly, r.as_of, warnings)


def annual_view(
    frame: pd.DataFrame,
    as_of: date | None = None,
    fx: FxTable | None = None,
    include: Inclusion | None = None,
    scopes: tuple[str, ...] = (),
) -> AnnualView:
    """Annual USD per company and calendar year from announcements (see module doc), of
    ``scopes`` only when given."""
    return view_of(resolve(frame, as_of, fx, include, scopes))


def _rebuild_monthly(
    frame: pd.DataFrame,
    as_of: date,
    fx: FxTable | None,
    include: Inclusion,
    scopes: tuple[str, ...],
) -> pd.DataFrame:
    return _monthly_frame(frame, _resolve(frame, as_of, fx, include, scopes)[0])


def _frame_view(monthly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``by_basis`` and ``headline`` from the month rows as a frame (empty views, or
    labels with missing values)."""
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
    return by_basis, headline


def default_year(headline: pd.DataFrame) -> int | None:
    """The latest year with broad coverage: at least half as many companies with a full
    year as the best-covered year (not an empty current year)."""
    full = headline[headline["in_totals"]].groupby("year")["company"].nunique()
    if full.empty:
        return int(headline["year"].max()) if not headline.empty else None
    broad = full[full >= max(1, full.max() / 2)]
    return int(broad.index.max())
