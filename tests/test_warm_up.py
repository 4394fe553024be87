"""The server's warm-up (dashboard.serve): the data and the default view are loaded
before the first session, once, and a new database is seeded once whichever thread
opens it first."""

from __future__ import annotations

import gc
import json
import logging
import os
import platform
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

import pyarrow as pa
from streamlit.testing.v1 import AppTest

from dashboard import state
from tests.helpers import FIXTURE
from tracker import bootstrap, queries
from tracker.csv_io import read_announcements_csv
from tracker.normalize import Resolution

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")


def test_warm_up_loads_once_for_the_first_session(configured_env, monkeypatch):
    bootstrap.get_engine()  # seeded first: seeding reads the (empty) table too
    loads: list[int] = []
    views: list[int] = []
    original_load, original_view = queries.announcements_frame, state.resolve

    def counted_load(*args, **kwargs):
        loads.append(1)
        return original_load(*args, **kwargs)

    def counted_view(*args, **kwargs) -> Resolution:
        views.append(1)
        return original_view(*args, **kwargs)

    monkeypatch.setattr(queries, "announcements_frame", counted_load)
    monkeypatch.setattr(state, "resolve", counted_view)
    state.warm_up()
    assert (len(loads), len(views)) == (1, 1)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    # The first page (today's view, every scope) found both in the cache.
    assert (len(loads), len(views)) == (1, 1)
    assert at.get("plotly_chart")


def test_the_first_view_is_ready_once_the_warm_up_has_built_it(configured_env, monkeypatch):
    """A cold session's first run asks for plotly's code until the default view is
    built, not just until the data are loaded (read from a snapshot, they are loaded
    long before the view is)."""
    ready = threading.Event()
    monkeypatch.setattr(state, "_FIRST_VIEW_READY", ready)
    ready_at_resolve: list[bool] = []
    original = state.resolve

    def watched(*args, **kwargs) -> Resolution:
        ready_at_resolve.append(ready.is_set())
        return original(*args, **kwargs)

    monkeypatch.setattr(state, "resolve", watched)
    state.warm_up()
    assert ready_at_resolve == [False]  # the data were loaded, the view not yet built
    assert ready.is_set()


def test_a_restarted_server_reads_the_announcements_from_the_snapshot(
    configured_env, monkeypatch, snapshot_dir
):
    """The first server wrote the snapshot (in the background); a restart on the same
    data (its caches empty) reads it and does not load from the database."""
    state.warm_up()
    deadline = time.monotonic() + 30
    while not list(snapshot_dir.glob("*.arrow")) and time.monotonic() < deadline:
        time.sleep(0.05)
    state._announcements.clear()  # what a new server process starts with
    loads: list[int] = []
    original = queries.announcements_frame
    monkeypatch.setattr(
        queries, "announcements_frame", lambda *a, **k: loads.append(1) or original(*a, **k)
    )
    *_, announcements, _companies = state.load_base()
    assert (len(announcements), loads) == (31, [])


def _count_views(monkeypatch) -> list[tuple[str, ...]]:
    """The scopes of every view built from here on."""
    built: list[tuple[str, ...]] = []
    original = state.view_of

    def counted(resolution, scopes=()):
        built.append(scopes)
        return original(resolution, scopes)

    monkeypatch.setattr(state, "view_of", counted)
    return built


def test_warm_up_has_each_single_scope_view_ready(configured_env, monkeypatch):
    """A scope chosen at the default date is drawn from the warm-up's cache: no new
    view is built for the first session that picks one."""
    bootstrap.get_engine()
    built = _count_views(monkeypatch)
    state.warm_up()
    assert built == [
        (),
        ("total_capex",),
        ("ai_infrastructure",),
        ("data_centers",),
        ("total_investment",),
    ]
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["scopes"] = "data_centers"
    at.run()
    assert not at.exception and at.get("plotly_chart")
    assert len(built) == 5


