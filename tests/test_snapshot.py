"""The announcements kept on disk for the next start (tracker.snapshot): the same frame
as the database's, used only while the database holds exactly what it was written
from, and never in the way when it cannot be read or written."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.helpers import GOOD_ROW, arrow_chunks
from tracker import bootstrap, config, queries, service, snapshot
from tracker.db import make_engine


@pytest.fixture
def engine(configured_env) -> Engine:
    return bootstrap.get_engine()  # seeded with the fixture's 31 announcements


def _loads(monkeypatch) -> list[int]:
    """Counts the database loads from here on."""
    loads: list[int] = []
    original = queries.announcements_frame

    def counted(*args, **kwargs):
        loads.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(queries, "announcements_frame", counted)
    return loads


def test_a_second_load_reads_the_snapshot_and_gets_the_same_frame(engine, monkeypatch):
    loads = _loads(monkeypatch)
    version = queries.data_version(engine)
    first = snapshot.live_announcements(engine, version)
    assert snapshot.snapshot_path(engine).exists()
    again = snapshot.live_announcements(engine, version)
    assert len(loads) == 1  # the second came from the file
    assert len(again) == 31
    # Same values, same types (dates, UTC timestamps, nullable supersedes, blank text).
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    pd.testing.assert_frame_equal(again, queries.announcements_frame(engine), check_exact=True)


def _write(engine: Engine, change: str) -> None:
    """One write of the tracker's own: each kind a user or a sync can make."""
    if change == "add":
        service.add_announcement(engine, {**GOOD_ROW, "period": "2031"}, user="tester")
    elif change == "edit":
        service.update_announcement(engine, 1, {"notes": "edited"}, user="tester")
    elif change == "delete":
        service.delete_announcement(engine, 1, user="tester", reason="test")
    else:  # restore
        service.delete_announcement(engine, 1, user="tester", reason="test")
        snapshot.live_announcements(engine, queries.data_version(engine))
        service.restore_announcement(engine, 1, user="tester")


@pytest.mark.parametrize("change", ["add", "edit", "delete", "restore"])
def test_a_write_makes_the_next_load_come_from_the_database(engine, monkeypatch, change):
    before = queries.data_version(engine)
    snapshot.live_announcements(engine, before)
    _write(engine, change)
    loads = _loads(monkeypatch)
    after = queries.data_version(engine)
    assert after != before
    frame = snapshot.live_announcements(engine, after)
    assert len(loads) == 1
    stored = queries.announcements_frame(engine)
    pd.testing.assert_frame_equal(frame, stored, check_exact=True)
    # ...and the file now holds the new version: the next load is from it, and equal.
    pd.testing.assert_frame_equal(
        snapshot.live_announcements(engine, after), stored, check_exact=True
    )
    assert len(loads) == 2  # the load above, for the comparison, and no other
    # The file of the old version is gone: asking for it is a load again.
    snapshot.live_announcements(engine, before)
    assert len(loads) == 3


def test_an_edit_committed_after_a_later_numbered_one_moves_the_version(engine):
    """On PostgreSQL two writers number their edit-history rows in the order they start
    and commit in any order: the second commit can hold the smaller id. The version
    still moves (else a snapshot and the caches kept the older rows)."""
    stamp = {"announcement_id": 1, "changed_by": "tester", "old_values": "{}"}
    insert = text(
        "INSERT INTO announcement_change"
        " (id, announcement_id, action, changed_at, changed_by, old_values, new_values)"
        " VALUES (:id, :announcement_id, 'update', CURRENT_TIMESTAMP, :changed_by,"
        " :old_values, :old_values)"
    )
    with engine.begin() as conn:
        conn.execute(insert, {**stamp, "id": 1000})
    first = queries.data_version(engine)
    with engine.begin() as conn:
        conn.execute(insert, {**stamp, "id": 500})  # the earlier-numbered writer's commit
    assert queries.data_version(engine) != first


def test_a_write_during_the_load_leaves_no_snapshot(engine, monkeypatch):
    """The rows loaded after a write belong to a newer version than the one read before
    the load: not written under the older one."""
    stale = queries.data_version(engine)
    service.add_announcement(engine, {**GOOD_ROW, "period": "2031"}, user="tester")
    frame = snapshot.live_announcements(engine, stale)
    assert len(frame) == 32
    assert not snapshot.snapshot_path(engine).exists()


def test_other_columns_in_the_load_ignore_the_snapshot(engine, monkeypatch):
    version = queries.data_version(engine)
    snapshot.live_announcements(engine, version)
    original = queries.live_announcements_sql
    # Still a valid load (the database is read through it too), written differently.
    monkeypatch.setattr(
        queries,
        "live_announcements_sql",
        lambda dialect: original(dialect).replace("SELECT", "SELECT ", 1),
    )
    loads = _loads(monkeypatch)
    snapshot.live_announcements(engine, version)
    assert len(loads) == 1


