"""``capex backup FILE`` and ``capex restore-backup FILE``.

SQLite: the backup is a consistent copy taken with SQLite's online backup API while
others may keep reading and writing; it is written to a temporary file and renamed into
place, so an interrupted backup never leaves a half-written FILE. A restore first checks
that FILE is an intact capex database at a migration this version knows, then replaces
the live database in one step: through the backup API (one transaction, which other
connections see whole or not at all) when the live file is intact, else by renaming a
checked copy over the damaged file. Nothing is changed when a check fails. The schema of
an older backup is upgraded on the next start.

PostgreSQL: use the server's own tools; both commands print the command to run and exit
with status 1:

    pg_dump --format=custom --file FILE DATABASE_URL
    pg_restore --clean --if-exists --no-owner --dbname DATABASE_URL FILE
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy.engine import make_url

from tracker.config import database_url
from tracker.errors import CapexError, DatabaseUnavailable, _reason

SQLITE_HEADER = b"SQLite format 3\x00"
REQUIRED_TABLES = ("alembic_version", "company", "announcement", "announcement_change")


def known_revisions() -> set[str]:
    """Every migration this version of capex-tracker knows."""
    from alembic.script import ScriptDirectory

    from tracker.migrations import SCRIPT_LOCATION

    scripts = ScriptDirectory(str(SCRIPT_LOCATION))
    return {script.revision for script in scripts.walk_revisions()}


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise CapexError("an in-memory database cannot be backed up or restored")
    return Path(parsed.database)


def postgres_commands(url: str, file: str) -> str:
    """The documented pg_dump / pg_restore commands (password hidden)."""
    shown = make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)
    return (
        "on PostgreSQL use the server's tools:\n"
        f"  backup:  pg_dump --format=custom --file {file} '{shown}'\n"
        f"  restore: pg_restore --clean --if-exists --no-owner --dbname '{shown}' {file}"
    )


@contextmanager
def _sqlite_errors(action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        raise DatabaseUnavailable(f"could not {action}: {_reason(error)}") from error


def _connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    return sqlite3.connect(path, timeout=60)


def _temp_beside(target: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """A consistent single-file copy of ``source`` at ``target`` (no WAL beside it)."""
    dest = _connect(target)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")
    finally:
        dest.close()


def backup(file: str | Path, url: str | None = None) -> Path:
    """Copy the SQLite database to ``file`` (replaced whole if it exists)."""
    url = url or database_url()
    path = sqlite_path(url)
    if path is None:
        raise CapexError(f"capex backup works on SQLite only; {postgres_commands(url, str(file))}")
    if not path.exists():
        raise CapexError(f"there is no database at {path} to back up; check CAPEX_DB_PATH")
    target = Path(file)
    if target.resolve() == path.resolve():
        raise CapexError("the backup file cannot be the database itself; choose another FILE")
    check_capex_database(path, "the database")
    tmp = _temp_beside(target)
    try:
        with _sqlite_errors("back up the database"):
            source = _connect(path, readonly=True)
            try:
                _copy(source, tmp)
            finally:
                source.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def check_capex_database(path: Path, what: str) -> str:
    """Refuse a file that is not an intact capex database at a known migration;
    returns its migration."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise CapexError(f"cannot read {path}: {error.strerror or error}") from error
    if header != SQLITE_HEADER:
        raise CapexError(f"{what} ({path}) is not a SQLite database; nothing was changed")
    try:
        conn = _connect(path, readonly=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise CapexError(f"{what} ({path}) is damaged; nothing was changed")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            missing = [t for t in REQUIRED_TABLES if t not in tables]
            if missing:
                raise CapexError(
                    f"{what} ({path}) is not a capex-tracker database (no {missing[0]} "
                    "table); nothing was changed"
                )
            revisions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise CapexError(f"{what} ({path}) cannot be read: {error}; nothing was changed") from error
    if len(revisions) != 1 or revisions[0] not in known_revisions():
        found = ", ".join(revisions) or "none"
        raise CapexError(
            f"{what} ({path}) is at migration {found}, which this version of capex-tracker "
            "does not know (a newer version made it?); nothing was changed"
        )
    return str(revisions[0])


def _live_is_intact(path: Path) -> bool:
    if not path.exists():
        return False
    with suppress(OSError), path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return False
    try:
        conn = _connect(path)
        try:
            return bool(conn.execute("PRAGMA quick_check").fetchone() == ("ok",))
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def restore(file: str | Path, url: str | None = None) -> str:
    """Replace the SQLite database with the backup ``file``; returns its migration."""
    url = url or database_url()
    path = sqlite_path(url)
    source_path = Path(file)
    if path is None:
        raise CapexError(
            f"capex restore-backup works on SQLite only; {postgres_commands(url, str(file))}"
        )
    if not source_path.exists():
        raise CapexError(f"there is no backup file {source_path}; check the name")
    revision = check_capex_database(source_path, "the backup")
    path.parent.mkdir(parents=True, exist_ok=True)
    # A checked copy beside the database first: the backup file itself is never opened
    # for writing, and the step that replaces the live data is a single one.
    tmp = _temp_beside(path)
    try:
        with _sqlite_errors("read the backup"):
            source = _connect(source_path, readonly=True)
            try:
                _copy(source, tmp)
            finally:
                source.close()
        if _live_is_intact(path):
            with _sqlite_errors("restore the database"):
                copy = _connect(tmp, readonly=True)
                live = _connect(path)
                try:
                    copy.backup(live)
                finally:
                    live.close()
                    copy.close()
        else:
            # Damaged or missing: its WAL and shared-memory files belong to the damaged
            # file and must not be applied to the restored one.
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return revision


# --- command line --------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    target = backup(args.file)
    print(f"backed up the database to {target}")
    return 0


def cmd_restore_backup(args: argparse.Namespace) -> int:
    revision = restore(args.file)
    print(f"restored the database from {args.file} (migration {revision})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "backup",
        help="copy the SQLite database to FILE (online: others may keep working)",
        description="SQLite only. On PostgreSQL it prints the pg_dump command to run.",
    )
    p.add_argument("file", help="the backup file to write (replaced if it exists)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        "restore-backup",
        help="replace the SQLite database with a backup made by 'capex backup'",
        description="Checks that FILE is an intact capex database at a known migration "
        "first; nothing is changed otherwise. SQLite only; on PostgreSQL it prints the "
        "pg_restore command to run.",
    )
    p.add_argument("file", help="a file written by 'capex backup'")
    p.set_defaults(func=cmd_restore_backup)


def _register_cli() -> None:
    from tracker.cli import EXTENSIONS

    if register not in EXTENSIONS:
        EXTENSIONS.append(register)


_register_cli()
