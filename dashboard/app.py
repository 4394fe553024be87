"""capex-tracker dashboard: compare announced AI-infrastructure spending.

Run with ``streamlit run dashboard/app.py``. This file holds the page configuration and
the navigation; each page is a file in ``dashboard/screens`` (not ``pages/``, which Streamlit would
serve on its own, bypassing the navigation) with its own URL, and starts
with :func:`dashboard.state.frame`, which draws the shared sidebar filters (kept in the
URL query string), loads the cached data and builds the page's context. Every number
comes from the ``tracker`` package; the pages only lay out widgets, tables and charts.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(
    page_title="AI-infrastructure capex tracker",
    page_icon=":material/bar_chart:",
    layout="wide",
)

PAGES = {
    "Analysis": [
        st.Page(
            "screens/overview.py",
            title="Overview",
            url_path="overview",
            default=True,
            icon=":material/leaderboard:",
        ),
        st.Page(
            "screens/comparison.py",
            title="Comparison",
            url_path="comparison",
            icon=":material/table_chart:",
        ),
        st.Page(
            "screens/company.py", title="Company", url_path="company", icon=":material/apartment:"
        ),
        st.Page(
            "screens/compare_announcements.py",
            title="Compare announcements",
            url_path="compare-announcements",
            icon=":material/compare_arrows:",
        ),
        st.Page(
            "screens/programmes.py",
            title="Programmes & pledges",
            url_path="programmes",
            icon=":material/handshake:",
        ),
        st.Page(
            "screens/guidance.py",
            title="Guidance history",
            url_path="guidance-history",
            icon=":material/timeline:",
        ),
        st.Page(
            "screens/whats_new.py",
            title="What's new",
            url_path="whats-new",
            icon=":material/new_releases:",
        ),
    ],
    "Data": [
        st.Page(
            "screens/announcements.py",
            title="Announcements",
            url_path="announcements",
            icon=":material/list:",
        ),
        st.Page(
            "screens/add.py", title="Add announcement", url_path="add", icon=":material/add_circle:"
        ),
        st.Page(
            "screens/import_csv.py",
            title="Import CSV",
            url_path="import",
            icon=":material/upload_file:",
        ),
        st.Page(
            "screens/history.py",
            title="Edit history",
            url_path="history",
            icon=":material/history:",
        ),
    ],
    "About": [
        st.Page(
            "screens/methodology.py",
            title="Methodology",
            url_path="methodology",
            icon=":material/menu_book:",
        ),
    ],
}

# Each page starts with ``state.frame(...)``, which draws the shared sidebar filters and
# builds the page's context; keeping that in the page (not here) means a page file run
# on its own (as streamlit.testing's AppTest.switch_page does) still gets the same frame.
st.navigation(PAGES).run()
