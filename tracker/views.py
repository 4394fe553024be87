"""Tables the dashboard and CLI show, derived from announcements and an AnnualView.

Kept out of the Streamlit app so that the CLI prints the same numbers the charts draw
and the tests can check them without a browser.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import cast

import numpy as np
import pandas as pd

from tracker.fx import FxTable
from tracker.normalize import AnnualView, superseded_ids, with_usd
from tracker.vocab import Evidence, Kind, Qualifier, Scope

# What a list of announcements shows, in the CLI and the dashboard alike.
LIST_COLUMNS = (
    "id",
    "company",
    "kind",
    "scope",
    "period",
    "amount_low",
    "amount_high",
    "currency",
    "qualifier",
    "announced_on",
    "source_type",
    "evidence",
    "supersedes",
    "revises_id",
)
QUALIFIER_SYMBOL = {q.value: q.symbol for q in Qualifier}


def figure_text(low: float, high: float, qualifier: str = "exact", unit: str = "") -> str:
    """``~80``, ``≥ 17.6``, ``60–65``: a figure as an analyst would quote it."""
    symbol = QUALIFIER_SYMBOL.get(qualifier, "")
    body = f"{low:,.1f}" if np.isclose(low, high) else f"{low:,.1f}–{high:,.1f}"
    prefix = f"{symbol} " if symbol and symbol != "~" else symbol
    return f"{prefix}{body}{(' ' + unit) if unit else ''}"


def comparison_table(headline: pd.DataFrame, measure: str = "mid") -> pd.DataFrame:
    """Companies as rows, calendar years as columns (USD bn), plus year-over-year growth
    in percent, only between like figures: both years fully covered, the same scope,
    and both pledges or both guidance/actuals."""
    if headline.empty:
        return pd.DataFrame(columns=["company"])
    wide = headline.pivot_table(index="company", columns="year", values=measure, aggfunc="sum")
    wide = wide.sort_index(axis=1)
    keyed = headline.assign(
        like=np.where(
            headline["in_totals"],
            headline["scope"] + "/" + np.where(headline["basis"] == "pledge", "pledge", "plan"),
            "",
        )
    )
    like = keyed.pivot_table(index="company", columns="year", values="like", aggfunc="first")
    like = like.reindex(index=wide.index, columns=wide.columns).fillna("")
    years = cast(list[int], list(wide.columns))  # pivoted on the integer `year`
    out = pd.DataFrame(index=wide.index)
    for i, year in enumerate(years):
        out[str(year)] = wide[year]
        if i > 0 and years[i - 1] == year - 1:
            prev = wide[year - 1]
            comparable = (like[year] != "") & (like[year] == like[year - 1]) & (prev > 0)
            out[f"{year} YoY %"] = np.where(comparable, (wide[year] / prev - 1) * 100, np.nan)
    scopes = headline.groupby("company")["scope"].agg(lambda s: "/".join(sorted(set(s))))
    out.insert(0, "measure", scope_labels(scopes.reindex(out.index)))
    out.columns.name = None
    return out.reset_index()


def coverage_table(headline: pd.DataFrame) -> pd.DataFrame:
    """Months covered per company (rows) and year (columns), aligned with
    :func:`comparison_table`, so partial years can be marked."""
    if headline.empty:
        return pd.DataFrame(columns=["company"])
    wide = headline.pivot_table(index="company", columns="year", values="months", aggfunc="max")
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()


@dataclass
class YearTotal:
    """A year's total over companies with a full year of comparable capex."""

    year: int
    total: float
    companies: int
    largest: str | None
    largest_value: float
    left_out: list[str]  # "Microsoft (6 of 12 months)"

    def note(self) -> str:
        """The sentence under the total (one company filtered in reads "The company
        has", not "All 1 companies have")."""
        if not self.left_out:
            if self.companies == 1:
                return "The company shown has a full year."
            return f"All {self.companies} companies have a full year."
        counted = f"{self.companies} compan{'y' if self.companies == 1 else 'ies'}"
        return (
            f"Total over {counted} with a full year; left out for partial "
            "coverage: " + ", ".join(self.left_out) + "."
        )


