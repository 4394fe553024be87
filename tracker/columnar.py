"""Read a query's rows as columns (Apache Arrow, through ADBC) instead of row by row.

Loading every announcement is what a dashboard start and every reload after an edit
wait for. Through the DB-API each of 100k rows becomes a tuple of Python objects that
pandas then takes apart again (2.1 s on PostgreSQL); the ADBC driver hands over whole
columns (0.45 s). This module only fetches: the caller gives the SQL and types the
frame (:func:`tracker.queries.announcements_frame`), and reads row by row when it
returns None.

PostgreSQL only. The SQLite driver carries its own copy of SQLite, and two copies of
SQLite in one process on one database file break each other's POSIX locks (closing one
copy's file releases the other's locks), which SQLite names as a way to corrupt a
database: SQLite stays on Python's own sqlite3.
"""

from __future__ import annotations

import logging

import pandas as pd
from sqlalchemy.engine import Engine

_LOG = logging.getLogger(__name__)


def read_frame(engine: Engine, sql: str) -> pd.DataFrame | None:
    """The rows of ``sql`` as a frame built from Arrow columns (text as ``str``, dates
    as the driver gives them), or None when the caller should read them itself: not
    PostgreSQL, or the driver failed (the DB-API path then reports a real database
    problem in its own words)."""
    if engine.url.get_backend_name() != "postgresql":
        return None
    uri = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        import adbc_driver_postgresql.dbapi

        with adbc_driver_postgresql.dbapi.connect(uri) as conn, conn.cursor() as cursor:
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
    except Exception:
        # Not the reader's concern (the rows come all the same, row by row): for the
        # log, at debug level.
        _LOG.debug("columnar read failed; reading row by row", exc_info=True)
        return None
    frame: pd.DataFrame = table.to_pandas()
    return frame
