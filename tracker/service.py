"""The write side: validate, dedupe, save and audit, inside the caller's transaction.

Every function takes a :class:`~sqlmodel.Session` opened with
:func:`tracker.db.write_session`, so the caller owns the transaction: a CSV import, a
form, an edit or a sync either commits whole or leaves nothing behind. Validation runs
inside that transaction, after the write lock is taken (SQLite) or with the rows locked
(PostgreSQL), so a check and its write cannot be separated by another writer. What a
race can still produce (two new companies with one key, two identical rows) is caught by
unique indexes and retried by :func:`write`, whose second look names the stored row.

Edits are optimistic: an edit names the version it read, writes only the fields it
changes, and is refused with what changed in between when the row moved on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, func, insert, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from tracker import pg_copy, queries
from tracker.config import current_user
from tracker.csv_io import cell_text
from tracker.db import write_session
from tracker.errors import (
    Conflict,
    NotFound,
    StaleEdit,
    ValidationFailed,
    database_errors,
)
from tracker.fx import FxTable, default_fx
from tracker.models import MAX_USER, Announcement, AnnouncementChange, Company, utcnow
from tracker.names import clean_name, clean_names, company_keys
from tracker.queries import STORED_FIELDS
from tracker.schema import EDITABLE, NAMES
from tracker.validation import (
    Message,
    ValidationResult,
    duplicate_key,
    error_rows,
    validate_frame,
)

T = TypeVar("T")


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    companies_created: int = 0
    # Edited rows, then new rows with explicit ids, then the other new rows, each in
    # the file's order.
    ids: list[int] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"{self.inserted} added, {self.updated} updated, {self.unchanged} unchanged; "
            f"{self.companies_created} new company(ies)"
        )


def user_name(user: str | None) -> str:
    """The name recorded in the history: cleaned, never blank, within the column."""
    name = clean_name(user or current_user()) or "unknown"
    return name[:MAX_USER]


def write(engine: Engine, action: str, work: Callable[[Session], T], attempts: int = 3) -> T:
    """Run ``work`` in one write transaction and commit it. A race lost to another
    writer (a unique index fired) is retried from the start, so the retry sees the
    other writer's rows and refuses with a clear message instead."""
    with database_errors(action):
        for attempt in range(attempts):
            with write_session(engine) as session:
                try:
                    result = work(session)
                    session.commit()
                    return result
                except IntegrityError:
                    session.rollback()
                    if attempt == attempts - 1:
                        raise
    raise AssertionError("unreachable")


# --- checks --------------------------------------------------------------------------


def _with_errors(result: ValidationResult, extra: pd.DataFrame) -> ValidationResult:
    if extra.empty:
        return result
    errors = (
        pd.concat([result.errors, extra], ignore_index=True)
        .sort_values("line", kind="stable")
        .reset_index(drop=True)
    )
    valid = result.valid[~result.valid["line"].isin(set(extra["line"]))].reset_index(drop=True)
    return ValidationResult(valid, errors)


