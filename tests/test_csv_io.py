"""Reading and writing the CSV format, including hostile and malformed files."""

import pandas as pd
import pytest

from tracker import repository as repo
from tracker.csv_io import (
    CsvFormatError,
    announcements_to_csv,
    read_announcements_csv,
)
from tracker.validation import ALL_COLUMNS

HEADER = ",".join(ALL_COLUMNS)
LINE = "Meta,META,US,12,guidance,total_capex,2025,60,65,USD,2025-01-29,https://x.example/a,ok"


def test_reads_plain_utf8():
    frame = read_announcements_csv(f"{HEADER}\n{LINE}\n".encode())
    assert frame.iloc[0]["company"] == "Meta"
    assert frame.iloc[0]["amount_high"] == "65"


def test_byte_order_mark_is_accepted():
    frame = read_announcements_csv(("\ufeff" + f"{HEADER}\n{LINE}\n").encode())
    assert list(frame.columns) == list(ALL_COLUMNS)


def test_wrong_encoding_is_refused_with_position():
    data = f"{HEADER}\n{LINE.replace('ok', 'Zürich')}\n".encode("latin-1")
    with pytest.raises(CsvFormatError, match=r"not UTF-8 text \(byte 0xfc at position"):
        read_announcements_csv(data)


def test_missing_columns_are_named():
    with pytest.raises(CsvFormatError, match="missing column\\(s\\): currency"):
        read_announcements_csv(b"company,kind,scope,period,amount_low,announced_on,source_url\n")


def test_extra_columns_are_named():
    with pytest.raises(CsvFormatError, match="unexpected column\\(s\\): ammount"):
        read_announcements_csv(f"{HEADER},ammount\n{LINE},5\n".encode())


def test_optional_columns_may_be_left_out():
    data = b"company,kind,scope,period,amount_low,currency,announced_on,source_url\n"
    frame = read_announcements_csv(data + b"Meta,guidance,total_capex,2025,60,USD,2025-01-29,x\n")
    assert frame.iloc[0]["amount_high"] == "" and frame.iloc[0]["notes"] == ""


def test_empty_file_is_refused():
    with pytest.raises(CsvFormatError, match="file is empty"):
        read_announcements_csv(b"")


def test_formula_cells_are_escaped_on_export_and_restored_on_import(seeded_engine):
    raw = read_announcements_csv(f"{HEADER}\n{LINE}\n".encode())
    raw.loc[0, "notes"] = "=cmd|'/C calc'!A0"
    raw.loc[0, "company"] = "@Evil Corp"
    repo.import_frame(seeded_engine, raw, user="t")
    frame = repo.announcements_frame(seeded_engine)
    text = announcements_to_csv(frame[frame["company"] == "@Evil Corp"])
    assert "'=cmd|" in text and "'@Evil Corp" in text
    back = read_announcements_csv(text.encode())
    assert back.iloc[0]["notes"] == "=cmd|'/C calc'!A0"
    assert back.iloc[0]["company"] == "@Evil Corp"


def test_export_import_round_trip_is_unchanged(seeded_engine, db_url):
    from tests.conftest import wipe_database
    from tracker.db import init_db, make_engine

    first = announcements_to_csv(repo.announcements_frame(seeded_engine))
    seeded_engine.dispose()
    wipe_database(db_url)
    fresh = make_engine(db_url)
    init_db(fresh, seed=False)
    repo.import_frame(fresh, read_announcements_csv(first.encode()), user="t")
    second = announcements_to_csv(repo.announcements_frame(fresh))
    fresh.dispose()
    assert second == first
    assert len(pd.read_csv(pd.io.common.StringIO(first))) == 31
