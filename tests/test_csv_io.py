"""Reading and writing the CSV format, including hostile and malformed files."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers import FIXTURE
from tracker import csv_io, queries, service
from tracker.csv_io import CsvFormatError, announcements_to_csv, read_announcements_csv
from tracker.errors import ValidationFailed
from tracker.schema import NAMES

HEADER = ",".join(NAMES)
# id,version,company,ticker,country,fy_end_month,cik,venture_partners,kind,scope,period,
# amount_low,amount_high,currency,qualifier,announced_on,source_url,source_type,
# evidence,supersedes,notes
LINE = (
    ",,Newco,NEW,US,12,,,guidance,total_capex,2025,60,65,USD,,2025-01-29,https://x.example/a,,,,ok"
)


def test_reads_plain_utf8_and_records_lines():
    frame = read_announcements_csv(f"{HEADER}\n{LINE}\n".encode())
    assert (frame.iloc[0]["company"], frame.iloc[0]["amount_high"]) == ("Newco", "65")
    assert list(frame.attrs["lines"]) == [2]


def test_byte_order_mark_is_accepted():
    frame = read_announcements_csv(("\ufeff" + f"{HEADER}\n{LINE}\n").encode())
    assert list(frame.columns) == list(NAMES)


def test_wrong_encoding_is_refused_with_position():
    data = f"{HEADER}\n{LINE.replace('ok', 'Zürich')}\n".encode("latin-1")
    with pytest.raises(CsvFormatError, match=r"not UTF-8 text \(byte 0xfc at position"):
        read_announcements_csv(data)


def test_missing_and_extra_columns_are_named():
    with pytest.raises(CsvFormatError, match=r"missing column\(s\): currency"):
        read_announcements_csv(b"company,kind,scope,period,amount_low,announced_on,source_url\n")
    with pytest.raises(CsvFormatError, match=r"unexpected column\(s\): ammount"):
        read_announcements_csv(f"{HEADER},ammount\n{LINE},5\n".encode())


def test_optional_columns_may_be_left_out():
    data = b"company,kind,scope,period,amount_low,currency,announced_on,source_url\n"
    frame = read_announcements_csv(data + b"Meta,guidance,total_capex,2025,60,USD,2025-01-29,x\n")
    assert frame.iloc[0]["amount_high"] == "" and frame.iloc[0]["notes"] == ""
    assert list(frame.columns) == list(NAMES)


def test_empty_and_ragged_files_are_refused():
    with pytest.raises(CsvFormatError, match="file is empty"):
        read_announcements_csv(b"")
    with pytest.raises(CsvFormatError, match="line 3 has a different number of cells"):
        read_announcements_csv(f"{HEADER}\n{LINE}\n{LINE},extra\n".encode())


def test_error_lines_are_physical_lines_after_a_multi_line_cell(empty_engine):
    # Line 1 header; the first row spans lines 2-4 (two newlines in its quoted notes);
    # the bad row starts on physical line 5, not on record 3.
    multi = LINE.replace(",ok", ',"first line\nsecond line\nthird line"')
    bad = LINE.replace(",60,65,", ",-1,,").replace("2025-01-29", "2025-02-01")
    raw = read_announcements_csv(f"{HEADER}\n{multi}\n{bad}\n".encode())
    assert list(raw.attrs["lines"]) == [2, 5]
    assert raw.iloc[0]["notes"] == "first line\nsecond line\nthird line"
    with pytest.raises(ValidationFailed) as info:
        service.import_frame(empty_engine, raw, first_line=raw.attrs["lines"])
    errors = info.value.result.errors
    assert list(errors["line"]) == [5]
    assert "line 5: amount_low: amount must be greater than zero" in str(info.value)


def test_formula_cells_are_escaped_on_export_and_restored_on_import(empty_engine):
    raw = read_announcements_csv(f"{HEADER}\n{LINE}\n".encode())
    raw.loc[0, "notes"] = "=cmd|'/C calc'!A0"
    raw.loc[0, "company"] = "@Evil Corp"
    service.import_frame(empty_engine, raw, user="t")
    text = announcements_to_csv(queries.announcements_frame(empty_engine))
    assert "'=cmd|" in text and "'@Evil Corp" in text
    back = read_announcements_csv(text.encode())
    assert back.iloc[0]["notes"] == "=cmd|'/C calc'!A0"
    assert back.iloc[0]["company"] == "@Evil Corp"
    # A leading apostrophe the analyst typed before ordinary text is kept.
    quoted = LINE.replace(",ok", ",'quoted")
    assert read_announcements_csv(f"{HEADER}\n{quoted}\n".encode()).iloc[0]["notes"] == "'quoted"


def test_export_has_one_id_column_first(seeded_engine):
    text = announcements_to_csv(queries.announcements_frame(seeded_engine))
    header = text.splitlines()[0].split(",")
    assert header == list(NAMES)
    assert header.count("id") == 1 and header[0] == "id"


def test_export_of_the_fixture_reads_back_identical(seeded_engine, db_url):
    first = announcements_to_csv(queries.announcements_frame(seeded_engine))
    exported = pd.read_csv(pd.io.common.StringIO(first), dtype=str, keep_default_na=False)
    fixture = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    assert len(exported) == 31
    for column in ("id", "company", "period", "currency", "qualifier", "supersedes", "notes"):
        assert list(exported[column]) == list(fixture[column]), column
    assert list(exported["amount_low"].astype(float)) == list(fixture["amount_low"].astype(float))


# Files both readers take: multi-line cells (LF and CRLF), doubled and stray quotes,
# non-ASCII and non-breaking spaces, blank cells, no final line break.
REGULAR_FILES = {
    "multi-line cell": 'a,b\n1,"x\ny"\n2,z\n',
    "CRLF": 'a,b\r\n1,"x\r\ny"\r\n2,z\r\n',
    "quotes": 'a,b\n"he said ""hi""",ab"c\n"ab"c,d\n',
    "non-ASCII": "a,b\nMünchen,\u00a0x \n",
    "no final line break": "a,b\n1,2",
    "blank and quoted-empty cells": 'a,b\n,\n"",""\n',
}