def check(
    session: Session,
    raw: pd.DataFrame,
    fx: FxTable | None = None,
    today: date | None = None,
    first_line: int | pd.Series = 2,
) -> tuple[ValidationResult, pd.DataFrame]:
    """Validate raw rows against the stored data; writes nothing.

    Returns the result (rows to insert or update in ``valid``) and the rows that repeat
    a stored announcement exactly (``unchanged``, by id), which are neither errors nor
    saved again.
    """
    conn = session.connection()
    result = validate_frame(
        raw, queries.companies_frame(conn), fx or default_fx(), today, first_line
    )
    valid = result.valid
    if valid.empty:
        return result, valid
    stored = queries.announcements_frame(conn, include_deleted=True)
    live = stored[stored["deleted_at"].isna()]
    problems: list[pd.DataFrame] = []

    def problem(mask: pd.Series, column: str, message: Message) -> None:
        rows = error_rows(valid["line"], mask, column, message)
        if rows is not None:
            problems.append(rows)

    # Rows carrying an id refer to a stored announcement.
    has_id = valid["id"].notna()
    known_live = valid["id"].isin(live["id"])
    known_deleted = valid["id"].isin(stored["id"]) & ~known_live
    problem(
        has_id & known_deleted,
        "id",
        lambda: (
            "announcement #" + valid["id"].astype(str) + " is deleted; restore it first, "
            "or clear the id to add the row as new"
        ),
    )
    if (has_id & known_live).any():
        same_company = clean_names(valid["company"]).str.casefold() == valid["id"].map(
            live.set_index("id")["company"].str.casefold()
        )
        problem(
            has_id & known_live & ~same_company.fillna(False),
            "company",
            lambda: (
                "announcement #" + valid["id"].astype(str) + " belongs to another company; "
                "clear the id to add the row as new"
            ),
        )

    _check_supersedes(valid, live, problem)

    # Repeats of a stored announcement (other than the row itself).
    lookup = pd.Series(live["id"].to_numpy(), index=duplicate_key(live))
    lookup = lookup[~lookup.index.duplicated()]
    twin = valid["duplicate_key"].map(lookup)  # validate_frame's key of each row
    repeat = twin.notna() & (twin != valid["id"]).fillna(True)
    problem(
        repeat,
        "company",
        lambda: (
            "already stored as announcement #"
            + twin.astype("Int64").astype(str)
            + " (same company, amount, period and date)"
        ),
    )
    errors = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame()
    result = _with_errors(result, errors)
    unchanged = _unchanged(result.valid, live)
    result = _with_errors(result, _stale_rows(result.valid, live, set(unchanged["line"])))
    # A row superseding another row of the file that was refused would point nowhere.
    dropped = set(valid["id"].dropna().astype(int)) - set(result.valid["id"].dropna().astype(int))
    orphan = result.valid["supersedes"].isin(dropped)
    result = _with_errors(
        result,
        pd.DataFrame(
            {
                "line": result.valid["line"][orphan],
                "field": "supersedes",
                "message": "supersedes a row of this file that was refused",
            }
        ),
    )
    keep = result.valid[~result.valid["line"].isin(set(unchanged["line"]))].reset_index(drop=True)
    return ValidationResult(keep, result.errors), unchanged


Problem = Callable[[pd.Series, str, Message], None]


def _check_supersedes(valid: pd.DataFrame, live: pd.DataFrame, problem: Problem) -> None:
    """``supersedes`` names a live announcement (stored or in this file) of the same
    company, announced no later, and no chain of replacements comes back to itself."""
    file_rows = valid[valid["id"].notna()].assign(id=lambda f: f["id"].astype(int))
    known = pd.concat(
        [
            live[["id", "company", "announced_on", "supersedes"]],
            file_rows[["id", "company", "announced_on", "supersedes"]].assign(
                announced_on=lambda f: pd.to_datetime(f["announced_on"])
            ),
        ],
        ignore_index=True,
    ).drop_duplicates("id", keep="last")
    by_id = known.set_index("id")
    sup = valid["supersedes"]
    has = sup.notna()
    wanted = sup[has].astype("int64")
    target_company = pd.Series(None, index=valid.index, dtype=object)
    target_company[has] = company_keys(by_id["company"]).reindex(wanted).to_numpy()
    target_date = pd.Series(pd.NaT, index=valid.index, dtype="datetime64[ns]")
    target_date[has] = pd.to_datetime(by_id["announced_on"]).reindex(wanted).to_numpy()
    problem(
        has & target_company.isna(),
        "supersedes",
        lambda: "supersedes #" + sup.astype(str) + ", which is not a live announcement",
    )
    problem(
        has & target_company.notna() & (target_company != company_keys(valid["company"])),
        "supersedes",
        lambda: "supersedes #" + sup.astype(str) + ", an announcement of another company",
    )
    problem(
        has & (pd.to_datetime(target_date) > pd.to_datetime(valid["announced_on"])).fillna(False),
        "supersedes",
        lambda: "supersedes #" + sup.astype(str) + ", which was announced later than this one",
    )
    links = {int(str(i)): int(t) for i, t in by_id["supersedes"].dropna().items()}
    # Only rows with an id and a target can close a circle (a new row has no id yet).
    linked = valid[valid["id"].notna() & has]
    for line, row_id, target in zip(
        linked["line"], linked["id"], linked["supersedes"], strict=True
    ):
        seen, step = {int(row_id)}, int(target)
        while step in links and step not in seen:
            seen.add(step)
            step = links[step]
        if step in seen:
            problem(
                valid["line"] == line,
                "supersedes",
                f"superseding #{int(target)} would make a circle of replacements",
            )