def _served_warm_up(monkeypatch) -> tuple[list[tuple[str, ...]], threading.Thread]:
    """The warm-up as the server starts it (waiting for a first page), in a thread,
    once it has built the default view: the scopes of the views built, and the thread."""
    bootstrap.get_engine()
    built = _count_views(monkeypatch)
    monkeypatch.setattr(state, "_PAGE_DRAWN", threading.Event())
    warming = threading.Thread(target=state.warm_up, args=(60.0,))
    warming.start()
    deadline = time.monotonic() + 30
    while not built and time.monotonic() < deadline:
        time.sleep(0.05)
    return built, warming


def test_the_scope_views_wait_for_the_first_page(configured_env, monkeypatch):
    """Served, the warm-up builds the single-scope views only once a page has been
    drawn: built before it, they delayed the first visitor's chart."""
    built, warming = _served_warm_up(monkeypatch)
    time.sleep(0.5)
    assert built == [()]  # the default view only, while no page has been drawn
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    warming.join(30)
    assert not warming.is_alive()
    assert len(built) == 5


def test_no_scope_views_when_the_first_page_replaced_the_resolution(configured_env, monkeypatch):
    """A first visitor who came with another date replaced the one resolution kept: the
    warm-up then builds no single-scope views (each would resolve again)."""
    built, warming = _served_warm_up(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["as_of"] = "2025-06-30"
    at.run()
    assert not at.exception
    warming.join(30)
    assert not warming.is_alive()
    assert built == [(), ()]  # the default view, then the visitor's


def test_warm_up_builds_no_scope_views_past_the_kept_resolution(configured_env, monkeypatch):
    """Past KEEP_RESOLUTION_UP_TO each scope's view would resolve again (seconds at a
    million announcements): only the default view is built."""
    bootstrap.get_engine()
    resolved: list[int] = []
    original = state.resolve

    def counted(*args, **kwargs) -> Resolution:
        resolved.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(state, "resolve", counted)
    monkeypatch.setattr(state, "KEEP_RESOLUTION_UP_TO", 0)
    state.warm_up()
    assert len(resolved) == 1


def test_warm_up_finds_each_companys_rows_for_the_first_company_filter(configured_env, monkeypatch):
    """Also past KEEP_RESOLUTION_UP_TO (where it takes 0.15-0.4 s at a million), the
    warm-up finds where each company's rows are, once; a first company filter uses it,
    and shows that company's figures only."""
    bootstrap.get_engine()
    state.clear_caches()
    built: list[int] = []
    original = state.CompanyRows.of

    def counted(frame):
        built.append(len(frame))
        return original(frame)

    monkeypatch.setattr(state.CompanyRows, "of", counted)
    monkeypatch.setattr(state, "KEEP_RESOLUTION_UP_TO", 0)
    state.warm_up()
    assert built == [31]  # the fixture's 31 announcements
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["companies"] = "Meta"
    at.run()
    assert not at.exception
    assert built == [31]
    assert set(at.session_state[state._CTX].headline["company"]) == {"Meta"}


def test_warm_up_loads_the_later_pages_modules(configured_env, monkeypatch):
    """The modules only some pages import (Comparison's table styling) are loaded by the
    warm-up, after the default view, so those pages' first visit finds them."""
    bootstrap.get_engine()
    state.clear_caches()
    assert "dashboard.tables" in state.LATER_PAGE_MODULES
    for module in state.LATER_PAGE_MODULES:
        monkeypatch.delitem(sys.modules, module, raising=False)
    state.warm_up()
    assert all(module in sys.modules for module in state.LATER_PAGE_MODULES)


def test_warm_up_failure_is_logged_not_raised(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/capex.sqlite")
    bootstrap._engine_for.cache_clear()
    with caplog.at_level(logging.WARNING, logger="dashboard.state"):
        state.warm_up()
    assert "warm-up failed" in caplog.text
    bootstrap._engine_for.cache_clear()


def test_a_new_database_is_seeded_once_by_concurrent_openers(configured_env, monkeypatch):
    """Two threads open a brand-new database at once (the warm-up and a first visitor):
    both would find it empty without the lock around opening, and seed it twice."""
    original = bootstrap.is_empty

    def slow_is_empty(engine):
        empty = original(engine)
        time.sleep(0.3)  # both threads inside the check at once, if nothing stops them
        return empty

    monkeypatch.setattr(bootstrap, "is_empty", slow_is_empty)
    bootstrap._engine_for.cache_clear()
    errors: list[BaseException] = []
    engines: list[object] = []

    def open_it() -> None:
        try:
            engines.append(bootstrap.get_engine())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(engines) == 2 and engines[0] is engines[1]  # opened (and seeded) once
    stored = queries.announcements_frame(bootstrap.get_engine())
    assert len(stored) == len(read_announcements_csv(FIXTURE))


def test_a_scope_change_builds_its_view_from_the_cached_resolution(configured_env, monkeypatch):
    """Every scope is resolved once per as-of date: choosing a scope filters that
    resolution (no second resolve); the view then holds that scope only. A new as-of
    date with the scope still chosen resolves that scope only."""
    bootstrap.get_engine()
    resolved: list[tuple[str, tuple[str, ...]]] = []
    original = state.resolve

    def counted(frame, as_of=None, fx=None, include=None, scopes=()) -> Resolution:
        resolved.append((str(as_of), scopes))
        return original(frame, as_of, fx, include, scopes)

    monkeypatch.setattr(state, "resolve", counted)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["as_of"] = "2026-03-01"
    at.run()
    assert resolved == [("2026-03-01", ())]
    at.sidebar.multiselect(key="f_scopes").set_value(["data_centers"])
    at.run()
    assert not at.exception
    assert resolved == [("2026-03-01", ())]
    view = at.session_state[state._CTX].view
    assert set(view.by_basis["scope"]) == {"data_centers"}
    at.sidebar.text_input(key="f_as_of_text").set_value("2025-06-30")
    at.run()
    assert not at.exception
    assert resolved == [("2026-03-01", ()), ("2025-06-30", ("data_centers",))]
    assert set(at.session_state[state._CTX].view.by_basis["scope"]) == {"data_centers"}


def test_the_served_app_starts_the_warm_up_as_the_server_starts(tmp_path):
    """dashboard/serve.py's lifespan hook (what the server runs on start) calls
    state.warm_up in a thread, telling it to keep the single-scope views until the
    first page is drawn. In a process of its own: an st.App pins the process's script
    folder."""
    script = (
        "import asyncio, threading\n"
        "from dashboard import serve, state\n"
        "called = threading.Event()\n"
        "state.warm_up = lambda scope_views_after_first_page=0: (\n"
        "    scope_views_after_first_page > 0 and called.set())\n"
        "async def main():\n"
        "    async with serve._lifespan(serve.app):\n"
        "        pass\n"
        "asyncio.run(main())\n"
        "assert isinstance(serve.app, serve.st.App)\n"
        "print('warmed' if called.wait(30) else 'not warmed')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.stdout.strip() == "warmed", done.stderr


def test_past_the_size_limit_no_resolution_is_kept(configured_env, monkeypatch):
    """Over KEEP_RESOLUTION_UP_TO announcements (set to 10 here: the fixture has 31) the
    default view resolves without keeping it, and a scope change resolves that scope
    only, with the same figures as a view of that scope's announcements."""
    bootstrap.get_engine()
    monkeypatch.setattr(state, "KEEP_RESOLUTION_UP_TO", 10)
    resolved: list[tuple[str, ...]] = []
    original = state.resolve

    def counted(frame, as_of=None, fx=None, include=None, scopes=()) -> Resolution:
        resolved.append(scopes)
        return original(frame, as_of, fx, include, scopes)

    monkeypatch.setattr(state, "resolve", counted)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["as_of"] = "2026-03-01"
    at.run()
    at.sidebar.multiselect(key="f_scopes").set_value(["data_centers"])
    at.run()
    assert not at.exception
    assert resolved == [(), ("data_centers",)]
    view = at.session_state[state._CTX].view
    assert set(view.by_basis["scope"]) == {"data_centers"}


def _loader_script() -> None:
    """A run that asks for the chart code and keeps its place (the page empties it)."""
    from dashboard import state

    state._ask_for_chart_code()


def test_a_sessions_first_run_asks_for_the_chart_code_once(monkeypatch):
    """While the data are not loaded yet, the first run of a session draws one hidden
    empty chart (so the browser loads plotly's code while the data load); later runs
    of that session draw none, and neither do sessions after the data are loaded."""
    monkeypatch.setattr(state, "_FIRST_VIEW_READY", threading.Event())
    at = AppTest.from_function(_loader_script, default_timeout=60).run()
    loader = [c for c in at.get("plotly_chart")]
    assert len(loader) == 1
    assert json.loads(loader[0].proto.spec)["data"] == []
    assert "display: none" in at.get("html")[0].proto.body
    assert [c.value for c in at.caption] == ["Loading the announcements…"]
    at.run()
    assert not at.get("plotly_chart") and not at.get("html") and not at.caption
    state._FIRST_VIEW_READY.set()
    later = AppTest.from_function(_loader_script, default_timeout=60).run()
    assert not later.get("plotly_chart")


def test_the_page_empties_the_chart_code_loader(configured_env, monkeypatch):
    """Once the data are there the loader's place is emptied: the Overview's first run
    ends with its one real chart (the ranking), drawn from data."""
    monkeypatch.setattr(state, "_FIRST_VIEW_READY", threading.Event())
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 1 and json.loads(charts[0].proto.spec)["data"]
    assert "Loading the announcements…" not in [c.value for c in at.caption]


def test_the_server_gives_free_memory_back_after_the_warm_up_and_each_page(
    configured_env, monkeypatch
):
    """glibc's malloc_trim runs after the load, after the warm-up's default view, after
    its scope views and after every page run (the freed temporaries of a load or a view
    otherwise stay in the server's RSS); Arrow allocates from glibc's heap, so the
    trim reaches the load's Arrow blocks too."""
    if platform.libc_ver()[0] == "glibc":
        assert state._MALLOC_TRIM is not None
        assert pa.default_memory_pool().backend_name == "system"
    calls: list[int] = []
    monkeypatch.setattr(state, "_MALLOC_TRIM", lambda pad: calls.append(pad) or 1)
    state.warm_up()
    assert calls == [0, 0, 0]
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert calls == [0, 0, 0, 0]
    at.switch_page("screens/methodology.py").run()
    assert calls == [0, 0, 0, 0, 0]


def test_a_failing_sidebar_still_gives_memory_back_and_marks_the_page_drawn(
    configured_env, monkeypatch
):
    """When the sidebar fails (say the sign-in box cannot reach its service), the page
    shows the one sentence, and the run still trims the heap and marks the first page
    drawn (else the warm-up's scope views would wait out their full timeout)."""
    from tracker.errors import CapexError

    drawn, ready = threading.Event(), threading.Event()
    monkeypatch.setattr(state, "_PAGE_DRAWN", drawn)
    monkeypatch.setattr(state, "_FIRST_VIEW_READY", ready)
    calls: list[int] = []
    monkeypatch.setattr(state, "_MALLOC_TRIM", lambda pad: calls.append(pad) or 1)

    def broken(ctx: state.Context) -> None:
        raise CapexError("The sign-in service cannot be reached; try again in a minute.")

    monkeypatch.setattr(state, "draw_sidebar", broken)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The sign\\-in service cannot be reached; try again in a minute\\."
    ]
    assert drawn.is_set() and ready.is_set() and calls


class _Loaded:
    """Stands in for what the warm-up loads: a container the collector tracks."""

    def __init__(self) -> None:
        self.rows = [1, 2, 3]


def test_the_served_warm_up_keeps_what_is_loaded_out_of_full_collections(monkeypatch):
    """What is alive once the served warm-up is done (here one object standing in for
    the libraries and the loaded data) is frozen: no collection walks it any more (a
    full one walked some 200k library objects, 100-160 ms, inside visitors' runs). It
    is still freed when its last reference goes."""
    from dashboard import serve

    calls = []
    monkeypatch.setattr(state, "warm_up", lambda **kwargs: calls.append(kwargs))
    loaded = _Loaded()
    gone = weakref.ref(loaded)
    try:
        serve._warm_up()
        assert calls == [{"scope_views_after_first_page": 60.0}]
        assert gc.get_freeze_count() > 0
        assert not any(o is loaded for o in gc.get_objects())
        del loaded
        assert gone() is None
    finally:
        gc.unfreeze()
    later = _Loaded()
    assert any(o is later for o in gc.get_objects())
