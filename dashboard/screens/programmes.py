"""Programmes & pledges: kept and shown, never in the headline totals."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from tracker import views


def render(ctx: state.Context) -> None:
    state.header(
        ctx,
        "Programmes & pledges",
        "Investment programmes (not capex), multi-year pledges, joint ventures whose "
        "spending sits inside their partners' capex, and press reports the company never "
        "confirmed. They are listed here with the reason; none of them enters a total.",
    )
    known = ctx.company_announcements()
    if known.empty:
        state.show_empty("No announcements match these filters.")
        return
    # Figures of the listed announcements only (not all 100k).
    listed = known.loc[views.not_in_totals(known) != "", "id"]
    figures = views.figures_for(ctx.announcements_of_owners(listed), listed, ctx.query.as_of)
    table = views.programmes_table(figures, known)
    if table.empty:
        state.show_empty("No programmes, pledges, ventures or press reports match these filters.")
        return
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "why": st.column_config.TextColumn("Why not in totals", width="medium"),
            "source_url": state.link_column(),
            "announced_on": st.column_config.DateColumn("Announced", format="YYYY-MM-DD"),
            "usd_per_year": "USD bn / year",
        },
        key="programmes_table",
        placeholder="–",
    )
    state.download(table, "programmes-and-pledges.csv")


state.run("programmes", render)