def _stale_rows(valid: pd.DataFrame, live: pd.DataFrame, unchanged: set[int]) -> pd.DataFrame:
    """Rows exported at a version that has moved on since: saving them would undo
    someone else's change, so they are refused."""
    stored = live.set_index("id")["version"]
    version = valid["version"]
    current = valid["id"].map(stored)
    stale = (
        version.notna()
        & current.notna()
        & (version != current).fillna(False)
        & ~valid["line"].isin(unchanged)
    )
    return pd.DataFrame(
        {
            "line": valid["line"][stale],
            "field": "version",
            "message": "announcement #"
            + valid["id"][stale].astype(str)
            + " was changed since this file was exported (version "
            + version[stale].astype(str)
            + ", now "
            + current[stale].astype("Int64").astype(str)
            + "); export again and reapply your change",
        }
    )


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for name in EDITABLE:
        values = frame[name]
        if name == "announced_on":
            out[name] = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
        elif name in ("amount_low", "amount_high"):
            out[name] = np.char.mod("%.10g", values.to_numpy(float))
        elif name == "supersedes":
            out[name] = values.astype("Int64").astype(str).fillna("")
        else:
            out[name] = values.fillna("").astype(str)
    return out


def _unchanged(valid: pd.DataFrame, live: pd.DataFrame) -> pd.DataFrame:
    """Rows with an id whose editable fields equal the stored row's."""
    rows = valid[valid["id"].notna() & valid["id"].isin(live["id"])]
    if rows.empty:
        return rows
    stored = live.set_index("id").loc[rows["id"].astype(int)].reset_index()
    same = (_comparable(rows.reset_index(drop=True)) == _comparable(stored)).all(axis=1)
    return rows[same.to_numpy()]


# --- saving --------------------------------------------------------------------------


# Values per ``IN (...)`` look-up: SQLite takes at most 32,766 parameters in one
# statement and PostgreSQL 65,535, and a batch may name more ids or companies than that.
IN_LIST_MAX = 10_000


def _matching(session: Session, key: Any, value: Any, keys: Iterable[Any]) -> dict[Any, Any]:
    """``{key: value}`` of the stored rows whose ``key`` is among ``keys``, asked
    IN_LIST_MAX keys at a time."""
    given = list(keys)
    found: dict[Any, Any] = {}
    for start in range(0, len(given), IN_LIST_MAX):
        part = given[start : start + IN_LIST_MAX]
        found.update(dict(session.execute(select(key, value).where(key.in_(part))).all()))
    return found


def _stored_ids(session: Session, ids: Iterable[int]) -> set[int]:
    """Those of ``ids`` that name a stored announcement."""
    announcement_id = col(Announcement.id)
    return set(_matching(session, announcement_id, announcement_id, ids))


def _company_ids(session: Session, valid: pd.DataFrame) -> tuple[dict[str, int], int]:
    """Ids by company key for every company in ``valid``, creating the new ones (a race
    on the unique key raises IntegrityError and :func:`write` retries)."""
    name_key, company_id = col(Company.name_key), col(Company.id)
    ids = _matching(session, name_key, company_id, sorted(set(valid["company_key"])))
    new = valid[~valid["company_key"].isin(ids)].drop_duplicates("company_key")
    if new.empty:
        return ids, 0
    session.execute(
        insert(Company),
        [
            {
                "name": r.company,
                "name_key": r.company_key,
                "country": r.country,
                "fiscal_year_end_month": int(cast(int, r.fy_end_month)),
                "ticker": r.ticker or None,
                "cik": r.cik or None,
                "venture_partners": r.venture_partners,
            }
            for r in new.itertuples()
        ],
    )
    ids.update(_matching(session, name_key, company_id, new["company_key"]))
    return ids, len(new)


def _stored_columns(valid: pd.DataFrame) -> dict[str, pd.Series]:
    """The stored fields of validated rows, by column; ``id`` and ``supersedes`` are the
    caller's (new ids, links set once every row exists)."""
    names = [n for n in STORED_FIELDS if n not in ("id", "supersedes")]
    names += ["period_start", "period_end", *(["external_key"] if "external_key" in valid else [])]
    return {name: valid[name] for name in names}