def year_total(headline: pd.DataFrame, year: int, measure: str = "mid") -> YearTotal:
    rows = headline[headline["year"] == year]
    full = rows[rows["in_totals"]]
    partial = rows[~rows["in_totals"]]
    left_out = [f"{r.company} ({r.months} of 12 months)" for r in partial.itertuples()]
    if full.empty:
        return YearTotal(year, 0.0, 0, None, 0.0, left_out)
    top = full.loc[cast(int, full[measure].idxmax())]  # a RangeIndex label
    return YearTotal(
        year,
        float(full[measure].sum()),
        int(full["company"].nunique()),
        str(top["company"]),
        float(cast(float, top[measure])),
        left_out,
    )


def basis_table(
    view: AnnualView, by_basis: pd.DataFrame | None = None, measure: str = "mid"
) -> pd.DataFrame:
    """Pledge, guidance and actual side by side per company, scope and year (USD bn),
    never added together, with the actual's difference from the latest guidance."""
    basis = view.by_basis if by_basis is None else by_basis
    if basis.empty:
        return pd.DataFrame(
            columns=["company", "country", "scope", "year", "pledge", "guidance", "actual"]
        )
    wide = basis.pivot_table(
        index=["company", "country", "scope", "year"],
        columns="kind",
        values=measure,
        aggfunc="sum",
    )
    for kind in Kind.values():
        if kind not in wide.columns:
            wide[kind] = np.nan
    out = wide[["pledge", "guidance", "actual"]].copy()
    out["actual vs guidance %"] = (out["actual"] / out["guidance"] - 1) * 100
    out.columns.name = None
    return out.reset_index()


# An announcement revises the previous one with the same values of these.
REVISION_KEY = ["company", "scope", "kind", "period"]


def _dated_order(frame: pd.DataFrame) -> np.ndarray:
    """Row positions in announcement order (date, then id), found from those two
    columns only."""
    order: np.ndarray = np.lexsort((frame["id"].to_numpy(), frame["announced_on"].to_numpy()))
    return order


