"""capex-tracker dashboard: compare announced AI-infrastructure spending.

Served with ``streamlit run dashboard/serve.py``, which loads the data as the server
starts (``streamlit run dashboard/app.py`` also works, without that). This file holds
the page configuration and the navigation; each page is a file in ``dashboard/screens``
(not ``pages/``, which Streamlit would serve on its own, bypassing the navigation) with
its own URL, and runs through :func:`dashboard.state.run`: it loads the cached data,
reads the shared filters (kept in the URL query string), builds the page's context
and draws the page; this file then draws the sidebar. Every number comes from the
``tracker`` package; the pages only lay out widgets, tables and charts.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(
    page_title="AI-infrastructure capex tracker",
    # An emoji, drawn by the browser: a Material icon here made the browser fetch it from
    # Google's font server again and again (25 requests in the browser test's tour; the
    # dashboard makes no calls elsewhere, and offline each was a failed request).
    page_icon="📊",
    layout="wide",
)

from dashboard.state import NAV, page_errors, sidebar_from_main_script  # noqa: E402

PAGES = [
    st.Page(path, title=title, url_path=url_path, icon=icon, default=i == 0)
    for i, (_section, path, title, url_path, icon) in enumerate(NAV)
]

# Each page runs through ``state.run(...)``, which builds the page's context and draws
# the page; the sidebar (its links carry the view's query string) is drawn here after
# it, as this script's own elements, which the browser keeps across page switches. A
# database or I/O failure shows one sentence, not a traceback.
with page_errors(), sidebar_from_main_script():
    st.navigation(PAGES, position="hidden").run()
