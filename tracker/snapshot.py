"""The live announcements kept on disk as Arrow columns, for the next start.

A dashboard server's first page waits for every announcement to be loaded, and a
database hands them over row by row: 1.2-1.4 s for 100k announcements from SQLite
(the driver's tuples, then Arrow's columns, then the types), 8-13 s for a million. The
typed frame written as an Arrow IPC file reads back in a few tens of milliseconds, so
a restarted server (or a CLI command) loads from the file whenever the database still
holds exactly what the file was written from.

"Exactly" is the data version (:func:`tracker.queries.data_version`: the number of
announcements and of edit-history entries, and the newest ``updated_at``), which every
write of the tracker moves and never moves back, whatever the order concurrent writers
commit in; the same key the dashboard's in-memory caches use. The file also records
the database it came from, the load's SQL (its columns), the tracker's release and the
pandas and pyarrow versions that typed it; any difference and the file is ignored and
replaced. A change made outside the tracker (SQL by hand that adds no row and leaves
``updated_at`` alone) is not seen by any of these caches: delete the snapshot folder,
or set ``CAPEX_SNAPSHOT_DIR=off``, and restart.

A snapshot never decides anything: a file that cannot be read, written or trusted is
logged and the database answers instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import Engine

from tracker import __version__, columnar, config, queries

_LOG = logging.getLogger(__name__)

# Bump when the frame's typing changes in a way the SQL and the library versions do
# not show (tracker.queries._typed).
FORMAT = 1
_KEY = b"capex-snapshot"
_TMP_PREFIX = ".snapshot-"
# Rows converted and written at a time: the write never holds a second copy of the
# whole frame (a million announcements are some 300 MiB of columns).
_BATCH_ROWS = 65_536
# zstd: 100k announcements in 3.6 MB instead of 32 MB, read back in 0.10-0.12 s
# instead of 0.04 s (the database: 1.2-1.4 s).
_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd")


def live_announcements(
    engine: Engine, version: tuple[object, ...], *, write_in_background: bool = False
) -> pd.DataFrame:
    """Every live announcement (:func:`tracker.queries.announcements_frame`), from the
    snapshot when it was written at ``version`` of this database; otherwise from the
    database, then written for next time (in a daemon thread when
    ``write_in_background``, so a page does not wait for the file)."""
    path = snapshot_path(engine)
    if path is None:
        return queries.announcements_frame(engine)
    key = _key(engine, version)
    frame = read(path, key)
    if frame is not None:
        return frame
    frame = queries.announcements_frame(engine)
    # Written only when no write landed between reading the version and loading: the
    # rows are then exactly that version's (the version never comes back once moved).
    if queries.data_version(engine) == version:
        if write_in_background:
            threading.Thread(
                target=write, args=(path, key, frame), name="capex-snapshot", daemon=True
            ).start()
        else:
            write(path, key, frame)
    return frame


def snapshot_path(engine: Engine) -> Path | None:
    """Where this database's snapshot lives, or None: snapshots switched off, or a
    database that does not outlive the process (SQLite in memory)."""
    try:
        folder = config.snapshot_dir()
    except RuntimeError:
        # No home folder to be found (a container's user without one): no snapshot,
        # which a PostgreSQL deployment never needed.
        _LOG.info("no home folder for the snapshots; set CAPEX_SNAPSHOT_DIR to keep them")
        return None
    if folder is None:
        return None
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return folder / f"announcements-{_digest(_identity(engine))[:16]}.arrow"


def read(path: Path, key: str) -> pd.DataFrame | None:
    """The frame in ``path`` when it was written with ``key``; None otherwise."""
    try:
        with pa.OSFile(str(path)) as source:
            reader = pa.ipc.open_file(source)
            if (reader.schema.metadata or {}).get(_KEY) != key.encode():
                return None
            frame: pd.DataFrame = reader.read_all().to_pandas()
        # One chunk per text column, as a load from the database gives (one per batch
        # here); inside the try, so even that failing leaves the answer to the database.
        return columnar.in_one_chunk(frame)
    except FileNotFoundError:
        return None
    except Exception:  # whatever a damaged file raises, the database answers instead
        _LOG.warning("snapshot %s unreadable; loading from the database", path, exc_info=True)
        return None


def write(path: Path, key: str, frame: pd.DataFrame) -> bool:
    """Write ``frame`` to ``path`` with ``key``, replacing the file at once (readers
    see the old file or the new one, never half of one). Never raises: False when it
    could not be written."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(path.parent)
        schema = pa.Schema.from_pandas(frame, preserve_index=False)
        schema = schema.with_metadata({**(schema.metadata or {}), _KEY: key.encode()})
        # mkstemp: readable by this user only, in the same folder so the rename is atomic.
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as sink, pa.ipc.new_file(sink, schema, options=_OPTIONS) as writer:
            for start in range(0, len(frame), _BATCH_ROWS):
                part = frame.iloc[start : start + _BATCH_ROWS]
                writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))
        os.replace(tmp, path)
        tmp = None
        return True
    except Exception:
        _LOG.warning("snapshot %s not written", path, exc_info=True)
        return False
    finally:
        # Also on Ctrl-C in the middle of a command's write: no half file stays behind.
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _remove_abandoned(folder: Path) -> None:
    """Remove temporary files a killed writer left (a server stopped in the middle of
    its background write): some are as large as a snapshot. Only those older than an
    hour, so another process's write in progress is left alone."""
    cutoff = time.time() - 3600
    for leftover in folder.glob(f"{_TMP_PREFIX}*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def _key(engine: Engine, version: tuple[object, ...]) -> str:
    sql = queries.live_announcements_sql(engine.dialect)
    return json.dumps(
        {
            "format": FORMAT,
            # The tracker's release too: its typing of the frame may change with it.
            "tracker": __version__,
            "database": _digest(_identity(engine)),
            "version": [str(v) for v in version],
            "select": _digest(sql),
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
        },
        sort_keys=True,
    )


def _identity(engine: Engine) -> str:
    """The database without its password (which may change; the data does not); a
    SQLite file by its absolute path (a relative one depends on where it was started)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return f"sqlite:{Path(url.database).resolve()}"
    return url.render_as_string(hide_password=True)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
