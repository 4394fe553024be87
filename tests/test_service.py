"""The write side (tracker.service): all or nothing, duplicates, re-imports, optimistic
edits, soft delete and restore, company identity, and the readable history."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import event, func, select
from sqlmodel import Session

from tests.helpers import FIXTURE, GOOD_ROW, rows
from tracker import queries, service
from tracker.csv_io import announcements_to_csv, read_announcements_csv
from tracker.errors import Conflict, NotFound, StaleEdit, ValidationFailed
from tracker.models import Announcement, AnnouncementChange, Company

META_2025_FIRST = 5  # fixture: Meta guidance 2025, USD 60-65bn, 2025-01-29


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()[0]


def stored(engine, announcement_id: int) -> pd.Series:
    frame = queries.announcements_frame(engine, include_deleted=True)
    return frame.set_index("id").loc[announcement_id]


def test_fixture_loads_with_its_ids(seeded_engine):
    frame = queries.announcements_frame(seeded_engine)
    assert list(frame["id"]) == list(range(1, 32))  # 31 rows, ids 1-31 as in the file
    # 10 companies: Microsoft, Meta, Alphabet, Amazon, Oracle, Alibaba, Tencent,
    # Stargate, Apple.
    assert set(queries.companies_frame(seeded_engine)["name"]) == {
        "Microsoft",
        "Meta",
        "Alphabet",
        "Amazon",
        "Oracle",
        "Alibaba",
        "Tencent",
        "Stargate",
        "Apple",
    }
    assert stored(seeded_engine, META_2025_FIRST)["amount_high"] == 65.0


def test_import_reports_what_it_created(empty_engine):
    report = service.import_frame(empty_engine, rows({}, {"period": "2026"}), user="ana")
    # Two new rows of one new company.
    assert (report.inserted, report.updated, report.unchanged) == (2, 0, 0)
    assert report.companies_created == 1
    frame = queries.announcements_frame(empty_engine)
    assert list(frame["id"]) == report.ids
    assert set(frame["created_by"]) == {"ana"}


def test_bad_row_in_a_batch_saves_nothing(empty_engine):
    with pytest.raises(ValidationFailed, match="line 3: amount_low"):
        service.import_frame(empty_engine, rows({}, {"amount_low": "-3", "period": "2026"}))
    assert count(empty_engine, Announcement) == 0
    assert count(empty_engine, Company) == 0


def test_a_failure_while_inserting_leaves_nothing_behind(empty_engine):
    """The announcement insert fails after the new company was written in the same
    transaction: none of it may remain, and the database stays usable."""

    def fail_on_announcement_insert(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO ANNOUNCEMENT "):
            raise RuntimeError("disk full")

    event.listen(empty_engine, "before_cursor_execute", fail_on_announcement_insert)
    try:
        with pytest.raises(Exception, match="disk full"):
            service.import_frame(empty_engine, rows({"company": "Newco"}))
    finally:
        event.remove(empty_engine, "before_cursor_execute", fail_on_announcement_insert)
    assert (count(empty_engine, Company), count(empty_engine, Announcement)) == (0, 0)
    service.import_frame(empty_engine, rows({}))
    assert count(empty_engine, Announcement) == 1


def test_reimport_of_an_export_is_unchanged_and_updates_changed_rows(seeded_engine):
    exported = read_announcements_csv(
        announcements_to_csv(queries.announcements_frame(seeded_engine)).encode()
    )
    report = service.import_frame(seeded_engine, exported, user="ana")
    # All 31 rows repeat their stored selves: unchanged, not errors, nothing written.
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 31)
    assert count(seeded_engine, AnnouncementChange) == 0

    exported.loc[exported["id"] == str(META_2025_FIRST), "notes"] = "checked against the 10-K"
    report = service.import_frame(seeded_engine, exported, user="ana")
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 30)
    assert report.ids == [META_2025_FIRST]
    row = stored(seeded_engine, META_2025_FIRST)
    assert (row["notes"], row["version"]) == ("checked against the 10-K", 2)
    assert count(seeded_engine, Announcement) == 31


def test_fixture_file_imported_twice_is_all_unchanged(seeded_engine):
    report = service.import_frame(seeded_engine, read_announcements_csv(FIXTURE))
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 31)


def test_duplicate_is_refused_naming_the_stored_id(seeded_engine):
    again = {**GOOD_ROW, "company": "meta", "country": "", "notes": "again"}
    with pytest.raises(
        ValidationFailed, match=f"already stored as announcement #{META_2025_FIRST}"
    ):
        service.add_announcement(seeded_engine, again)
    assert count(seeded_engine, Announcement) == 31


def test_quotes_and_sql_keywords_are_stored_verbatim(empty_engine):
    name = 'O\'Brien "AI"; DROP TABLE announcement; --'
    notes = "SELECT * FROM company WHERE 1=1 OR ''=''"
    service.import_frame(empty_engine, rows({"company": name, "notes": notes}))
    row = queries.announcements_frame(empty_engine).iloc[0]
    assert (row["company"], row["notes"]) == (name, notes)


def test_edit_writes_only_changed_fields_and_keeps_history(seeded_engine):
    changed = service.update_announcement(
        seeded_engine,
        META_2025_FIRST,
        {"amount_high": "66", "notes": "fixed"},
        user="ana",
        expected_version=1,
    )
    assert changed is True
    row = stored(seeded_engine, META_2025_FIRST)
    assert (row["amount_low"], row["amount_high"], row["notes"], row["version"]) == (
        60,
        66,
        "fixed",
        2,
    )
    history = queries.history_frame(seeded_engine, META_2025_FIRST)
    assert list(history["action"]) == ["update"]
    entry = history.iloc[0]
    assert entry["changed_by"] == "ana"
    assert entry["old_values"] == {
        "amount_high": 65.0,
        "notes": "Guidance range USD 60-65bn, Q4 2024 results.",
        "version": 1,
    }
    assert entry["changes"] == (
        "amount_high: 65.0 → 66.0; notes: Guidance range USD 60-65bn, Q4 2024 results. → fixed"
    )
    # Asking for the values it already has writes nothing.
    assert service.update_announcement(seeded_engine, META_2025_FIRST, {"notes": "fixed"}) is False
    assert stored(seeded_engine, META_2025_FIRST)["version"] == 2


def test_stale_edit_is_refused_naming_the_changed_field(seeded_engine):
    service.update_announcement(
        seeded_engine, META_2025_FIRST, {"notes": "A"}, user="bo", expected_version=1
    )
    with pytest.raises(StaleEdit, match=r"notes \(by bo\)") as info:
        service.update_announcement(
            seeded_engine, META_2025_FIRST, {"amount_high": "66"}, expected_version=1
        )
    assert info.value.changed_fields == ["notes (by bo)"]
    row = stored(seeded_engine, META_2025_FIRST)
    assert (row["notes"], row["amount_high"], row["version"]) == ("A", 65.0, 2)


def test_two_edits_of_different_fields_without_version_both_land(seeded_engine):
    service.update_announcement(seeded_engine, META_2025_FIRST, {"notes": "A"})
    service.update_announcement(seeded_engine, META_2025_FIRST, {"amount_high": "66"})
    row = stored(seeded_engine, META_2025_FIRST)
    assert (row["notes"], row["amount_high"], row["version"]) == ("A", 66.0, 3)


def test_history_changes_are_readable(seeded_engine):
    service.update_announcement(seeded_engine, META_2025_FIRST, {"notes": "A"})
    service.update_announcement(seeded_engine, META_2025_FIRST, {"notes": "B"})
    service.delete_announcement(seeded_engine, META_2025_FIRST, reason="wrong figure")
    history = queries.history_frame(seeded_engine, META_2025_FIRST)
    assert list(history["action"]) == ["delete", "update", "update"]  # newest first
    assert history.iloc[1]["changes"] == "notes: A → B"
    assert "reason: wrong figure" in history.iloc[0]["changes"]
    assert history.iloc[0]["company"] == "Meta" and history.iloc[0]["period"] == "2025"


def test_edit_with_a_bad_value_changes_nothing(seeded_engine):
    with pytest.raises(ValidationFailed, match="below the low amount"):
        service.update_announcement(seeded_engine, META_2025_FIRST, {"amount_high": "10"})
    assert stored(seeded_engine, META_2025_FIRST)["version"] == 1
    assert queries.history_frame(seeded_engine).empty


def test_edit_may_not_turn_a_row_into_a_duplicate(seeded_engine):
    # Row 6 (Meta 64-72, 2025-04-30) made equal to row 5 (60-65, 2025-01-29).
    with pytest.raises(
        ValidationFailed, match=f"already stored as announcement #{META_2025_FIRST}"
    ):
        service.update_announcement(
            seeded_engine,
            6,
            {"amount_low": "60", "amount_high": "65", "announced_on": "2025-01-29"},
        )


def test_edit_of_a_deleted_row_is_a_conflict(seeded_engine):
    service.delete_announcement(seeded_engine, META_2025_FIRST)
    with pytest.raises(Conflict, match="is deleted; restore it"):
        service.update_announcement(seeded_engine, META_2025_FIRST, {"notes": "x"})


def test_delete_hides_keeps_and_restores(seeded_engine):
    service.delete_announcement(seeded_engine, META_2025_FIRST, user="ana", reason="typo")
    assert META_2025_FIRST not in set(queries.announcements_frame(seeded_engine)["id"])
    assert count(seeded_engine, Announcement) == 31  # still in the table
    assert stored(seeded_engine, META_2025_FIRST)["deleted_by"] == "ana"
    with pytest.raises(Conflict, match="already deleted"):
        service.delete_announcement(seeded_engine, META_2025_FIRST)
    service.restore_announcement(seeded_engine, META_2025_FIRST, user="bo")
    assert META_2025_FIRST in set(queries.announcements_frame(seeded_engine)["id"])
    assert list(queries.history_frame(seeded_engine, META_2025_FIRST)["action"]) == [
        "restore",
        "delete",
    ]


def test_restore_that_would_duplicate_is_refused(seeded_engine):
    service.delete_announcement(seeded_engine, META_2025_FIRST)
    new_id = service.add_announcement(seeded_engine, {**GOOD_ROW, "country": ""})
    assert new_id == 32
    with pytest.raises(Conflict, match=f"would duplicate the live announcement #{new_id}"):
        service.restore_announcement(seeded_engine, META_2025_FIRST)
    assert META_2025_FIRST not in set(queries.announcements_frame(seeded_engine)["id"])


def test_reimport_naming_a_deleted_id_is_refused(seeded_engine):
    exported = read_announcements_csv(
        announcements_to_csv(queries.announcements_frame(seeded_engine)).encode()
    )
    service.delete_announcement(seeded_engine, META_2025_FIRST)
    with pytest.raises(ValidationFailed, match=f"#{META_2025_FIRST} is deleted"):
        service.import_frame(seeded_engine, exported)


def test_unknown_ids_and_fields_are_reported(seeded_engine):
    with pytest.raises(NotFound, match="no announcement #99999"):
        service.delete_announcement(seeded_engine, 99999)
    with pytest.raises(NotFound):
        service.update_announcement(seeded_engine, 99999, {"notes": "x"})
    with pytest.raises(ValidationFailed, match="cannot be edited"):
        service.update_announcement(seeded_engine, 1, {"company": "x"})


@pytest.mark.parametrize("spelling", [" meta", "ＭＥＴＡ", "Me\u200bta", "META "])
def test_company_look_alikes_are_one_company(seeded_engine, spelling):
    service.add_announcement(
        seeded_engine, {**GOOD_ROW, "company": spelling, "country": "", "period": "2027"}
    )
    companies = queries.companies_frame(seeded_engine)
    assert (companies["name_key"] == "meta").sum() == 1
    assert len(companies) == 9  # no new company
    frame = queries.announcements_frame(seeded_engine)
    assert frame.iloc[-1]["company"] == "Meta"  # the stored spelling


def test_new_company_spelled_several_ways_in_one_file_is_one_company(empty_engine):
    report = service.import_frame(
        empty_engine,
        rows(
            {"company": "NewCo"},
            {"company": "newco", "period": "2026"},
            {"company": "ＮｅｗＣｏ", "period": "2027"},
        ),
    )
    assert (report.companies_created, report.inserted) == (1, 3)
    assert list(queries.companies_frame(empty_engine)["name"]) == ["NewCo"]


def test_conflicting_country_for_an_existing_company_is_refused(seeded_engine):
    with pytest.raises(ValidationFailed, match="country IE conflicts with the stored US"):
        service.add_announcement(seeded_engine, {**GOOD_ROW, "country": "IE", "period": "2027"})
    assert count(seeded_engine, Announcement) == 31


def test_supersedes_must_name_a_live_announcement(seeded_engine):
    with pytest.raises(ValidationFailed, match="supersedes #999, which is not a live"):
        service.add_announcement(seeded_engine, {**GOOD_ROW, "period": "2027", "supersedes": "999"})


def test_reimport_of_an_old_export_refuses_rows_changed_since(seeded_engine):
    old_export = read_announcements_csv(
        announcements_to_csv(queries.announcements_frame(seeded_engine)).encode()
    )
    # Bo edits Meta's first 2025 guidance after Ana exported (version 1 -> 2).
    service.update_announcement(seeded_engine, META_2025_FIRST, {"notes": "Bo's check"}, "bo")
    # Ana changes the same row in her old file and imports it: refused, Bo's edit stays.
    old_export.loc[old_export["id"] == str(META_2025_FIRST), "amount_high"] = "66"
    with pytest.raises(ValidationFailed, match="was changed since this file was exported"):
        service.import_frame(seeded_engine, old_export, user="ana")
    assert stored(seeded_engine, META_2025_FIRST)["notes"] == "Bo's check"
    # Rows of the old file that still match the stored ones are simply unchanged.
    old_export = old_export[old_export["id"] != str(META_2025_FIRST)]
    report = service.import_frame(seeded_engine, old_export, user="ana")
    assert (report.updated, report.unchanged) == (0, 30)


SUP = {"kind": "guidance", "period": "2026", "amount_low": "100", "amount_high": ""}


def test_supersedes_must_be_the_same_company_and_not_later(seeded_engine):
    meta_guidance = stored(seeded_engine, META_2025_FIRST)  # Meta, announced 2025-01-29
    other = {
        **GOOD_ROW,
        **SUP,
        "company": "Alphabet",
        "country": "",
        "announced_on": "2025-06-01",
        "supersedes": str(META_2025_FIRST),
    }
    with pytest.raises(ValidationFailed, match="an announcement of another company"):
        service.import_frame(seeded_engine, rows(other))
    earlier = {**GOOD_ROW, **SUP, "announced_on": "2024-12-01", "supersedes": str(META_2025_FIRST)}
    with pytest.raises(ValidationFailed, match="announced later than this one"):
        service.import_frame(seeded_engine, rows(earlier))
    assert meta_guidance["company"] == "Meta"


def test_a_circle_of_replacements_is_refused(seeded_engine):
    first = service.import_frame(
        seeded_engine,
        rows({**GOOD_ROW, **SUP, "announced_on": "2025-06-01", "supersedes": str(META_2025_FIRST)}),
    ).ids[0]
    # Making the older row supersede the new one would hide both for good.
    with pytest.raises(ValidationFailed, match="circle of replacements"):
        service.update_announcement(
            seeded_engine, META_2025_FIRST, {"supersedes": str(first), "announced_on": "2025-06-02"}
        )


def test_a_row_may_supersede_a_later_line_of_the_same_file(empty_engine):
    newer = {**GOOD_ROW, **SUP, "id": "500", "announced_on": "2025-06-01", "supersedes": "501"}
    older = {**GOOD_ROW, **SUP, "id": "501", "amount_low": "90", "announced_on": "2025-02-01"}
    report = service.import_frame(empty_engine, rows(newer, older))
    assert sorted(report.ids) == [500, 501]
    assert stored(empty_engine, 500)["supersedes"] == 501


def test_a_row_superseding_a_refused_row_is_refused_too(empty_engine):
    newer = {**GOOD_ROW, **SUP, "id": "500", "announced_on": "2025-06-01", "supersedes": "501"}
    broken = {**GOOD_ROW, **SUP, "id": "501", "amount_low": "lots", "announced_on": "2025-02-01"}
    fine = {**GOOD_ROW, **SUP, "amount_low": "70", "announced_on": "2025-03-01"}
    report = service.import_frame(empty_engine, rows(newer, broken, fine), skip_invalid=True)
    # Only the third row is saved; the first would point at a row that was not.
    assert report.inserted == 1
    assert queries.announcements_frame(empty_engine)["amount_low"].tolist() == [70.0]