def _column_values(valid: pd.DataFrame) -> dict[str, list[Any]]:
    """:func:`_stored_columns` as Python lists (executemany wants plain values)."""
    out: dict[str, list[Any]] = {}
    for name, series in _stored_columns(valid).items():
        if name in ("amount_low", "amount_high"):
            out[name] = series.astype(float).tolist()
        elif name == "external_key":
            out[name] = [None if pd.isna(v) else str(v) for v in series]
        else:
            out[name] = series.tolist()
    return out


def _records(columns: dict[str, list[Any]], constants: dict[str, Any]) -> list[dict[str, Any]]:
    """Row dicts for executemany, built column-wise (DataFrame.to_dict is ~10x slower)."""
    names = [*columns, *constants]
    tail = tuple(constants.values())
    return [
        dict(zip(names, row + tail, strict=True)) for row in zip(*columns.values(), strict=True)
    ]


# Batches from this size on go through COPY on PostgreSQL; a form's single row keeps the
# plain INSERT (COPY's extra round trip for the ids buys nothing there).
COPY_MIN_ROWS = 200

# Rows saved per step of an import, so a long import can report progress between steps
# (all steps are one transaction: a cancelled import saves nothing).
CHUNK_ROWS = 5_000
Progress = Callable[[str, int, int], None]  # stage, rows done, rows in the stage
Saved = Callable[[int], None]  # rows just saved (a chunk)


@dataclass(frozen=True)
class _NewRows:
    """Validated new rows of one kind (all with explicit ids, or none), their companies'
    ids in row order, and the audit values every row gets."""

    frame: pd.DataFrame
    company_ids: list[int]
    explicit_ids: bool
    constants: dict[str, Any]


def _copy_insert(session: Session, new: _NewRows, chunk_rows: int, saved: Saved) -> list[int]:
    """PostgreSQL: insert validated rows with one COPY (:mod:`tracker.pg_copy`) and
    return their ids in row order.

    New rows get their ids up front from the table's sequence, so the ids are known in
    row order without RETURNING; explicit ids are copied as given and the sequence is
    moved past them, as the INSERT path does. ``supersedes`` is left empty for
    :func:`_link`. The rows are streamed chunk by chunk, ``saved`` hearing each.
    """
    conn = session.connection()
    part = new.frame
    ids = [int(i) for i in part["id"]] if new.explicit_ids else pg_copy.new_ids(conn, len(part))
    columns: dict[str, Any] = {
        "id": ids,
        "company_id": new.company_ids,
        **_stored_columns(part),
        "supersedes": None,
        **new.constants,
    }
    pg_copy.copy_announcements(conn, columns, len(part), chunk_rows, saved)
    if new.explicit_ids:
        _move_id_sequence(conn)
    return ids


def _move_id_sequence(conn: Connection) -> None:
    """PostgreSQL: the next new id comes after every id stored (explicit ids do not
    advance the sequence themselves)."""
    conn.execute(
        text(
            "SELECT setval(pg_get_serial_sequence('announcement', 'id'), "
            "(SELECT max(id) FROM announcement))"
        )
    )


def _insert(session: Session, records: list[dict[str, Any]], explicit_ids: bool) -> list[int]:
    """Insert rows in bulk and return their ids in insertion order.

    SQLite: a plain executemany (several times faster than batched RETURNING there),
    then the ids above the previous maximum; the write transaction holds SQLite's only
    write lock, so no other writer can interleave. Elsewhere: batched RETURNING.
    """
    table: Table = Announcement.__table__  # type: ignore[attr-defined]  # set by SQLModel
    conn = session.connection()
    if explicit_ids:
        conn.execute(table.insert(), records)
        if conn.dialect.name == "postgresql":
            _move_id_sequence(conn)
        return [int(r["id"]) for r in records]
    if conn.dialect.name == "sqlite":
        before = conn.execute(select(func.max(table.c.id))).scalar() or 0
        conn.execute(table.insert(), records)
        ids = conn.execute(select(table.c.id).where(table.c.id > before).order_by(table.c.id))
        return list(ids.scalars())
    return sorted(conn.execute(table.insert().returning(table.c.id), records).scalars())


