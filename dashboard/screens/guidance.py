"""Guidance history: how each company's plan moved, and how it landed."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, state
from tracker.vocab import Kind


def render(ctx: state.Context) -> None:
    state.header(
        ctx,
        "Guidance history",
        "Every announcement on the date it was made, as USD per year; a line joins the "
        "revisions for one period.",
    )
    known = ctx.company_announcements()
    if known.empty:
        state.show_empty("No announcements match these filters.")
        return
    # The one column first: filtering every column of the announcements first cost
    # 0.1 s at 100k.
    guided = known["company"][known["kind"] == Kind.GUIDANCE.value].value_counts()
    names = sorted(known["company"].unique())
    first = guided.index[0] if not guided.empty else names[0]
    company = st.selectbox("Company", names, index=names.index(first), key="guidance_company")
    history = ctx.guidance_history(company)
    state.chart(
        ctx,
        state.figure(charts.guidance_history, history, company),
        "guidance_chart",
        f"guidance-history-{company}",
        state.guidance_data(history, company),
    )
    st.caption(state.md_escape(state.footnote(ctx, "midpoint, USD per year; bars show low–high")))
    st.subheader("Guided vs delivered")
    delivered = ctx.guided_vs_delivered(company)
    st.dataframe(
        delivered,
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="%.1f")
            for c in ("first_guidance", "last_guidance", "actual", "vs first %", "vs last %")
        },
        key="guidance_delivered",
        placeholder="–",
    )


state.run("guidance", render)
