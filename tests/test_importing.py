"""Imports with progress: the same result as one import, stage by stage, and a cancelled
or failed import saves nothing (one transaction)."""

from __future__ import annotations

import io
import sqlite3

import pandas as pd
import pytest
from sqlalchemy import event

from tests.helpers import rows
from tracker import importing, queries, service
from tracker.cli import main
from tracker.importing import Step, TerminalBar


def _new_rows(n: int) -> pd.DataFrame:
    return rows(
        *(
            {
                "company": f"Co {i % 7}",
                "period": str(2020 + i % 5),
                "amount_low": str(10 + i),
                "amount_high": "",
                "announced_on": "2025-01-29",
                "source_url": f"https://example.com/{i}",
            }
            for i in range(n)
        )
    )


def test_progress_reports_each_stage_and_saves_every_row(empty_engine):
    steps: list[Step] = []
    report = importing.import_with_progress(
        empty_engine, _new_rows(25), "tester", progress=steps.append, chunk_rows=10
    )
    assert report.inserted == 25 and report.companies_created == 7
    assert [s.stage for s in steps] == [
        "reading",
        "validating",
        "validating",
        "saving",
        "saving",
        "saving",
        "saving",
        "done",
    ]
    assert [s.done for s in steps if s.stage == "saving"] == [0, 10, 20, 25]
    assert steps[-1].fraction == 1.0 and steps[2].fraction == 0.5
    assert len(queries.announcements_frame(empty_engine)) == 25


def test_an_exception_mid_save_leaves_no_rows(empty_engine, monkeypatch):
    calls = {"n": 0}
    real_insert = service._insert

    def failing_insert(session, records, explicit_ids):
        calls["n"] += 1
        if calls["n"] == 2:  # the first chunk is already written in the transaction
            raise KeyboardInterrupt  # Ctrl-C, a closed tab
        return real_insert(session, records, explicit_ids)

    monkeypatch.setattr(service, "_insert", failing_insert)
    with pytest.raises(KeyboardInterrupt):
        importing.import_with_progress(empty_engine, _new_rows(25), "tester", chunk_rows=10)
    assert calls["n"] == 2
    assert queries.announcements_frame(empty_engine).empty
    assert queries.companies_frame(empty_engine).empty


def test_a_cancel_from_the_progress_callback_saves_nothing(empty_engine):
    def cancel(step: Step) -> None:
        if step.stage == "saving" and step.done >= 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        importing.import_with_progress(
            empty_engine, _new_rows(25), "tester", progress=cancel, chunk_rows=10
        )
    assert queries.announcements_frame(empty_engine).empty


