"""Two processes writing to one database at the same time lose nothing.

Runs on SQLite (WAL) by default and on PostgreSQL when CAPEX_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback

import pandas as pd

from tracker import repository as repo
from tracker.db import init_db, make_engine

PER_PROCESS = 500
SHARED = 20  # announcements both processes try to add: each must be stored once


def _fields(company: str, year: int, amount: float, day: int) -> dict[str, str]:
    return {
        "company": company,
        "country": "US",
        "kind": "guidance",
        "scope": "total_capex",
        "period": str(year),
        "amount_low": f"{amount:g}",
        "currency": "USD",
        "announced_on": f"2025-01-{day:02d}",
        "source_url": f"https://example.com/{company.replace(' ', '-')}/{year}/{amount:g}",
    }


def _writer(url: str, worker: int, start, results) -> None:
    try:
        engine = make_engine(url)
        added = duplicates = 0
        start.wait()
        for i in range(PER_PROCESS):
            # Both workers create the same new companies, interleaved.
            company = f"Shared Co {i % 7}"
            fields = _fields(company, 2000 + i % 50, 1 + worker * 1000 + i, 1 + i % 28)
            repo.add_announcement(engine, fields, user=f"worker{worker}")
            added += 1
            if i % 25 == 0:  # the same announcement from both workers
                try:
                    repo.add_announcement(
                        engine, _fields("Race Co", 2025, 100 + i // 25, 15), user="race"
                    )
                    added += 1
                except repo.ValidationFailed as exc:
                    assert "already stored as announcement #" in str(exc)
                    duplicates += 1
        results.put((worker, added, duplicates, None))
    except BaseException:
        results.put((worker, 0, 0, traceback.format_exc()))


def test_two_processes_adding_500_each_lose_nothing(db_url):
    engine = make_engine(db_url)
    init_db(engine, seed=False)
    ctx = mp.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(db_url, w, start, results)) for w in (1, 2)]
    for p in workers:
        p.start()
    start.set()
    outcomes = [results.get(timeout=600) for _ in workers]
    for p in workers:
        p.join(timeout=60)
    errors = [err for *_, err in outcomes if err]
    assert not errors, errors[0]

    stored = repo.announcements_frame(engine)
    race = stored[stored["company"] == "Race Co"]
    assert len(race) == SHARED
    assert len(stored) == 2 * PER_PROCESS + SHARED
    assert sum(added for _, added, _, _ in outcomes) == len(stored)
    assert sum(dups for _, _, dups, _ in outcomes) == SHARED
    # Companies created concurrently exist once each.
    companies = repo.companies_frame(engine)
    assert companies["name"].is_unique
    assert set(companies["name"]) == {f"Shared Co {i}" for i in range(7)} | {"Race Co"}
    per_worker = stored[stored["company"] != "Race Co"].groupby("created_by").size()
    assert per_worker.to_dict() == {"worker1": PER_PROCESS, "worker2": PER_PROCESS}
    assert pd.Series(stored["id"]).is_unique
    engine.dispose()
