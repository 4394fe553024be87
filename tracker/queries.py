"""The read side: queries returning typed DataFrames.

Each function takes an Engine or an open Connection, so a writer can read inside its own
transaction (and see its own lock) while the dashboard simply passes the engine.
Announcements are fetched from PostgreSQL as Arrow columns (:mod:`tracker.columnar`),
and otherwise (SQLite, or inside a writer's transaction) through the DB-API cursor,
skipping per-value type conversion: this runs on every dashboard load and must stay
fast at 100k rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlmodel import col

from tracker import columnar
from tracker.models import Announcement, AnnouncementChange, Company, FilingMetric
from tracker.schema import COLUMNS

Bind = Engine | Connection

# Announcement fields stored as such (id and company fields come from joins).
STORED_FIELDS: tuple[str, ...] = ("id", *(c.name for c in COLUMNS if c.level == "announcement"))


@contextmanager
def connect(bind: Bind) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def companies_frame(bind: Bind) -> pd.DataFrame:
    with connect(bind) as conn:
        return pd.read_sql(
            select(
                col(Company.id),
                col(Company.name),
                col(Company.name_key),
                col(Company.country),
                col(Company.fiscal_year_end_month),
                col(Company.ticker),
                col(Company.cik),
                col(Company.venture_partners),
            ).order_by(col(Company.name)),
            conn,
        )


def _announcement_select(include_deleted: bool, only_deleted: bool) -> Select[Any]:
    columns = [
        col(Announcement.id),
        col(Company.name).label("company"),
        col(Company.ticker),
        col(Company.country),
        col(Company.fiscal_year_end_month).label("fy_end_month"),
        col(Company.cik),
        col(Company.venture_partners),
        *(getattr(Announcement, n) for n in STORED_FIELDS if n != "id"),
        col(Announcement.period_start),
        col(Announcement.period_end),
        col(Announcement.external_key),
        col(Announcement.version),
        col(Announcement.created_at),
        col(Announcement.created_by),
        col(Announcement.updated_at),
    ]
    if include_deleted or only_deleted:
        columns += [col(Announcement.deleted_at), col(Announcement.deleted_by)]
    stmt = (
        select(*columns)
        .join(Company, col(Company.id) == col(Announcement.company_id))
        .order_by(col(Announcement.id))
    )
    if only_deleted:
        return stmt.where(col(Announcement.deleted_at).is_not(None))
    if not include_deleted:
        return stmt.where(col(Announcement.deleted_at).is_(None))
    return stmt


# Rows fetched and turned into a frame at a time by announcements_frame.
_LOAD_ROWS = 10_000


def announcements_frame(
    bind: Bind,
    include_deleted: bool = False,
    only_deleted: bool = False,
    ids: list[int] | None = None,
) -> pd.DataFrame:
    """Announcements joined with their company, one row each, ordered by id; only
    ``ids`` when given (an edit reads its own row, not the table).

    Date columns are ``datetime64``; timestamps are UTC. Deleted rows bring their
    ``deleted_at`` and ``deleted_by``.
    """
    stmt = _announcement_select(include_deleted, only_deleted)
    if ids is not None:
        stmt = stmt.where(col(Announcement.id).in_([int(i) for i in ids]))
    frame = None
    if isinstance(bind, Engine) and ids is None and not (include_deleted or only_deleted):
        # The live table (the dashboard's load) as Arrow columns; a writer's reads inside
        # its own transaction (a Connection), single rows and the few deleted ones stay
        # on the DB-API (and its connection pool).
        frame = columnar.read_frame(bind, live_announcements_sql(bind.dialect))
    if frame is None:
        frame = _fetch_rows(bind, stmt)
    return _typed(frame)


def live_announcements_sql(dialect: Dialect) -> str:
    """The SQL of :func:`announcements_frame`'s load of the live table (what a snapshot
    of it records, so a change of its columns invalidates the snapshot)."""
    return _literal_sql(_announcement_select(False, False), dialect)


def _literal_sql(stmt: Select[Any], dialect: Dialect) -> str:
    return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _fetch_rows(bind: Bind, stmt: Select[Any]) -> pd.DataFrame:
    """The statement's rows through the DB-API cursor, in blocks."""
    with connect(bind) as conn:
        # Plain DBAPI tuples: pandas probes SQLAlchemy Row objects attribute by attribute.
        cursor = conn.connection.cursor()
        try:
            cursor.execute(_literal_sql(stmt, conn.dialect))
            names = [d[0] for d in cursor.description]
            # In blocks: the driver's Python objects for 100k rows at once (dates,
            # strings) made the peak, and the memory the process keeps after it,
            # several times the frame.
            blocks = []
            while rows := cursor.fetchmany(_LOAD_ROWS):
                blocks.append(columnar.rows_to_arrow(rows, names))
        finally:
            cursor.close()
    return _combined(blocks, names)