def test_an_unreadable_snapshot_is_logged_and_replaced(engine, monkeypatch, caplog):
    version = queries.data_version(engine)
    path = snapshot.snapshot_path(engine)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an Arrow file")
    loads = _loads(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="tracker.snapshot"):
        frame = snapshot.live_announcements(engine, version)
    assert (len(loads), len(frame)) == (1, 31)
    assert "unreadable" in caplog.text
    assert len(snapshot.live_announcements(engine, version)) == 31
    assert len(loads) == 1  # the file was written anew


def test_an_unwritable_folder_still_gives_the_frame(engine, monkeypatch, tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("CAPEX_SNAPSHOT_DIR", str(blocked / "snapshots"))
    with caplog.at_level(logging.WARNING, logger="tracker.snapshot"):
        frame = snapshot.live_announcements(engine, queries.data_version(engine))
    assert len(frame) == 31
    assert "not written" in caplog.text
    assert not list(tmp_path.glob("**/.snapshot-*"))


def test_switched_off_or_in_memory_there_is_no_snapshot(engine, monkeypatch, snapshot_dir):
    monkeypatch.setenv("CAPEX_SNAPSHOT_DIR", "off")
    assert snapshot.snapshot_path(engine) is None
    assert len(snapshot.live_announcements(engine, queries.data_version(engine))) == 31
    assert not snapshot_dir.exists()
    monkeypatch.setenv("CAPEX_SNAPSHOT_DIR", str(snapshot_dir))
    assert snapshot.snapshot_path(make_engine("sqlite://")) is None


def test_one_file_per_database_whatever_its_password(tmp_path):
    def path(url: str) -> Path | None:
        return snapshot.snapshot_path(make_engine(url))

    first = path("postgresql+psycopg://capex:one@db.internal:5432/capex")
    assert first == path("postgresql+psycopg://capex:two@db.internal:5432/capex")
    assert first != path("postgresql+psycopg://capex:one@db.other:5432/capex")
    assert path(f"sqlite:///{tmp_path}/a.sqlite") != path(f"sqlite:///{tmp_path}/b.sqlite")


def test_written_in_the_background_when_asked(engine, monkeypatch):
    version = queries.data_version(engine)
    snapshot.live_announcements(engine, version, write_in_background=True)
    for thread in threading.enumerate():
        if thread.name == "capex-snapshot":
            thread.join(timeout=30)
    loads = _loads(monkeypatch)
    assert len(snapshot.live_announcements(engine, version)) == 31
    assert loads == []


def test_the_file_is_written_whole_in_blocks(engine, monkeypatch):
    """Written a few rows at a time (the whole frame is never copied at once), and read
    back as one frame in the original order."""
    monkeypatch.setattr(snapshot, "_BATCH_ROWS", 4)
    version = queries.data_version(engine)
    first = snapshot.live_announcements(engine, version)
    again = snapshot.read(snapshot.snapshot_path(engine), snapshot._key(engine, version))
    assert again is not None
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    assert again["id"].tolist() == sorted(first["id"])
    # Read back with each text column in one chunk (not one per written block).
    chunks = arrow_chunks(again)
    assert chunks["company"] == 1 and set(chunks.values()) == {1}


def test_no_home_folder_means_no_snapshot_not_an_error(engine, monkeypatch):
    """A container's user with no home folder: the frame comes from the database."""
    monkeypatch.delenv("CAPEX_SNAPSHOT_DIR")

    # What os.path.expanduser does when neither HOME nor the user database names one.
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)
    assert snapshot.snapshot_path(engine) is None
    assert len(snapshot.live_announcements(engine, queries.data_version(engine))) == 31


def test_the_folder_may_start_with_the_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CAPEX_SNAPSHOT_DIR", "~/kept")
    assert config.snapshot_dir() == tmp_path / "kept"


def test_an_interrupted_write_leaves_no_temporary_file(engine, monkeypatch, snapshot_dir):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pa.ipc, "new_file", interrupted)  # after the temporary file
    with pytest.raises(KeyboardInterrupt):
        snapshot.live_announcements(engine, queries.data_version(engine))
    assert snapshot_dir.is_dir() and not list(snapshot_dir.iterdir())


def test_a_killed_writers_old_temporary_files_are_removed(engine, snapshot_dir):
    snapshot_dir.mkdir()
    old, recent = snapshot_dir / ".snapshot-old.tmp", snapshot_dir / ".snapshot-recent.tmp"
    old.write_bytes(b"half a file")
    recent.write_bytes(b"another process writing now")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    snapshot.live_announcements(engine, queries.data_version(engine))
    assert not old.exists() and recent.exists()
    assert snapshot.snapshot_path(engine).exists()


def test_another_tracker_release_ignores_the_snapshot(engine, monkeypatch):
    version = queries.data_version(engine)
    snapshot.live_announcements(engine, version)
    monkeypatch.setattr(snapshot, "__version__", "99.0.0")
    loads = _loads(monkeypatch)
    snapshot.live_announcements(engine, version)
    assert len(loads) == 1
