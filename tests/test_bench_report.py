"""The benchmark's summary of its browser sessions (``benchmarks/bench.py``): the
README's interaction figures are these medians, so a wrong one misreports them."""

from __future__ import annotations

import os
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


def test_cpu_seconds_counts_the_server_process_and_not_others() -> None:
    """This test's own process stands in for the server: burning 0.3 s of CPU shows
    as 0.3 s (ticks of 10 ms) under "server", and no other process counts as it."""
    me = os.getpid()
    before = bench.cpu_seconds(me)
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    after = bench.cpu_seconds(me)
    assert after["server"] - before["server"] == pytest.approx(0.3, abs=0.05)
    assert bench.cpu_seconds(-1)["server"] == 0.0
