"""Concurrent writers lose nothing: threads in one process and two processes.

Runs on SQLite (WAL) by default and on PostgreSQL when CAPEX_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import traceback
from collections.abc import Callable

import pandas as pd
import pytest

from tests.helpers import GOOD_ROW
from tracker import queries, service
from tracker.bootstrap import init_db
from tracker.db import make_engine
from tracker.errors import StaleEdit, ValidationFailed
from tracker.names import company_key

PER_PROCESS = 500
SHARED = 20  # announcements both processes try to add: each must be stored once
THREADS = 20
META_2025_FIRST = 5  # fixture: Meta guidance 2025, USD 60-65bn


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


def run_threads(target: Callable[[int], object]) -> list[object]:
    """Run ``target(i)`` in THREADS threads started together; results or exceptions."""
    barrier = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = target(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


# Each thread edits one field of the same row, with the version it read.
EDITS = [
    ("notes", lambda i: f"note from thread {i}"),
    ("source_url", lambda i: f"https://example.com/thread/{i}"),
    ("amount_high", lambda i: str(66 + i)),
    ("qualifier", lambda i: ["about", "at_least", "up_to"][i % 3]),
]


def test_twenty_threads_editing_one_row_lose_no_landed_change(seeded_engine):
    def edit(i: int) -> tuple[str, str]:
        field, value = EDITS[i % len(EDITS)]
        version = int(
            queries.announcements_frame(seeded_engine)
            .set_index("id")
            .loc[META_2025_FIRST, "version"]
        )
        service.update_announcement(
            seeded_engine,
            META_2025_FIRST,
            {field: value(i)},
            user=f"t{i}",
            expected_version=version,
        )
        return field, value(i)

    results = run_threads(edit)
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, StaleEdit)
    ]
    assert not unexpected, unexpected
    landed = [r for r in results if isinstance(r, tuple)]
    assert landed  # at least the first writer lands
    row = queries.announcements_frame(seeded_engine).set_index("id").loc[META_2025_FIRST]
    # Every landed edit raised the version by one: 1 + landed.
    assert row["version"] == 1 + len(landed)
    history = queries.history_frame(seeded_engine, META_2025_FIRST).sort_values("id")
    assert len(history) == len(landed)
    # The history holds exactly the landed edits, and the row shows for each field the
    # last landed value.
    recorded = [
        (field, str(new[field]))
        for new in history["new_values"]
        for field in new
        if field != "version"
    ]
    normalize = {"amount_high": lambda v: str(float(v))}
    expected = sorted((f, normalize.get(f, str)(v)) for f, v in landed)
    assert sorted((f, normalize.get(f, str)(v)) for f, v in recorded) == expected
    for field, _value in recorded:
        last = [v for f, v in recorded if f == field][-1]
        assert str(row[field]) == last, field


def test_twenty_threads_creating_one_company_make_one_row(empty_engine):
    spellings = ["Newco", "newco", " NEWCO", "ＮｅｗＣｏ", "New\u200bco", "NEWCO ", "nEwCo"]

    def add(i: int) -> int:
        return service.add_announcement(
            empty_engine,
            {
                **GOOD_ROW,
                "company": spellings[i % len(spellings)],
                "ticker": "",
                "amount_low": str(10 + i),
                "amount_high": "",
            },
            user=f"t{i}",
        )

    results = run_threads(add)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    companies = queries.companies_frame(empty_engine)
    assert len(companies) == 1
    assert companies.iloc[0]["name_key"] == company_key("Newco") == "newco"
    stored = queries.announcements_frame(empty_engine)
    assert len(stored) == THREADS and set(stored["company"]) == {companies.iloc[0]["name"]}
    assert sorted(stored["id"]) == sorted(results)


def _writer(url: str, worker: int, start, results) -> None:
    try:
        engine = make_engine(url)
        added = duplicates = 0
        start.wait()
        for i in range(PER_PROCESS):
            # Both workers create the same new companies, interleaved.
            company = f"Shared Co {i % 7}"
            fields = _fields(company, 2000 + i % 50, 1 + worker * 1000 + i, 1 + i % 28)
            service.add_announcement(engine, fields, user=f"worker{worker}")
            added += 1
            if i % 25 == 0:  # the same announcement from both workers
                try:
                    service.add_announcement(
                        engine, _fields("Race Co", 2025, 100 + i // 25, 15), user="race"
                    )
                    added += 1
                except ValidationFailed as exc:
                    assert "already stored as announcement #" in str(exc)
                    duplicates += 1
        results.put((worker, added, duplicates, None))
    except BaseException:
        results.put((worker, 0, 0, traceback.format_exc()))


@pytest.mark.slow
def test_two_processes_adding_500_each_lose_nothing(db_url, test_data):
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

    stored = queries.announcements_frame(engine)
    race = stored[stored["company"] == "Race Co"]
    assert len(race) == SHARED
    assert len(stored) == 2 * PER_PROCESS + SHARED
    assert sum(added for _, added, _, _ in outcomes) == len(stored)
    assert sum(dups for _, _, dups, _ in outcomes) == SHARED
    companies = queries.companies_frame(engine)
    assert companies["name"].is_unique
    assert set(companies["name"]) == {f"Shared Co {i}" for i in range(7)} | {"Race Co"}
    per_worker = stored[stored["company"] != "Race Co"].groupby("created_by").size()
    assert per_worker.to_dict() == {"worker1": PER_PROCESS, "worker2": PER_PROCESS}
    assert pd.Series(stored["id"]).is_unique
    engine.dispose()
