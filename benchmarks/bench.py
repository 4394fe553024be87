"""Benchmark capex-tracker as the analyst feels it, with a floor for every figure.

For each size (default 1k and 100k announcements, ``benchmarks/synthetic.py``) and each
database (SQLite; PostgreSQL when ``--pg-url`` is given, e.g. from
``bash benchmarks/pg.sh start``):

- import: read the CSV, validate, check duplicates, insert (``capex import``). Floors:
  the same import on SQLite, and (PostgreSQL) a raw ``COPY`` of the stored rows into
  the same, emptied, indexed table.
- annual_view against ``benchmarks/floor.py`` (a straightforward numpy version; the
  figures are asserted equal).
- the real app as served (``dashboard/serve.py``) in headless Chromium (playwright):
  cold server to first chart (after an import, and restarted on unchanged data, once
  loading from the database and once from the snapshot), warm server + new browser
  session to first chart, a company filter, a scope change, an as-of change (each
  timed from the keystroke that applies it, Enter) and every page switch (until the
  script run finished and the page is no longer stale), those in ``--repeat`` new
  sessions, each with its own company and as-of date, reported as medians with their
  range and the CPU the server and the browser used meanwhile, and the server's memory
  (RSS via /proc) after those views. Floors: a bare Streamlit app with one small
  plotly chart on each of two pages, cold and warm, a rerun applied on Enter and a
  page switch, in the same run.

Run: ``.venv/bin/python benchmarks/bench.py [--sizes 1000 100000] [--pg-url URL]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from floor import numpy_annual_view  # noqa: E402
from synthetic import TODAY, revisions, synthetic_announcements  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CHART = ".js-plotly-plot .main-svg"
# The floor: Streamlit itself with one small plotly chart per page, two pages and one
# text field (its Enter reruns the page, as the as-of field does in the app).
BARE_APP = """
import plotly.express as px
import streamlit as st

st.set_page_config(page_title="bare", layout="wide")


def bare_page(title):
    def draw():
        st.title(title)
        typed = st.sidebar.text_input("Typed", key="typed")
        st.plotly_chart(px.bar(x=["a", "b", "c"], y=[3, 1, 2 + len(typed)]))

    return draw


st.navigation(
    [
        st.Page(bare_page("Bare page"), title="Bare page", url_path="bare", default=True),
        st.Page(bare_page("Second page"), title="Second page", url_path="second"),
    ]
).run()
"""


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# --- databases and import ------------------------------------------------------------


def fresh_database(url: str) -> None:
    from sqlalchemy import text

    from tracker.db import make_engine

    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def raw_copy_floor(url: str) -> float:
    """Time a plain COPY of the stored announcements (exactly the validated rows) back
    into the emptied, indexed table; the table ends as it was."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        buffer = io.BytesIO()
        with conn.cursor() as cur:
            with cur.copy("COPY announcement TO STDOUT") as copy:
                for block in copy:
                    buffer.write(block)
            cur.execute("TRUNCATE announcement CASCADE")
        conn.commit()
        data = buffer.getvalue()
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY announcement FROM STDIN") as copy:
            copy.write(data)
        conn.commit()
        return time.perf_counter() - start


def build_database(url: str, csv_path: Path, repeat: int) -> dict[str, float]:
    """Import the synthetic file (timed, best of ``repeat`` fresh databases), then add
    the revisions that supersede earlier rows (not timed)."""
    from tracker.bootstrap import init_db
    from tracker.csv_io import read_announcements_csv
    from tracker.db import make_engine
    from tracker.service import import_frame

    times = []
    for _ in range(repeat):
        fresh_database(url)
        engine = make_engine(url)
        init_db(engine, seed=False)
        t, report = timed(
            lambda e=engine: import_frame(
                e, read_announcements_csv(csv_path), user="bench", today=TODAY
            )
        )
        times.append(t)
        engine.dispose()
    out = {"import": min(times), "rows": report.inserted}
    if url.startswith("postgresql"):
        out["raw copy"] = raw_copy_floor(url)
    engine = make_engine(url)
    import pandas as pd

    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    import_frame(engine, revisions(frame), user="bench", today=TODAY)
    engine.dispose()
    return out


# --- annual_view against its floor ---------------------------------------------------


