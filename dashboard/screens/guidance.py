"""Guidance history: how each company's plan moved, and how it landed."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, state
from tracker.vocab import Kind

TABS = ("How the plan moved", "Guided vs delivered")


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
    # One tab at a time, as on Company: only the open tab is computed and sent. The
    # table, drawn under the chart, came below the fold of a 1440x900 screen, and it
    # cost every visit 80-90 ms of the browser's CPU (all of Chromium's processes, 9
    # repeat visits at 100k announcements: 580-590 ms with it, 490 ms without). The
    # open tab is in the link (``?guidance_tab=Guided+vs+delivered``).
    moved, landed = st.tabs(list(TABS), key="guidance_tab", on_change="rerun", bind="query-params")
    if moved.open:
        with moved:
            _moved(ctx, company)
    if landed.open:
        with landed:
            _landed(ctx, company)


def _moved(ctx: state.Context, company: str) -> None:
    history = ctx.guidance_history(company)
    state.chart(
        ctx,
        state.figure(charts.guidance_history, history, company),
        "guidance_chart",
        f"guidance-history-{company}",
        state.guidance_data(history, company),
    )
    st.caption(state.md_escape(state.footnote(ctx, "midpoint, USD per year; bars show low–high")))


def _landed(ctx: state.Context, company: str) -> None:
    delivered = ctx.guided_vs_delivered(company)
    if delivered.empty:
        name = state.md_escape(company)
        state.show_empty(f"No guidance of {name} at this date to set against its actuals.")
        return
    st.caption(
        "USD bn for the whole guided period (the midpoint of a range), per period and "
        "scope: the first and the last guidance, the actual reported for the same period "
        "and scope (– until it is reported), and how far the actual landed from each."
    )
    state.guided_vs_delivered_table(delivered, "guidance_delivered")


state.run("guidance", render)