def with_revisions(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``revises_id``: the earlier announcement of the same company, scope, kind and
    period that this one replaces (a suggestion; ``supersedes`` is the explicit link).
    Rows come back in id order. Only the key columns are put in date order (not every
    column of 100k rows, twice)."""
    order = _dated_order(frame)
    dated = frame[[*REVISION_KEY, "id"]].iloc[order]
    previous = dated.groupby(REVISION_KEY)["id"].shift(1).to_numpy(dtype=float)
    revises = np.empty(len(frame), dtype=float)
    revises[order] = previous  # back to the frame's row order, by position
    out = frame.copy(deep=False)
    out["revises_id"] = pd.array(revises, dtype="Float64").astype("Int64")
    return out if out["id"].is_monotonic_increasing else out.sort_values("id")


def revision_related(frame: pd.DataFrame, ids: Iterable[int]) -> pd.DataFrame:
    """The rows of ``frame`` in the revision groups (:data:`REVISION_KEY`) of the
    announcements ``ids``: every row :func:`with_revisions` needs to link them."""
    codes = [pd.factorize(frame[name])[0] + 1 for name in REVISION_KEY]
    key = np.zeros(len(frame), dtype=np.int64)
    for values in codes:
        key = key * (int(values.max(initial=0)) + 1) + values
    wanted = frame["id"].isin(list(ids)).to_numpy()
    return frame[np.isin(key, key[wanted])]


def newest(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The ``limit`` newest announcements (by date, then id), newest first; two columns
    are put in order, not every column of 100k rows."""
    return frame.iloc[_dated_order(frame)[::-1][:limit]]


def newest_linked(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The ``limit`` newest of ``frame`` (:func:`newest`), each with its revision link
    (:func:`with_revisions`), found from the listed rows' revision groups only.

    ``frame`` holds every row of its companies (any company and country filter, every
    date): a revision group never spans two companies, so the links are those of the
    whole table, and a filtered list reads its companies' rows alone."""
    listed = newest(frame, limit)
    linked = with_revisions(revision_related(frame, listed["id"]))
    return linked.set_index("id").loc[listed["id"]].reset_index()


def _amounts_text(values: np.ndarray) -> np.ndarray:
    """``f"{v:,.1f}"`` for every value, each distinct value (by its bits, so ``-0.0``
    and NaN stay as Python prints them) formatted once."""
    floats = np.ascontiguousarray(values, dtype=np.float64)
    bits, inverse = np.unique(floats.view(np.int64), return_inverse=True)
    texts = np.array([f"{v:,.1f}" for v in bits.view(np.float64).tolist()], dtype=object)
    return texts[inverse.reshape(-1)]


def figure_texts(
    low: pd.Series, high: pd.Series, qualifier: pd.Series, unit: pd.Series | str = ""
) -> pd.Series:
    """:func:`figure_text` for whole columns at once (the same text for every row)."""
    lo, hi = low.to_numpy(dtype=np.float64), high.to_numpy(dtype=np.float64)
    lo_text = _amounts_text(lo)
    body = np.where(np.isclose(lo, hi), lo_text, lo_text + "–" + _amounts_text(hi))
    symbol = qualifier.map(QUALIFIER_SYMBOL).fillna("").astype(object).to_numpy()
    prefix = np.where((symbol != "") & (symbol != "~"), symbol + " ", symbol)
    text = prefix + body
    if isinstance(unit, str):
        if unit:
            text = text + " " + unit
    else:
        units = unit.astype(object).to_numpy()
        text = text + np.where(units != "", " " + units, "")
    return pd.Series(text, index=low.index, dtype="str")


def amount_texts(frame: pd.DataFrame) -> pd.Series:
    """Each announcement's figure as announced (``≥ 380.0 CNY bn``), as text."""
    return figure_texts(
        frame["amount_low"], frame["amount_high"], frame["qualifier"], frame["currency"] + " bn"
    )


def announcement_texts(frame: pd.DataFrame, fx: FxTable | None = None) -> pd.DataFrame:
    """Every announcement as USD per year with its revision link and figures as text
    (``figure``, ``usd_per_year``): :func:`announcement_figures` without the as-of
    status, which is all that depends on the date."""
    usd = with_revisions(with_usd(frame, fx))
    usd["figure"] = amount_texts(usd)
    usd["usd_per_year"] = figure_texts(
        usd["annual_low_usd"], usd["annual_high_usd"], usd["qualifier"]
    )
    return usd


def with_status(texts: pd.DataFrame, frame: pd.DataFrame, as_of: date | None) -> pd.DataFrame:
    """:func:`announcement_texts` plus ``status`` at ``as_of``: ``superseded`` (a known
    announcement explicitly replaces it), ``revised`` (a later known one for the same
    company, scope, kind and period replaces it) or ``current``; as a new frame
    (``texts`` is left as it is)."""
    out = texts.copy(deep=False)
    dropped = superseded_ids(frame, as_of)
    known = out["revises_id"].notna()
    if as_of is not None:
        known &= pd.to_datetime(out["announced_on"]) <= pd.Timestamp(as_of)
    revised = set(out.loc[known, "revises_id"].astype(int))
    status = np.select(
        [out["id"].isin(dropped), out["id"].isin(revised)], ["superseded", "revised"], "current"
    )
    out.insert(cast(int, out.columns.get_loc("figure")), "status", status)
    return out


def announcement_figures(
    frame: pd.DataFrame, as_of: date | None = None, fx: FxTable | None = None
) -> pd.DataFrame:
    """Each announcement as USD per year, with what an analyst needs to quote it: its
    period and months, kind, scope, qualifier, source and whether it still stands."""
    return with_status(announcement_texts(frame, fx), frame, as_of)


def texts_for(frame: pd.DataFrame, ids: Iterable[int], fx: FxTable | None = None) -> pd.DataFrame:
    """:func:`announcement_texts` of the announcements ``ids`` and the rows of their
    revision groups (which their ``revises_id`` points to), without formatting the rest
    of ``frame``."""
    return announcement_texts(revision_related(frame, ids), fx)


def figures_for(
    frame: pd.DataFrame, ids: Iterable[int], as_of: date | None = None, fx: FxTable | None = None
) -> pd.DataFrame:
    """:func:`announcement_figures` of the announcements ``ids`` only: the same rows as
    the whole table's, from their revision groups and the whole frame's ``supersedes``
    (a page showing some announcements does not format all 100k)."""
    wanted = list(ids)
    figures = with_status(texts_for(frame, wanted, fx), frame, as_of)
    return figures[figures["id"].isin(wanted)]


def compare_announcements(figures: pd.DataFrame, ids: list[int]) -> pd.DataFrame:
    """The chosen announcements side by side as USD per year (the seed question: Alibaba
    RMB 380bn over three years vs Microsoft USD 80bn for FY2025 vs Meta's 2025 range)."""
    rows = figures.set_index("id").reindex(ids).dropna(subset=["company"]).reset_index()
    return rows[
        [
            "id",
            "company",
            "figure",
            "period",
            "period_start",
            "period_end",
            "months",
            "kind",
            "scope",
            "qualifier",
            "fx_rate",
            "annual_low_usd",
            "annual_mid_usd",
            "annual_high_usd",
            "usd_per_year",
            "announced_on",
            "source_url",
            "status",
        ]
    ]


# Compare announcements' named defaults: company, kind and period (None: any period).
DEFAULT_PICKS: tuple[tuple[str, str, str | None], ...] = (
    ("Alibaba", Kind.PLEDGE.value, None),
    ("Microsoft", Kind.GUIDANCE.value, "FY2025"),
    ("Meta", Kind.GUIDANCE.value, "2025"),
)


def default_comparison_ids(frame: pd.DataFrame, as_of: date | None = None) -> list[int]:
    """Alibaba's latest pledge, Microsoft's FY2025 plan and Meta's latest 2025 guidance
    known at ``as_of`` (announced by then; any date without it), where present;
    otherwise the three most recent known announcements (by date, then id).

    Masks over the whole frame and the few rows of the named companies, not a copy of
    every known row: at a million announcements a new as-of date cost the page 270 ms
    in copies and sorts of the known rows."""
    known = np.ones(len(frame), dtype=bool)
    if as_of is not None:
        known = (frame["announced_on"] <= pd.Timestamp(as_of)).to_numpy()
    order = ["announced_on", "id"]
    picks: list[int] = []
    for company, kind, period in DEFAULT_PICKS:
        rows = frame.loc[known & (frame["company"] == company).to_numpy()]
        rows = rows[rows["kind"] == kind]
        if period:
            rows = rows[rows["period"] == period]
        if not rows.empty:
            picks.append(int(rows.nlargest(1, order)["id"].iloc[0]))
    if not picks:
        latest = frame.loc[known, order].nlargest(3, order)
        picks = latest["id"].astype(int).tolist()[::-1]
    return picks


def not_in_totals(announcements: pd.DataFrame) -> pd.Series:
    """Why each announcement never enters the headline totals ('' where it may): an
    investment programme, a joint venture, an unconfirmed press report or a pledge."""
    ventures = announcements["venture_partners"].fillna("") != ""
    why = np.select(
        [
            ~announcements["scope"].isin(Scope.capex()),
            ventures,
            announcements["evidence"] == Evidence.PRESS_REPORT.value,
            announcements["kind"] == Kind.PLEDGE.value,
        ],
        [
            "not capex (investment programme)",
            "joint venture: " + announcements["venture_partners"].fillna(""),
            "press report, not confirmed by the company",
            "multi-year pledge",
        ],
        default="",
    )
    return pd.Series(why, index=announcements.index, dtype=object)


def programmes_table(figures: pd.DataFrame, announcements: pd.DataFrame) -> pd.DataFrame:
    """Investment programmes, pledges, joint ventures and unconfirmed press reports:
    kept and shown, never in the headline totals, each with why. ``figures``: the
    :func:`announcement_figures` of at least those (:func:`not_in_totals`)."""
    why = not_in_totals(announcements)
    chosen = announcements.assign(why=why)
    chosen = chosen[chosen["why"] != ""]
    out = figures.set_index("id").loc[chosen["id"]].reset_index()
    out["why"] = chosen["why"].to_numpy()
    return out[
        [
            "id",
            "company",
            "figure",
            "period",
            "scope",
            "kind",
            "usd_per_year",
            "why",
            "status",
            "announced_on",
            "source_url",
        ]
    ].sort_values(["company", "announced_on"])


def sources_table(headline: pd.DataFrame, announcements: pd.DataFrame) -> pd.DataFrame:
    """One row per headline figure and announcement behind it, with its source."""
    info = announcements.set_index("id")[["source_url", "source_type", "qualifier", "period"]]
    detail = headline.assign(announcement_id=headline["announcement_ids"].str.split(","))
    detail = detail.explode("announcement_id")
    detail["announcement_id"] = detail["announcement_id"].astype(int)
    looked = info.reindex(detail["announcement_id"])
    detail["source"] = looked["source_url"].to_numpy()
    detail["source_type"] = looked["source_type"].to_numpy()
    detail["announced_period"] = looked["period"].to_numpy()
    return detail


def whats_new(figures: pd.DataFrame, since: date, as_of: date) -> pd.DataFrame:
    """Announcements made since ``since`` (up to ``as_of``), newest first, each with the
    figure it replaced and the change in USD per year. ``figures``: the
    :func:`announcement_texts` of the announcements to consider and of those they
    replaced (the dashboard passes :func:`texts_for` of just those, not of every one)."""
    when = pd.to_datetime(figures["announced_on"])
    new = figures[(when >= pd.Timestamp(since)) & (when <= pd.Timestamp(as_of))]
    replaced = new["supersedes"].astype("Int64").fillna(new["revises_id"])
    previous = figures.set_index("id")
    prior_mid = replaced.map(previous["annual_mid_usd"]).astype(float)
    prior_fig = replaced.map(previous["figure"])
    out = new.assign(
        replaces=replaced,
        replaced_figure=prior_fig,
        change_usd_per_year=(new["annual_mid_usd"] - prior_mid).round(2),
    )
    return out.sort_values(["announced_on", "id"], ascending=False)[
        [
            "announced_on",
            "id",
            "company",
            "kind",
            "period",
            "figure",
            "usd_per_year",
            "replaces",
            "replaced_figure",
            "change_usd_per_year",
            "source_url",
        ]
    ]


def scope_labels(scopes: pd.Series) -> pd.Series:
    """Scope codes as the reader knows them ("total_capex" -> "Total capex"); any other
    text (several scopes joined, say) as it is."""
    return scopes.map(Scope.labels()).fillna(scopes)


def guidance_history(
    frame: pd.DataFrame, as_of: date | None = None, fx: FxTable | None = None
) -> pd.DataFrame:
    """Every announcement as a point on its announcement date, in annual USD (billions),
    with the series it belongs to, for the guidance-history chart."""
    if as_of is not None:
        frame = frame[pd.to_datetime(frame["announced_on"]) <= pd.Timestamp(as_of)]
    usd = with_revisions(with_usd(frame, fx))
    # The legend and the export name the scope as the reader knows it ("Total capex"),
    # not by its stored code.
    usd["series"] = usd["period"] + " " + usd["kind"] + ", " + scope_labels(usd["scope"])
    return usd.sort_values(["company", "series", "announced_on"])


def guided_vs_delivered(history: pd.DataFrame) -> pd.DataFrame:
    """Per company and guided period: the first and last guidance, the reported actual
    for the same period, and how far the actual landed from each (percent)."""
    guided = history[history["kind"] == Kind.GUIDANCE.value].sort_values("announced_on")
    actual = history[history["kind"] == Kind.ACTUAL.value]
    keys = ["company", "scope", "period"]
    first = guided.groupby(keys)["mid_usd"].first().rename("first_guidance")
    last = guided.groupby(keys)["mid_usd"].last().rename("last_guidance")
    delivered = actual.groupby(keys)["mid_usd"].last().rename("actual")
    out = pd.concat([first, last, delivered], axis=1).dropna(subset=["first_guidance"])
    out["vs first %"] = (out["actual"] / out["first_guidance"] - 1) * 100
    out["vs last %"] = (out["actual"] / out["last_guidance"] - 1) * 100
    return out.reset_index()


def quarterly_actuals(frame: pd.DataFrame, fx: FxTable | None = None) -> pd.DataFrame:
    """Reported actuals covering exactly three months, in USD, latest report per
    quarter (a restatement replaces the first report)."""
    usd = with_usd(frame[frame["kind"] == Kind.ACTUAL.value], fx)
    usd = usd[(usd["months"] == 3) & usd["scope"].isin(Scope.capex())]
    usd = usd.sort_values(["announced_on", "id"]).drop_duplicates(
        ["company", "scope", "period_start"], keep="last"
    )
    return usd[
        [
            "company",
            "scope",
            "period_start",
            "period_end",
            "mid_usd",
            "qualifier",
            "announced_on",
            "id",
            "source_url",
            "notes",
        ]
    ].sort_values(["company", "period_start"])


def latest_guidance(history: pd.DataFrame, scopes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The latest guidance per company, scope and guided period (rows of
    :func:`guidance_history`), to draw beside the reported quarters."""
    guided = history[history["kind"] == Kind.GUIDANCE.value]
    if scopes:
        guided = guided[guided["scope"].isin(scopes)]
    guided = guided.sort_values(["announced_on", "id"]).drop_duplicates(
        ["company", "scope", "period"], keep="last"
    )
    return guided.sort_values(["company", "period_start"]).reset_index(drop=True)


def run_rate(quarters: pd.DataFrame) -> pd.DataFrame:
    """Per company: the latest quarter x 4 and the sum of the trailing four quarters
    (only when they are four consecutive quarters)."""
    rows = []
    for company, part in quarters.groupby("company"):
        part = part.sort_values("period_start")
        last4 = part.tail(4)
        starts = pd.to_datetime(last4["period_start"])
        consecutive = (
            len(last4) == 4 and ((starts.dt.year * 12 + starts.dt.month).diff().dropna() == 3).all()
        )
        latest = part.iloc[-1]
        rows.append(
            {
                "company": company,
                "latest_quarter": f"{pd.Timestamp(latest['period_start']):%Y-%m} to "
                f"{pd.Timestamp(latest['period_end']):%Y-%m}",
                "latest_quarter_usd_bn": latest["mid_usd"],
                "run_rate_usd_bn": latest["mid_usd"] * 4,
                "trailing_4q_usd_bn": last4["mid_usd"].sum() if consecutive else np.nan,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "company",
            "latest_quarter",
            "latest_quarter_usd_bn",
            "run_rate_usd_bn",
            "trailing_4q_usd_bn",
        ],
    )


INTENSITY_COLUMNS = (
    "company",
    "period_start",
    "capex",
    "revenue",
    "operating_cash_flow",
    "capex_to_revenue_%",
    "capex_to_ocf_%",
    "ttm_capex_to_revenue_%",
    "ttm_capex_to_ocf_%",
)


def capex_intensity(quarters: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Capex / revenue and capex / operating cash flow per quarter and over the trailing
    four quarters, where the filings give both."""
    if quarters.empty or metrics.empty:
        return pd.DataFrame(columns=list(INTENSITY_COLUMNS))
    wide = metrics.pivot_table(
        index=["company", "period_start"],
        columns="metric",
        values="value_usd_bn",
        aggfunc="last",
    ).reset_index()
    q = quarters.assign(period_start=pd.to_datetime(quarters["period_start"]))
    wide["period_start"] = pd.to_datetime(wide["period_start"])
    out = q.rename(columns={"mid_usd": "capex"}).merge(wide, on=["company", "period_start"])
    for column in ("revenue", "operating_cash_flow"):
        if column not in out:
            out[column] = np.nan
    out = out.sort_values(["company", "period_start"])
    out["capex_to_revenue_%"] = out["capex"] / out["revenue"] * 100
    out["capex_to_ocf_%"] = out["capex"] / out["operating_cash_flow"] * 100
    rolling = out.groupby("company")[["capex", "revenue", "operating_cash_flow"]].transform(
        lambda s: s.rolling(4).sum()
    )
    out["ttm_capex_to_revenue_%"] = rolling["capex"] / rolling["revenue"] * 100
    out["ttm_capex_to_ocf_%"] = rolling["capex"] / rolling["operating_cash_flow"] * 100
    return out[list(INTENSITY_COLUMNS)]
