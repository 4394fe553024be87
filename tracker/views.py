"""Tables the dashboard and CLI show, derived from :class:`tracker.normalize.AnnualView`.

Kept out of the Streamlit app so that the CLI prints the same numbers the charts draw
and the tests can check them without a browser.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tracker.normalize import AnnualView, with_usd

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
    "announced_on",
    "revises_id",
)


def filter_annual(
    frame: pd.DataFrame,
    companies: list[str] | None = None,
    countries: list[str] | None = None,
    years: tuple[int, int] | None = None,
) -> pd.DataFrame:
    out = frame
    if companies:
        out = out[out["company"].isin(companies)]
    if countries:
        out = out[out["country"].isin(countries)]
    if years:
        out = out[out["year"].between(years[0], years[1])]
    return out


def filter_announcements(
    frame: pd.DataFrame,
    as_of,
    companies: list[str] | None = None,
    countries: list[str] | None = None,
    scopes: tuple[str, ...] | None = None,
    years: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Announcements known at ``as_of`` that match the filters; ``years`` keeps those
    whose period overlaps the range."""
    out = frame[pd.to_datetime(frame["announced_on"]) <= pd.Timestamp(as_of)]
    if companies:
        out = out[out["company"].isin(companies)]
    if countries:
        out = out[out["country"].isin(countries)]
    if scopes:
        out = out[out["scope"].isin(scopes)]
    if years:
        first, last = years
        ends = pd.to_datetime(out["period_end"]).dt.year
        starts = pd.to_datetime(out["period_start"]).dt.year
        out = out[(ends >= first) & (starts <= last)]
    return out


def sources_table(headline: pd.DataFrame, announcements: pd.DataFrame) -> pd.DataFrame:
    """One row per headline figure and announcement behind it, with its source URL."""
    urls = announcements.set_index("id")["source_url"]
    detail = headline.assign(announcement_id=headline["announcement_ids"].str.split(","))
    detail = detail.explode("announcement_id")
    detail["announcement_id"] = detail["announcement_id"].astype(int)
    detail["source"] = detail["announcement_id"].map(urls)
    return detail


def comparison_table(headline: pd.DataFrame, measure: str = "mid") -> pd.DataFrame:
    """Companies as rows, calendar years as columns (USD bn), plus year-over-year growth
    in percent.

    Growth is only shown between like figures: both years fully covered (12 months),
    the same scope, and both pledges or both guidance/actuals. Otherwise a pledge that
    only covers data centers would show as a 99% collapse of a company's capex.
    """
    if headline.empty:
        return pd.DataFrame(columns=["company"])
    wide = headline.pivot_table(index="company", columns="year", values=measure, aggfunc="sum")
    wide = wide.sort_index(axis=1)
    keyed = headline.assign(
        like=np.where(
            headline["months"] == 12,
            headline["scope"] + "/" + np.where(headline["basis"] == "pledge", "pledge", "plan"),
            "",
        )
    )
    like = keyed.pivot_table(index="company", columns="year", values="like", aggfunc="first")
    like = like.reindex(index=wide.index, columns=wide.columns).fillna("")
    years = list(wide.columns)
    out = pd.DataFrame(index=wide.index)
    for i, year in enumerate(years):
        out[str(year)] = wide[year]
        if i > 0 and years[i - 1] == year - 1:
            prev = wide[year - 1]
            comparable = (like[year] != "") & (like[year] == like[year - 1]) & (prev > 0)
            out[f"{year} YoY %"] = np.where(comparable, (wide[year] / prev - 1) * 100, np.nan)
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


def overview_metrics(headline: pd.DataFrame, year: int, measure: str = "mid") -> dict:
    rows = headline[headline["year"] == year]
    if rows.empty:
        return {"total": 0.0, "companies": 0, "largest": None, "largest_value": 0.0}
    top = rows.loc[rows[measure].idxmax()]
    return {
        "total": float(rows[measure].sum()),
        "companies": int(rows["company"].nunique()),
        "largest": str(top["company"]),
        "largest_value": float(top[measure]),
    }


def basis_table(view: AnnualView, measure: str = "mid") -> pd.DataFrame:
    """Pledge, guidance and actual side by side per company, scope and year (USD bn),
    never added together, with the actual's difference from the latest guidance."""
    basis = view.by_basis
    wide = basis.pivot_table(
        index=["company", "country", "scope", "year"],
        columns="kind",
        values=measure,
        aggfunc="sum",
    )
    for kind in ("pledge", "guidance", "actual"):
        if kind not in wide.columns:
            wide[kind] = np.nan
    out = wide[["pledge", "guidance", "actual"]].copy()
    out["actual vs guidance %"] = (out["actual"] / out["guidance"] - 1) * 100
    out.columns.name = None
    return out.reset_index()


def announced_vs_actual(view: AnnualView) -> pd.DataFrame:
    """Latest guidance next to the reported actual, where both exist for a company-year
    and scope, with the difference in percent of guidance."""
    table = basis_table(view).dropna(subset=["guidance", "actual"])
    table = table.rename(columns={"actual vs guidance %": "diff %"})
    return table[["company", "scope", "year", "guidance", "actual", "diff %"]].reset_index(
        drop=True
    )


def with_revisions(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``revises_id``: the earlier announcement of the same company, scope, kind and
    period that this one replaces (none for the first of a series)."""
    out = frame.sort_values(["announced_on", "id"])
    key = [out["company"], out["scope"], out["kind"], out["period"]]
    out["revises_id"] = out.groupby(key)["id"].shift(1).astype("Int64")
    return out.sort_values("id")


def guidance_history(frame: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Every announcement as a point on its announcement date, in annual USD (billions),
    with the series it belongs to, for the guidance-history chart."""
    if as_of is not None:
        frame = frame[pd.to_datetime(frame["announced_on"]) <= pd.Timestamp(as_of)]
    usd = with_revisions(with_usd(frame))
    usd["series"] = usd["period"] + " " + usd["kind"] + " (" + usd["scope"] + ")"
    return usd.sort_values(["company", "series", "announced_on"])
