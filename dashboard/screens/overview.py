"""Overview: the year's capex ranking and total over companies with a full year."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, state
from tracker import exports
from tracker.normalize import default_year
from tracker.views import year_total

TABS = ("Ranking", "Over time")


def render(ctx: state.Context) -> None:
    state.header(
        ctx,
        "AI-infrastructure capex tracker",
        "Announced and reported capital expenditure per company and calendar year, "
        "in US dollars. Investment programmes, joint ventures and unconfirmed press "
        "reports are kept out of totals (see *Programmes & pledges*).",
    )
    for warning in ctx.view.warnings:
        st.warning(state.md_escape(warning), icon=":material/warning:")
    headline = ctx.headline
    if headline.empty:
        state.show_empty("No capex figures match these filters.")
        return
    years = sorted(int(y) for y in headline["year"].unique())
    default = default_year(headline)
    index = years.index(default) if default in years else len(years) - 1
    year = st.selectbox("Year", years, index=index, key="overview_year")
    total = year_total(headline, year, ctx.measure)
    left, right = st.columns(2)
    left.metric(
        f"Capex total {year} (full-year companies)",
        f"{total.total:,.1f} USD bn",
        help=f"Sum of the {ctx.measure_label} over companies whose {year} is fully covered.",
        border=True,
    )
    if total.largest:
        right.metric(
            "Largest spender",
            total.largest,
            f"{total.largest_value:,.1f} USD bn",
            delta_color="off",
            delta_arrow="off",
            border=True,
        )
    else:
        right.metric("Largest spender", "–", border=True)
    st.caption(state.md_escape(total.note()))
    basis = (
        f"{ctx.measure_label} of each company's broadest capex series; per month the "
        "reported actual, else the latest guidance, else the pledge; lighter bars are "
        "partial years (not in the total)"
    )
    # One chart at a time: every filter, scope or date change redraws what is shown,
    # and a second plotly chart doubled the browser's work (at 1k announcements an
    # as-of change took 0.65 s with both, 0.29 s with one). The open tab is in the
    # link (``?overview_tab=Over+time``).
    ranking, over_time = st.tabs(
        list(TABS), key="overview_tab", on_change="rerun", bind="query-params"
    )
    if ranking.open:
        with ranking:
            state.chart(
                ctx,
                state.figure(charts.ranking, headline, year, ctx.measure),
                "overview_ranking",
                f"ranking-{year}",
                exports.annual_table(headline[headline["year"] == year]),
            )
            st.caption(state.md_escape(state.footnote(ctx, basis)))
    if over_time.open:
        with over_time:
            state.chart(
                ctx,
                state.figure(charts.over_time, headline, ctx.measure),
                "overview_time",
                "capex-by-year",
                exports.annual_table(headline),
            )
            st.caption(state.md_escape(state.footnote(ctx, basis)))


state.run("overview", render)