class FakeTty(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_terminal_bar_draws_on_a_terminal_and_is_quiet_when_piped():
    tty, pipe = FakeTty(True), FakeTty(False)
    for stream in (tty, pipe):
        bar = TerminalBar(stream, min_interval=0)
        bar(Step("validating", 50, 100))
        bar(Step("saving", 100, 100))
        bar(Step("done", 100, 100))
    assert pipe.getvalue() == ""
    drawn = tty.getvalue()
    assert "\r[#######" in drawn and "validating: 50 of 100 row(s)" in drawn
    assert "saving: 100 of 100 row(s)" in drawn and drawn.endswith("done: 100 row(s)\x1b[K\n")


def test_cli_import_is_quiet_when_piped(configured_env, tmp_path, capsys):
    path = tmp_path / "new.csv"
    _new_rows(3).to_csv(path, index=False)
    assert main(["import", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("imported: 3 added")
    assert "[#" not in captured.err  # stderr is not a terminal under pytest


def test_a_row_may_supersede_a_row_of_a_later_chunk(empty_engine):
    base = {"kind": "guidance", "period": "2026", "amount_high": ""}
    newer = {
        **base,
        "id": "500",
        "amount_low": "100",
        "announced_on": "2025-06-01",
        "supersedes": "501",
    }
    older = {**base, "id": "501", "amount_low": "90", "announced_on": "2025-02-01"}
    # One row per chunk: #500 is saved before #501 exists.
    report = importing.import_with_progress(
        empty_engine, rows(newer, older), "tester", chunk_rows=1
    )
    assert report.inserted == 2
    stored = queries.announcements_frame(empty_engine).set_index("id")
    assert stored.loc[500, "supersedes"] == 501


def test_a_bulk_import_reports_each_chunk_and_a_cancel_mid_way_saves_nothing(empty_engine):
    """Past COPY_MIN_ROWS (PostgreSQL's COPY path): 250 rows in chunks of 100 report
    100, 200 and 250 saved; a cancel heard after the first chunk leaves no row."""
    size = service.COPY_MIN_ROWS + 50
    steps: list[Step] = []
    importing.import_with_progress(
        empty_engine, _new_rows(size), "tester", progress=steps.append, chunk_rows=100
    )
    assert [s.done for s in steps if s.stage == "saving"] == [0, 100, 200, 250]
    assert len(queries.announcements_frame(empty_engine)) == size

    def cancel(step: Step) -> None:
        if step.stage == "saving" and step.done >= 100:
            raise KeyboardInterrupt

    more = _new_rows(size).assign(amount_low=lambda f: f["amount_low"] + "0")
    with pytest.raises(KeyboardInterrupt):
        importing.import_with_progress(
            empty_engine, more, "tester", progress=cancel, chunk_rows=100
        )
    assert len(queries.announcements_frame(empty_engine)) == size


def test_new_and_changed_rows_of_one_import_report_their_chunks(empty_engine):
    """Three stored rows edited and five new ones, in chunks of two: the new rows are
    saved first (2, 2, 1), then the edits (2, 1); ids list the edits, then the new."""
    first = importing.import_with_progress(empty_engine, _new_rows(3), "tester")
    edits = _new_rows(3).assign(
        id=[str(i) for i in first.ids], notes="edited", amount_low=["11", "12", "13"]
    )
    steps: list[Step] = []
    news = _new_rows(8).iloc[3:]
    report = importing.import_with_progress(
        empty_engine,
        pd.concat([edits, news], ignore_index=True),
        "tester",
        progress=steps.append,
        chunk_rows=2,
    )
    assert (report.inserted, report.updated) == (5, 3)
    assert [s.done for s in steps if s.stage == "saving"] == [0, 2, 4, 5, 7, 8]
    assert report.ids[:3] == first.ids
    stored = queries.announcements_frame(empty_engine).set_index("id")
    assert stored.loc[first.ids, "amount_low"].tolist() == [11.0, 12.0, 13.0]
    assert stored.loc[report.ids[3:], "amount_low"].tolist() == [13.0, 14.0, 15.0, 16.0, 17.0]


def test_an_import_past_sqlites_parameter_limit_looks_rows_up_in_chunks(empty_engine, monkeypatch):
    """SQLite refuses a statement with more parameters than its limit (32,766 by
    default, 50 here): 60 edits of stored rows, 60 new rows superseding them and 60 new
    companies are looked up 20 at a time, and every edit, link and company is saved."""
    if empty_engine.dialect.name != "sqlite":
        pytest.skip("the parameter limit is SQLite's")
    first = importing.import_with_progress(empty_engine, _new_rows(60), "tester")

    @event.listens_for(empty_engine, "connect")
    def limit(dbapi_connection, _record):
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 50)

    empty_engine.dispose()  # the connections opened from now on have the limit
    monkeypatch.setattr(service, "IN_LIST_MAX", 20)
    edits = _new_rows(60).assign(id=[str(i) for i in first.ids], notes="edited")
    revisions = _new_rows(60).assign(
        supersedes=[str(i) for i in first.ids],
        announced_on="2025-02-01",
        amount_low=lambda f: f["amount_low"] + "5",
    )
    companies = _new_rows(60).assign(company=[f"New {i}" for i in range(60)])
    report = importing.import_with_progress(
        empty_engine, pd.concat([edits, revisions, companies], ignore_index=True), "tester"
    )
    assert (report.inserted, report.updated, report.companies_created) == (120, 60, 60)
    stored = queries.announcements_frame(empty_engine).set_index("id")
    assert stored.loc[report.ids[60:120], "supersedes"].astype(int).tolist() == first.ids
    assert stored.loc[first.ids, "notes"].eq("edited").all()
    assert len(queries.companies_frame(empty_engine)) == 7 + 60


def test_rows_with_ids_after_rows_without_are_all_new(empty_engine):
    """15 rows without ids, then 15 with ids 1-15, into an empty database in chunks of
    10: all 30 are new. Saved chunk by chunk in file order, the first rows took ids
    1-10 and the rows naming those ids overwrote them as edits (15 added, 15 updated)."""
    plain = _new_rows(15)
    numbered = _new_rows(30).iloc[15:].assign(id=[str(i) for i in range(1, 16)])
    report = importing.import_with_progress(
        empty_engine, pd.concat([plain, numbered], ignore_index=True), "tester", chunk_rows=10
    )
    assert (report.inserted, report.updated) == (30, 0)
    stored = queries.announcements_frame(empty_engine).set_index("id")
    assert sorted(stored.index) == list(range(1, 31))
    # Row 15 + k of the file (amount 10 + 15 + k) keeps its id k + 1.
    assert stored.loc[list(range(1, 16)), "amount_low"].tolist() == [
        float(25 + k) for k in range(15)
    ]
