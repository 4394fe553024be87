"""Compare announcements: different periods, currencies and kinds as USD per year."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, state
from tracker import views


def _label(row) -> str:
    return f"#{row.id} {row.company} {row.kind} {row.period} {row.figure}"


def render(ctx: state.Context) -> None:
    state.header(
        ctx,
        "Compare announcements",
        "Put any announcements side by side, each spread evenly over its period and "
        "converted to USD at the FX rate of its month.",
    )
    figures = ctx.figures()
    figures = figures[figures["announced_on"] <= pd.Timestamp(ctx.query.as_of)]
    figures = figures.sort_values(["company", "announced_on", "id"])
    if figures.empty:
        state.show_empty("No announcements known at this date.")
        return
    labels = {int(r.id): _label(r) for r in figures.itertuples()}
    default = [i for i in views.default_comparison_ids(figures) if i in labels]
    chosen = st.multiselect(
        "Announcements",
        list(labels),
        default=default,
        format_func=lambda i: labels[i],
        key="compare_ids",
    )
    rows = views.compare_announcements(figures, chosen)
    state.chart(ctx, charts.compared(rows), "compare_chart", "announcements-compared", rows)
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
    )
    state.download(rows, "announcements-compared.csv")


render(state.frame("compare_announcements"))
