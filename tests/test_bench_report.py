"""The benchmark's summary of its browser sessions (``benchmarks/bench.py``): the
README's interaction figures are these medians, so a wrong one misreports them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import bench


def _session(scope: float, pages: dict[str, float]) -> dict[str, float]:
    """One session's figures: every page of the tour at 0.2 s unless given."""
    out = {"filter change": 0.5, "scope change": scope, "as-of change": 0.3}
    for title, _path, _chart in bench.PAGES:
        out[f"page {title}"] = pages.get(title, 0.2)
    return out


def test_interactions_are_the_median_of_the_sessions_with_their_range() -> None:
    sessions = [
        _session(0.40, {"Company": 0.9, "Guidance history": 0.45}),
        _session(0.25, {"Company": 0.3, "Guidance history": 0.50}),
        _session(0.31, {"Company": 0.4, "Guidance history": 0.48}),
    ]
    out = bench.medians(sessions)
    assert out["sessions"] == 3
    assert out["scope change"] == pytest.approx(0.31)
    assert out["scope change range"] == (0.25, 0.40)
    # Company's one slow session (0.9) does not make it the slowest page: its median is
    # 0.4, Guidance history's 0.48.
    assert out["page Company"] == pytest.approx(0.4)
    assert out["slowest page name"] == "Guidance history"
    assert out["slowest page"] == pytest.approx(0.48)
    assert out["page Company range"] == (0.3, 0.9)


def test_a_spread_shows_the_range_only_over_several_sessions() -> None:
    several = bench.medians([_session(0.40, {}), _session(0.25, {}), _session(0.31, {})])
    assert bench.spread(several, "scope change") == "0.31 (0.25-0.40)"
    one = bench.medians([_session(0.40, {})])
    assert bench.spread(one, "scope change") == "0.40"


# Burns 0.3 s of CPU once a line arrives on stdin, says "done", then waits.
BURN = (
    "import sys, time\n"
    "print('ready', flush=True); sys.stdin.readline()\n"
    "end = time.process_time() + 0.3\n"
    "while time.process_time() < end: pass\n"
    "print('done', flush=True); time.sleep(30)\n"
)
# Burns CPU for 1.5 s, at once.
SPIN = "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass\n"


def test_cpu_used_splits_the_server_from_the_browser_this_process_started() -> None:
    """This test process stands in for the server: burning 0.3 s of CPU shows as 0.3 s
    (ticks of 10 ms) under "server". A child whose command line names chromium burns
    0.3 s meanwhile: 0.3 s under "browser". A chromium-named process this process did
    not start (an orphan of a shell, spinning the whole time) counts for neither."""
    me = os.getpid()
    subprocess.run(
        ["sh", "-c", f'{sys.executable} -c "$0" chromium-elsewhere >/dev/null 2>&1 &', SPIN],
        check=True,
    )
    child = subprocess.Popen(
        [sys.executable, "-c", BURN, "chromium-child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "ready"
        before = bench.process_cpu(me)
        assert before[me][0] == "server" and before[child.pid][0] == "browser"
        child.stdin.write("go\n")
        child.stdin.flush()
        end = time.process_time() + 0.3
        while time.process_time() < end:
            pass
        assert child.stdout.readline().strip() == "done"
        used = bench.cpu_used(before, bench.process_cpu(me))
    finally:
        child.kill()
        child.wait()
    assert used["server"] == pytest.approx(0.3, abs=0.05)
    assert used["browser"] == pytest.approx(0.3, abs=0.05)


def test_cpu_used_counts_a_new_process_whole_and_an_ended_one_as_nothing() -> None:
    before = {1: ("server", 2.0), 2: ("browser", 5.0), 3: ("browser", 1.0)}
    # Process 3 ended; process 4 started with 0.25 s; the server used 0.5 s, 2 used 0.75.
    after = {1: ("server", 2.5), 2: ("browser", 5.75), 4: ("browser", 0.25)}
    assert bench.cpu_used(before, after) == {"server": 0.5, "browser": 1.0}
