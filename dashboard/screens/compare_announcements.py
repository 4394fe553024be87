"""Compare announcements: different periods, currencies and kinds as USD per year."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, state
from tracker import views
from tracker.query import filter_rows

# The choice offers at most this many announcements (the newest matching the company
# and country filters, plus the defaults and what is chosen): a list of 100k labels
# takes seconds to build and to send.
MAX_OPTIONS = 1_000


def _labels(figures: pd.DataFrame) -> dict[int, str]:
    return state.announcement_labels(figures, figures["figure"])


def render(ctx: state.Context) -> None:
    state.header(
        ctx,
        "Compare announcements",
        "Put any announcements side by side, each spread evenly over its period and "
        "converted to USD at the FX rate of its month.",
    )
    figures = ctx.figures()
    figures = figures[figures["announced_on"] <= pd.Timestamp(ctx.query.as_of)]
    if figures.empty:
        state.show_empty("No announcements known at this date.")
        return
    default = views.default_comparison_ids(figures)
    matching = filter_rows(figures, ctx.query)
    newest = matching.sort_values(["announced_on", "id"], ascending=False).head(MAX_OPTIONS)
    chosen_before = st.session_state.get("compare_ids") or []
    keep = figures["id"].isin(newest["id"]) | figures["id"].isin(default + list(chosen_before))
    offered = figures[keep].sort_values(["company", "announced_on", "id"])
    if len(newest) < len(matching):
        st.caption(
            f"Choose from the newest {len(newest):,} of {len(matching):,} announcements "
            "matching the company and country filters; filter by company to reach older ones."
        )
    labels = _labels(offered)
    default = [i for i in default if i in labels]
    chosen = st.multiselect(
        "Announcements",
        list(labels),
        default=default,
        format_func=lambda i: labels[i],
        key="compare_ids",
    )
    rows = views.compare_announcements(figures, chosen)
    state.chart(
        ctx, state.figure(charts.compared, rows), "compare_chart", "announcements-compared", rows
    )
    st.caption(state.md_escape(state.footnote(ctx, "each announcement spread over its months")))
    st.dataframe(
        rows,
        hide_index=True,
        column_config={
            "source_url": state.link_column(),
            "period_start": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "period_end": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "announced_on": st.column_config.DateColumn(format="YYYY-MM-DD"),
            **{
                c: st.column_config.NumberColumn(format="%.2f")
                for c in ("fx_rate", "annual_low_usd", "annual_mid_usd", "annual_high_usd")
            },
        },
        key="compare_table",
        placeholder="–",
    )
    state.download(rows, "announcements-compared.csv")


render(state.frame("compare_announcements"))
