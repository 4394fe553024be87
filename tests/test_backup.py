"""``capex backup`` / ``capex restore-backup`` (SQLite), and clear errors for a damaged
database file in the CLI.

These tests always use their own SQLite file, also in the PostgreSQL run of the suite
(backups of PostgreSQL are pg_dump's job; the commands say so).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from tests.conftest import _forget_engines
from tracker import queries, service
from tracker.bootstrap import get_engine
from tracker.cli import main


@pytest.fixture
def sqlite_env(tmp_path: Path, test_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI and service pointed at a fresh SQLite file, seeded from the fixture."""
    db = tmp_path / "live" / "capex.sqlite"
    db.parent.mkdir()
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CAPEX_DB_PATH", str(db))
    monkeypatch.setenv("CAPEX_USER", "tester")
    _forget_engines()
    yield db
    _forget_engines()


def snapshot() -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = get_engine()
    announcements = queries.announcements_frame(engine, include_deleted=True)
    history = queries.history_frame(engine)
    return (
        announcements.sort_values("id").reset_index(drop=True),
        history.sort_values("id").reset_index(drop=True),
    )


def reopen() -> None:
    """Forget the engine, as a new process would."""
    get_engine().dispose()
    _forget_engines()


def test_backup_then_restore_gives_back_announcements_and_history_exactly(
    sqlite_env: Path, tmp_path: Path, capsys
):
    engine = get_engine()
    assert len(queries.announcements_frame(engine)) == 31
    service.update_announcement(engine, 5, {"notes": "checked", "amount_high": "66"}, "alice")
    service.delete_announcement(engine, 7, "bob", "duplicate")
    before_announcements, before_history = snapshot()
    assert len(before_history) == 2

    backup_file = tmp_path / "backups" / "capex-backup.sqlite"
    backup_file.parent.mkdir()
    assert main(["backup", str(backup_file)]) == 0
    assert "backed up" in capsys.readouterr().out
    assert backup_file.read_bytes().startswith(b"SQLite format 3\x00")

    # Everything changes afterwards ...
    service.update_announcement(engine, 5, {"notes": "later"}, "carol")
    for row in queries.announcements_frame(engine).itertuples():
        service.delete_announcement(engine, int(row.id), "mallory", "wipe")
    assert queries.announcements_frame(engine).empty

    # ... and the restore brings back exactly what was backed up.
    assert main(["restore-backup", str(backup_file)]) == 0
    assert "restored" in capsys.readouterr().out
    reopen()
    after_announcements, after_history = snapshot()
    pd.testing.assert_frame_equal(after_announcements, before_announcements)
    pd.testing.assert_frame_equal(after_history, before_history)
    # The restored database takes writes again.
    service.update_announcement(get_engine(), 5, {"notes": "after restore"}, "alice")


def test_restore_over_a_damaged_database_file(sqlite_env: Path, tmp_path: Path, capsys):
    service.update_announcement(get_engine(), 3, {"notes": "before the damage"}, "alice")
    before = snapshot()
    backup_file = tmp_path / "b.sqlite"
    assert main(["backup", str(backup_file)]) == 0
    reopen()
    sqlite_env.write_bytes(b"garbage " * 4096)
    Path(f"{sqlite_env}-wal").write_bytes(b"more garbage")

    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "damaged" in err and "Traceback" not in err

    assert main(["restore-backup", str(backup_file)]) == 0
    reopen()
    after = snapshot()
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])


def test_restore_refuses_files_that_are_not_capex_databases(
    sqlite_env: Path, tmp_path: Path, capsys
):
    get_engine()
    before = snapshot()
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    future = tmp_path / "future.sqlite"
    assert main(["backup", str(future)]) == 0
    with sqlite3.connect(future) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    capsys.readouterr()

    for file, reason in (
        (text_file, "is not a SQLite database"),
        (other, "is not a capex-tracker database"),
        (future, "migration 9999, which this version of capex-tracker does not know"),
        (tmp_path / "missing.sqlite", "there is no backup file"),
    ):
        assert main(["restore-backup", str(file)]) == 1
        err = capsys.readouterr().err
        assert reason in err, err
        assert err.count("\n") == 1  # one sentence
    reopen()
    after = snapshot()
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])


def test_backup_refuses_to_overwrite_the_database_itself(sqlite_env: Path, capsys):
    get_engine()
    assert main(["backup", str(sqlite_env)]) == 1
    assert "cannot be the database itself" in capsys.readouterr().err


def test_backup_of_a_damaged_database_is_refused(sqlite_env: Path, tmp_path: Path, capsys):
    sqlite_env.write_bytes(b"\x00garbage" * 1000)
    target = tmp_path / "b.sqlite"
    assert main(["backup", str(target)]) == 1
    assert "is not a SQLite database" in capsys.readouterr().err
    assert not target.exists()


def test_postgresql_gets_the_documented_commands(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://capex:s3cret@db.internal:5432/capex")
    assert main(["backup", "capex.dump"]) == 1
    err = capsys.readouterr().err
    assert "pg_dump --format=custom --file capex.dump" in err
    assert "pg_restore --clean --if-exists --no-owner" in err
    assert "s3cret" not in err and "***" in err
    assert main(["restore-backup", "capex.dump"]) == 1
    assert "pg_restore" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content",
    [b"this is not a database " * 100, b"SQLite format 3\x00" + b"\xff" * 5000],
    ids=["garbage", "damaged-header"],
)
def test_cli_on_a_corrupt_database_file_says_one_sentence(sqlite_env: Path, content: bytes, capsys):
    sqlite_env.write_bytes(content)
    for argv in (["list"], ["summary"], ["history"], ["edit", "1", "--notes", "x"]):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("error: could not "), err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "restore it from a backup" in err or "refused" in err, err


def test_long_user_names_are_cut_to_the_history_column(seeded_engine):
    """A 500-character name is recorded cut to 200 characters (PostgreSQL refused names
    over the column's width before)."""
    name = "x" * 500
    service.update_announcement(seeded_engine, 5, {"notes": "long name"}, name)
    service.add_announcement(
        seeded_engine,
        {
            **{c: "" for c in ("id", "ticker", "supersedes")},
            "company": "Newco",
            "country": "US",
            "fy_end_month": "12",
            "kind": "guidance",
            "scope": "total_capex",
            "period": "2025",
            "amount_low": "1",
            "amount_high": "1",
            "currency": "USD",
            "announced_on": "2025-01-29",
            "source_url": "https://example.com/newco",
        },
        name,
    )
    service.delete_announcement(seeded_engine, 6, name, "long name")
    history = queries.history_frame(seeded_engine)
    assert set(history["changed_by"]) == {"x" * 200}
    with seeded_engine.connect() as conn:
        created_by = conn.execute(
            text(
                "SELECT created_by FROM announcement WHERE company_id = "
                "(SELECT id FROM company WHERE name = 'Newco')"
            )
        ).scalar_one()
        deleted_by = conn.execute(
            text("SELECT deleted_by FROM announcement WHERE id = 6")
        ).scalar_one()
    assert created_by == deleted_by == "x" * 200