@pytest.mark.parametrize("text", REGULAR_FILES.values(), ids=REGULAR_FILES.keys())
def test_arrow_reader_reads_regular_files_as_the_csv_module_does(text):
    """The fast reader must give the same cells and physical lines as the csv module;
    it is only used where it does (a test of speed would not see a wrong cell)."""
    fast = csv_io._parse_with_arrow(text)
    assert fast is not None, "a regular file should take the fast path"
    slow = csv_io._parse_with_csv_module(text)
    pd.testing.assert_frame_equal(fast[0], slow[0])
    pd.testing.assert_series_equal(fast[1], slow[1])


def test_record_lines_count_the_line_breaks_inside_earlier_cells():
    # Record 1 starts on line 2 and holds two breaks; record 2 starts on line 5.
    frame, lines = csv_io._parse_with_arrow('a,b\n1,"x\ny\nz"\n2,w\n')
    assert frame["b"].tolist() == ["x\ny\nz", "w"]
    assert lines.tolist() == [2, 5]


@pytest.mark.parametrize(
    "text",
    ["a,b\n1,2\n\n3,4\n", "a,b\n1,2,3\n", 'a,"b\nc"\n1,2\n', "a,a\n1,2\n", "a,b\r1,2\r"],
    ids=["blank line", "ragged", "multi-line header", "repeated name", "lone CR"],
)
def test_irregular_files_go_to_the_csv_module(text):
    """Blank lines move the physical lines, and the csv module's path explains ragged
    rows and repeated names: the fast reader declines these files."""
    assert csv_io._parse_with_arrow(text) is None


def test_a_blank_line_keeps_later_lines_physical():
    frame = read_announcements_csv(f"{HEADER}\n{LINE}\n\n{LINE}\n".encode())
    assert list(frame.attrs["lines"]) == [2, 4]


def test_a_blank_first_line_is_refused_in_one_sentence():
    """No header on line 1: the file is refused with the line that does not fit (the
    fast reader declines it rather than guessing a header)."""
    assert csv_io._parse_with_arrow(f"\n{HEADER}\n{LINE}\n") is None
    with pytest.raises(CsvFormatError, match="line 2 has a different number of cells"):
        read_announcements_csv(f"\n{HEADER}\n{LINE}\n".encode())