def bench_normalize(url: str, repeat: int) -> dict[str, float]:
    from tracker import queries, snapshot
    from tracker.db import make_engine
    from tracker.fx import default_fx
    from tracker.normalize import annual_view

    engine = make_engine(url)
    t_load, frame = timed(lambda: queries.announcements_frame(engine))
    with (
        tempfile.TemporaryDirectory(prefix="capex-snapshots-") as folder,
        mock.patch.dict(os.environ, {"CAPEX_SNAPSHOT_DIR": folder}),
    ):
        version = queries.data_version(engine)
        snapshot.live_announcements(engine, version)  # a miss: loads, then writes
        t_snapshot, again = timed(lambda: snapshot.live_announcements(engine, version))
    assert again.equals(frame), "the snapshot does not give back the loaded frame"
    engine.dispose()
    fx = default_fx()
    annual_view(frame, TODAY, fx), numpy_annual_view(frame, TODAY, fx)  # warm up
    ours, floor = [], []
    for _ in range(repeat):
        t, view = timed(lambda: annual_view(frame, TODAY, fx))
        ours.append(t)
        t, (headline, by_basis) = timed(lambda: numpy_annual_view(frame, TODAY, fx))
        floor.append(t)
    for mine, theirs in ((headline, view.headline), (by_basis, view.by_basis)):
        theirs = theirs[list(mine.columns)].reset_index(drop=True)
        assert len(mine) == len(theirs)
        for column in mine.columns:
            if mine[column].dtype.kind == "f":
                assert np.allclose(mine[column], theirs[column], rtol=1e-9, atol=1e-9), column
            else:
                assert (mine[column].astype(str) == theirs[column].astype(str)).all(), column
    return {
        "load": t_load,
        "load from snapshot": t_snapshot,
        "annual_view": statistics.median(ours),
        "annual_view floor": statistics.median(floor),
    }


# --- the browser ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(script: Path, cwd: Path, env: dict[str, str]) -> Iterator[tuple[str, int, float]]:
    """A fresh ``streamlit run`` process: (url, pid, start time)."""
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.05)
        yield url, proc.pid, start
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def rss_mib(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of the process in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


CPU_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(server_pid: int) -> dict[int, tuple[str, float]]:
    """Per process, whose it is and the CPU seconds it has used so far, from /proc: the
    server's ("server") and each Chromium process this benchmark started ("browser":
    renderer, GPU and browser processes; not another browser on the machine). On a
    2-core machine an interaction's time is mostly these two sharing the cores, so the
    split says whose work to cut."""
    seen: dict[int, tuple[int, float, bool]] = {}  # pid: (parent, cpu, chromium)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()  # from field 3 (state) on
        cpu = (int(fields[11]) + int(fields[12])) / CPU_TICK  # utime + stime
        seen[int(entry.name)] = (int(fields[1]), cpu, b"chromium" in command)

    def started_here(pid: int) -> bool:
        while pid in seen:
            if pid == os.getpid():
                return True
            pid = seen[pid][0]
        return False

    out = {}
    for pid, (_parent, cpu, chromium) in seen.items():
        if pid == server_pid:
            out[pid] = ("server", cpu)
        elif chromium and started_here(pid):
            out[pid] = ("browser", cpu)
    return out


def cpu_used(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """The CPU seconds the server and the browser used between two :func:`process_cpu`
    readings, process by process: one that started meanwhile counts whole, and one that
    ended takes nothing away (what it used after the first reading is lost)."""
    used = {"server": 0.0, "browser": 0.0}
    for pid, (who, cpu) in after.items():
        used[who] += cpu - before.get(pid, (who, 0.0))[1]
    return used


class Session:
    """One browser context on the app, counting finished script runs (from the
    websocket's ForwardMsg stream) so an interaction is timed to its run's end."""

    def __init__(self, browser: Any, url: str):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._forward = ForwardMsg
        self.context = browser.new_context(viewport={"width": 1400, "height": 2400})
        self.page = self.context.new_page()
        self.finished = 0
        self._lock = threading.Lock()
        self.page.on("websocket", self._watch)
        self.url = url

    def _watch(self, ws: Any) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload: Any) -> None:
        if not isinstance(payload, bytes):
            return
        try:
            msg = self._forward.FromString(payload)
        except Exception:
            return
        if msg.WhichOneof("type") == "script_finished":
            with self._lock:
                self.finished += 1

    def first_chart(self, path: str = "", timeout_ms: int = 180_000) -> float:
        start = time.perf_counter()
        self.page.goto(self.url + path)
        self.page.wait_for_selector(CHART, timeout=timeout_ms)
        return time.perf_counter() - start

    def settle(self, before: int, start: float, chart: bool) -> float:
        """Wait for the next finished run, then for the page to be redrawn."""
        deadline = time.monotonic() + 180
        while self.finished <= before:
            self.page.wait_for_timeout(5)
            if time.monotonic() > deadline:
                raise TimeoutError("the script run did not finish")
        self.page.wait_for_function(
            "() => !document.querySelector('[data-stale=\"true\"]')", timeout=60_000
        )
        if chart:
            self.page.wait_for_selector(CHART, timeout=60_000)
        return time.perf_counter() - start

    def act(self, action: Callable[[], None], chart: bool = False) -> float:
        before = self.finished
        start = time.perf_counter()
        action()
        return self.settle(before, start, chart)

    def close(self) -> None:
        self.context.close()


def cold_first_chart(browser: Any, url: str, started: float, timeout_ms: int) -> float:
    """A first session's first chart on a server started at ``started`` (perf_counter),
    timed from that start: the cold start as its first visitor sees it."""
    session = Session(browser, url)
    session.first_chart(timeout_ms=timeout_ms)
    elapsed = time.perf_counter() - started
    session.close()
    return elapsed


def choose(page: Any, key: str, text: str) -> Callable[[], None]:
    """Open the multiselect and type the option; the returned action picks it (Enter,
    the keystroke that changes the view), so the timing starts where the analyst's
    wait does, as for the as-of date."""
    box = page.locator(f".st-key-{key} input").first
    box.click()
    box.fill(text)

    def run() -> None:
        page.keyboard.press("Enter")

    return run


def close_menus(page: Any) -> None:
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)


