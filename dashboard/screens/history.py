"""Edit history: who changed which figure, when, and how."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from tracker import queries


def render(ctx: state.Context) -> None:
    state.header(ctx, "Edit history", "Edits, deletions and restores, newest first.")
    history = queries.history_frame(ctx.engine)
    if history.empty:
        state.show_empty("No edits yet.")
        return
    readable = history.assign(
        when=history["changed_at"].map(lambda t: f"{t:%Y-%m-%d %H:%M} UTC" if t else ""),
        announcement=history["announcement_id"].map(lambda i: f"#{i}"),
    )[["when", "changed_by", "announcement", "company", "period", "action", "changes"]]
    st.dataframe(
        readable,
        hide_index=True,
        column_config={
            "changed_by": "Who",
            "changes": st.column_config.TextColumn("Changes", width="large"),
        },
        key="history_table",
        placeholder="–",
    )


state.run("history", render)