def _combined(blocks: list[pa.Table | pd.DataFrame], names: list[str]) -> pd.DataFrame:
    """One frame of the blocks :func:`_fetch_rows` read."""
    if blocks and all(isinstance(b, pa.Table) for b in blocks):
        # A block whose text column was all NULL has it untyped: promoted to the other
        # blocks' type, as one block of every row would have had it. Blocks whose types
        # clash (SQLite lets a column hold numbers here and text there) go to pandas.
        try:
            whole: pd.DataFrame = pa.concat_tables(blocks, promote_options="default").to_pandas()
            return whole
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass
    parts: list[pd.DataFrame] = [
        b if isinstance(b, pd.DataFrame) else b.to_pandas() for b in blocks
    ]
    if len(parts) > 1:
        return pd.concat(parts, ignore_index=True).infer_objects()
    return parts[0] if parts else pd.DataFrame(columns=names)


# Column types of an announcements frame, whichever way its rows were read: text is
# ``str`` (missing: NaN), except these four, where missing is "".
_DATES = ("period_start", "period_end", "announced_on")
_TIMESTAMPS = ("created_at", "updated_at", "deleted_at")
_INTEGERS = ("id", "fy_end_month", "version")
_FLOATS = ("amount_low", "amount_high")
_BLANK_WHEN_MISSING = ("notes", "ticker", "cik", "venture_partners")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for column in _DATES:
        frame[column] = _as_datetime(frame[column])
    for column in _TIMESTAMPS:
        if column in frame:
            frame[column] = _as_datetime(frame[column], utc=True)
    for column in _FLOATS:
        frame[column] = frame[column].astype(float)
    for column in _INTEGERS:
        frame[column] = frame[column].astype("int64")
    frame["supersedes"] = frame["supersedes"].astype("Int64")
    typed = {*_DATES, *_TIMESTAMPS, *_INTEGERS, *_FLOATS, "supersedes"}
    for column in frame.columns:
        if column not in typed:
            frame[column] = frame[column].astype("str")
    for column in _BLANK_WHEN_MISSING:
        frame[column] = frame[column].fillna("")
    return columnar.in_one_chunk(frame)


def _as_datetime(values: pd.Series, utc: bool = False) -> pd.Series:
    """Dates arrive as ISO text from SQLite and as dates from PostgreSQL; microseconds
    either way (the Arrow reader gives milliseconds for dates)."""
    present = values.dropna()
    is_text = not present.empty and isinstance(present.iloc[0], str)
    if utc:
        parsed = pd.to_datetime(values, utc=True, format="ISO8601" if is_text else None)
        return parsed.astype("datetime64[us, UTC]")
    return pd.to_datetime(values, format="%Y-%m-%d" if is_text else None).astype("datetime64[us]")


