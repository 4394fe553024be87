"""Every read and write of announcements; the dashboard and CLI go through here.

Writes are all-or-nothing: a batch is validated first (see :mod:`tracker.validation`),
checked against live rows for duplicates, then inserted in one transaction. Deletes are
soft and edits keep the old values in ``announcement_change``, so no figure is ever
lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from tracker.config import current_user
from tracker.db import write_session
from tracker.fx import FxTable, default_fx
from tracker.models import Announcement, AnnouncementChange, Company, utcnow
from tracker.validation import ALL_COLUMNS, ValidationResult, duplicate_key, validate_frame

COMPANY_COLUMNS = ("company", "ticker", "country", "fy_end_month")
# An announcement's own fields; its company is not edited through it.
EDITABLE_FIELDS = tuple(c for c in ALL_COLUMNS if c not in COMPANY_COLUMNS)


class ValidationFailed(ValueError):
    """A batch had errors; nothing was saved. ``result.errors`` lists them."""

    def __init__(self, result: ValidationResult):
        self.result = result
        lines = [
            f"line {r.line}: {r.field}: {r.message}" for r in result.errors.head(20).itertuples()
        ]
        more = len(result.errors) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more")
        super().__init__("nothing was saved:\n" + "\n".join(lines))


class NotFound(LookupError):
    pass


@dataclass
class ImportReport:
    inserted: int
    companies_created: int
    ids: list[int]


def companies_frame(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(
            select(
                Company.id,
                Company.name,
                Company.country,
                Company.fiscal_year_end_month,
                Company.ticker,
            ),
            conn,
        )


def announcements_frame(
    engine: Engine,
    include_deleted: bool = False,
    only_deleted: bool = False,
) -> pd.DataFrame:
    """Announcements joined with their company, one row each, ordered by id.

    Date columns are ``datetime64``; deleted rows bring their ``deleted_at`` and
    ``deleted_by``. Rows are fetched through the DBAPI cursor, skipping per-value type
    conversion, because this runs on every dashboard load and must stay fast at 100k rows.
    """
    columns = [
        Announcement.id,
        Company.name.label("company"),
        Company.ticker,
        Company.country,
        Company.fiscal_year_end_month.label("fy_end_month"),
        Announcement.kind,
        Announcement.scope,
        Announcement.period,
        Announcement.period_start,
        Announcement.period_end,
        Announcement.amount_low,
        Announcement.amount_high,
        Announcement.currency,
        Announcement.announced_on,
        Announcement.source_url,
        Announcement.notes,
        Announcement.created_by,
    ]
    if include_deleted or only_deleted:
        columns += [Announcement.deleted_at, Announcement.deleted_by]
    stmt = (
        select(*columns)
        .join(Company, Company.id == Announcement.company_id)
        .order_by(Announcement.id)
    )
    if only_deleted:
        stmt = stmt.where(Announcement.deleted_at.is_not(None))
    elif not include_deleted:
        stmt = stmt.where(Announcement.deleted_at.is_(None))
    sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        # Plain DBAPI tuples: pandas probes SQLAlchemy Row objects attribute by attribute.
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql)
            names = [d[0] for d in cursor.description]
            frame = pd.DataFrame(cursor.fetchall(), columns=names)
        finally:
            cursor.close()
    for column in ("period_start", "period_end", "announced_on"):
        frame[column] = _as_datetime(frame[column], "%Y-%m-%d")
    if "deleted_at" in frame:
        frame["deleted_at"] = _as_datetime(frame["deleted_at"], None, utc=True)
    for column in ("amount_low", "amount_high"):
        frame[column] = frame[column].astype(float)
    frame["id"] = frame["id"].astype("int64")
    frame["fy_end_month"] = frame["fy_end_month"].astype("int64")
    frame["notes"] = frame["notes"].fillna("")
    return frame


def _as_datetime(values: pd.Series, fmt: str | None, utc: bool = False) -> pd.Series:
    """Dates arrive as ISO text from SQLite and as date objects from PostgreSQL."""
    present = values.dropna()
    is_text = not present.empty and isinstance(present.iloc[0], str)
    if utc:
        return pd.to_datetime(values, utc=True, format="ISO8601" if is_text else None)
    return pd.to_datetime(values, format=fmt if is_text else None)


def data_version(engine: Engine) -> tuple:
    """Changes whenever any announcement is added, edited or deleted (cache key)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(func.count(Announcement.id), func.max(Announcement.updated_at))
        ).one()
        changes = conn.execute(select(func.max(AnnouncementChange.id))).scalar()
    return (int(row[0]), str(row[1]), changes)


