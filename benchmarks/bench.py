"""Benchmark capex-tracker at 1k, 10k and 100k announcements.

Generates a realistic synthetic database (hundreds of companies, quarterly guidance
revisions, fiscal years, multi-year pledges, several currencies), then measures:

- import: read the CSV, validate, check duplicates and insert (``capex import``)
- load: read all announcements from the database
- normalize: the annual table (``tracker.normalize.annual_view``)
- first render: the dashboard's first run in ``AppTest`` (cold caches)
- filter change: one rerun after choosing three companies
- slowest tab: opening each dashboard tab in turn, the slowest one
- export: announcements to CSV (the import format)

and prints a table with the figures and the cost per 1k announcements, so growth that
is worse than linear shows as a rising per-1k cost. Run it with
``.venv/bin/python benchmarks/bench.py`` (``--sizes 1000 10000`` for a quicker run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 11, 25)
CURRENCIES = np.array(["USD"] * 17 + ["CNY", "EUR", "JPY", "GBP", "KRW", "INR"])
SCOPES = np.array(["total_capex", "total_capex", "ai_infrastructure", "data_centers"])


def synthetic_announcements(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` distinct announcements in the CSV import format."""
    rng = np.random.default_rng(seed)
    companies = int(min(600, max(20, n // 150)))
    names = np.array([f"Company {i:04d}" for i in range(companies)])
    fy_end = rng.choice([12, 12, 12, 6, 3, 9, 5], companies)
    country = rng.choice(["US", "CN", "DE", "JP", "GB", "KR", "IN", "FR"], companies)
    c = rng.integers(0, companies, n)
    kind = rng.choice(["guidance", "actual", "pledge"], n, p=[0.6, 0.25, 0.15])
    year = rng.integers(2016, 2027, n)
    fiscal = rng.random(n) < 0.3
    span = rng.integers(2, 6, n)
    period = np.where(
        kind == "pledge",
        pd.Series(year).astype(str) + "-" + pd.Series(year + span - 1).astype(str),
        np.where(fiscal, "FY" + pd.Series(year).astype(str), pd.Series(year).astype(str)),
    )
    low = np.round(rng.lognormal(2.5, 1.2, n), 3).clip(0.01, 900)
    is_range = rng.random(n) < 0.3
    high = np.where(is_range, np.round(low * rng.uniform(1.02, 1.3, n), 3), low)
    offset = rng.integers(-300, 400, n)
    announced = pd.to_datetime(pd.Series(year).astype(str) + "-01-01") + pd.to_timedelta(
        offset, unit="D"
    )
    announced = announced.where(announced <= pd.Timestamp(TODAY), pd.Timestamp(TODAY))
    frame = pd.DataFrame(
        {
            "company": names[c],
            "ticker": "",
            "country": country[c],
            "fy_end_month": fy_end[c].astype(str),
            "kind": kind,
            "scope": rng.choice(SCOPES, n),
            "period": period,
            "amount_low": pd.Series(low).map("{:g}".format),
            "amount_high": pd.Series(high).map("{:g}".format),
            "currency": rng.choice(CURRENCIES, n),
            "announced_on": announced.dt.strftime("%Y-%m-%d"),
            "source_url": [f"https://example.com/ir/{i}" for i in range(n)],
            "notes": np.where(is_range, "Guidance range", ""),
        }
    )
    key = ["company", "period", "announced_on", "amount_low", "amount_high", "currency"]
    frame = frame.drop_duplicates(key)
    assert len(frame) > 0.99 * n
    return frame.reset_index(drop=True)


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    results, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        results.append(time.perf_counter() - start)
    return statistics.median(results), result


def bench_size(n: int, workdir: Path, repeat: int) -> dict[str, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tracker import db as tracker_db
    from tracker import repository as repo
    from tracker.csv_io import announcements_to_csv, read_announcements_csv
    from tracker.db import init_db, make_engine
    from tracker.normalize import annual_view

    csv_path = workdir / f"synthetic-{n}.csv"
    synthetic_announcements(n).to_csv(csv_path, index=False)
    db_path = workdir / f"bench-{n}.sqlite"
    url = f"sqlite:///{db_path}"
    engine = make_engine(url)
    init_db(engine, seed=False)

    def do_import():
        raw = read_announcements_csv(csv_path)
        return repo.import_frame(engine, raw, user="bench", today=TODAY)

    t_import, report = timed(do_import)
    rows = report.inserted
    t_load, frame = timed(lambda: repo.announcements_frame(engine), repeat)
    t_norm, _ = timed(lambda: annual_view(frame, TODAY), repeat)
    t_export, _ = timed(lambda: announcements_to_csv(frame), repeat)

    os.environ["DATABASE_URL"] = url
    tracker_db._engine_for.cache_clear()
    firsts, filters, tabs = [], [], []
    companies = sorted(frame["company"].unique())[:3]
    for _ in range(repeat):
        # Cold start each time: Streamlit's caches are process-wide.
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300)
        t_first, _ = timed(at.run)
        assert not at.exception, at.exception
        at.multiselect(key="f_companies").set_value(companies)
        t_filter, _ = timed(at.run)
        assert not at.exception, at.exception
        at.multiselect(key="f_companies").set_value([])
        at.run()
        slowest = 0.0
        for label in [*(t.label for t in at.tabs[1:]), at.tabs[0].label]:
            at.session_state["tab"] = label
            t_tab, _ = timed(at.run)
            assert not at.exception, (label, at.exception)
            slowest = max(slowest, t_tab)
        firsts.append(t_first)
        filters.append(t_filter)
        tabs.append(slowest)
    engine.dispose()
    return {
        "rows": rows,
        "import": t_import,
        "load": t_load,
        "normalize": t_norm,
        "first render": statistics.median(firsts),
        "filter change": statistics.median(filters),
        "slowest tab": statistics.median(tabs),
        "export": t_export,
    }


TARGETS = {
    "import": 5.0,
    "normalize": 1.0,
    "first render": 2.0,
    "filter change": 0.3,
    "export": 2.0,
}


def report(results: list[dict[str, float]]) -> str:
    metrics = [
        "import",
        "load",
        "normalize",
        "first render",
        "filter change",
        "slowest tab",
        "export",
    ]
    lines = ["| announcements | " + " | ".join(metrics) + " |", "|---:|" + "---:|" * len(metrics)]
    for r in results:
        cells = [f"{r[m]:.3f} s" for m in metrics]
        lines.append(f"| {r['rows']:,} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Cost per 1k announcements (flat or falling = linear or better):")
    lines.append("")
    lines.append("| announcements | " + " | ".join(metrics) + " |")
    lines.append("|---:|" + "---:|" * len(metrics))
    for r in results:
        cells = [f"{r[m] / r['rows'] * 1000 * 1000:.1f} ms" for m in metrics]
        lines.append(f"| {r['rows']:,} | " + " | ".join(cells) + " |")
    biggest = max(results, key=lambda r: r["rows"])
    lines.append("")
    lines.append(
        f"Targets at {biggest['rows']:,}: "
        + ", ".join(
            f"{m} {biggest[m]:.2f} s {'<' if biggest[m] < t else '>='} {t} s "
            f"{'ok' if biggest[m] < t else 'MISSED'}"
            for m, t in TARGETS.items()
        )
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="median of this many runs")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="capex-bench-") as tmp:
        for n in args.sizes:
            results.append(bench_size(n, Path(tmp), args.repeat))
            print(f"measured {n:,}", file=sys.stderr)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
