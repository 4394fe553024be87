"""Read a query's rows as columns (Apache Arrow, through ADBC) instead of row by row.

Loading every announcement is what a dashboard start and every reload after an edit
wait for. Through the DB-API each of 100k rows becomes a tuple of Python objects that
pandas then takes apart again (2.1 s on PostgreSQL); the ADBC driver hands over whole
columns (0.45 s). This module fetches: the caller gives the SQL and types the
frame (:func:`tracker.queries.announcements_frame`), and reads row by row when it
returns None. It also puts each loaded text column in one piece
(:func:`in_one_chunk`), whichever way the rows came.

PostgreSQL only. The SQLite driver carries its own copy of SQLite, and two copies of
SQLite in one process on one database file break each other's POSIX locks (closing one
copy's file releases the other's locks), which SQLite names as a way to corrupt a
database: SQLite stays on Python's own sqlite3.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import URL, Engine

_LOG = logging.getLogger(__name__)


def conninfo(url: URL) -> str:
    """libpq's connection string for a SQLAlchemy URL: every part and query option
    (``sslmode``, ``options=-c ...``) as psycopg would pass them, quoted for libpq."""
    from psycopg.conninfo import make_conninfo

    parts = url.translate_connect_args(username="user", database="dbname")
    options = {k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()}
    return make_conninfo(**{k: str(v) for k, v in parts.items()}, **options)


# Databases whose columnar read failed once in this process: they are read row by row
# from then on, so an unreachable server costs one failed connection, not two per load.
_FAILED: set[str] = set()


def read_frame(engine: Engine, sql: str) -> pd.DataFrame | None:
    """The rows of ``sql`` as a frame built from Arrow columns (text as ``str``, dates
    as the driver gives them), or None when the caller should read them itself: not
    PostgreSQL, or the driver failed (the DB-API path then reports a real database
    problem in its own words)."""
    if engine.url.get_backend_name() != "postgresql":
        return None
    target = conninfo(engine.url)
    if target in _FAILED:
        return None
    try:
        import adbc_driver_postgresql.dbapi

        with adbc_driver_postgresql.dbapi.connect(target) as conn, conn.cursor() as cursor:
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
    except Exception:
        # The rows come all the same, row by row (which reports a real database problem
        # in one sentence): for the log, not in front of the reader.
        _FAILED.add(target)
        _LOG.info("columnar read failed, reading row by row from now on", exc_info=True)
        return None
    frame: pd.DataFrame = table.to_pandas()
    return frame


def rows_to_arrow(rows: Sequence[Sequence[Any]], names: list[str]) -> pa.Table | pd.DataFrame:
    """DB-API rows as Arrow columns, each typed by Arrow from its values (text, numbers,
    dates, NULL): half the time of pandas' row-by-row construction and the object to
    text conversion after it (0.9 -> 0.4 s for 100k announcements from SQLite). A column
    Arrow cannot type (values of two types, which SQLite allows) makes the block a
    plain frame instead."""
    try:
        columns = [pa.array(values) for values in zip(*rows, strict=True)]
        return pa.table(columns, names=names)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.DataFrame(list(rows), columns=names)


def in_one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` itself, with each Arrow-backed column (the text columns) replaced by
    the same values in one chunk; other columns are left as they are.

    A load assembles its columns from blocks (11 chunks at 100k announcements; a
    snapshot one per 65,536 rows), and Arrow's take over many chunks is slow: the 150
    rows of one company, every column, took 6.8 ms from 11 chunks and 0.6 ms from one.
    The dashboard takes a few rows on nearly every run (a company filter, one company's
    page, the announcements a page shows), so the price of joining them is paid once
    per load instead (some 10 ms at 100k).

    Columns are joined one at a time. Rows read row by row (SQLite) or from a snapshot
    hold each column in buffers of its own, freed as it is replaced, so at most one
    column is held twice. Columns from PostgreSQL's Arrow driver share their batch's
    memory, freed only once every text column is joined: for that moment the text is
    held twice, and afterwards the batches' other copies are gone (before, the frame
    kept them for its life)."""
    for name in frame.columns:
        values = frame[name].array
        if not isinstance(values, pd.arrays.ArrowExtensionArray):
            continue
        chunked = values.__arrow_array__()
        if isinstance(chunked, pa.ChunkedArray) and chunked.num_chunks > 1:
            # The dtype's own conversion from Arrow (pandas' protocol): the same type,
            # and the same missing value (NaN for ``str``).
            dtype: Any = values.dtype
            whole = dtype.__from_arrow__(chunked.combine_chunks())
            frame[name] = pd.Series(whole, index=frame.index, name=name)
    return frame