def _insert_new(session: Session, new: _NewRows, chunk_rows: int, saved: Saved) -> list[int]:
    """Insert new rows chunk by chunk and return their ids in row order; ``saved``
    hears each chunk."""
    if session.connection().dialect.name == "postgresql" and len(new.frame) >= COPY_MIN_ROWS:
        return _copy_insert(session, new, chunk_rows, saved)
    ids: list[int] = []
    for start in range(0, len(new.frame), chunk_rows):
        piece = new.frame.iloc[start : start + chunk_rows]
        columns = _column_values(piece)
        columns["company_id"] = new.company_ids[start : start + chunk_rows]
        if new.explicit_ids:
            columns["id"] = [int(i) for i in piece["id"]]
        columns["supersedes"] = [None] * len(piece)
        ids += _insert(session, _records(columns, new.constants), new.explicit_ids)
        saved(len(piece))
    return ids


def save(
    session: Session,
    valid: pd.DataFrame,
    user: str | None = None,
    saved: Saved | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportReport:
    """Insert new rows and update changed ones (rows with a stored id) of a checked
    batch. The caller commits.

    Rows are written ``chunk_rows`` at a time and ``saved`` hears each chunk (new rows,
    then edits), so a long import shows its progress. On PostgreSQL the new rows go in
    one COPY streamed chunk by chunk: a COPY per chunk waited for the server after each
    (100k rows: 4.64 -> 3.92 s, medians; README, "Ninth pass"). Rows with explicit ids
    are inserted before the others, so a new row's id never takes one the file gives.
    """
    report = ImportReport()
    if valid.empty:
        return report
    heard: Saved = saved or (lambda _rows: None)
    chunk_rows = max(chunk_rows, 1)
    user = user_name(user)
    ids, report.companies_created = _company_ids(session, valid)
    is_update = valid["id"].isin(_stored_ids(session, (int(i) for i in valid["id"].dropna())))
    new = valid[~is_update]
    now = utcnow()
    new_ids: list[int] = []
    links: list[dict[str, int]] = []
    for explicit in (True, False):
        part = new[new["id"].notna() == explicit]
        if part.empty:
            continue
        owners = [ids[k] for k in part["company_key"]]
        # Links are set once every row exists: a row may supersede one inserted after it.
        linking = part["supersedes"].notna().to_numpy()
        targets = part["supersedes"][linking].astype("int64").tolist()
        constants = {"created_at": now, "created_by": user, "updated_at": now, "version": 1}
        inserted = _insert_new(
            session, _NewRows(part, owners, explicit, constants), chunk_rows, heard
        )
        sources = np.asarray(inserted, dtype=np.int64)[linking].tolist()
        links += [{"i": i, "s": t} for i, t in zip(sources, targets, strict=True)]
        new_ids += inserted
        report.inserted += len(part)
    if _link(session, links):  # pragma: no cover - check() refuses dangling targets
        raise AssertionError("supersedes names a row that was not saved")
    updates = valid[is_update]
    for start in range(0, len(updates), chunk_rows):
        piece = updates.iloc[start : start + chunk_rows]
        for row in piece.itertuples():
            changes = {name: getattr(row, name) for name in EDITABLE}
            version = None if pd.isna(cast(float, row.version)) else int(cast(int, row.version))
            stored = _editable_row(session, int(cast(int, row.id)), version)
            _apply_update(session, stored, _typed(changes, row), user)
            report.updated += 1
            report.ids.append(int(cast(int, row.id)))
        heard(len(piece))
    report.ids += new_ids
    return report


def _link(session: Session, links: list[dict[str, int]]) -> list[dict[str, int]]:
    """Set ``supersedes`` for rows inserted without it, once every row of the batch
    exists (so a row may supersede one that comes after it); returns the links whose
    target is not stored."""
    if not links:
        return []
    existing = _stored_ids(session, {link["s"] for link in links})
    ready = [link for link in links if link["s"] in existing]
    if ready:
        session.connection().execute(
            text("UPDATE announcement SET supersedes = :s WHERE id = :i"), ready
        )
    return [link for link in links if link["s"] not in existing]


def _typed(changes: dict[str, Any], row: Any) -> dict[str, Any]:
    out = dict(changes)
    out["period_start"], out["period_end"] = row.period_start, row.period_end
    out["supersedes"] = None if pd.isna(out["supersedes"]) else int(out["supersedes"])
    return out


def import_rows(
    session: Session,
    raw: pd.DataFrame,
    user: str | None = None,
    skip_invalid: bool = False,
    today: date | None = None,
    first_line: int | pd.Series = 2,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[ImportReport, ValidationResult]:
    """Check and save raw rows; with errors saves nothing unless ``skip_invalid``.

    ``progress`` hears the stages: reading, validating, saving (after each chunk of
    ``chunk_rows`` new rows, then of edits), done. The caller commits.
    """
    step: Progress = progress or (lambda _stage, _done, _total: None)
    total = len(raw)
    step("reading", 0, total)
    step("validating", 0, total)
    result, unchanged = check(session, raw, today=today, first_line=first_line)
    step("validating", total, total)
    if not result.ok and not skip_invalid:
        raise ValidationFailed(result)
    valid = result.valid
    done = 0

    def saved(rows: int) -> None:
        nonlocal done
        done += rows
        step("saving", done, len(valid))

    step("saving", 0, len(valid))
    report = save(session, valid, user, saved=saved, chunk_rows=chunk_rows)
    report.unchanged = len(unchanged)
    step("done", len(valid), len(valid))
    return report, result


def import_frame(
    engine: Engine,
    raw: pd.DataFrame,
    user: str | None = None,
    skip_invalid: bool = False,
    today: date | None = None,
    first_line: int | pd.Series = 2,
) -> ImportReport:
    """:func:`import_rows` in its own transaction."""
    return write(
        engine,
        "save the announcements",
        lambda s: import_rows(s, raw, user, skip_invalid, today, first_line)[0],
    )


def add_announcement(engine: Engine, fields: dict[str, str], user: str | None = None) -> int:
    """Add one announcement from form or CLI fields; returns its id."""
    raw = pd.DataFrame([{c: str(fields.get(c, "") or "") for c in NAMES}])
    report = import_frame(engine, raw, user)
    if not report.ids:
        raise Conflict("the announcement repeats a stored one exactly; nothing was added")
    return report.ids[0]


# --- edits, deletes, restores --------------------------------------------------------


def _locked(session: Session, announcement_id: int) -> Announcement:
    """The row, locked against other writers until the transaction ends."""
    row: Announcement | None = session.execute(
        select(Announcement).where(col(Announcement.id) == announcement_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"there is no announcement #{announcement_id}; check the id")
    return row


def _json(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _values(row: Announcement, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {n: _json(getattr(row, n)) for n in names}


def _changes_since(session: Session, announcement_id: int, version: int) -> list[str]:
    """Fields changed by others after ``version`` (from the history)."""
    entries = session.execute(
        select(
            col(AnnouncementChange.new_values),
            col(AnnouncementChange.old_values),
            col(AnnouncementChange.changed_by),
        )
        .where(col(AnnouncementChange.announcement_id) == announcement_id)
        .order_by(col(AnnouncementChange.id))
    ).all()
    fields: list[str] = []
    for new, old, by in entries:
        if int(new.get("version", 0)) > version:
            fields += [f"{k} (by {by})" for k in new if k != "version" and new.get(k) != old.get(k)]
    return fields


def _check_version(session: Session, row: Announcement, expected: int | None) -> None:
    if expected is None or row.version == expected:
        return
    changed = _changes_since(session, int(row.id or 0), expected)
    what = ", ".join(changed) if changed else "some fields"
    raise StaleEdit(
        f"announcement #{row.id} was changed since you opened it ({what}); nothing was saved: "
        "reload it and apply your change again",
        changed,
    )


def _editable_row(
    session: Session, announcement_id: int, expected_version: int | None
) -> Announcement:
    """The row to edit, locked: it must be live and still at the version the editor read."""
    row = _locked(session, announcement_id)
    if row.deleted_at is not None:
        raise Conflict(f"announcement #{announcement_id} is deleted; restore it before editing")
    _check_version(session, row, expected_version)
    return row


def _apply_update(
    session: Session, row: Announcement, new_values: dict[str, Any], user: str
) -> bool:
    """Write the fields of ``new_values`` that differ, raise the version, keep history."""
    announcement_id = int(row.id or 0)
    changed = [n for n in new_values if _json(getattr(row, n)) != _json(new_values[n])]
    if not changed:
        return False
    old = _values(row, changed) | {"version": row.version}
    for name in changed:
        setattr(row, name, new_values[name])
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    session.add(
        AnnouncementChange(
            announcement_id=announcement_id,
            action="update",
            changed_by=user,
            old_values=old,
            new_values=_values(row, changed) | {"version": row.version},
        )
    )
    session.flush()
    return True


def update(
    session: Session,
    announcement_id: int,
    changes: dict[str, str],
    user: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> bool:
    """Change fields of a live announcement; only the fields given are written.

    ``expected_version``: the version the editor read; a different stored version means
    someone else changed the row, and the edit is refused (:class:`StaleEdit`).
    Returns False when the values were already as asked.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            ValidationResult(
                pd.DataFrame(),
                pd.DataFrame(
                    {
                        "line": [1],
                        "field": [sorted(unknown)[0]],
                        "message": ["cannot be edited; editable: " + ", ".join(EDITABLE)],
                    }
                ),
            ),
            "not saved",
        )
    row = _editable_row(session, announcement_id, expected_version)
    current = queries.announcements_frame(session.connection(), ids=[announcement_id])
    merged = {n: cell_text(current.iloc[0][n], n) for n in NAMES}
    merged.update({k: "" if v is None else str(v) for k, v in changes.items()})
    result, _unchanged_rows = check(session, pd.DataFrame([merged]), today=today, first_line=1)
    if not result.ok:
        raise ValidationFailed(result, "not saved")
    if result.valid.empty:
        return False
    row_values = result.valid.iloc[0]
    new_values = {n: _python(row_values[n]) for n in EDITABLE}
    new_values["supersedes"] = (
        None if pd.isna(row_values["supersedes"]) else int(row_values["supersedes"])
    )
    new_values["period_start"] = row_values["period_start"]
    new_values["period_end"] = row_values["period_end"]
    return _apply_update(session, row, new_values, user_name(user))


def _python(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def update_announcement(
    engine: Engine,
    announcement_id: int,
    changes: dict[str, str],
    user: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> bool:
    return write(
        engine,
        f"save announcement #{announcement_id}",
        lambda s: update(s, announcement_id, changes, user, expected_version, today),
    )


def set_deleted(
    session: Session,
    announcement_id: int,
    deleted: bool,
    user: str | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> None:
    """Soft-delete or restore; the row stays, and the history records who and why."""
    row = _locked(session, announcement_id)
    if (row.deleted_at is not None) == deleted:
        state = "already deleted" if deleted else "not deleted"
        raise Conflict(f"announcement #{announcement_id} is {state}")
    _check_version(session, row, expected_version)
    if not deleted:
        twin = session.execute(
            select(col(Announcement.id)).where(
                col(Announcement.deleted_at).is_(None),
                *(
                    getattr(Announcement, "company_id" if n == "company" else n)
                    == getattr(row, "company_id" if n == "company" else n)
                    for n in _duplicate_columns()
                ),
            )
        ).scalar()
        if twin is not None:
            raise Conflict(
                f"cannot restore #{announcement_id}: it would duplicate the live announcement "
                f"#{twin}"
            )
    now = utcnow()
    name = user_name(user)
    old = {"deleted_at": str(row.deleted_at) if row.deleted_at else None, "version": row.version}
    session.execute(
        sql_update(Announcement)
        .where(col(Announcement.id) == announcement_id)
        .values(
            deleted_at=now if deleted else None,
            deleted_by=name if deleted else None,
            updated_at=now,
            version=row.version + 1,
        )
    )
    session.add(
        AnnouncementChange(
            announcement_id=announcement_id,
            action="delete" if deleted else "restore",
            changed_by=name,
            old_values=old,
            new_values={
                "deleted_at": str(now) if deleted else None,
                "reason": reason,
                "version": row.version + 1,
            },
        )
    )


def _duplicate_columns() -> tuple[str, ...]:
    from tracker.schema import DUPLICATE_KEY

    return DUPLICATE_KEY


def delete_announcement(
    engine: Engine,
    announcement_id: int,
    user: str | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> None:
    write(
        engine,
        f"delete announcement #{announcement_id}",
        lambda s: set_deleted(s, announcement_id, True, user, reason, expected_version),
    )


def restore_announcement(engine: Engine, announcement_id: int, user: str | None = None) -> None:
    write(
        engine,
        f"restore announcement #{announcement_id}",
        lambda s: set_deleted(s, announcement_id, False, user),
    )