def set_date(page: Any, key: str, value: str) -> Callable[[], None]:
    """Type the date into the as-of text field; the returned action commits it (Enter,
    which is when the app applies it)."""
    box = page.locator(f".st-key-{key} input").first
    box.click()
    box.fill(value)

    def run() -> None:
        box.press("Enter")

    return run


PAGES = [
    ("Comparison", "comparison", False),
    ("Company", "company", True),
    ("Compare announcements", "compare-announcements", False),
    ("Programmes & pledges", "programmes", False),
    ("Guidance history", "guidance-history", True),
    ("What's new", "whats-new", False),
    ("Announcements", "announcements", False),
    ("Add announcement", "add", False),
    ("Import CSV", "import", False),
    ("Edit history", "history", False),
    ("Methodology", "methodology", False),
    ("Overview", "overview", True),
]


# Each interaction session's as-of date: a date of its own, so no cached view of an
# earlier session serves it.
SESSION_DATES = ("2025-06-30", "2025-03-31", "2024-12-31", "2025-09-30", "2024-09-30")


# A script that resolves after the browser has drawn two more frames.
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def interactions(
    browser: Any, url: str, server_pid: int, company: str, as_of: str
) -> dict[str, float]:
    """One new session's company filter, scope change, as-of change and a visit to
    every page, each timed on its own (the page visits are the session's first), with
    the CPU the server and the browser used meanwhile (``<figure> server cpu``)."""
    s = Session(browser, url)
    s.first_chart()
    page = s.page
    out: dict[str, float] = {}

    def measure(name: str, action: Callable[[], None], chart: bool) -> None:
        before = process_cpu(server_pid)
        out[name] = s.act(action, chart=chart)
        # Two frames more before the CPU is read, so the drawing that follows the
        # settled page counts here and not in the next interaction.
        page.evaluate(TWO_FRAMES)
        for who, used in cpu_used(before, process_cpu(server_pid)).items():
            out[f"{name} {who} cpu"] = used

    measure("filter change", choose(page, "f_companies", company), chart=True)
    close_menus(page)
    measure("scope change", choose(page, "f_scopes", "Total capex"), chart=True)
    close_menus(page)
    measure("as-of change", set_date(page, "f_as_of_text", as_of), chart=True)
    for title, path, chart in PAGES:
        # Sidebar links in NAV order; the first (Overview) has an empty href.
        links = page.locator('[data-testid="stSidebar"] a')
        link = links.first if path == "overview" else None
        for i in range(links.count()):
            href = (links.nth(i).get_attribute("href") or "").split("?")[0]
            if href == path:
                link = links.nth(i)
        assert link is not None, path
        measure(f"page {title}", lambda link=link: link.evaluate("el => el.click()"), chart)
    s.close()
    return out


def medians(runs: list[dict[str, float]]) -> dict[str, Any]:
    """Each figure's median over the sessions, its range under ``<figure> range``, and
    the page with the slowest median switch."""
    assert runs, "no sessions"
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[key] = statistics.median(values)
        out[f"{key} range"] = (min(values), max(values))
    slowest = max((t for t, _p, _c in PAGES), key=lambda t: out[f"page {t}"])
    out["slowest page"], out["slowest page name"] = out[f"page {slowest}"], slowest
    out["sessions"] = len(runs)
    return out


