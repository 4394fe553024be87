"""Compare announcements: different periods, currencies and kinds as USD per year."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, state
from tracker import views

# The choice offers at most this many announcements (the newest matching the company
# and country filters, plus the defaults and what is chosen): a list of 100k labels
# takes seconds to build and to send.
MAX_OPTIONS = 1_000
# What the defaults and the labels of the choice read.
LABEL_COLUMNS = [
    "id",
    "company",
    "country",
    "kind",
    "period",
    "announced_on",
    "amount_low",
    "amount_high",
    "qualifier",
    "currency",
]


def render(ctx: state.Context) -> None:
    state.header(
        ctx,
        "Compare announcements",
        "Put any announcements side by side, each spread evenly over its period and "
        "converted to USD at the FX rate of its month.",
    )
    frame = ctx.announcements
    labelled = frame[LABEL_COLUMNS]  # only these columns are copied by the filter
    known = labelled[labelled["announced_on"] <= pd.Timestamp(ctx.query.as_of)]
    if known.empty:
        state.show_empty("No announcements known at this date.")
        return
    default = views.default_comparison_ids(known)
    matching = ctx.company_announcements()
    newest = views.newest(matching, MAX_OPTIONS)
    chosen_before = st.session_state.get("compare_ids") or []
    keep = known["id"].isin(newest["id"]) | known["id"].isin(default + list(chosen_before))
    offered = known[keep].sort_values(["company", "announced_on", "id"])
    if len(newest) < len(matching):
        st.caption(
            f"Choose from the newest {len(newest):,} of {len(matching):,} announcements "
            "matching the company and country filters; filter by company to reach older ones."
        )
    labels = state.announcement_labels(offered)
    default = [i for i in default if i in labels]
    chosen = st.multiselect(
        "Announcements",
        list(labels),
        default=default,
        format_func=lambda i: labels[i],
        key="compare_ids",
    )
    figures = views.figures_for(frame, chosen, ctx.query.as_of)
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


state.run("compare_announcements", render)
