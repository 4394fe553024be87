"""Writes through tracker.repository: all or nothing, duplicates, history, soft delete."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from tests.helpers import GOOD_ROW, rows
from tracker import repository as repo
from tracker.fx import default_fx
from tracker.models import Announcement, AnnouncementChange, Company
from tracker.validation import validate_frame


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()[0]


def meta_id(engine) -> int:
    frame = repo.announcements_frame(engine)
    return int(frame[(frame.company == "Meta") & (frame.kind == "guidance")].iloc[0]["id"])


def test_import_reports_what_it_created(empty_engine):
    report = repo.import_frame(empty_engine, rows({}, {"period": "2026"}), user="ana")
    assert (report.inserted, report.companies_created) == (2, 1)
    stored = repo.announcements_frame(empty_engine)
    assert list(stored["id"]) == report.ids
    assert set(stored["created_by"]) == {"ana"}


def test_a_failure_while_inserting_leaves_nothing_behind(empty_engine):
    """The insert of announcements fails (disk full, killed connection...) after the new
    companies were written in the same transaction: none of it may remain."""

    def fail_on_announcement_insert(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO ANNOUNCEMENT "):
            raise RuntimeError("disk full")

    event.listen(empty_engine, "before_cursor_execute", fail_on_announcement_insert)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            repo.import_frame(empty_engine, rows({}, {"company": "Newco", "period": "2026"}))
    finally:
        event.remove(empty_engine, "before_cursor_execute", fail_on_announcement_insert)
    assert count(empty_engine, Company) == 0
    assert count(empty_engine, Announcement) == 0
    repo.import_frame(empty_engine, rows({}))  # and the database is usable afterwards
    assert count(empty_engine, Announcement) == 1


def test_bad_row_in_a_batch_saves_nothing(empty_engine):
    with pytest.raises(repo.ValidationFailed, match="line 3: amount_low"):
        repo.import_frame(empty_engine, rows({}, {"amount_low": "-3", "period": "2026"}))
    assert count(empty_engine, Announcement) == 0
    assert count(empty_engine, Company) == 0


def test_duplicate_is_refused_pointing_to_the_stored_row(seeded_engine):
    existing = meta_id(seeded_engine)
    again = {
        **GOOD_ROW,
        "company": "meta",
        "country": "",
        "amount_low": "60",
        "amount_high": "65",
        "announced_on": "2025-01-29",
        "notes": "again",
    }
    with pytest.raises(repo.ValidationFailed) as info:
        repo.add_announcement(seeded_engine, again)
    assert f"already stored as announcement #{existing}" in str(info.value)


def test_the_database_refuses_a_duplicate_that_slipped_past_the_check(seeded_engine, monkeypatch):
    """Two writers can both pass the check; the unique index stops the second."""
    calls = {"n": 0}
    real = repo._existing_duplicates

    def blind_first(engine, valid):
        calls["n"] += 1
        return (
            valid.iloc[0:0].assign(existing_id=pd.Series(dtype=int))
            if calls["n"] == 1
            else real(engine, valid)
        )

    monkeypatch.setattr(repo, "_existing_duplicates", blind_first)
    duplicate = {**GOOD_ROW, "country": "", "notes": "race"}
    with pytest.raises(repo.ValidationFailed, match="already stored as announcement #"):
        repo.add_announcement(seeded_engine, duplicate)
    assert calls["n"] == 2
    with pytest.raises(IntegrityError):
        valid = validate_frame(
            rows(duplicate), repo.companies_frame(seeded_engine), default_fx()
        ).valid
        repo.save_valid(seeded_engine, valid)


def test_quotes_and_sql_keywords_are_stored_verbatim(empty_engine):
    name = 'O\'Brien "AI"; DROP TABLE announcement; --'
    notes = "SELECT * FROM company WHERE 1=1 OR ''=''"
    repo.import_frame(empty_engine, rows({"company": name, "notes": notes}))
    stored = repo.announcements_frame(empty_engine).iloc[0]
    assert (stored["company"], stored["notes"]) == (name, notes)
    assert count(empty_engine, Announcement) == 1


def test_edit_keeps_who_when_and_old_values(seeded_engine):
    target = meta_id(seeded_engine)
    repo.update_announcement(
        seeded_engine, target, {"amount_high": "66", "notes": "fixed"}, user="ana"
    )
    stored = repo.announcements_frame(seeded_engine).set_index("id").loc[target]
    assert (stored["amount_low"], stored["amount_high"], stored["notes"]) == (60, 66, "fixed")
    history = repo.history_frame(seeded_engine, target)
    assert list(history["action"]) == ["update"]
    change = history.iloc[0]
    assert change["changed_by"] == "ana" and pd.notna(change["changed_at"])
    old, new = json.loads(change["old_values"]), json.loads(change["new_values"])
    assert (old["amount_high"], old["notes"]) == (
        65.0,
        "Guidance range USD 60-65bn, Q4 2024 results.",
    )
    assert (new["amount_high"], new["notes"]) == (66.0, "fixed")


def test_edit_with_a_bad_value_changes_nothing(seeded_engine):
    target = meta_id(seeded_engine)
    before = repo.announcements_frame(seeded_engine).set_index("id").loc[target]
    with pytest.raises(repo.ValidationFailed, match="below the low amount"):
        repo.update_announcement(seeded_engine, target, {"amount_high": "10"})
    after = repo.announcements_frame(seeded_engine).set_index("id").loc[target]
    assert after.equals(before)
    assert repo.history_frame(seeded_engine).empty


def test_edit_may_not_turn_a_row_into_a_duplicate(seeded_engine):
    frame = repo.announcements_frame(seeded_engine)
    meta = frame[(frame.company == "Meta") & (frame.kind == "guidance")].sort_values("id")
    first, second = int(meta.iloc[0]["id"]), int(meta.iloc[1]["id"])
    with pytest.raises(repo.ValidationFailed, match=f"would duplicate announcement #{first}"):
        repo.update_announcement(
            seeded_engine,
            second,
            {"amount_low": "60", "amount_high": "65", "announced_on": "2025-01-29"},
        )


def test_delete_hides_keeps_and_can_be_restored(seeded_engine):
    target = meta_id(seeded_engine)
    total = count(seeded_engine, Announcement)
    repo.delete_announcement(seeded_engine, target, user="ana", reason="wrong figure")
    assert target not in set(repo.announcements_frame(seeded_engine)["id"])
    assert count(seeded_engine, Announcement) == total  # still in the table
    kept = repo.announcements_frame(seeded_engine, include_deleted=True).set_index("id")
    assert kept.loc[target, "deleted_by"] == "ana"
    with pytest.raises(ValueError, match="already deleted"):
        repo.delete_announcement(seeded_engine, target)
    repo.restore_announcement(seeded_engine, target, user="bo")
    assert target in set(repo.announcements_frame(seeded_engine)["id"])
    history = repo.history_frame(seeded_engine, target)
    assert list(history["action"]) == ["restore", "delete"]  # newest first
    assert json.loads(history.iloc[1]["new_values"])["reason"] == "wrong figure"
    assert count(seeded_engine, AnnouncementChange) == 2


def test_a_deleted_announcement_can_be_added_again(seeded_engine):
    target = meta_id(seeded_engine)
    repo.delete_announcement(seeded_engine, target)
    again = {**GOOD_ROW, "country": "", "notes": "re-entered"}
    new_id = repo.add_announcement(seeded_engine, again)
    assert new_id != target
    with pytest.raises(ValueError, match=f"would duplicate the live announcement #{new_id}"):
        repo.restore_announcement(seeded_engine, target)
    assert target not in set(repo.announcements_frame(seeded_engine)["id"])


def test_unknown_ids_are_reported(seeded_engine):
    with pytest.raises(repo.NotFound, match="no announcement #99999"):
        repo.delete_announcement(seeded_engine, 99999)
    with pytest.raises(repo.NotFound):
        repo.update_announcement(seeded_engine, 99999, {"notes": "x"})
    with pytest.raises(ValueError, match="cannot edit: company"):
        repo.update_announcement(seeded_engine, 1, {"company": "x"})


def test_one_new_company_spelled_two_ways_in_a_file_is_one_company(empty_engine):
    report = repo.import_frame(
        empty_engine,
        rows({"company": "NewCo", "ticker": ""}, {"company": "newco", "period": "2026"}),
    )
    assert report.companies_created == 1
    assert list(repo.companies_frame(empty_engine)["name"]) == ["NewCo"]
    # And a later import in yet another spelling still finds it.
    repo.import_frame(empty_engine, rows({"company": "NEWCO", "period": "2027"}))
    assert set(repo.announcements_frame(empty_engine)["company"]) == {"NewCo"}
