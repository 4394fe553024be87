"""ViewQuery: one description of a view for the dashboard, its links and the CLI."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from tests.helpers import ALIBABA, announcement_frame, arrow_chunks, fx_table, rows
from tracker import queries
from tracker.query import (
    CompanyRows,
    ViewQuery,
    chosen_companies,
    compute_view,
    filter_announcements,
    filter_rows,
    run,
)

FX = fx_table()
TODAY = date(2026, 11, 26)


def test_default_query_has_no_params():
    assert ViewQuery(as_of=TODAY).to_params(today=TODAY) == {}
    assert ViewQuery.from_params({}, today=TODAY) == ViewQuery(as_of=TODAY)


def test_params_round_trip():
    query = ViewQuery(
        as_of=date(2025, 6, 30),
        companies=("Meta", "Amazon"),
        countries=("US",),
        scopes=("total_capex",),
        years=(2024, 2026),
        measure="high",
        include_ventures=True,
        include_press=True,
    )
    params = query.to_params(today=TODAY)
    assert params == {
        "as_of": "2025-06-30",
        "companies": "Meta,Amazon",
        "countries": "US",
        "scopes": "total_capex",
        "years": "2024-2026",
        "measure": "high",
        "ventures": "1",
        "press": "1",
    }
    assert ViewQuery.from_params(params, today=TODAY) == query


def test_unreadable_params_fall_back_to_defaults():
    query = ViewQuery.from_params(
        {"as_of": "yesterday", "years": "soon", "measure": "max", "scopes": "all,total_capex"},
        today=TODAY,
    )
    assert query == ViewQuery(as_of=TODAY, scopes=("total_capex",))
    # A reversed year range is put in order.
    assert ViewQuery.from_params({"years": "2026-2024"}, today=TODAY).years == (2024, 2026)


def test_run_filters_rows_without_changing_figures(seeded_engine):
    frame = queries.announcements_frame(seeded_engine)
    every = run(frame, ViewQuery(as_of=TODAY), FX)
    meta = run(frame, ViewQuery(as_of=TODAY, companies=("Meta",), years=(2025, 2026)), FX)
    # Meta 2025 actual 72.22 and 2026 guidance 115-135 (mid 125), as in the full view.
    assert list(meta.headline["year"]) == [2025, 2026]
    assert list(meta.headline["mid"]) == pytest.approx([72.22, 125])
    full = every.headline.set_index(["company", "year"])
    assert full.loc[("Meta", 2025), "mid"] == pytest.approx(72.22)
    # The announcements listed are the ones overlapping 2025-2026 for Meta: #5-#10.
    assert list(meta.announcements["id"]) == [5, 6, 7, 8, 9, 10]
    cn = run(frame, ViewQuery(as_of=TODAY, countries=("CN",)), FX)
    assert set(cn.headline["company"]) == {"Alibaba", "Tencent"}


def test_scope_filter_changes_the_headline_measure(seeded_engine):
    frame = queries.announcements_frame(seeded_engine)
    dc = run(frame, ViewQuery(as_of=TODAY, scopes=("data_centers",)), FX)
    headline = dc.headline.set_index(["company", "year"])
    # Only data-center figures: Amazon's UK pledge (GBP 8bn / 0.8 / 5 = 2 a year) and
    # Microsoft's FY2025 guidance (80: 40 in 2024, 40 in 2025).
    assert headline.loc[("Amazon", 2027), "mid"] == pytest.approx(2)
    assert headline.loc[("Microsoft", 2025), "mid"] == pytest.approx(40)
    assert set(dc.headline["scope"]) == {"data_centers"}


def test_include_ventures_and_as_of(seeded_engine):
    frame = queries.announcements_frame(seeded_engine)
    with_venture = run(frame, ViewQuery(as_of=TODAY, include_ventures=True), FX).headline
    stargate = with_venture[with_venture.company == "Stargate"]
    assert list(stargate["mid"]) == pytest.approx([125] * 4)  # up to 500 over 2025-2028
    early = filter_announcements(frame, ViewQuery(as_of=date(2024, 12, 31)))
    # Known by the end of 2024: Microsoft FY2024 (#1) and Amazon's UK pledge (#22).
    assert list(early["id"]) == [1, 22]


def test_chosen_companies_alone_get_the_figures_of_the_whole_view(seeded_engine):
    """Each company, a country, and companies and a country together, resolved alone:
    exactly their rows of the view of every company, at two dates, with and without
    joint ventures (revisions, ``supersedes`` and a month's choice between statements
    never cross companies)."""
    frame = queries.announcements_frame(seeded_engine)
    for as_of, scopes in ((TODAY, ()), (date(2025, 6, 30), ()), (TODAY, ("data_centers",))):
        for ventures in (False, True):
            base = ViewQuery(as_of=as_of, include_ventures=ventures, scopes=scopes)
            every = compute_view(frame, base, FX)
            choices = [replace(base, companies=(c,)) for c in frame["company"].unique()]
            choices += [
                replace(base, countries=("CN",)),
                replace(base, companies=("Meta", "Alibaba"), countries=("US",)),
            ]
            for query in choices:
                alone = compute_view(frame, query, FX)
                for table in ("headline", "by_basis"):
                    want = filter_rows(getattr(every, table), query).reset_index(drop=True)
                    got = getattr(alone, table).reset_index(drop=True)
                    # An empty table's columns are the same; their dtypes may differ.
                    pd.testing.assert_frame_equal(got, want, check_dtype=not want.empty)
    # By hand, as of 2025-06-30: Meta 2024 = actual #4, 39.23; 2025 = guidance #6,
    # 64-72 (the latest known then), mid 68.
    meta = compute_view(frame, ViewQuery(as_of=date(2025, 6, 30), companies=("Meta",)), FX)
    assert list(meta.headline["company"]) == ["Meta", "Meta"]
    assert list(meta.headline["mid"]) == pytest.approx([39.23, 68])


def test_company_rows_take_the_chosen_companies_in_frame_order():
    frame = pd.DataFrame(
        {
            "company": ["B", "A", "B", "C", "A"],
            "country": ["US", "CN", "US", None, "CN"],
            "id": [1, 2, 3, 4, 5],
        }
    )
    rows_of = CompanyRows.of(frame)
    ids = lambda q: list(rows_of.chosen(q)["id"])  # noqa: E731
    assert ids(ViewQuery(companies=("A", "B"))) == [1, 2, 3, 5]
    assert ids(ViewQuery(countries=("CN",))) == [2, 5]
    assert ids(ViewQuery(companies=("A", "C"), countries=("US",))) == []
    assert ids(ViewQuery(companies=("Nobody",))) == []
    assert list(rows_of.positions_of(ViewQuery(countries=("US",)))) == [0, 2]
    counts = [rows_of.count(ViewQuery(countries=c)) for c in [(), ("US",), ("CN", "US")]]
    assert counts == [5, 2, 4]
    # Without filters, the frame itself; the rows are taken by position, whatever the
    # frame's index.
    assert chosen_companies(frame, ViewQuery()) is frame
    assert rows_of.chosen(ViewQuery()) is frame
    labelled = frame.set_axis([50, 40, 30, 20, 10])
    assert list(chosen_companies(labelled, ViewQuery(companies=("A",)))["id"]) == [2, 5]


def test_company_rows_owning_takes_every_row_of_the_owners():
    """The rows of the companies owning the ids, whatever their date, in frame order;
    the frame itself once the owners hold more than OWNERS_TAKEN_UP_TO (a fifth) of it."""
    frame = pd.DataFrame(
        {
            "company": ["B", "A", "B", "C", "A", "D", "D", "D"] + ["E"] * 12,
            "country": ["US", "CN", "US", None, "CN", "JP", "JP", "JP"] + ["FR"] * 12,
            "id": list(range(1, 21)),
            "announced_on": pd.to_datetime(["2026-01-01", "2024-01-01"] * 10),
        }
    )
    rows_of = CompanyRows.of(frame)
    assert list(rows_of.owning([3])["id"]) == [1, 3]  # #1 announced after #3
    assert list(rows_of.owning([5, 1])["id"]) == [1, 2, 3, 5]  # 4 of 20 rows, a fifth
    assert list(rows_of.owning([4, 99])["id"]) == [4]
    assert rows_of.owning([]).empty
    assert list(rows_of.owning([]).columns) == list(frame.columns)
    # B and D own 5 of 20 rows, more than a fifth: the frame itself, no copy.
    assert rows_of.owning([1, 6]) is frame


def test_figures_of_the_owners_rows_equal_those_of_the_whole_frame(seeded_engine, monkeypatch):
    """figures_for over the owners' rows alone gives the figures (texts, revision
    links, status) it gives over every announcement: Meta's #6 revised by #7 and #5
    superseded by #8, at two dates. (The owners' rows are taken whatever their share,
    so each case compares a part of the frame with the whole.)"""
    from tracker import query
    from tracker.views import figures_for

    monkeypatch.setattr(query, "OWNERS_TAKEN_UP_TO", 1.0)
    frame = queries.announcements_frame(seeded_engine)
    frame.loc[frame["id"] == 8, "supersedes"] = 5
    rows_of = CompanyRows.of(frame)
    for as_of in (TODAY, date(2025, 8, 1)):
        for ids in ([5], [6, 27], [20, 31, 9], [2]):
            owners = rows_of.owning(ids)
            assert len(owners) < len(frame)
            pd.testing.assert_frame_equal(
                figures_for(owners, ids, as_of, FX).reset_index(drop=True),
                figures_for(frame, ids, as_of, FX).reset_index(drop=True),
            )
    statuses = figures_for(rows_of.owning([5, 6]), [5, 6], TODAY, FX).set_index("id")["status"]
    assert statuses.to_dict() == {5: "superseded", 6: "revised"}


def test_a_missing_rate_warns_only_when_its_company_is_shown():
    """Alibaba's pledge (CNY, no 2025 rate) is left out with a warning in a view of
    every company or of Alibaba, not in a view of Meta alone (62.5 a year)."""
    fx = fx_table({"CNY": {2024: 7.0}, "USD": {2025: 1.0}})
    frame = announcement_frame(rows(ALIBABA, {"company": "Meta"}), fx)
    every = compute_view(frame, ViewQuery(as_of=TODAY), fx)
    assert len(every.warnings) == 1 and "No FX rate for CNY" in every.warnings[0]
    own = compute_view(frame, ViewQuery(as_of=TODAY, companies=("Alibaba",)), fx)
    assert own.warnings == every.warnings
    meta = compute_view(frame, ViewQuery(as_of=TODAY, countries=("US",)), fx)
    assert meta.warnings == []
    assert list(meta.headline["mid"]) == pytest.approx([62.5])


def test_announcements_load_in_blocks_like_one_frame(seeded_engine, monkeypatch):
    """announcements_frame fetches rows in blocks; with blocks of 4 rows, where only the
    last row has an external key (a text column NULL in every other block), the frame
    has the same values and column types as one block of every row."""
    from sqlalchemy import text

    from tracker import queries

    with seeded_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE announcement SET external_key = 'sec:test' WHERE id = "
                "(SELECT max(id) FROM announcement)"
            )
        )
    with seeded_engine.connect() as conn:  # a Connection reads row by row
        whole = queries.announcements_frame(conn)
        assert whole["external_key"].notna().sum() == 1
        monkeypatch.setattr(queries, "_LOAD_ROWS", 4)
        blocks = queries.announcements_frame(conn)
    assert len(whole) > 8
    pd.testing.assert_frame_equal(blocks, whole)
    # Each text column in one chunk, as one block gives (a take of a few rows is then
    # not a walk over every chunk).
    assert arrow_chunks(blocks) == {name: 1 for name in arrow_chunks(blocks)}
    assert "company" in arrow_chunks(blocks)


def test_in_one_chunk_joins_text_columns_and_keeps_values():
    """Two blocks of text (with a missing value) become one chunk with the same
    values, type, index and name; numeric columns are left as they are."""
    from tracker.columnar import in_one_chunk

    text = pd.concat([pd.Series(["a", None], dtype="str"), pd.Series(["b"], dtype="str")])
    frame = pd.DataFrame({"t": text.array, "n": [1, 2, 3]}, index=[7, 8, 9])
    assert arrow_chunks(frame) == {"t": 2}
    joined = in_one_chunk(frame)
    assert arrow_chunks(joined) == {"t": 1}
    assert joined["t"].tolist()[0] == "a" and joined["t"].isna().tolist() == [False, True, False]
    assert joined["t"].dtype == text.dtype and list(joined.index) == [7, 8, 9]
    assert joined["n"].tolist() == [1, 2, 3] and joined["n"].dtype == "int64"


def test_columnar_load_gives_the_rows_frame(seeded_engine):
    """On PostgreSQL the Arrow reader (an Engine's whole-table load) gives the frame the
    DB-API path gives, values and column types, with a text column NULL until the last
    row and deleted rows; and it really reads (no silent fall back to the rows)."""
    from sqlalchemy import text

    from tracker import columnar, queries, service

    with seeded_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE announcement SET external_key = 'sec:test' WHERE id = "
                "(SELECT max(id) FROM announcement)"
            )
        )
    service.delete_announcement(seeded_engine, 5, "tester", "test")
    sql = queries._literal_sql(queries._announcement_select(False, False), seeded_engine.dialect)
    # PostgreSQL reads columns; SQLite stays on Python's sqlite3 (tracker.columnar).
    on_postgres = seeded_engine.dialect.name == "postgresql"
    assert (columnar.read_frame(seeded_engine, sql) is not None) == on_postgres
    arrow = queries.announcements_frame(seeded_engine)
    with seeded_engine.connect() as conn:
        rows = queries.announcements_frame(conn)
        deleted = queries.announcements_frame(conn, only_deleted=True)
    pd.testing.assert_frame_equal(arrow, rows)
    assert 5 not in set(arrow["id"]) and arrow["external_key"].notna().sum() == 1
    # Deleted rows (DB-API) have the live rows' column types, and theirs.
    shared = list(arrow.columns)
    pd.testing.assert_series_equal(deleted[shared].dtypes, arrow.dtypes)
    assert list(deleted["id"]) == [5] and deleted["deleted_by"].iloc[0] == "tester"


def test_postgres_connection_string_keeps_every_part_and_option():
    """What the columnar reader passes to libpq: user and password decoded, options
    with spaces and '=' kept (a URL's query re-encoded them as '+' and '%3D')."""
    from sqlalchemy.engine import make_url

    from tracker.columnar import conninfo

    url = make_url(
        "postgresql+psycopg://us%40er:p%40ss%20word@db.example:5433/capex"
        "?sslmode=require&options=-c%20statement_timeout%3D5000"
    )
    assert conninfo(url) == (
        "host=db.example dbname=capex user=us@er password='p@ss word' port=5433 "
        "sslmode=require options='-c statement_timeout=5000'"
    )


def test_rows_arrow_cannot_type_become_a_plain_block():
    """SQLite lets a column hold a number in one row and text in the next: that block is
    read as pandas objects, as before, and keeps every value; typed rows give Arrow."""
    from tracker.columnar import rows_to_arrow

    typed = rows_to_arrow([(1, "a", None), (2, "b", 2.5)], ["n", "t", "x"])
    assert typed.column("n").to_pylist() == [1, 2] and typed.column("x").null_count == 1
    mixed = rows_to_arrow([(1, "a"), ("x", "b")], ["n", "t"])
    assert isinstance(mixed, pd.DataFrame)
    assert mixed["n"].tolist() == [1, "x"] and mixed["t"].tolist() == ["a", "b"]


def test_blocks_whose_types_clash_still_load():
    """Two blocks in which one column holds numbers and then text (SQLite allows it):
    the rows come back as one pandas frame, every value kept."""
    from tracker import queries
    from tracker.columnar import rows_to_arrow

    names = ["n", "s"]
    blocks = [rows_to_arrow([(1, "a"), (2, "b")], names), rows_to_arrow([("x", "c")], names)]
    frame = queries._combined(blocks, names)
    assert frame["n"].tolist() == [1, 2, "x"] and frame["s"].tolist() == ["a", "b", "c"]