def bench_browser(db_url: str, companies: list[str], warm_runs: int) -> dict[str, Any]:
    """The app in the browser. The interactions run in one new session per company
    (``warm_runs`` of them, each with its own company and as-of date, so no view an
    earlier session computed for its company or date serves it; what the server does
    once, such as compiling each page's script, falls in the first) and are reported
    as medians: one session's reading of a single interaction moved by 0.1-0.2 s from
    run to run."""
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    snapshots = tempfile.TemporaryDirectory(prefix="capex-snapshots-")
    env = {
        "DATABASE_URL": db_url,
        "CAPEX_USER": "bench",
        "STREAMLIT_RUNNER_FAST_RERUNS": "true",
        # Empty: the first cold start loads from the database, as after an import.
        "CAPEX_SNAPSHOT_DIR": snapshots.name,
    }
    with snapshots, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with server(ROOT / "dashboard" / "serve.py", ROOT, env) as (url, pid, started):
            out["cold first chart"] = cold_first_chart(browser, url, started, 300_000)
            warm = []
            for _ in range(warm_runs):
                session = Session(browser, url)
                warm.append(session.first_chart())
                session.close()
            out["warm first chart"] = statistics.median(warm)
            sessions = [
                interactions(browser, url, pid, company, SESSION_DATES[i % len(SESSION_DATES)])
                for i, company in enumerate(companies[:warm_runs])
            ]
            out.update(medians(sessions))
            out["server RSS"], out["server peak RSS"] = rss_mib(pid)
        # Restarts on unchanged data: the first server wrote the snapshot (none of the
        # interactions above writes). One loads from the database anyway, one reads the
        # snapshot: the same second start, so the difference is the snapshot's.
        assert any(Path(snapshots.name).glob("*.arrow")), "no snapshot was written"
        for name, folder in (("database", "off"), ("snapshot", snapshots.name)):
            restart = {**env, "CAPEX_SNAPSHOT_DIR": folder}
            with server(ROOT / "dashboard" / "serve.py", ROOT, restart) as (url, _pid, started):
                out[f"restart first chart, {name}"] = cold_first_chart(
                    browser, url, started, 300_000
                )
        with tempfile.TemporaryDirectory(prefix="capex-bare-") as tmp:
            bare = Path(tmp)
            (bare / "app.py").write_text(BARE_APP)
            shutil.copytree(ROOT / ".streamlit", bare / ".streamlit")
            with server(bare / "app.py", bare, {}) as (url, _pid, started):
                out["bare cold first chart"] = cold_first_chart(browser, url, started, 120_000)
                warm = []
                for _ in range(warm_runs):
                    session = Session(browser, url)
                    warm.append(session.first_chart())
                    session.close()
                out["bare warm first chart"] = statistics.median(warm)
                out.update(bare_interactions(browser, url, warm_runs))
        browser.close()
    return out


def bare_interactions(browser: Any, url: str, runs: int) -> dict[str, float]:
    """The floors of a rerun (a typed value applied on Enter) and of a page switch
    (a sidebar link) on the bare page: Streamlit's and the browser's own cost."""
    s = Session(browser, url)
    s.first_chart()
    page = s.page
    reruns, switches = [], []
    for i in range(runs):
        reruns.append(s.act(set_date(page, "typed", f"x{i}"), chart=True))
        for name in ("Second page", "Bare page"):
            link = page.locator('[data-testid="stSidebarNav"] a', has_text=name).first
            switches.append(s.act(lambda link=link: link.click(), chart=True))
    s.close()
    # Medians, as the app's interactions are reported.
    return {
        "bare rerun": statistics.median(reruns),
        "bare page switch": statistics.median(switches),
    }


# --- report --------------------------------------------------------------------------


def ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}x" if floor else "–"


def ms(seconds: float) -> str:
    """Seconds as whole milliseconds."""
    return f"{seconds * 1000:.0f}"


