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
# What the labels of the choice read.
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
    # Empty exactly when nothing is known at the as-of date: without the named picks
    # (Alibaba, Microsoft, Meta) the newest three known are the defaults.
    default = list(ctx.default_comparison())
    if not default:
        state.show_empty("No announcements known at this date.")
        return
    matching = ctx.company_announcements()
    newest = views.newest(matching, MAX_OPTIONS)
    chosen_before = st.session_state.get("compare_ids") or []
    # The offered rows by id, then by date: not a copy of every known row on each run.
    keep = frame["id"].isin([*newest["id"], *default, *chosen_before]).to_numpy()
    offered = frame.loc[keep, LABEL_COLUMNS]
    offered = offered[offered["announced_on"] <= pd.Timestamp(ctx.query.as_of)]
    offered = offered.sort_values(["company", "announced_on", "id"])
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
    figures = views.figures_for(ctx.announcements_of_owners(chosen), chosen, ctx.query.as_of)
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
