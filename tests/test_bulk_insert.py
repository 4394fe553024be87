"""Large imports: the bulk path (COPY on PostgreSQL from ``COPY_MIN_ROWS`` rows, an
executemany on SQLite) returns ids in row order, keeps explicit ids, moves the id
sequence past them, and loses a race without leaving anything behind."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from tests.helpers import rows
from tracker import pg_copy, queries, service
from tracker.errors import ValidationFailed

N = service.COPY_MIN_ROWS + 50  # 250 rows: over the COPY threshold


def batch(n: int = N, first_amount: int = 1, with_ids: bool = False) -> pd.DataFrame:
    """``n`` distinct Meta guidance rows; row i has amount first_amount + i (bn)."""
    overrides = [
        {"amount_low": str(first_amount + i), "amount_high": "", "notes": f"row {i}"}
        | ({"id": str(1000 + i)} if with_ids else {})
        for i in range(n)
    ]
    return rows(*overrides)


def test_ids_come_back_in_row_order(empty_engine):
    report = service.import_frame(empty_engine, batch())
    assert report.inserted == N
    stored = queries.announcements_frame(empty_engine).set_index("id")
    # Row i was saved with amount 1 + i, so the i-th returned id holds 1 + i.
    amounts = stored.loc[report.ids, "amount_low"].tolist()
    assert amounts == [float(1 + i) for i in range(N)]
    assert stored.loc[report.ids, "notes"].tolist() == [f"row {i}" for i in range(N)]


def test_explicit_ids_are_kept_and_new_rows_follow_them(empty_engine):
    report = service.import_frame(empty_engine, batch(with_ids=True))
    assert report.ids == [1000 + i for i in range(N)]
    # The next new row gets an id after the largest explicit one (1000 + 249 = 1249).
    new_id = service.add_announcement(
        empty_engine, rows({"amount_low": "9999", "amount_high": ""}).iloc[0].to_dict()
    )
    assert new_id > 1000 + N - 1


def test_a_lost_race_saves_nothing_and_names_the_stored_row(empty_engine, monkeypatch):
    """Another writer stores one of the batch's rows between the check and the write:
    the unique index stops the bulk insert, the retry sees the stored row and refuses
    the whole batch with its id; none of the other rows is saved."""
    if empty_engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers queue on the write lock, so this race cannot happen")
    original = service.check
    raced = {"done": False}
    other = batch(1, first_amount=7)  # the same row as the batch's row 6 (amount 7)

    def check_then_race(session, raw, *args, **kwargs):
        result = original(session, raw, *args, **kwargs)
        if not raced["done"]:
            raced["done"] = True
            service.import_frame(empty_engine, other)  # a second connection commits
        return result

    monkeypatch.setattr(service, "check", check_then_race)
    with pytest.raises(ValidationFailed, match="already stored as announcement #"):
        service.import_frame(empty_engine, batch())
    stored = queries.announcements_frame(empty_engine)
    assert stored["amount_low"].tolist() == [7.0]


def test_bulk_rows_keep_every_character_and_blank(empty_engine):
    """The PostgreSQL bulk path writes COPY text itself: tabs, line breaks, backslashes,
    quotes and non-ASCII text come back as typed, a blank note stays blank (not NULL),
    a missing link stays missing, and dates keep their day."""
    notes = ["tab\there", "two\nlines", "back\\slash \\N", 'say "hi", ok', "Ünïcödé 数据", ""]
    data = batch()
    for i, note in enumerate(notes):
        data.loc[i, "notes"] = note
    report = service.import_frame(empty_engine, data)
    stored = queries.announcements_frame(empty_engine).set_index("id")
    assert stored.loc[report.ids[: len(notes)], "notes"].tolist() == notes
    assert stored.loc[report.ids, "supersedes"].isna().all()
    assert (stored.loc[report.ids, "version"] == 1).all()
    first = stored.loc[report.ids[0]]
    assert first["announced_on"] == pd.Timestamp("2025-01-29")
    assert first["period_start"] == pd.Timestamp("2025-01-01")
    assert first["period_end"] == pd.Timestamp("2025-12-31")


# Text a CSV writer has to quote or keep apart from NULL, and amounts whose shortest
# decimal form is the exact float.
AWKWARD = [
    {"notes": "", "amount_low": "0.1"},
    {"notes": 'a, "quoted" word', "amount_low": "62.5"},
    {"notes": "two\nlines\tand a tab", "amount_low": "1234.56789"},
    {"notes": "Zürich – € ☃", "amount_low": "0.000001"},
    {"notes": "\\N and a backslash \\", "amount_low": "1e3"},
]


def test_stored_values_are_exactly_the_given_ones(empty_engine):
    """Past COPY_MIN_ROWS, PostgreSQL stores the rows through a CSV COPY: an empty note
    stays empty (not NULL), quotes, breaks, non-ASCII and backslashes stay as typed,
    amounts keep every digit, and ``supersedes`` and the audit columns are set."""
    filler = [{"amount_low": str(100 + i), "notes": f"row {i}"} for i in range(N)]
    report = service.import_frame(
        empty_engine, rows(*[a | {"amount_high": ""} for a in AWKWARD + filler]), user="ana"
    )
    stored = queries.announcements_frame(empty_engine).set_index("id").loc[report.ids]
    head = stored.iloc[: len(AWKWARD)]
    assert head["notes"].tolist() == [a["notes"] for a in AWKWARD]
    assert head["amount_low"].tolist() == [0.1, 62.5, 1234.56789, 0.000001, 1000.0]
    assert head["amount_high"].tolist() == head["amount_low"].tolist()
    assert stored["supersedes"].isna().all()
    assert set(stored["created_by"]) == {"ana"}
    assert stored["version"].eq(1).all()
    # One timestamp for the whole import, in UTC: created and updated agree.
    assert stored["created_at"].nunique() == 1
    assert stored["created_at"].equals(stored["updated_at"])


def test_copy_text_is_postgresql_csv():
    """What COPY reads: timestamps in UTC, marked so (10:00+00:00 for 12:00+02:00),
    an empty text quoted apart from a missing one (NULL), a column given as one value
    repeated, dates in ISO form, floats in their shortest exact form."""
    plus_two = timezone(timedelta(hours=2))
    text = pg_copy.csv_rows(
        {
            "created_at": datetime(2026, 1, 1, 12, tzinfo=plus_two),
            "notes": pd.Series(["", None], dtype="str"),
            "supersedes": None,
            "amount_low": pd.Series([0.1, 2.0]),
            "announced_on": pd.Series([date(2025, 1, 2), date(2025, 3, 4)]),
        },
        2,
    )
    assert text == (
        b'"2026-01-01T10:00:00+00:00","",,0.1,2025-01-02\n'
        b'"2026-01-01T10:00:00+00:00",,,2,2025-03-04\n'
    )


def test_import_times_are_utc_whatever_the_servers_time_zone(empty_engine, db_url):
    """On a PostgreSQL session in New York (UTC-5), rows saved by COPY carry the time
    of the import in UTC, as rows saved one by one do; a time without its zone would be
    read as New York time and come back five hours late."""
    if empty_engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores the time as given; the COPY path is PostgreSQL's")
    from sqlalchemy import create_engine

    new_york = create_engine(db_url, connect_args={"options": "-c TimeZone=America/New_York"})
    try:
        before = pd.Timestamp.now(tz="UTC") - pd.Timedelta(seconds=1)
        report = service.import_frame(new_york, batch())
        after = pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=1)
    finally:
        new_york.dispose()
    stored = queries.announcements_frame(empty_engine).set_index("id").loc[report.ids]
    assert stored["created_at"].between(before, after).all(), stored["created_at"].iloc[0]


def test_a_chunked_bulk_import_streams_one_copy(empty_engine, monkeypatch):
    """PostgreSQL: 250 new rows in chunks of 100 are one COPY statement written in three
    parts (100, 100, 50 rows), each reported as saved once written (not all at the
    end), and every row lands in order."""
    if empty_engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's bulk path")
    statements: list[int] = []
    events: list[tuple[str, int]] = []
    real_copy, real_rows = pg_copy.copy_announcements, pg_copy.csv_rows

    def counted_copy(conn, columns, count, *args):
        statements.append(count)
        return real_copy(conn, columns, count, *args)

    def counted_rows(columns, count):
        events.append(("written", count))
        return real_rows(columns, count)

    def progress(stage: str, done: int, _total: int) -> None:
        if stage == "saving":
            events.append(("saved", done))

    monkeypatch.setattr(pg_copy, "copy_announcements", counted_copy)
    monkeypatch.setattr(pg_copy, "csv_rows", counted_rows)
    report = service.write(
        empty_engine,
        "import",
        lambda s: service.import_rows(s, batch(), "ana", progress=progress, chunk_rows=100)[0],
    )
    assert statements == [N]
    assert events == [
        ("saved", 0),
        ("written", 100),
        ("saved", 100),
        ("written", 100),
        ("saved", 200),
        ("written", 50),
        ("saved", 250),
    ]
    stored = queries.announcements_frame(empty_engine).set_index("id")
    assert stored.loc[report.ids, "amount_low"].tolist() == [float(1 + i) for i in range(N)]