def spread(r: dict[str, Any], key: str) -> str:
    """A figure's median and, over several sessions, its range: ``0.41 (0.38-0.52)``."""
    low, high = r[f"{key} range"]
    return f"{r[key]:.2f}" + (f" ({low:.2f}-{high:.2f})" if r["sessions"] > 1 else "")


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "| database | announcements | figure | measured | floor | ratio | target |",
        "|---|---:|---|---:|---:|---:|---|",
    ]

    def row(
        r: dict[str, Any], figure: str, value: float, floor: str, fl: float | None, target: str
    ):
        shown = f"{value:.3f} s" if "RSS" not in figure else f"{value:.0f} MiB"
        floor_text = f"{floor} {fl:.3f} s" if fl is not None else floor
        lines.append(
            f"| {r['db']} | {r['rows']:,} | {figure} | {shown} | {floor_text} | "
            f"{ratio(value, fl) if fl else '–'} | {target} |"
        )

    for r in results:
        sqlite_import = next(
            (x["import"] for x in results if x["db"] == "SQLite" and x["size"] == r["size"]), None
        )
        if r["db"] == "SQLite":
            row(r, "import", r["import"], "", None, "")
        else:
            row(r, "import", r["import"], "SQLite", sqlite_import, "< 2x")
            row(r, "import", r["import"], "raw COPY", r["raw copy"], "< 2x")
        row(r, "load", r["load"], "", None, "")
        row(r, "load from the snapshot", r["load from snapshot"], "", None, "")
        row(r, "annual_view", r["annual_view"], "numpy", r["annual_view floor"], "< 1.5x")
        if "cold first chart" in r:
            row(
                r,
                "cold server, first chart",
                r["cold first chart"],
                "bare",
                r["bare cold first chart"],
                "< 1.5x",
            )
            for name in ("database", "snapshot"):
                row(
                    r,
                    f"cold server, unchanged data, from the {name}, first chart",
                    r[f"restart first chart, {name}"],
                    "bare",
                    r["bare cold first chart"],
                    "< 1.5x",
                )
            million = r["size"] >= 1_000_000  # there: usable, first chart under 6 s warm
            row(
                r,
                "warm server, new session, first chart",
                r["warm first chart"],
                "bare",
                r["bare warm first chart"],
                "< 6 s" if million else "< 1.1x",
            )
            rerun = r["bare rerun"]
            n = r["sessions"]
            each = ", one session" if n == 1 else f", median of {n} sessions"
            row(r, "company filter" + each, r["filter change"], "bare rerun", rerun, "")
            row(r, "scope change" + each, r["scope change"], "bare rerun", rerun, "< 0.3 s")
            row(r, "as-of change" + each, r["as-of change"], "bare rerun", rerun, "< 0.3 s")
            row(
                r,
                f"slowest page switch ({r['slowest page name']}){each}",
                r["slowest page"],
                "bare switch",
                r["bare page switch"],
                "< 0.5 s",
            )
            limit = "< 1.5 GiB" if million else "< 400 MiB"
            row(r, "server RSS after the views", r["server RSS"], "", None, limit)
            # At a million the issue asks for the app to stay under 1.5 GiB throughout.
            peak_limit = "< 1.5 GiB" if million else ""
            row(r, "server peak RSS", r["server peak RSS"], "", None, peak_limit)
    lines.append("")
    lines.append("Interactions, median (range) over the sessions, s:")
    for r in results:
        if "cold first chart" in r:
            keys = [("filter", "filter change"), ("scope", "scope change")]
            keys += [("as-of", "as-of change")] + [(t, "page " + t) for t, _p, _c in PAGES]
            shown = ", ".join(f"{label} {spread(r, key)}" for label, key in keys)
            lines.append(f"- {r['db']} {r['rows']:,}: {shown}")
    lines.append("")
    lines.append("CPU used meanwhile, median over the sessions, server / browser, ms:")
    for r in results:
        if "cold first chart" in r:
            keys = [("scope", "scope change"), ("as-of", "as-of change")]
            keys.append((r["slowest page name"], f"page {r['slowest page name']}"))
            shown = ", ".join(
                f"{label} {ms(r[key + ' server cpu'])} / {ms(r[key + ' browser cpu'])}"
                for label, key in keys
            )
            lines.append(f"- {r['db']} {r['rows']:,}: {shown}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--pg-url", default="", help="PostgreSQL database (emptied!)")
    parser.add_argument("--repeat", type=int, default=3, help="median of this many runs")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="capex-bench-") as tmp:
        for n in args.sizes:
            frame = synthetic_announcements(n)
            csv_path = Path(tmp) / f"synthetic-{n}.csv"
            frame.to_csv(csv_path, index=False)
            dbs = [("SQLite", f"sqlite:///{tmp}/bench-{n}.sqlite")]
            if args.pg_url:
                dbs.append(("PostgreSQL", args.pg_url))
            for name, url in dbs:
                r: dict[str, Any] = {"db": name, "size": n}
                r.update(build_database(url, csv_path, 1 if n > 10_000 else args.repeat))
                r.update(bench_normalize(url, args.repeat))
                if not args.no_browser:
                    companies = list(frame["company"].drop_duplicates())
                    r.update(bench_browser(url, companies, args.repeat))
                results.append(r)
                print(f"measured {name} {n:,}: {r}", file=sys.stderr, flush=True)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
