"""The served dashboard: ``streamlit run dashboard/serve.py``.

A Streamlit server runs the app's script only when a browser session asks for it, so
the first visitor after a start waited for the imports, the schema check, the load
of every announcement and the first view on top of the browser's own start. Served
through :class:`streamlit.App`, the server starts that work in a background thread as
soon as it is up (its lifespan hook): by the time the browser has loaded Streamlit's
bundle and opened its session, the page finds the data and the default view cached.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st


@asynccontextmanager
async def _lifespan(_app: st.App) -> AsyncIterator[None]:
    threading.Thread(target=_warm_up, name="capex-warm-up", daemon=True).start()
    yield


def _warm_up() -> None:
    from dashboard.state import warm_up

    # The single-scope views after the first visitor's page, or a minute after the
    # default view if nobody comes.
    warm_up(scope_views_after_first_page=60.0)
    keep_out_of_full_collections()


def keep_out_of_full_collections() -> None:
    """Move every object alive once the warm-up is done (some 200k functions, classes
    and dicts of the imported libraries, and the loaded data) out of the cyclic garbage
    collector's reach. A full collection walked them all: 100-160 ms on a 2-core
    machine at any data size, inside a visitor's run every few interactions (an as-of
    change at 100k announcements then took 0.42 s instead of 0.22-0.32 s). Frozen
    objects are still freed when their last reference goes (the caches a write clears
    hold no reference cycles); they are only never scanned. The garbage of the start is
    collected first, so none of it is kept."""
    gc.collect()
    gc.freeze()


app = st.App("app.py", lifespan=_lifespan)
