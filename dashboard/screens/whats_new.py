"""What's new: announcements since a date and what they replaced."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import state
from tracker import views


def render(ctx: state.Context) -> None:
    state.header(ctx, "What's new")
    as_of = ctx.query.as_of
    since = st.date_input(
        "Since",
        value=as_of - timedelta(days=90),
        max_value=as_of,
        key="whats_new_since",
        format="YYYY-MM-DD",
    )
    known = ctx.company_announcements()
    # Texts of the announcements of the period and of what they replaced (their
    # revision groups and explicit supersedes), from their companies' rows alone.
    new = known[known["announced_on"] >= pd.Timestamp(since)]
    replaced = new["supersedes"].dropna().astype(int)
    ids = [*new["id"], *replaced]
    texts = views.texts_for(ctx.announcements_of_owners(ids), ids)
    figures = texts[texts["id"].isin(known["id"])]
    table = views.whats_new(figures, since, as_of) if not known.empty else None
    if table is None or table.empty:
        state.show_empty(f"No announcements between {since} and {as_of}.")
        return
    st.caption(f"{len(table)} announcement(s) from {since} to {as_of}, newest first.")
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "announced_on": st.column_config.DateColumn("Announced", format="YYYY-MM-DD"),
            "source_url": state.link_column(),
            "replaces": st.column_config.NumberColumn(format="#%d"),
            "change_usd_per_year": st.column_config.NumberColumn(
                "Change, USD bn / year", format="%+.1f"
            ),
        },
        key="whats_new_table",
        placeholder="–",
    )
    state.download(table, "whats-new.csv")


state.run("whats_new", render)