def _existing_duplicates(engine: Engine, valid: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``valid`` that repeat a live stored announcement, with its id."""
    if valid.empty:
        return valid.assign(existing_id=pd.Series(dtype=int))
    names = sorted(set(valid["company"]))
    stmt = (
        select(
            Announcement.id.label("existing_id"),
            Company.name.label("company"),
            Announcement.period,
            Announcement.announced_on,
            Announcement.amount_low,
            Announcement.amount_high,
            Announcement.currency,
        )
        .join(Company, Company.id == Announcement.company_id)
        .where(Announcement.deleted_at.is_(None))
    )
    if len(names) <= 500:
        stmt = stmt.where(Company.name.in_(names))
    with engine.connect() as conn:
        stored = pd.read_sql(stmt, conn)
    if stored.empty:
        return valid.iloc[0:0].assign(existing_id=pd.Series(dtype=int))
    lookup = pd.Series(stored["existing_id"].to_numpy(), index=duplicate_key(stored))
    lookup = lookup[~lookup.index.duplicated()]
    hits = duplicate_key(valid).map(lookup)
    return valid[hits.notna()].assign(existing_id=hits[hits.notna()].astype(int))


def check_frame(
    engine: Engine,
    raw: pd.DataFrame,
    fx: FxTable | None = None,
    today: date | None = None,
    first_line: int = 2,
) -> ValidationResult:
    """Validate raw rows and flag repeats of stored announcements; writes nothing."""
    result = validate_frame(raw, companies_frame(engine), fx or default_fx(), today, first_line)
    dups = _existing_duplicates(engine, result.valid)
    if not dups.empty:
        dup_errors = pd.DataFrame(
            {
                "line": dups["line"],
                "field": "company",
                "message": "already stored as announcement #"
                + dups["existing_id"].astype(str)
                + " (same company, amount, period and date)",
            }
        )
        result = ValidationResult(
            result.valid[~result.valid["line"].isin(dups["line"])].reset_index(drop=True),
            pd.concat([result.errors, dup_errors], ignore_index=True)
            .sort_values("line", kind="stable")
            .reset_index(drop=True),
        )
    return result


def _company_ids(session: Session, valid: pd.DataFrame) -> tuple[dict[str, int], int]:
    """Ids for every company in ``valid``, creating the new ones."""
    names = sorted(set(valid["company"]))
    rows = session.execute(select(Company.name, Company.id).where(Company.name.in_(names)))
    ids = {name: cid for name, cid in rows}
    new = valid[~valid["company"].isin(ids)].drop_duplicates("company")
    if new.empty:
        return ids, 0
    rows = [
        {
            "name": r.company,
            "country": r.country,
            "fiscal_year_end_month": int(r.fy_end_month),
            "ticker": r.ticker or None,
        }
        for r in new.itertuples()
    ]
    created = len(rows)
    try:
        with session.begin_nested():
            session.execute(insert(Company), rows)
    except IntegrityError:
        # A concurrent writer created some of them first: add the rest one by one.
        created = 0
        for row in rows:
            try:
                with session.begin_nested():
                    session.execute(insert(Company), [row])
                created += 1
            except IntegrityError:
                pass
    stored = session.execute(
        select(Company.name, Company.id).where(Company.name.in_(list(new["company"])))
    )
    ids.update(dict(stored.all()))
    return ids, created


def _records(columns: dict[str, pd.Series], constants: dict) -> list[dict]:
    """Row dicts for executemany, built column-wise (DataFrame.to_dict is ~10x slower)."""
    names = [*columns, *constants]
    values = [
        s.tolist() if not isinstance(s.dtype, pd.DatetimeTZDtype) else list(s)
        for s in columns.values()
    ]
    tail = tuple(constants.values())
    return [dict(zip(names, row + tail, strict=True)) for row in zip(*values, strict=True)]


def _insert_announcements(session: Session, records: list[dict]) -> list[int]:
    """Insert rows in bulk and return their ids in insertion order.

    SQLite: a plain executemany (several times faster than batched RETURNING there),
    then the ids above the previous maximum; the write transaction holds SQLite's only
    write lock, so no other writer can interleave. Elsewhere: batched RETURNING.
    """
    table = Announcement.__table__
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        before = conn.execute(select(func.max(table.c.id))).scalar() or 0
        conn.execute(table.insert(), records)
        ids = conn.execute(select(table.c.id).where(table.c.id > before).order_by(table.c.id))
        return list(ids.scalars())
    return sorted(conn.execute(table.insert().returning(table.c.id), records).scalars())


def save_valid(engine: Engine, valid: pd.DataFrame, user: str | None = None) -> ImportReport:
    """Insert already-validated rows in one transaction (all or none)."""
    if valid.empty:
        return ImportReport(0, 0, [])
    user = user or current_user()
    now = utcnow()
    with write_session(engine) as session:
        try:
            ids, created = _company_ids(session, valid)
            records = _records(
                {
                    "company_id": valid["company"].map(ids).astype(int),
                    "kind": valid["kind"],
                    "scope": valid["scope"],
                    "amount_low": valid["amount_low"].astype(float),
                    "amount_high": valid["amount_high"].astype(float),
                    "currency": valid["currency"],
                    "period": valid["period"],
                    "period_start": valid["period_start"],
                    "period_end": valid["period_end"],
                    "announced_on": valid["announced_on"],
                    "source_url": valid["source_url"],
                    "notes": valid["notes"],
                },
                {"created_at": now, "created_by": user, "updated_at": now},
            )
            new_ids = _insert_announcements(session, records)
            session.commit()
        except IntegrityError:
            session.rollback()
            raise
    return ImportReport(len(records), created, new_ids)


def import_frame(
    engine: Engine,
    raw: pd.DataFrame,
    user: str | None = None,
    skip_invalid: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Validate and save raw rows. With errors, saves nothing unless ``skip_invalid``."""
    for attempt in range(3):
        result = check_frame(engine, raw, today=today)
        if not result.ok and not skip_invalid:
            raise ValidationFailed(result)
        try:
            return save_valid(engine, result.valid, user)
        except IntegrityError:
            # Another writer stored the same announcement between check and insert;
            # check again so the message names the stored row.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def add_announcement(engine: Engine, fields: dict[str, str], user: str | None = None) -> int:
    """Add one announcement from form/CLI fields; returns its id."""
    raw = pd.DataFrame([{c: str(fields.get(c, "") or "") for c in ALL_COLUMNS}])
    report = import_frame(engine, raw, user)
    return report.ids[0]


def _python(value):
    """The Python value behind a numpy scalar that pandas handed out (else unchanged)."""
    return value.item() if hasattr(value, "item") else value


def _row_values(row: Announcement) -> dict:
    """The editable fields of a row as JSON-safe values, for the history."""
    values = {f: _python(getattr(row, f)) for f in EDITABLE_FIELDS}
    return {f: v.isoformat() if isinstance(v, date) else v for f, v in values.items()}


def _get_live(session: Session, announcement_id: int) -> Announcement:
    row = session.get(Announcement, announcement_id)
    if row is None:
        raise NotFound(f"no announcement #{announcement_id}")
    return row


def update_announcement(
    engine: Engine,
    announcement_id: int,
    changes: dict[str, str],
    user: str | None = None,
    today: date | None = None,
) -> None:
    """Edit fields of a live announcement, keeping the old values in the history."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError("cannot edit: " + ", ".join(sorted(unknown)))
    user = user or current_user()
    frame = announcements_frame(engine)
    current = frame[frame["id"] == announcement_id]
    if current.empty:
        raise NotFound(f"no live announcement #{announcement_id}")
    row = current.iloc[0]
    merged = {c: str(v) for c, v in row.items() if c in ALL_COLUMNS}
    merged["fy_end_month"] = str(int(row["fy_end_month"]))
    merged["announced_on"] = row["announced_on"].strftime("%Y-%m-%d")
    merged["ticker"] = row["ticker"] or ""
    merged.update({k: str(v) for k, v in changes.items()})
    raw = pd.DataFrame([merged])[list(ALL_COLUMNS)]
    # Validate against everything except the row itself.
    result = validate_frame(raw, companies_frame(engine), default_fx(), today)
    if not result.ok:
        raise ValidationFailed(result)
    others = _existing_duplicates(engine, result.valid)
    others = others[others["existing_id"] != announcement_id]
    if not others.empty:
        result.errors = pd.DataFrame(
            {
                "line": [2],
                "field": ["company"],
                "message": [f"would duplicate announcement #{others['existing_id'].iloc[0]}"],
            }
        )
        raise ValidationFailed(result)
    new = result.valid.iloc[0]
    with write_session(engine) as session:
        row = _get_live(session, announcement_id)
        old = _row_values(row)
        for f in EDITABLE_FIELDS:
            setattr(row, f, _python(new[f]))
        row.period_start, row.period_end = new["period_start"], new["period_end"]
        row.updated_at = utcnow()
        session.add(
            AnnouncementChange(
                announcement_id=announcement_id,
                action="update",
                changed_by=user,
                old_values=old,
                new_values=_row_values(row),
            )
        )
        session.commit()


def delete_announcement(
    engine: Engine, announcement_id: int, user: str | None = None, reason: str = ""
) -> None:
    """Hide an announcement from every view; it stays in the database and the history."""
    _set_deleted(engine, announcement_id, user or current_user(), deleted=True, reason=reason)


def restore_announcement(engine: Engine, announcement_id: int, user: str | None = None) -> None:
    _set_deleted(engine, announcement_id, user or current_user(), deleted=False, reason="")


def _set_deleted(engine: Engine, announcement_id: int, user: str, deleted: bool, reason: str):
    with write_session(engine) as session:
        row = _get_live(session, announcement_id)
        if (row.deleted_at is not None) == deleted:
            state = "already deleted" if deleted else "not deleted"
            raise ValueError(f"announcement #{announcement_id} is {state}")
        if not deleted:
            twin = session.execute(
                select(Announcement.id).where(
                    Announcement.deleted_at.is_(None),
                    Announcement.company_id == row.company_id,
                    Announcement.period == row.period,
                    Announcement.announced_on == row.announced_on,
                    Announcement.amount_low == row.amount_low,
                    Announcement.amount_high == row.amount_high,
                    Announcement.currency == row.currency,
                )
            ).scalar()
            if twin is not None:
                raise ValueError(
                    f"cannot restore #{announcement_id}: it would duplicate the live "
                    f"announcement #{twin}"
                )
        old = _row_values(row) | {"deleted_at": str(row.deleted_at) if row.deleted_at else None}
        now = utcnow()
        session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id)
            .values(
                deleted_at=now if deleted else None,
                deleted_by=user if deleted else None,
                updated_at=now,
            )
        )
        session.add(
            AnnouncementChange(
                announcement_id=announcement_id,
                action="delete" if deleted else "restore",
                changed_by=user,
                old_values=old,
                new_values={"deleted_at": str(now) if deleted else None, "reason": reason},
            )
        )
        session.commit()


def history_frame(engine: Engine, announcement_id: int | None = None) -> pd.DataFrame:
    """Edits, deletes and restores, newest first."""
    stmt = select(
        AnnouncementChange.id,
        AnnouncementChange.announcement_id,
        AnnouncementChange.action,
        AnnouncementChange.changed_at,
        AnnouncementChange.changed_by,
        AnnouncementChange.old_values,
        AnnouncementChange.new_values,
    ).order_by(AnnouncementChange.id.desc())
    if announcement_id is not None:
        stmt = stmt.where(AnnouncementChange.announcement_id == announcement_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "announcement_id",
            "action",
            "changed_at",
            "changed_by",
            "old_values",
            "new_values",
        ],
    )
    for column in ("old_values", "new_values"):
        frame[column] = frame[column].map(
            lambda v: json.dumps(v, sort_keys=True) if not isinstance(v, str) else v
        )
    return frame
