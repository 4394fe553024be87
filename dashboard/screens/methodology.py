"""Methodology: docs/methodology.md from the repository."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import state

DOC = Path(__file__).resolve().parents[2] / "docs" / "methodology.md"


def render(ctx: state.Context) -> None:
    state.header(ctx, "Methodology")
    try:
        text = DOC.read_text(encoding="utf-8")
    except OSError:
        st.info(
            "The methodology document (docs/methodology.md) is not available here. In "
            "short: announcements are spread evenly over the months of their period, "
            "converted at ECB reference rates, and per company and month the reported "
            "actual beats guidance, which beats a pledge; only full calendar years count in "
            "totals, and programmes that are not capex never do.",
            icon=":material/info:",
        )
        return
    # Our own document, from the repository: rendered as markdown.
    st.markdown(text)


state.run("methodology", render)