def data_version(bind: Bind) -> tuple[int, str, int]:
    """Changes whenever any announcement is added, edited, deleted or restored (the key
    of the dashboard's caches and of :mod:`tracker.snapshot`).

    Every write adds a row to one of the two tables and neither ever loses one, so their
    counts grow with every commit, in whatever order concurrent writers commit. (The
    newest edit's id did not: on PostgreSQL a writer that took id 11 and committed after
    another's id 12 left the maximum at 12, and its edit unseen.) The newest
    ``updated_at`` adds what a hand-made SQL update that sets it shows."""
    with connect(bind) as conn:
        # Three statements, each answered from an index: count(*) (not count(id)) on
        # SQLite's smallest one, the maximum on its own. Together in one statement,
        # every row was read (90 ms a run at a million announcements, against 15 ms).
        count = conn.execute(select(func.count()).select_from(Announcement)).scalar()
        updated = conn.execute(select(func.max(col(Announcement.updated_at)))).scalar()
        changes = conn.execute(select(func.count()).select_from(AnnouncementChange)).scalar()
    return (int(count or 0), str(updated), int(changes or 0))


def data_as_of(bind: Bind) -> date | None:
    """The newest announcement date among live rows: the data is current to this day."""
    with connect(bind) as conn:
        value = conn.execute(
            select(func.max(col(Announcement.announced_on))).where(
                col(Announcement.deleted_at).is_(None)
            )
        ).scalar()
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# What a reader of the edit history sees first (the JSON values follow).
HISTORY_COLUMNS = (
    "id",
    "announcement_id",
    "company",
    "period",
    "action",
    "changed_at",
    "changed_by",
)


def history_frame(bind: Bind, announcement_id: int | None = None) -> pd.DataFrame:
    """Edits, deletes and restores, newest first, with the announcement's company and
    period so a reader knows which figure changed."""
    stmt = (
        select(
            col(AnnouncementChange.id),
            col(AnnouncementChange.announcement_id),
            col(Company.name).label("company"),
            col(Announcement.period),
            col(AnnouncementChange.action),
            col(AnnouncementChange.changed_at),
            col(AnnouncementChange.changed_by),
            col(AnnouncementChange.old_values),
            col(AnnouncementChange.new_values),
        )
        .join(Announcement, col(Announcement.id) == col(AnnouncementChange.announcement_id))
        .join(Company, col(Company.id) == col(Announcement.company_id))
        .order_by(col(AnnouncementChange.id).desc())
    )
    if announcement_id is not None:
        stmt = stmt.where(col(AnnouncementChange.announcement_id) == announcement_id)
    with connect(bind) as conn:
        rows = conn.execute(stmt).mappings().all()
    frame = pd.DataFrame(
        [dict(r) for r in rows],
        columns=[*HISTORY_COLUMNS, "old_values", "new_values"],
    )
    for column in ("old_values", "new_values"):
        frame[column] = frame[column].map(lambda v: json.loads(v) if isinstance(v, str) else v)
    frame["changes"] = [
        describe_change(old, new)
        for old, new in zip(frame["old_values"], frame["new_values"], strict=True)
    ]
    return frame


def describe_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    """``field: old → new`` for each changed field, in words (``reason`` for deletes)."""
    parts = []
    for key in sorted(set(old) | set(new)):
        if key in ("version",):
            continue
        before, after = old.get(key), new.get(key)
        if key == "reason":
            if after:
                parts.append(f"reason: {after}")
            continue
        if before != after:
            parts.append(f"{key}: {_show(before)} → {_show(after)}")
    return "; ".join(parts)


def _show(value: Any) -> str:
    return "–" if value in (None, "") else str(value)


def filing_metrics_frame(bind: Bind) -> pd.DataFrame:
    """Revenue and operating cash flow per company and fiscal quarter (from filings)."""
    with connect(bind) as conn:
        frame = pd.read_sql(
            select(
                col(Company.name).label("company"),
                col(FilingMetric.metric),
                col(FilingMetric.period_start),
                col(FilingMetric.period_end),
                col(FilingMetric.value_usd_bn),
                col(FilingMetric.source_url),
                col(FilingMetric.filed_on),
            ).join(Company, col(Company.id) == col(FilingMetric.company_id)),
            conn,
        )
    for column in ("period_start", "period_end", "filed_on"):
        frame[column] = pd.to_datetime(frame[column])
    return frame
